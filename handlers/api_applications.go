package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// applicationJSON is an application as the API shows it. Types are
// Gravitee's upper-case names (SERVICE, WEB).
type applicationJSON struct {
	ID          string          `json:"id"`
	Domain      string          `json:"domain"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Type        string          `json:"type"`
	Enabled     bool            `json:"enabled"`
	CreatedAt   int64           `json:"createdAt"`
	UpdatedAt   int64           `json:"updatedAt"`
	Settings    appSettingsJSON `json:"settings"`
	// Certificate is the id of the certificate chosen to sign the
	// application's tokens; null is Default (the domain's current system
	// certificate).
	Certificate *string `json:"certificate"`
	// Secrets lists the application's secrets without values, as GET
	// .../secrets does (Gravitee's model carries them too).
	Secrets []secretJSON `json:"secrets"`
}

type appSettingsJSON struct {
	OAuth                    oauthJSON          `json:"oauth"`
	SecretExpirationSettings expirySettingsJSON `json:"secretExpirationSettings"`
}

type oauthJSON struct {
	ClientID string `json:"clientId"`
	// ClientSecret is the "Default" secret's value, only in the response
	// that created the application.
	ClientSecret string   `json:"clientSecret,omitempty"`
	Scopes       []string `json:"scopes"`
	GrantTypes   []string `json:"grantTypes"`
	RedirectURIs []string `json:"redirectUris"`
	// Resources are the RFC 8707 resource indicators the client may ask
	// as its tokens' audience.
	Resources []string `json:"resources"`
	// TokenEndpointAuthMethods are the client authentication methods the
	// token, introspection and revocation endpoints accept from it
	// (client_secret_basic and client_secret_post together, and/or
	// private_key_jwt); see api_auth_methods.go.
	TokenEndpointAuthMethods []string `json:"tokenEndpointAuthMethods"`
}

// nonNil turns a nil list into an empty one, shown as [] rather than null.
func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// appJSON is an application as the API shows it, with its secrets.
func (h *Handler) appJSON(c echo.Context, a *models.Application) (applicationJSON, error) {
	ss, err := h.Store.Secrets(c.Request().Context(), a.ID)
	return h.toApplicationJSON(a, ss), err
}

func (h *Handler) toApplicationJSON(a *models.Application, secrets []models.ClientSecret) applicationJSON {
	scopes := a.ScopeList()
	if scopes == nil {
		scopes = []string{}
	}
	list := make([]secretJSON, len(secrets))
	for i := range secrets {
		list[i] = h.toSecretJSON(&secrets[i])
	}
	return applicationJSON{
		Secrets: list,
		ID:      a.ID, Domain: a.DomainID, Name: a.Name, Description: a.Description,
		Type: strings.ToUpper(a.Type), Enabled: !a.Disabled,
		CreatedAt: epochMillis(a.CreatedAt), UpdatedAt: epochMillis(a.UpdatedAt),
		Settings: appSettingsJSON{
			OAuth: oauthJSON{ClientID: a.ClientID, Scopes: scopes,
				GrantTypes: nonNil(a.GrantTypeList()), RedirectURIs: nonNil(a.RedirectURIList()),
				Resources: nonNil(a.ResourceList()), TokenEndpointAuthMethods: apiAuthMethods(a)},
			SecretExpirationSettings: expiryJSON(a.SecretPolicy()),
		},
		Certificate: a.CertificateID,
	}
}

type oauthInputJSON struct {
	Scopes                   *[]string `json:"scopes"`
	GrantTypes               *[]string `json:"grantTypes"`
	RedirectURIs             *[]string `json:"redirectUris"`
	Resources                *[]string `json:"resources"`
	TokenEndpointAuthMethods *[]string `json:"tokenEndpointAuthMethods"`
}

// authMethods is the body's tokenEndpointAuthMethods as the models' input;
// nil when absent.
func (o *oauthInputJSON) authMethods() ([]string, error) {
	if o == nil || o.TokenEndpointAuthMethods == nil {
		return nil, nil
	}
	return authMethodsInput(*o.TokenEndpointAuthMethods)
}

// appCreateJSON is the body of POST .../applications. The expiry override
// is set afterwards with PATCH: the "Default" secret is created with the
// application, under the domain's policy.
type appCreateJSON struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Type        *string `json:"type"`
	Enabled     *bool   `json:"enabled"`
	// ClientID and ClientSecret bring credentials from another server, as
	// Gravitee allows; the secret becomes the "Default" one.
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	// RedirectURIs is where Gravitee's NewApplication carries them.
	RedirectURIs []string `json:"redirectUris"`
	Settings     *struct {
		OAuth *oauthInputJSON `json:"oauth"`
	} `json:"settings"`
}

// appPatchJSON is the body of PATCH .../applications/{application}: only
// the fields given change.
type appPatchJSON struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Type        *string `json:"type"`
	Enabled     *bool   `json:"enabled"`
	Settings    *struct {
		OAuth                    *oauthInputJSON  `json:"oauth"`
		SecretExpirationSettings *expiryInputJSON `json:"secretExpirationSettings"`
	} `json:"settings"`
	Certificate optionalID `json:"certificate"`
}

// appFieldErrors words the models' application messages for the API.
func appFieldErrors(fe models.FieldErrors) *APIError {
	if _, ok := fe["type"]; ok {
		fe["type"] = "type must be SERVICE or WEB."
	}
	return apiFieldErrors(fe, map[string]string{"scopes": "settings.oauth.scopes", "grantTypes": "settings.oauth.grantTypes", "resources": "settings.oauth.resources",
		"authMethods": "settings.oauth.tokenEndpointAuthMethods"})
}

// joinScopes turns the API's scope array into the space-separated list the
// models validate. Each element must be one scope: the console's list
// splits on spaces and commas, which would silently turn "a b" into two.
func joinScopes(scopes []string) (string, error) {
	for _, sc := range scopes {
		if sc == "" || strings.ContainsAny(sc, " ,\t\r\n") {
			return "", fieldError(map[string]string{"settings.oauth.scopes": "settings.oauth.scopes must list one non-empty scope per element, without spaces or commas."})
		}
	}
	return strings.Join(scopes, " "), nil
}

func appType(t *string, current string) string {
	if t == nil {
		return current
	}
	return strings.ToLower(strings.TrimSpace(*t))
}

func appURL(a *models.Application) string {
	return APIPrefix + "/domains/" + a.DomainID + "/applications/" + a.ID
}

// apiApp loads the domain and the application named in the path; an
// application of another domain is not found.
func (h *Handler) apiApp(c echo.Context) (*models.Domain, *models.Application, error) {
	d, err := h.apiDomain(c)
	if err != nil {
		return nil, nil, err
	}
	a, err := h.Store.ApplicationByID(c.Request().Context(), d.ID, c.Param("application"))
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, apiError(http.StatusNotFound, "Application [%s] can not be found.", c.Param("application"))
	}
	return d, a, err
}

// APIListApplications is GET .../domains/{domain}/applications: the
// domain's applications whose name contains ?q=, by name, a page at a time.
func (h *Handler) APIListApplications(c echo.Context) error {
	pageNo, size, err := paging(c, 50, 500)
	if err != nil {
		return err
	}
	d, err := h.apiDomain(c)
	if err != nil {
		return err
	}
	as, err := h.Store.Applications(c.Request().Context(), d.ID)
	if err != nil {
		return err
	}
	q := strings.ToLower(strings.TrimSpace(c.QueryParam("q")))
	matched := make([]models.Application, 0, len(as))
	for i := range as {
		if q == "" || strings.Contains(strings.ToLower(as[i].Name), q) {
			matched = append(matched, as[i])
		}
	}
	// Only the page shown needs its secrets.
	pg := pageOf(matched, pageNo, size)
	ids := make([]string, len(pg.Data))
	for i := range pg.Data {
		ids[i] = pg.Data[i].ID
	}
	secrets, err := h.Store.SecretsOfApplications(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	out := make([]applicationJSON, len(pg.Data))
	for i := range pg.Data {
		out[i] = h.toApplicationJSON(&pg.Data[i], secrets[pg.Data[i].ID])
	}
	return c.JSON(http.StatusOK, page[applicationJSON]{Data: out, CurrentPage: pg.CurrentPage, TotalCount: pg.TotalCount})
}

// APICreateApplication is POST .../domains/{domain}/applications. The
// response carries the "Default" secret's value in
// settings.oauth.clientSecret: the only time it is shown.
func (h *Handler) APICreateApplication(c echo.Context) error {
	var body appCreateJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	d, derr := h.apiDomain(c)
	if derr != nil {
		return derr
	}
	in := models.ApplicationInput{Name: body.Name, Description: body.Description,
		Type: appType(body.Type, models.AppTypeService), OwnerID: CurrentUser(c).ID,
		ClientID: body.ClientID, ClientSecret: body.ClientSecret, RedirectURIs: body.RedirectURIs}
	var err error
	if body.Enabled != nil {
		in.Disabled = !*body.Enabled
	}
	if body.Settings != nil && body.Settings.OAuth != nil {
		o := body.Settings.OAuth
		if o.Scopes != nil {
			if in.Scopes, err = joinScopes(*o.Scopes); err != nil {
				return err
			}
		}
		if o.GrantTypes != nil {
			in.GrantTypes = nonNil(*o.GrantTypes)
		}
		if o.Resources != nil {
			in.Resources = nonNil(*o.Resources)
		}
		if in.AuthMethods, err = o.authMethods(); err != nil {
			return err
		}
		if o.RedirectURIs != nil {
			if body.RedirectURIs != nil {
				return fieldError(map[string]string{"redirectUris": "Give redirectUris or settings.oauth.redirectUris, not both."})
			}
			in.RedirectURIs = nonNil(*o.RedirectURIs)
		}
	}
	a, first, err := h.Store.CreateApplication(c.Request().Context(), actor(c), d.ID, in)
	if fe, ok := models.AsFieldErrors(err); ok {
		return appFieldErrors(fe)
	}
	if err != nil {
		return err
	}
	out, err := h.appJSON(c, a)
	if err != nil {
		return err
	}
	if !first.Imported {
		// An imported value is the caller's already: never shown back.
		out.Settings.OAuth.ClientSecret = first.Value
	}
	c.Response().Header().Set(echo.HeaderLocation, appURL(a))
	return c.JSON(http.StatusCreated, out)
}

// APIGetApplication is GET .../applications/{application}.
func (h *Handler) APIGetApplication(c echo.Context) error {
	_, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	out, err := h.appJSON(c, a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// APIPatchApplication is PATCH .../applications/{application}: changes
// the fields given, including the client-secret override
// (settings.secretExpirationSettings; enabled false = use domain rules).
// Everything is validated before anything is stored.
func (h *Handler) APIPatchApplication(c echo.Context) error {
	var body appPatchJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	d, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	var (
		policy *models.ExpiryInput
		oauth  oauthInputJSON
	)
	if s := body.Settings; s != nil {
		if s.SecretExpirationSettings != nil {
			in, err := expiryInput(s.SecretExpirationSettings, a.SecretPolicy(), "settings.secretExpirationSettings", true)
			if err != nil {
				return err
			}
			policy = &in
		}
		if s.OAuth != nil {
			oauth = *s.OAuth
		}
	}
	scopes := oauth.Scopes
	methods, err := oauth.authMethods()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.checkAppCertificate(c, d.ID, body.Certificate); err != nil {
		return err
	}
	if body.Name != nil || body.Description != nil || body.Type != nil || body.Enabled != nil || scopes != nil ||
		oauth.GrantTypes != nil || oauth.RedirectURIs != nil || oauth.Resources != nil || methods != nil {
		var joined string
		if scopes != nil {
			if joined, err = joinScopes(*scopes); err != nil {
				return err
			}
		}
		// The body's fields are applied to the application as it is when
		// the change runs, not as it was read above: a PATCH of one field
		// must not put back another that a concurrent change just set.
		patch := func(in *models.ApplicationInput) error {
			setIf(&in.Name, body.Name)
			setIf(&in.Description, body.Description)
			in.Type = appType(body.Type, in.Type)
			if body.Enabled != nil {
				in.Disabled = !*body.Enabled
			}
			if scopes != nil {
				in.Scopes = joined
			}
			if oauth.GrantTypes != nil {
				in.GrantTypes = nonNil(*oauth.GrantTypes)
			}
			if oauth.RedirectURIs != nil {
				in.RedirectURIs = nonNil(*oauth.RedirectURIs)
			}
			if oauth.Resources != nil {
				in.Resources = nonNil(*oauth.Resources)
			}
			if methods != nil {
				in.AuthMethods = methods
			}
			return nil
		}
		if a, err = h.Store.PatchApplication(ctx, actor(c), d.ID, a.ID, patch); err != nil {
			if fe, ok := models.AsFieldErrors(err); ok {
				return appFieldErrors(fe)
			}
			return err
		}
	}
	if policy != nil {
		_, _, err := h.Store.UpdateAppSecretPolicy(ctx, actor(c), d.ID, a.ID, *policy)
		if fe, ok := models.AsFieldErrors(err); ok {
			return apiFieldErrors(fe, map[string]string{
				"unit":     "settings.secretExpirationSettings.expiryTimeUnit",
				"duration": "settings.secretExpirationSettings.expiryTimeDuration",
			})
		}
		if err != nil {
			return err
		}
	}
	if body.Certificate.Set {
		if err := h.Store.SetApplicationCertificate(ctx, actor(c), a.ID, body.Certificate.ID); err != nil {
			return err
		}
	}
	if a, err = h.Store.ApplicationByID(ctx, d.ID, a.ID); err != nil {
		return err
	}
	out, err := h.appJSON(c, a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// APIDeleteApplication is DELETE .../applications/{application}: the
// application and its secrets, which stop authenticating at once.
func (h *Handler) APIDeleteApplication(c echo.Context) error {
	d, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	if _, err := h.Store.DeleteApplication(c.Request().Context(), actor(c), d.ID, a.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
