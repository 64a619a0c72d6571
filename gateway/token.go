package gateway

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// accessClaims are the claims of an access token as introspection reads
// them back (go-jose); the token endpoint writes them with appendClaims.
type accessClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
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
	client, basic, err := g.authenticatedClient(c, hrid, form, false)
	if client == nil {
		return err
	}
	if grant != "client_credentials" {
		return writeOAuthError(c, &oauthError{Status: http.StatusBadRequest, Code: "unsupported_grant_type",
			Description: "Only the client_credentials grant is supported."}, basic)
	}
	// The application's grant types decide, not its type: a web
	// application given client_credentials may use it.
	if !hasField(client.GrantTypes, models.GrantClientCredentials) {
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
	return writeTokenResponse(c, key, &tokenClaims{
		issuer: g.issuer(hrid), subject: client.ClientID, audience: aud,
		issuedAt: now, expiresAt: now.Add(time.Duration(client.AccessTokenLifetime) * time.Second),
		id: newJTI(), clientID: client.ClientID, scope: scope,
	}, client.AccessTokenLifetime)
}

// audience is the token's aud: the RFC 8707 resources requested, each of
// which the application must allow (else invalid_target, §2), or none
// when none is requested: then the aud is the client id, as before
// resource indicators (appendClaims writes it).
func audience(client *models.AuthenticatedClient, requested []string) ([]string, *oauthError) {
	if len(requested) == 0 {
		return nil, nil
	}
	allowed := strings.Fields(client.Resources)
	var aud []string
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
	if strings.TrimSpace(requested) == "" {
		return joinFields(allowed), true
	}
	allow := strings.Fields(allowed)
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

// hasField reports whether the space-separated list holds word.
func hasField(list, word string) bool {
	for f := range strings.FieldsSeq(list) {
		if f == word {
			return true
		}
	}
	return false
}

// newJTI is a random (version 4) UUID for a token's jti, read from
// crypto/rand into the value itself: uuid.NewRandom reads through an
// io.Reader, which costs an allocation on every token.
func newJTI() uuid.UUID {
	var id uuid.UUID
	_, _ = rand.Read(id[:])   // crypto/rand.Read does not fail (Go 1.24)
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id
}

// joinFields is strings.Join(strings.Fields(s), " "): s itself, with no
// allocation, when it is in that form already (as stored lists are).
func joinFields(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && i > 0 && i < len(s)-1 && s[i+1] != ' ' {
			continue
		}
		// Other spaces, control and non-ASCII characters (Fields splits
		// at Unicode spaces too): the general way.
		if c <= ' ' || c >= 0x7f {
			return strings.Join(strings.Fields(s), " ")
		}
	}
	return s
}
