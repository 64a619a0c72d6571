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
// by another domain, malformed, revoked, of an application since disabled
// or deleted, or otherwise not valid here is {"active":false}. So is every
// token of a disabled domain, whose clients may still ask.
func (g *Gateway) Introspect(c echo.Context) error {
	hrid := c.Param("hrid")
	form, oe := readForm(c)
	if oe != nil {
		return writeOAuthError(c, oe, false)
	}
	// The clients of a disabled domain still authenticate (the token
	// endpoint refuses them all), through the same failure throttle, and
	// learn that every token is inactive.
	client, token, _, err := g.clientWithToken(c, hrid, form, true)
	if client == nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if client.DomainDisabled {
		return c.JSON(http.StatusOK, introspection{Active: false})
	}
	res, err := g.inspect(c, client.DomainID, hrid, token)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

func (g *Gateway) inspect(c echo.Context, domainID, hrid, raw string) (introspection, error) {
	inactive := introspection{Active: false}
	claims, err := g.verified(c, domainID, hrid, raw)
	if err != nil || claims == nil {
		return inactive, err
	}
	// The signature says what the token was; the database says whether it
	// still counts: revoked, or its application disabled or deleted.
	usable, err := g.Store.TokenUsable(c.Request().Context(), domainID, claims.ClientID, claims.ID)
	if err != nil || !usable {
		return inactive, err
	}
	return introspection{
		Active: true, Scope: claims.Scope, ClientID: claims.ClientID, Subject: claims.Subject, TokenType: "Bearer",
		Expiry: claims.Expiry.Time().Unix(), IssuedAt: numeric(claims.IssuedAt), NotBefore: numeric(claims.NotBefore),
		Issuer: claims.Issuer, Audience: claims.Audience, JTI: claims.ID,
	}, nil
}

// verified returns the claims of raw when it is an unexpired access token
// signed by one of the domain's current keys for this issuer, or nil.
func (g *Gateway) verified(c echo.Context, domainID, hrid, raw string) (*accessClaims, error) {
	tok, err := jwt.ParseSigned(raw, verifyAlgorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, nil
	}
	keys, err := g.keys.domain(c.Request().Context(), domainID)
	if err != nil {
		return nil, err
	}
	// Only a key the domain has now: a key removed from it no longer
	// vouches for its tokens.
	kid := tok.Headers[0].KeyID
	i := slices.IndexFunc(keys, func(k *signingKey) bool { return k.id == kid })
	if i < 0 || jose.SignatureAlgorithm(tok.Headers[0].Algorithm) != keys[i].alg {
		// Signed by another domain's key, unknown, or naming an algorithm
		// its key does not sign with (RS256 and PS256 share RSA keys).
		return nil, nil
	}
	var claims accessClaims
	if err := tok.Claims(keys[i].public.Key, &claims); err != nil {
		return nil, nil
	}
	err = claims.Claims.ValidateWithLeeway(jwt.Expected{Issuer: g.issuer(hrid), Time: g.Store.Now()}, 0)
	if err != nil || claims.Expiry == nil || claims.ClientID == "" {
		return nil, nil
	}
	return &claims, nil
}

func numeric(d *jwt.NumericDate) int64 {
	if d == nil {
		return 0
	}
	return d.Time().Unix()
}
