package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

func (h *Handler) domainSettingsPage(c echo.Context, d *models.Domain, form views.PolicyForm, status int) error {
	counts, err := h.Store.SecretExpiryCounts(c.Request().Context(), d.ID, "")
	if err != nil {
		return err
	}
	return render(c, status, views.DomainSecretSettings(views.DomainSecretSettingsPage{
		Page:   h.page(c, "Client Secrets · "+d.Name, "domains", domainsCrumb(), domainCrumb(d), views.Crumb{Label: "Client Secrets"}),
		Domain: d, Form: form, Counts: counts,
	}))
}

// DomainSecretSettings shows the domain's "Client Secrets Policies" form.
func (h *Handler) DomainSecretSettings(c echo.Context) error {
	d, err := h.Store.DomainByID(c.Request().Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	p := d.SecretPolicy()
	if p.Unit == models.UnitNone {
		// Gravitee's "enabled, 0 seconds", set through the API: for a
		// domain the same as no policy, which is how the form says it.
		p = models.ExpiryPolicy{}
	}
	return h.domainSettingsPage(c, d, policyForm(p), http.StatusOK)
}

// SaveDomainSecretSettings stores the domain's expiry policy.
func (h *Handler) SaveDomainSecretSettings(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := h.Store.DomainByID(ctx, c.Param("domain"))
	if err != nil {
		return err
	}
	in := models.ExpiryInput{Enabled: c.FormValue("enabled") == "true", Unit: c.FormValue("unit"), Duration: c.FormValue("duration")}
	_, _, err = h.Store.UpdateDomainSecretPolicy(ctx, actor(c), d.ID, in)
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.domainSettingsPage(c, d, views.PolicyForm{Enabled: in.Enabled, Unit: in.Unit, Duration: in.Duration, Errors: fe}, formStatus)
	}
	if err != nil {
		return err
	}
	return h.redirect(c, "/domains/"+d.ID, "Client secret policy saved. It applies to secrets created or renewed from now on.")
}
