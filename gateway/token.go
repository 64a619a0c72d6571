package gateway

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// oauthTokenResponse is RFC 6749 §5.1's success body.
type oauthTokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	// Scope is omitted when nothing is granted: an empty string is not
	// valid scope syntax (RFC 6749 §3.3, Appendix A.4).
	Scope string `json:"scope,omitempty"`
}

// accessClaims are the claims of an access token, as signed (golang-jwt,
// which marshals the claims once: the token endpoint's hot path) and as
// read back by introspection (go-jose).
type accessClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
}

// signedClaims is accessClaims in golang-jwt's form.
type signedClaims struct {
	gojwt.RegisteredClaims
	ClientID string `json:"client_id"`
	// Scope is omitted when empty, as in the token response.
	Scope string `json:"scope,omitempty"`
}

// Token is POST /{hrid}/oauth/token: the client_credentials grant.
func (g *Gateway) Token(c echo.Context) error {
	hrid := c.Param("hrid")
	form, oe := readForm(c)
	if oe != nil {
		return writeOAuthError(c, oe, false)
	}
	grant, oe := required(form, "grant_type")
	if oe != nil {
		return writeOAuthError(c, oe, false)
	}
	client, basic, err := g.authenticatedClient(c, hrid, form)
	if client == nil {
		return err
	}
	if grant != "client_credentials" {
		return writeOAuthError(c, &oauthError{Status: http.StatusBadRequest, Code: "unsupported_grant_type",
			Description: "Only the client_credentials grant is supported."}, basic)
	}
	// The application's grant types decide, not its type: a web
	// application given client_credentials may use it.
	if !slices.Contains(strings.Fields(client.GrantTypes), models.GrantClientCredentials) {
		return writeOAuthError(c, &oauthError{Status: http.StatusBadRequest, Code: "unauthorized_client",
			Description: "This application is not granted client_credentials."}, basic)
	}
	requested, oe := single(form, "scope")
	if oe != nil {
		return writeOAuthError(c, oe, basic)
	}
	scope, ok := grantScope(client.Scopes, requested)
	if !ok {
		return writeOAuthError(c, &oauthError{Status: http.StatusBadRequest, Code: "invalid_scope",
			Description: "The requested scope is not allowed for this client."}, basic)
	}
	aud, oe := audience(client, form["resource"])
	if oe != nil {
		return writeOAuthError(c, oe, basic)
	}
	key, err := g.keys.signer(c.Request().Context(), client)
	if err != nil {
		return err
	}
	now := g.Store.Now().Truncate(time.Second)
	claims := signedClaims{
		RegisteredClaims: gojwt.RegisteredClaims{
			Issuer: g.issuer(hrid), Subject: client.ClientID, Audience: aud,
			IssuedAt: gojwt.NewNumericDate(now), NotBefore: gojwt.NewNumericDate(now),
			ExpiresAt: gojwt.NewNumericDate(now.Add(time.Duration(client.AccessTokenLifetime) * time.Second)),
			ID:        uuid.NewString(),
		},
		ClientID: client.ClientID, Scope: scope,
	}
	tok := gojwt.NewWithClaims(key.method, claims)
	tok.Header["kid"] = key.id // alg is the method's
	// RFC 9068 §2.1: the profile's media type, so a resource server can
	// tell an access token from an ID token signed by the same key.
	tok.Header["typ"] = "at+jwt"
	token, err := tok.SignedString(key.private)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	return c.JSON(http.StatusOK, oauthTokenResponse{AccessToken: token, TokenType: "bearer", ExpiresIn: client.AccessTokenLifetime, Scope: scope})
}

// audience is the token's aud: the RFC 8707 resources requested, each of
// which the application must allow (else invalid_target, §2), or the
// client id when none is requested, as before resource indicators.
func audience(client *models.AuthenticatedClient, requested []string) (gojwt.ClaimStrings, *oauthError) {
	if len(requested) == 0 {
		return gojwt.ClaimStrings{client.ClientID}, nil
	}
	allowed := strings.Fields(client.Resources)
	var aud gojwt.ClaimStrings
	for _, r := range requested {
		if !models.ValidResource(r) || !slices.Contains(allowed, r) {
			return nil, &oauthError{Status: http.StatusBadRequest, Code: "invalid_target",
				Description: "The requested resource is not allowed for this client."}
		}
		if !slices.Contains(aud, r) {
			aud = append(aud, r)
		}
	}
	return aud, nil
}

// grantScope checks the requested scopes against the allowed ones. No
// requested scope grants every allowed scope.
func grantScope(allowed, requested string) (string, bool) {
	allow := strings.Fields(allowed)
	if strings.TrimSpace(requested) == "" {
		return strings.Join(allow, " "), true
	}
	var granted []string
	for _, s := range strings.Fields(requested) {
		if !slices.Contains(allow, s) {
			return "", false
		}
		if !slices.Contains(granted, s) {
			granted = append(granted, s)
		}
	}
	return strings.Join(granted, " "), true
}
