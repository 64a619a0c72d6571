package handlers

import (
	"net/http"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
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
	keys, err := g.keys.get(c.Request().Context(), d.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, keys.public)
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
		ResponseTypesSupported: []string{"token"}, SubjectTypesSupported: []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{models.AlgES256},
	})
}

// introspection is RFC 7662's response.
type introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Expiry    int64    `json:"exp,omitempty"`
	IssuedAt  int64    `json:"iat,omitempty"`
	NotBefore int64    `json:"nbf,omitempty"`
	Issuer    string   `json:"iss,omitempty"`
	Audience  []string `json:"aud,omitempty"`
	JTI       string   `json:"jti,omitempty"`
}

// Introspect is POST /{hrid}/oauth/introspect (RFC 7662). The caller must
// authenticate as a client of the domain; a token that is expired, signed
// by another domain, malformed or otherwise not valid here is
// {"active":false}.
func (g *Gateway) Introspect(c echo.Context) error {
	hrid := c.Param("hrid")
	form, oe := readForm(c)
	if oe != nil {
		return writeOAuthError(c, oe, false)
	}
	client, basic, oe, err := g.authenticate(c, hrid, form)
	if err != nil {
		return err
	}
	if oe != nil {
		return writeOAuthError(c, oe, basic)
	}
	token, oe := required(form, "token")
	if oe != nil {
		return writeOAuthError(c, oe, basic)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	res, err := g.inspect(c, client.DomainID, hrid, token)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (g *Gateway) inspect(c echo.Context, domainID, hrid, raw string) (introspection, error) {
	inactive := introspection{Active: false}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(tok.Headers) != 1 {
		return inactive, nil
	}
	keys, err := g.keys.get(c.Request().Context(), domainID)
	if err != nil {
		return inactive, err
	}
	matching := keys.public.Key(tok.Headers[0].KeyID)
	if len(matching) == 0 {
		return inactive, nil // signed by another domain's key, or unknown
	}
	var claims accessClaims
	if err := tok.Claims(matching[0].Key, &claims); err != nil {
		return inactive, nil
	}
	err = claims.Claims.ValidateWithLeeway(jwt.Expected{Issuer: g.issuer(hrid), Time: g.Store.Now()}, 0)
	if err != nil || claims.Expiry == nil {
		return inactive, nil
	}
	if claims.ClientID == "" {
		return inactive, nil
	}
	return introspection{
		Active: true, Scope: claims.Scope, ClientID: claims.ClientID, Subject: claims.Subject, TokenType: "Bearer",
		Expiry: claims.Expiry.Time().Unix(), IssuedAt: numeric(claims.IssuedAt), NotBefore: numeric(claims.NotBefore),
		Issuer: claims.Issuer, Audience: claims.Audience, JTI: claims.ID,
	}, nil
}

func numeric(d *jwt.NumericDate) int64 {
	if d == nil {
		return 0
	}
	return d.Time().Unix()
}
