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
	secrets, err := h.Store.Secrets(c.Request().Context(), a.ID)
	if err != nil {
		return views.SecretsPage{}, err
	}
	ap, err := h.appPage(c, d, a, "secrets")
	if err != nil {
		return views.SecretsPage{}, err
	}
	return views.SecretsPage{
		ApplicationPage: ap,
		Secrets:         secrets,
		Max:             h.Store.SecretsMax,
		Now:             h.Store.Now(),
		Soon:            h.Store.ExpiringSoon,
		Dialog:          dlg,
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
	old, updated, err := h.Store.UpdateAppSecretPolicy(c.Request().Context(), d.ID, a.ID, in)
	if fe, ok := models.AsFieldErrors(err); ok {
		form := views.PolicyForm{Enabled: in.Enabled, Unit: in.Unit, Duration: in.Duration, Errors: fe}
		return h.renderSecrets(c, formStatus, d, a, &views.SecretDialog{Kind: views.DialogSettings, Policy: form})
	}
	if err != nil {
		return err
	}
	h.audit(c, models.AuditEvent{Type: models.EventAppSecretSettingsUpdated, DomainID: d.ID, ApplicationID: a.ID,
		TargetID: a.ID, TargetName: a.Name, Detail: appPolicyLabel(old) + " → " + appPolicyLabel(updated)})
	return h.redirect(c, appPath(a)+"/secrets", "Client secret settings saved. They apply to secrets created or renewed from now on.")
}

func appPolicyLabel(p models.ExpiryPolicy) string {
	if !p.Enabled {
		return "use domain rules"
	}
	return p.String()
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
	return h.renderSecrets(c, http.StatusOK, d, a, &views.SecretDialog{Kind: views.DialogNew})
}

// CreateSecret creates a secret and shows its value once (step 2), or
// re-renders step 1 with the problem next to the field.
func (h *Handler) CreateSecret(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	input := c.FormValue("description")
	ns, err := h.Store.CreateSecret(c.Request().Context(), a.ID, input)
	if msg, ok := secretProblem(err, "description"); ok {
		h.audit(c, models.AuditEvent{Type: models.EventSecretCreated, DomainID: d.ID, ApplicationID: a.ID, TargetName: input, Outcome: models.OutcomeFailure, Detail: msg})
		return h.renderSecrets(c, formStatus, d, a, &views.SecretDialog{Kind: views.DialogNew, Input: input, Error: msg})
	}
	if err != nil {
		return err
	}
	h.audit(c, secretEvent(models.EventSecretCreated, d, a, &ns.ClientSecret))
	return h.revealSecret(c, http.StatusOK, d, a, ns, false)
}

// secretProblem turns a rule violation into the message shown in the dialog.
func secretProblem(err error, field string) (string, bool) {
	var limit *models.LimitError
	switch {
	case err == nil:
		return "", false
	case errors.As(err, &limit):
		return limit.Error() + ".", true
	case errors.Is(err, models.ErrLastSecret):
		return "Cannot remove the last secret: an application needs at least one. Create another secret first.", true
	}
	if fe, ok := models.AsFieldErrors(err); ok {
		if msg := fe[field]; msg != "" {
			return msg, true
		}
		return fe.Error(), true
	}
	return "", false
}

func secretEvent(typ string, d *models.Domain, a *models.Application, cs *models.ClientSecret) models.AuditEvent {
	return models.AuditEvent{Type: typ, DomainID: d.ID, ApplicationID: a.ID, TargetID: cs.ID, TargetName: cs.Description}
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
	return h.renderSecrets(c, http.StatusOK, d, a, &views.SecretDialog{Kind: views.DialogRenew, Secret: cs})
}

// RenewSecret replaces the value and shows the new one once.
func (h *Handler) RenewSecret(c echo.Context) error {
	d, a, cs, err := h.loadSecret(c)
	if err != nil {
		return err
	}
	ns, err := h.Store.RenewSecret(c.Request().Context(), a.ID, cs.ID)
	if err != nil {
		return err
	}
	h.audit(c, secretEvent(models.EventSecretRenewed, d, a, &ns.ClientSecret))
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
	_, err = h.Store.DeleteSecret(c.Request().Context(), a.ID, cs.ID, &confirm)
	if msg, ok := secretProblem(err, "confirm"); ok {
		ev := secretEvent(models.EventSecretDeleted, d, a, cs)
		ev.Outcome, ev.Detail = models.OutcomeFailure, msg
		h.audit(c, ev)
		return h.renderSecrets(c, formStatus, d, a, &views.SecretDialog{Kind: views.DialogDelete, Secret: cs, Input: confirm, Error: msg})
	}
	if err != nil {
		return err
	}
	h.audit(c, secretEvent(models.EventSecretDeleted, d, a, cs))
	return h.redirect(c, appPath(a)+"/secrets", "Secret “"+cs.Description+"” deleted. It no longer authenticates.")
}
