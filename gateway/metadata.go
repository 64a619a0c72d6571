package gateway

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// enabledDomain finds the domain in the path; unknown and disabled domains
// are both 404.
func (g *Gateway) enabledDomain(c echo.Context) (*models.Domain, error) {
	d, err := g.Store.DomainByHRID(c.Request().Context(), c.Param("hrid"))
	if err == nil && !d.Enabled {
		err = models.ErrNotFound
	}
	return d, err
}

// JWKS is GET /{hrid}/oauth/jwks: the domain's public signing keys.
func (g *Gateway) JWKS(c echo.Context) error {
	d, err := g.enabledDomain(c)
	if err != nil {
		return err
	}
	keys, err := g.keys.domain(c.Request().Context(), d.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, jwks(keys))
}

// discovery is the subset of OpenID Provider Metadata that describes this
// gateway.
type discovery struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	RevocationAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
}

// Discovery is GET /{hrid}/oidc/.well-known/openid-configuration.
func (g *Gateway) Discovery(c echo.Context) error {
	d, err := g.enabledDomain(c)
	if err != nil {
		return err
	}
	base := g.BaseURL + "/" + d.HRID
	auth := []string{"client_secret_basic", "client_secret_post"}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, discovery{
		Issuer: g.issuer(d.HRID), TokenEndpoint: base + "/oauth/token", JWKSURI: base + "/oauth/jwks",
		IntrospectionEndpoint: base + "/oauth/introspect", GrantTypesSupported: []string{"client_credentials"},
		TokenEndpointAuthMethodsSupported: auth, IntrospectionAuthMethodsSupported: auth,
		RevocationEndpoint: base + "/oauth/revoke", RevocationAuthMethodsSupported: auth,
		ResponseTypesSupported: []string{"token"}, SubjectTypesSupported: []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{models.AlgES256},
	})
}
