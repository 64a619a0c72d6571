package gateway

import (
	"net/http"
	"slices"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/labstack/echo/v4"
)

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
	client, basic, err := g.authenticatedClient(c, hrid, form)
	if client == nil {
		return err
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
	keys, err := g.keys.domain(c.Request().Context(), domainID)
	if err != nil {
		return inactive, err
	}
	// Only a key the domain has now: a key removed from it no longer
	// vouches for its tokens.
	kid := tok.Headers[0].KeyID
	i := slices.IndexFunc(keys, func(k *signingKey) bool { return k.id == kid })
	if i < 0 {
		return inactive, nil // signed by another domain's key, or unknown
	}
	var claims accessClaims
	if err := tok.Claims(keys[i].public.Key, &claims); err != nil {
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
