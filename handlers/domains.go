package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

func domainsCrumb() views.Crumb { return views.Crumb{Label: "Domains", Href: "/domains"} }

func domainCrumb(d *models.Domain) views.Crumb {
	return views.Crumb{Label: d.Name, Href: "/domains/" + d.ID}
}

// ListDomains shows the domains, filtered by ?q=.
func (h *Handler) ListDomains(c echo.Context) error {
	q := c.QueryParam("q")
	ds, err := h.Store.Domains(c.Request().Context(), q)
	if err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "HX-Request")
	return render(c, http.StatusOK, views.Domains(views.DomainsPage{
		Page: h.page(c, "Domains", "domains"), Query: q, Domains: ds,
	}))
}

// NewDomain shows the creation form.
func (h *Handler) NewDomain(c echo.Context) error {
	return h.domainForm(c, nil, models.DomainInput{Enabled: true, OwnerIDs: []string{CurrentUser(c).ID}}, nil, http.StatusOK)
}

func (h *Handler) domainForm(c echo.Context, d *models.Domain, in models.DomainInput, errs models.FieldErrors, status int) error {
	users, err := h.Store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	title, crumbs := "New domain", []views.Crumb{domainsCrumb(), {Label: "New domain"}}
	if d != nil {
		title, crumbs = "Edit "+d.Name, []views.Crumb{domainsCrumb(), domainCrumb(d), {Label: "Edit"}}
	}
	return render(c, status, views.DomainForm(views.DomainFormPage{
		Page: h.page(c, title, "domains", crumbs...), Domain: d, Input: in, Errors: errs, Users: users,
	}))
}

func domainInput(c echo.Context) models.DomainInput {
	form, _ := c.FormParams()
	return models.DomainInput{
		Name:        c.FormValue("name"),
		HRID:        c.FormValue("hrid"),
		Description: c.FormValue("description"),
		Enabled:     c.FormValue("enabled") == "true",
		OwnerIDs:    form["owners"],
	}
}

// CreateDomain stores a new domain or re-renders the form with messages.
func (h *Handler) CreateDomain(c echo.Context) error {
	in := domainInput(c)
	d, err := h.Store.CreateDomain(c.Request().Context(), actor(c), in)
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.domainForm(c, nil, in, fe, formStatus)
	}
	if err != nil {
		return err
	}
	return h.redirect(c, "/domains/"+d.ID, "Domain “"+d.Name+"” created.")
}

// The domain page lists the secrets that expire within expiringWithin, at
// most expiringShown of them.
const (
	expiringWithin = 30 * 24 * time.Hour
	expiringShown  = 50
)

// ShowDomain shows a domain and one page of its applications, searched by
// ?q= and paged by ?after= and ?before=.
func (h *Handler) ShowDomain(c echo.Context) error {
	ctx := c.Request().Context()
	q, req := listRequest(c)
	v, err := h.Store.DomainView(ctx, c.Param("domain"), q, req, expiringWithin, expiringShown)
	if err != nil {
		return err
	}
	d, apps, exp := v.Domain, v.Apps, v.Expiry
	return render(c, http.StatusOK, views.DomainShow(views.DomainPage{
		Page: h.page(c, d.Name, "domains", domainsCrumb(), domainCrumb(d)), Domain: d, Counts: exp.Counts,
		Apps: apps.Items, AppQuery: q, AppTotal: d.AppCount,
		AppPager: listPager("/domains/"+d.ID, map[string]string{"q": q}, apps.Prev, apps.Next, views.AppListID),
		Expiring: exp.Expiring, ExpiringTotal: exp.Total, Now: h.Store.Now(), Soon: h.Store.ExpiringSoon,
	}))
}

// EditDomain shows the edit form.
func (h *Handler) EditDomain(c echo.Context) error {
	d, err := h.Store.DomainByID(c.Request().Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	in := models.DomainInput{Name: d.Name, HRID: d.HRID, Description: d.Description, Enabled: d.Enabled}
	for _, o := range d.Owners {
		in.OwnerIDs = append(in.OwnerIDs, o.ID)
	}
	return h.domainForm(c, d, in, nil, http.StatusOK)
}

// UpdateDomain saves the edit form.
func (h *Handler) UpdateDomain(c echo.Context) error {
	ctx := c.Request().Context()
	old, err := h.Store.DomainByID(ctx, c.Param("domain"))
	if err != nil {
		return err
	}
	in := domainInput(c)
	d, err := h.Store.UpdateDomain(ctx, actor(c), old.ID, in)
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.domainForm(c, old, in, fe, formStatus)
	}
	if err != nil {
		return err
	}
	return h.redirect(c, "/domains/"+d.ID, "Domain “"+d.Name+"” saved.")
}

// ConfirmDeleteDomain asks for the domain's name before deleting it.
func (h *Handler) ConfirmDeleteDomain(c echo.Context) error {
	d, err := h.Store.DomainByID(c.Request().Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	return h.deleteDomainPage(c, d, "", http.StatusOK)
}

func (h *Handler) deleteDomainPage(c echo.Context, d *models.Domain, msg string, status int) error {
	return render(c, status, views.Delete(views.DeletePage{
		Page:    h.page(c, "Delete "+d.Name, "domains", domainsCrumb(), domainCrumb(d), views.Crumb{Label: "Delete"}),
		Kind:    "domain",
		Name:    d.Name,
		Warning: "All applications of this domain and their client secrets will be deleted, and their clients will stop authenticating at once.",
		Action:  "/domains/" + d.ID + "/delete",
		Cancel:  "/domains/" + d.ID,
		Error:   msg,
	}))
}

// DeleteDomain deletes a domain once its name was typed exactly.
func (h *Handler) DeleteDomain(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := h.Store.DomainByID(ctx, c.Param("domain"))
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != d.Name {
		return h.deleteDomainPage(c, d, "Type the domain's name exactly to confirm.", formStatus)
	}
	if _, err := h.Store.DeleteDomain(ctx, actor(c), d.ID); err != nil {
		return err
	}
	return h.redirect(c, "/domains", "Domain “"+d.Name+"” deleted.")
}
