package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// secretJSON is a client secret as the API shows it. Secret holds the value
// only in the response that created or renewed it.
type secretJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	CreatedAt  int64  `json:"createdAt"`
	ExpiresAt  *int64 `json:"expiresAt"`
	LastUsedAt *int64 `json:"lastUsedAt"`
	Status     string `json:"status"`
	Hint       string `json:"hint"`
	Secret     string `json:"secret,omitempty"`
}

func (h *Handler) toSecretJSON(cs *models.ClientSecret) secretJSON {
	return secretJSON{
		ID: cs.ID, Name: cs.Description, CreatedAt: epochMillis(cs.CreatedAt),
		ExpiresAt: optMillis(cs.ExpiresAt), LastUsedAt: optMillis(cs.LastUsedAt),
		Status: cs.Status(h.Store.Now(), h.Store.ExpiringSoon), Hint: cs.Hint,
	}
}

// secretCreateJSON is the body of POST .../secrets.
type secretCreateJSON struct {
	Name string `json:"name"`
}

// secretAPIProblem turns a secret rule's violation into the API's answer,
// with the message for the audit trail; ok is false for other errors. The
// console calls a secret's name its description; the API says name, except
// in Gravitee's own duplicate message, kept word for word.
func secretAPIProblem(err error) (ae *APIError, msg string, ok bool) {
	fe, isFE := models.AsFieldErrors(err)
	if !isFE {
		var limit *models.LimitError
		if errors.As(err, &limit) || errors.Is(err, models.ErrLastSecret) {
			ae, _ = APIErrorFor(err)
			return ae, ae.Message, true
		}
		return nil, "", false
	}
	if m, has := fe["description"]; has && strings.HasPrefix(m, "Description ") {
		fe["description"] = "Name " + strings.TrimPrefix(m, "Description ")
	}
	ae = apiFieldErrors(fe, map[string]string{"description": "name"})
	return ae, ae.Message, true
}

// apiSecret loads the domain, application and secret named in the path; a
// secret of another application is not found.
func (h *Handler) apiSecret(c echo.Context) (*models.Domain, *models.Application, *models.ClientSecret, error) {
	d, a, err := h.apiApp(c)
	if err != nil {
		return nil, nil, nil, err
	}
	cs, err := h.Store.SecretByID(c.Request().Context(), a.ID, c.Param("secret"))
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, nil, apiError(http.StatusNotFound, "Client secret [%s] can not be found.", c.Param("secret"))
	}
	return d, a, cs, err
}

// APIListSecrets is GET .../applications/{application}/secrets: every
// secret of the application, oldest first, never with a value.
func (h *Handler) APIListSecrets(c echo.Context) error {
	_, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	ss, err := h.Store.Secrets(c.Request().Context(), a.ID)
	if err != nil {
		return err
	}
	out := make([]secretJSON, len(ss))
	for i := range ss {
		out[i] = h.toSecretJSON(&ss[i])
	}
	return c.JSON(http.StatusOK, out)
}

// APICreateSecret is POST .../secrets {"name": ...}: 201 with the value in
// "secret", shown this once. The limit and the name's uniqueness are
// checked in the same transaction as the insert, as in the console.
func (h *Handler) APICreateSecret(c echo.Context) error {
	var body secretCreateJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	d, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	ns, err := h.Store.CreateSecret(c.Request().Context(), a.ID, body.Name)
	if ae, msg, ok := secretAPIProblem(err); ok {
		h.audit(c, models.AuditEvent{Type: models.EventSecretCreated, DomainID: d.ID, ApplicationID: a.ID,
			TargetName: body.Name, Outcome: models.OutcomeFailure, Detail: msg})
		return ae
	}
	if err != nil {
		return err
	}
	h.audit(c, secretEvent(models.EventSecretCreated, d, a, &ns.ClientSecret))
	out := h.toSecretJSON(&ns.ClientSecret)
	out.Secret = ns.Value
	c.Response().Header().Set(echo.HeaderLocation, appURL(a)+"/secrets/"+ns.ID)
	return c.JSON(http.StatusCreated, out)
}

// APIRenewSecret is POST .../secrets/{secret}/_renew: a new value (in
// "secret", shown this once) under the same id and name; the old value
// stops working at once and expiresAt follows the current policy.
func (h *Handler) APIRenewSecret(c echo.Context) error {
	d, a, cs, err := h.apiSecret(c)
	if err != nil {
		return err
	}
	ns, err := h.Store.RenewSecret(c.Request().Context(), a.ID, cs.ID)
	if err != nil {
		return err
	}
	h.audit(c, secretEvent(models.EventSecretRenewed, d, a, &ns.ClientSecret))
	out := h.toSecretJSON(&ns.ClientSecret)
	out.Secret = ns.Value
	return c.JSON(http.StatusOK, out)
}

// APIDeleteSecret is DELETE .../secrets/{secret}: 204, or 400 for the
// application's last secret. Unlike the console, no typed confirmation.
func (h *Handler) APIDeleteSecret(c echo.Context) error {
	d, a, cs, err := h.apiSecret(c)
	if err != nil {
		return err
	}
	_, err = h.Store.DeleteSecret(c.Request().Context(), a.ID, cs.ID, nil)
	if ae, msg, ok := secretAPIProblem(err); ok {
		ev := secretEvent(models.EventSecretDeleted, d, a, cs)
		ev.Outcome, ev.Detail = models.OutcomeFailure, msg
		h.audit(c, ev)
		return ae
	}
	if err != nil {
		return err
	}
	h.audit(c, secretEvent(models.EventSecretDeleted, d, a, cs))
	return c.NoContent(http.StatusNoContent)
}
