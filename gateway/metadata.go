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

// serverMetadata is what both metadata documents say about a domain: RFC
// 8414 authorization server metadata, and the OpenID Provider Metadata
// fields OIDC Discovery §3 requires that can be said truthfully. Every
// field is true of the gateway; what it does not do is left out:
//   - authorization_endpoint: there is none (client_credentials only;
//     RFC 8414 §2 lets it be omitted then, OIDC Discovery cannot be met);
//   - response_types_supported is empty: response types belong to the
//     authorization endpoint, so none is supported (the former ["token"]
//     advertised an implicit flow that does not exist);
//   - scopes_supported: scopes are allowed per application, a domain has
//     no list of its own, and publishing every application's would tell
//     strangers what each client may do.
//
// private_key_jwt (RFC 7523) is offered on all three endpoints, which
// authenticate clients the same way, with the algorithms of
// assertionMethods; client_secret_jwt is not.
type serverMetadata struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	IntrospectionAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	IntrospectionAuthSigningAlgs      []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	RevocationAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	RevocationAuthSigningAlgs         []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs      []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
}

// openIDMetadata adds OIDC Discovery's fields. Latchkey issues no ID
// token; id_token_signing_alg_values_supported (REQUIRED) lists the
// algorithms the domain's published certificates sign with, which is what
// a client that only reads this document needs to check access tokens. It
// includes RS256, as §3 demands, only when an RS256 certificate is
// published: claiming it otherwise would be untrue.
type openIDMetadata struct {
	serverMetadata
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
}

// grantTypes are the grants the token endpoint serves.
var grantTypes = []string{"client_credentials"}

// clientAuthMethods are the client authentication methods of the token,
// introspection and revocation endpoints.
var clientAuthMethods = []string{"client_secret_basic", "client_secret_post", "private_key_jwt"}

// clientAuthSigningAlgs are the algorithms a private_key_jwt assertion
// may be signed with (assertionMethods).
var clientAuthSigningAlgs = []string{"RS256", "PS256", "ES256", "EdDSA"}

func (g *Gateway) serverMetadata(d *models.Domain) serverMetadata {
	base := g.BaseURL + "/" + d.HRID
	return serverMetadata{
		Issuer: g.issuer(d.HRID), TokenEndpoint: base + "/oauth/token", JWKSURI: base + "/oauth/jwks",
		IntrospectionEndpoint: base + "/oauth/introspect", IntrospectionAuthMethodsSupported: clientAuthMethods,
		IntrospectionAuthSigningAlgs: clientAuthSigningAlgs,
		RevocationEndpoint:           base + "/oauth/revoke", RevocationAuthMethodsSupported: clientAuthMethods,
		RevocationAuthSigningAlgs: clientAuthSigningAlgs,
		GrantTypesSupported:       grantTypes, TokenEndpointAuthMethodsSupported: clientAuthMethods,
		TokenEndpointAuthSigningAlgs: clientAuthSigningAlgs,
		ResponseTypesSupported:       []string{},
	}
}

// AuthorizationServerMetadata is GET
// /.well-known/oauth-authorization-server/{hrid}/oidc: RFC 8414 metadata
// at its default location for the issuer …/{hrid}/oidc (§3), the
// authoritative description of the gateway.
func (g *Gateway) AuthorizationServerMetadata(c echo.Context) error {
	d, err := g.enabledDomain(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, g.serverMetadata(d))
}

// Discovery is GET /{hrid}/oidc/.well-known/openid-configuration, kept
// for clients that only look there.
func (g *Gateway) Discovery(c echo.Context) error {
	d, err := g.enabledDomain(c)
	if err != nil {
		return err
	}
	keys, err := g.keys.domain(c.Request().Context(), d.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, openIDMetadata{serverMetadata: g.serverMetadata(d),
		SubjectTypesSupported: []string{"public"}, IDTokenSigningAlgValuesSupported: algorithms(keys)})
}
