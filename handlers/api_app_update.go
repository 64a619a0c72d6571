package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// appPutJSON is the body of PUT .../applications/{application}: the whole
// application but its type (PUT .../type) and credentials. What is absent
// takes its default, as for a new application: no description, enabled,
// no scopes, redirect URIs or resources, the type's grant types, and the domain's
// expiry rules.
type appPutJSON struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Enabled     *bool  `json:"enabled"`
	Settings    *struct {
		OAuth                    *oauthInputJSON  `json:"oauth"`
		SecretExpirationSettings *expiryInputJSON `json:"secretExpirationSettings"`
	} `json:"settings"`
}

// APIPutApplication is PUT .../applications/{application}: a full update
// (Gravitee's). Everything is validated before anything is stored.
func (h *Handler) APIPutApplication(c echo.Context) error {
	var body appPutJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	d, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	in := models.ApplicationInput{Name: body.Name, Description: body.Description, Type: a.Type,
		GrantTypes: models.DefaultGrantTypes(a.Type), RedirectURIs: []string{}, Resources: []string{},
		AuthMethods: []string{models.AuthClientSecret}}
	if a.OwnerID != nil {
		in.OwnerID = *a.OwnerID
	}
	if body.Enabled != nil {
		in.Disabled = !*body.Enabled
	}
	policy := models.ExpiryInput{Enabled: false}
	if s := body.Settings; s != nil {
		if o := s.OAuth; o != nil {
			if o.Scopes != nil {
				if in.Scopes, err = joinScopes(*o.Scopes); err != nil {
					return err
				}
			}
			if o.GrantTypes != nil {
				in.GrantTypes = nonNil(*o.GrantTypes)
			}
			if o.RedirectURIs != nil {
				in.RedirectURIs = nonNil(*o.RedirectURIs)
			}
			if o.Resources != nil {
				in.Resources = nonNil(*o.Resources)
			}
			if o.TokenEndpointAuthMethods != nil {
				if in.AuthMethods, err = o.authMethods(); err != nil {
					return err
				}
			}
		}
		if s.SecretExpirationSettings != nil {
			if policy, err = expiryInput(s.SecretExpirationSettings, models.ExpiryPolicy{}, "settings.secretExpirationSettings", true); err != nil {
				return err
			}
		}
	}
	ctx := c.Request().Context()
	if a, err = h.Store.UpdateApplication(ctx, actor(c), d.ID, a.ID, in); err != nil {
		if fe, ok := models.AsFieldErrors(err); ok {
			return appFieldErrors(fe)
		}
		return err
	}
	// Only a change of the override is stored (and audited).
	if p, _ := policy.Parse(true); p != a.SecretPolicy() {
		if _, _, err := h.Store.UpdateAppSecretPolicy(ctx, actor(c), d.ID, a.ID, policy); err != nil {
			return err
		}
	}
	return h.apiShowApp(c, d, a)
}

// appTypeJSON is the body of PUT .../applications/{application}/type.
type appTypeJSON struct {
	Type string `json:"type"`
}

// APIPutApplicationType is PUT .../applications/{application}/type
// (Gravitee's): changes the type, and the grant types to the new type's
// defaults, as Gravitee applies the type's template.
func (h *Handler) APIPutApplicationType(c echo.Context) error {
	var body appTypeJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	d, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	typ := appType(&body.Type, a.Type)
	in := models.ApplicationInput{Name: a.Name, Description: a.Description, Type: typ, Scopes: a.Scopes,
		Disabled: a.Disabled, GrantTypes: models.DefaultGrantTypes(typ)}
	if a.OwnerID != nil {
		in.OwnerID = *a.OwnerID
	}
	if a, err = h.Store.UpdateApplication(c.Request().Context(), actor(c), d.ID, a.ID, in); err != nil {
		if fe, ok := models.AsFieldErrors(err); ok {
			return appFieldErrors(fe)
		}
		return err
	}
	return h.apiShowApp(c, d, a)
}

// apiShowApp answers 200 with the application as stored now.
func (h *Handler) apiShowApp(c echo.Context, d *models.Domain, a *models.Application) error {
	a, err := h.Store.ApplicationByID(c.Request().Context(), d.ID, a.ID)
	if err != nil {
		return err
	}
	out, err := h.appJSON(c, a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}
