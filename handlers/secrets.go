package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

// secretsPage loads the Secrets & Certificates tab with an optional dialog.
func (h *Handler) secretsPage(c echo.Context, d *models.Domain, a *models.Application, dlg *views.SecretDialog) (views.SecretsPage, error) {
	// Each credential is read once: the tab, its banner and its counts
	// share them.
	creds, err := h.Store.ApplicationCredentials(c.Request().Context(), d, a)
	if err != nil {
		return views.SecretsPage{}, err
	}
	ap := h.appPageOf(c, d, a, "secrets", creds.Counts, creds.Alerts)
	cert, err := h.appCertificateOf(c, d, a, creds.Signing, nil, "")
	if err != nil {
		return views.SecretsPage{}, err
	}
	return views.SecretsPage{
		Certificate:        cert,
		ClientCertificates: clientCertificatesOf(a, creds.ClientCertificates, h.Store.ClientCertificatesMax),
		ApplicationPage:    ap,
		Secrets:            creds.Secrets,
		Max:                h.Store.SecretsMax,
		Now:                h.Store.Now(),
		Soon:               h.Store.ExpiringSoon,
		Dialog:             dlg,
	}, nil
}

// renderSecrets renders the tab (with its dialog) for the application in the
// path.
func (h *Handler) renderSecrets(c echo.Context, status int, d *models.Domain, a *models.Application, dlg *views.SecretDialog) error {
	v, err := h.secretsPage(c, d, a, dlg)
	if err != nil {
		return err
	}
	return render(c, status, views.SecretsTab(v))
}

// revealSecret shows a new secret value once. The response must never be
// cached or stored anywhere on the way.
func (h *Handler) revealSecret(c echo.Context, status int, d *models.Domain, a *models.Application, ns *models.NewSecret, renewed bool) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	return h.renderSecrets(c, status, d, a, &views.SecretDialog{
		Kind: views.DialogReveal, Secret: &ns.ClientSecret, Value: ns.Value, Renewed: renewed,
	})
}

// ShowSecrets shows the Secrets & Certificates tab.
func (h *Handler) ShowSecrets(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	return h.renderSecrets(c, http.StatusOK, d, a, nil)
}

// SecretSettings shows the application's "Client Secrets Settings" dialog.
func (h *Handler) SecretSettings(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	return h.renderSecrets(c, http.StatusOK, d, a, &views.SecretDialog{Kind: views.DialogSettings, Policy: policyForm(a.SecretPolicy())})
}

// SaveSecretSettings stores the application's expiry override.
func (h *Handler) SaveSecretSettings(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	in := models.ExpiryInput{Enabled: c.FormValue("useDomainRules") != "true", Unit: c.FormValue("unit"), Duration: c.FormValue("duration")}
	_, _, err = h.Store.UpdateAppSecretPolicy(c.Request().Context(), actor(c), d.ID, a.ID, in)
	if fe, ok := models.AsFieldErrors(err); ok {
		form := views.PolicyForm{Enabled: in.Enabled, Unit: in.Unit, Duration: in.Duration, Errors: fe}
		return h.renderSecrets(c, formStatus, d, a, &views.SecretDialog{Kind: views.DialogSettings, Policy: form})
	}
	if err != nil {
		return err
	}
	return h.redirect(c, appPath(a)+"/secrets", "Client secret settings saved. They apply to secrets created or renewed from now on.")
}

// policyForm shows a stored policy in a form; a policy never set offers the
// defaults (3 MONTHS).
func policyForm(p models.ExpiryPolicy) views.PolicyForm {
	f := views.PolicyForm{Enabled: p.Enabled, Unit: p.Unit, Duration: strconv.Itoa(p.Duration)}
	if f.Unit == "" {
		f.Unit = models.DefaultExpiryUnit
	}
	if p.Duration == 0 {
		f.Duration = strconv.Itoa(models.DefaultExpiryDuration)
		if p.Unit == models.UnitNone {
			f.Duration = ""
		}
	}
	return f
}

// NewSecret shows step 1 of "New client secret": the description.
func (h *Handler) NewSecret(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	return h.renderSecrets(c, http.StatusOK, d, a, &views.SecretDialog{Kind: views.DialogNew, Expiry: h.expiryForm(d, a)})
}

// CreateSecret creates a secret and shows its value once (step 2), or
// re-renders step 1 with the problem next to the field.
func (h *Handler) CreateSecret(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	input := c.FormValue("description")
	form, choice, err := postedExpiry(c, h.expiryForm(d, a))
	var ns *models.NewSecret
	if err == nil {
		ns, err = h.Store.CreateSecretWith(c.Request().Context(), actor(c), a.ID, models.SecretInput{Description: input, Expiry: choice})
	}
	if expiryRefusal(&form, err) {
		return h.renderSecrets(c, formStatus, d, a, &views.SecretDialog{Kind: views.DialogNew, Input: input, Expiry: form})
	}
	if msg, ok := ruleMessage(err); ok {
		return h.renderSecrets(c, formStatus, d, a, &views.SecretDialog{Kind: views.DialogNew, Input: input, Error: msg, Expiry: form})
	}
	if err != nil {
		return err
	}
	return h.revealSecret(c, http.StatusOK, d, a, ns, false)
}

// ruleMessage is the console's message for a change a rule refused (bad
// input, a clash, a limit), shown in the dialog that asked for it; ok is
// false for every other error, which the error pages handle.
func ruleMessage(err error) (msg string, ok bool) {
	switch models.ErrorCode(err) {
	case models.CodeInvalid, models.CodeConflict, models.CodeLimit:
		return models.ConsoleText(err), true
	}
	return "", false
}

// loadSecret finds the domain, application and secret in the path; a secret
// of another application is not found.
func (h *Handler) loadSecret(c echo.Context) (*models.Domain, *models.Application, *models.ClientSecret, error) {
	d, a, err := h.loadApp(c)
	if err != nil {
		return nil, nil, nil, err
	}
	cs, err := h.Store.SecretByID(c.Request().Context(), a.ID, c.Param("secret"))
	if err != nil {
		return nil, nil, nil, err
	}
	return d, a, cs, nil
}

// ConfirmRenewSecret asks before renewing: the old value stops working.
func (h *Handler) ConfirmRenewSecret(c echo.Context) error {
	d, a, cs, err := h.loadSecret(c)
	if err != nil {
		return err
	}
	return h.renderSecrets(c, http.StatusOK, d, a, &views.SecretDialog{Kind: views.DialogRenew, Secret: cs, Expiry: h.expiryForm(d, a)})
}

// RenewSecret replaces the value and shows the new one once. The confirm
// dialog posts the version of the value it showed: when someone renewed the
// secret meanwhile, nothing changes and the dialog says so (409), offering
// to renew the current value.
func (h *Handler) RenewSecret(c echo.Context) error {
	d, a, cs, err := h.loadSecret(c)
	if err != nil {
		return err
	}
	seen := c.FormValue("version")
	if seen == "" {
		seen = cs.Version() // a form without one: the version read on arrival
	}
	form, choice, err := postedExpiry(c, h.expiryForm(d, a))
	var ns *models.NewSecret
	if err == nil {
		ns, err = h.Store.RenewSecretExpiring(c.Request().Context(), actor(c), a.ID, cs.ID, seen, choice)
	}
	if expiryRefusal(&form, err) {
		return h.renderSecrets(c, formStatus, d, a, &views.SecretDialog{Kind: views.DialogRenew, Secret: cs, Expiry: form})
	}
	if errors.Is(err, models.ErrSecretChanged) {
		if cs, err = h.Store.SecretByID(c.Request().Context(), a.ID, cs.ID); err != nil {
			return err
		}
		return h.renderSecrets(c, http.StatusConflict, d, a, &views.SecretDialog{Kind: views.DialogRenew, Secret: cs, Error: models.ConsoleText(models.ErrSecretChanged), Expiry: form})
	}
	if err != nil {
		return err
	}
	return h.revealSecret(c, http.StatusOK, d, a, ns, true)
}

// ConfirmDeleteSecret asks for the description before deleting.
func (h *Handler) ConfirmDeleteSecret(c echo.Context) error {
	d, a, cs, err := h.loadSecret(c)
	if err != nil {
		return err
	}
	return h.renderSecrets(c, http.StatusOK, d, a, &views.SecretDialog{Kind: views.DialogDelete, Secret: cs})
}

// DeleteSecret deletes a secret once its description was typed exactly.
func (h *Handler) DeleteSecret(c echo.Context) error {
	d, a, cs, err := h.loadSecret(c)
	if err != nil {
		return err
	}
	confirm := c.FormValue("confirm")
	_, err = h.Store.DeleteSecret(c.Request().Context(), actor(c), a.ID, cs.ID, &confirm)
	if msg, ok := ruleMessage(err); ok {
		return h.renderSecrets(c, formStatus, d, a, &views.SecretDialog{Kind: views.DialogDelete, Secret: cs, Input: confirm, Error: msg})
	}
	if err != nil {
		return err
	}
	return h.redirect(c, appPath(a)+"/secrets", "Secret “"+cs.Description+"” deleted. It no longer authenticates.")
}
