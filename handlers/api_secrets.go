package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

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
	// Secret is a value brought from elsewhere (imported), instead of a
	// generated one; it must pass models.CheckImportedSecret.
	Secret string `json:"secret"`
	secretExpiryJSON
}

// secretExpiryJSON is the expiry chosen for one secret: expiresAt (epoch
// ms) or expiryTimeSeconds from now (0: never, only without a policy);
// neither: the policy's expiry.
type secretExpiryJSON struct {
	ExpiresAt         *int64 `json:"expiresAt"`
	ExpiryTimeSeconds *int64 `json:"expiryTimeSeconds"`
}

// choice turns the body's fields into the models' choice, made at now.
func (b secretExpiryJSON) choice(now time.Time) (models.ExpiryChoice, error) {
	switch {
	case b.ExpiresAt != nil && b.ExpiryTimeSeconds != nil:
		return models.ExpiryChoice{}, fieldError(map[string]string{"expiresAt": "Give expiresAt or expiryTimeSeconds, not both."})
	case b.ExpiresAt != nil:
		at := time.UnixMilli(*b.ExpiresAt).UTC()
		return models.ExpiryChoice{At: &at}, nil
	case b.ExpiryTimeSeconds == nil:
		return models.ExpiryChoice{}, nil
	case *b.ExpiryTimeSeconds == 0:
		return models.ExpiryChoice{Never: true}, nil
	case *b.ExpiryTimeSeconds < 0 || *b.ExpiryTimeSeconds > maxExpirySeconds:
		return models.ExpiryChoice{}, fieldError(map[string]string{"expiryTimeSeconds": "expiryTimeSeconds must be between 1 and 3155760000 (100 years), or 0 for no expiry."})
	}
	at := now.Add(time.Duration(*b.ExpiryTimeSeconds) * time.Second).UTC()
	return models.ExpiryChoice{At: &at}, nil
}

// maxExpirySeconds is 100 years of 365.25 days.
const maxExpirySeconds = 100 * 36525 * 864

// secretExpiryErrors names the API's field in the models' expiry refusal.
func secretExpiryErrors(err error, seconds bool) error {
	fe, ok := models.AsFieldErrors(err)
	if !ok || fe["expiresAt"] == "" || !seconds {
		return err
	}
	return apiFieldErrors(fe, map[string]string{"expiresAt": "expiryTimeSeconds"})
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
		// Gravitee's text, word for word.
		return nil, nil, nil, apiError(http.StatusNotFound, "Secret [%s] can not be found.", c.Param("secret"))
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
	_, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	// A refusal (limit, duplicate, bad name) is answered by web/'s error
	// mapper, in the API's words; the models recorded it.
	choice, err := body.choice(h.Store.Now())
	if err != nil {
		return err
	}
	ns, err := h.Store.CreateSecretWith(c.Request().Context(), actor(c), a.ID, models.SecretInput{Description: body.Name, Value: body.Secret, Expiry: choice})
	if err != nil {
		return secretExpiryErrors(err, body.ExpiryTimeSeconds != nil)
	}
	out := h.toSecretJSON(&ns.ClientSecret)
	if !ns.Imported {
		// An imported value is the caller's already: never shown back.
		out.Secret = ns.Value
	}
	c.Response().Header().Set(echo.HeaderLocation, appURL(a)+"/secrets/"+ns.ID)
	c.Response().Header().Set("ETag", `"`+ns.Version()+`"`)
	return c.JSON(http.StatusCreated, out)
}

// APIRenewSecret is POST .../secrets/{secret}/_renew: a new value (in
// "secret", shown this once) under the same id and name; the old value
// stops working at once and expiresAt follows the current policy.
//
// A renew replaces the version it started from: the one in If-Match (the
// ETag of the response that created or last renewed the secret) or, without
// If-Match, the one this request read on arrival. Of renews racing from one
// version exactly one wins; the others get 409 and change nothing.
func (h *Handler) APIRenewSecret(c echo.Context) error {
	// The body is optional: without one the policy's expiry applies.
	var body secretExpiryJSON
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
	}
	_, a, cs, err := h.apiSecret(c)
	if err != nil {
		return err
	}
	seen := cs.Version()
	if m := c.Request().Header.Get("If-Match"); m != "" && m != "*" {
		seen = strings.Trim(strings.TrimPrefix(strings.TrimSpace(m), "W/"), `"`)
	}
	choice, err := body.choice(h.Store.Now())
	if err != nil {
		return err
	}
	ns, err := h.Store.RenewSecretExpiring(c.Request().Context(), actor(c), a.ID, cs.ID, seen, choice)
	if err != nil {
		return secretExpiryErrors(err, body.ExpiryTimeSeconds != nil)
	}
	out := h.toSecretJSON(&ns.ClientSecret)
	out.Secret = ns.Value
	c.Response().Header().Set("ETag", `"`+ns.Version()+`"`)
	return c.JSON(http.StatusOK, out)
}

// APIDeleteSecret is DELETE .../secrets/{secret}: 204, or 400 for the
// application's last secret. Unlike the console, no typed confirmation.
func (h *Handler) APIDeleteSecret(c echo.Context) error {
	_, a, cs, err := h.apiSecret(c)
	if err != nil {
		return err
	}
	if _, err := h.Store.DeleteSecret(c.Request().Context(), actor(c), a.ID, cs.ID, nil); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
