package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

func appCrumb(a *models.Application) views.Crumb {
	return views.Crumb{Label: a.Name, Href: "/domains/" + a.DomainID + "/applications/" + a.ID}
}

func appPath(a *models.Application) string {
	return "/domains/" + a.DomainID + "/applications/" + a.ID
}

// loadApp finds the domain and application named in the path; an
// application of another domain is not found.
func (h *Handler) loadApp(c echo.Context) (*models.Domain, *models.Application, error) {
	ctx := c.Request().Context()
	// No application page shows the domain's owners.
	d, err := h.Store.DomainWithoutOwners(ctx, c.Param("domain"))
	if err != nil {
		return nil, nil, err
	}
	a, err := h.Store.ApplicationByID(ctx, d.ID, c.Param("app"))
	if err != nil {
		return nil, nil, err
	}
	return d, a, nil
}

// formTokenField is the create form's one-time token.
const formTokenField = "formToken"

// RepeatedCreateFlash answers a create form sent again after it succeeded
// (a reload): nothing new was created.
func RepeatedCreateFlash(name string) string {
	return "Application “" + name + "” was already created by this form. Its first secret was shown once; renew it if you did not store it."
}

// NewApplication shows the creation form.
func (h *Handler) NewApplication(c echo.Context) error {
	d, err := h.Store.DomainByID(c.Request().Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	return h.appForm(c, d, nil, models.ApplicationInput{Type: models.AppTypeService, OwnerID: CurrentUser(c).ID}, nil, http.StatusOK)
}

// appForm renders the create (a nil) or edit form. The create form carries
// a one-time token (kept while the form is shown again after a refusal):
// a reload after success sends it again and is recognised.
func (h *Handler) appForm(c echo.Context, d *models.Domain, a *models.Application, in models.ApplicationInput, errs models.FieldErrors, status int) error {
	users, err := h.Store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	title, crumbs := "New application", []views.Crumb{domainsCrumb(), domainCrumb(d), {Label: "New application"}}
	if a != nil {
		title, crumbs = "Edit "+a.Name, []views.Crumb{domainsCrumb(), domainCrumb(d), appCrumb(a), {Label: "Edit"}}
	}
	token := ""
	if a == nil {
		if token = c.FormValue(formTokenField); token == "" {
			token = models.NewFormToken()
		}
	}
	return render(c, status, views.ApplicationForm(views.ApplicationFormPage{
		Page: h.page(c, title, "domains", crumbs...), Domain: d, App: a, Input: in, Errors: errs, Users: users, FormToken: token,
	}))
}

func appInput(c echo.Context) models.ApplicationInput {
	return models.ApplicationInput{
		Name:        c.FormValue("name"),
		Description: c.FormValue("description"),
		Type:        c.FormValue("type"),
		OwnerID:     c.FormValue("owner"),
		Scopes:      c.FormValue("scopes"),
		Disabled:    c.FormValue("enabled") != "true",
	}
}

// CreateApplication stores a new application or re-renders the form.
func (h *Handler) CreateApplication(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := h.Store.DomainByID(ctx, c.Param("domain"))
	if err != nil {
		return err
	}
	in := appInput(c)
	once := models.FormOnce{Token: c.FormValue(formTokenField)}
	if sess := CurrentSession(c); sess != nil {
		once.SessionID = sess.ID
	}
	a, first, repeated, err := h.Store.CreateApplicationOnce(ctx, actor(c), d.ID, in, once)
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.appForm(c, d, nil, in, fe, formStatus)
	}
	if err != nil {
		return err
	}
	if repeated {
		return h.redirect(c, appPath(a)+"/secrets", RepeatedCreateFlash(a.Name))
	}
	// The first secret's value can only be shown now, so this POST answers
	// with the page instead of redirecting.
	return h.revealSecret(c, http.StatusCreated, d, a, first, false)
}

// ShowApplication shows the Overview tab.
func (h *Handler) ShowApplication(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	v, err := h.appPage(c, d, a, "overview")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ApplicationShow(v))
}

func (h *Handler) appPage(c echo.Context, d *models.Domain, a *models.Application, tab string) (views.ApplicationPage, error) {
	ctx := c.Request().Context()
	counts, err := h.Store.SecretExpiryCounts(ctx, d.ID, a.ID)
	if err != nil {
		return views.ApplicationPage{}, err
	}
	alerts, err := h.Store.ExpiryAlerts(ctx, a.ID)
	if err != nil {
		return views.ApplicationPage{}, err
	}
	return h.appPageOf(c, d, a, tab, counts, alerts), nil
}

// appPageOf is appPage with the counts and alerts already read.
func (h *Handler) appPageOf(c echo.Context, d *models.Domain, a *models.Application, tab string, counts models.ExpiryCounts, alerts []models.ExpiryAlert) views.ApplicationPage {
	return views.ApplicationPage{
		Page:   h.page(c, a.Name, "domains", domainsCrumb(), domainCrumb(d), appCrumb(a), views.Crumb{Label: tabLabel(tab)}),
		Domain: d, App: a, Tab: tab, Counts: counts,
		Banner:        views.ExpiryBanner{Alerts: alerts, Now: h.Store.Now()},
		TokenEndpoint: strings.TrimSuffix(h.GatewayURL, "/") + "/" + d.HRID + "/oauth/token",
	}
}

func tabLabel(tab string) string {
	if tab == "secrets" {
		return "Secrets & Certificates"
	}
	return "Overview"
}

// EditApplication shows the edit form.
func (h *Handler) EditApplication(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	in := models.ApplicationInput{Name: a.Name, Description: a.Description, Type: a.Type, Scopes: a.Scopes, Disabled: a.Disabled}
	if a.OwnerID != nil {
		in.OwnerID = *a.OwnerID
	}
	return h.appForm(c, d, a, in, nil, http.StatusOK)
}

// UpdateApplication saves the edit form.
func (h *Handler) UpdateApplication(c echo.Context) error {
	d, old, err := h.loadApp(c)
	if err != nil {
		return err
	}
	in := appInput(c)
	a, err := h.Store.UpdateApplication(c.Request().Context(), actor(c), d.ID, old.ID, in)
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.appForm(c, d, old, in, fe, formStatus)
	}
	if err != nil {
		return err
	}
	return h.redirect(c, appPath(a), "Application “"+a.Name+"” saved.")
}

// ConfirmDeleteApplication asks for the application's name before deleting.
func (h *Handler) ConfirmDeleteApplication(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	return h.deleteAppPage(c, d, a, "", http.StatusOK)
}

func (h *Handler) deleteAppPage(c echo.Context, d *models.Domain, a *models.Application, msg string, status int) error {
	return render(c, status, views.Delete(views.DeletePage{
		Page:    h.page(c, "Delete "+a.Name, "domains", domainsCrumb(), domainCrumb(d), appCrumb(a), views.Crumb{Label: "Delete"}),
		Kind:    "application",
		Name:    a.Name,
		Warning: "Its client secrets will be deleted and the client will stop authenticating at once.",
		Action:  appPath(a) + "/delete",
		Cancel:  appPath(a),
		Error:   msg,
	}))
}

// DeleteApplication deletes an application once its name was typed exactly.
func (h *Handler) DeleteApplication(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != a.Name {
		return h.deleteAppPage(c, d, a, "Type the application's name exactly to confirm.", formStatus)
	}
	if _, err := h.Store.DeleteApplication(c.Request().Context(), actor(c), d.ID, a.ID); err != nil {
		return err
	}
	return h.redirect(c, "/domains/"+d.ID, "Application “"+a.Name+"” deleted.")
}
