package gateway

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// clientCredentials is what a client presented to authenticate itself.
type clientCredentials struct {
	ID, Secret string
	// Basic is true when they came in the Authorization header
	// (client_secret_basic), false for the body (client_secret_post).
	Basic bool
}

// errNoClientAuth means the request carried no client authentication at all.
var errNoClientAuth = errors.New("no client authentication")

// errMalformedBasic means the Authorization header could not be read as
// client credentials; it fails client authentication like a wrong secret.
var errMalformedBasic = errors.New("malformed Basic credentials")

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

// invalidClientDescription is Gravitee's message, kept word for word so
// existing client error handling keeps matching.
const invalidClientDescription = "Client authentication failed due to unknown clientId, expired or invalid client secret"

func invalidRequest(desc string) *oauthError {
	return &oauthError{Status: http.StatusBadRequest, Code: "invalid_request", Description: desc}
}

// parseClientCredentials reads client_secret_basic (RFC 6749 §2.3.1: the id
// and secret are form-encoded, then joined by ":" and base64-encoded) or
// client_secret_post. Using both at once is refused, as the RFC requires.
func parseClientCredentials(authorization string, form url.Values) (clientCredentials, error) {
	_, postID := form["client_id"]
	_, postSecret := form["client_secret"]
	if authorization != "" {
		scheme, payload, _ := strings.Cut(authorization, " ")
		if !strings.EqualFold(scheme, "Basic") {
			// Credentials of a kind the endpoint does not take: a failed
			// client authentication (RFC 6749 §5.2), answered as such.
			return clientCredentials{Basic: true}, errMalformedBasic
		}
		if postSecret {
			return clientCredentials{}, invalidRequest("Use only one client authentication method.")
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
		if err != nil {
			return clientCredentials{Basic: true}, errMalformedBasic
		}
		id, secret, ok := strings.Cut(string(raw), ":")
		if !ok {
			return clientCredentials{Basic: true}, errMalformedBasic
		}
		if id, err = url.QueryUnescape(id); err != nil {
			return clientCredentials{Basic: true}, errMalformedBasic
		}
		if secret, err = url.QueryUnescape(secret); err != nil {
			return clientCredentials{Basic: true}, errMalformedBasic
		}
		if postID && form.Get("client_id") != id {
			return clientCredentials{Basic: true}, invalidRequest("client_id does not match the Authorization header.")
		}
		return clientCredentials{ID: id, Secret: secret, Basic: true}, nil
	}
	if !postID && !postSecret {
		return clientCredentials{}, errNoClientAuth
	}
	if len(form["client_id"]) > 1 || len(form["client_secret"]) > 1 {
		return clientCredentials{}, invalidRequest("Repeated client credentials.")
	}
	return clientCredentials{ID: form.Get("client_id"), Secret: form.Get("client_secret")}, nil
}

// authenticatedClient is authenticate for a handler: when authentication
// fails it writes the OAuth error and returns a nil client (with a nil
// error, unless writing failed or the failure is internal).
func (g *Gateway) authenticatedClient(c echo.Context, hrid string, form map[string][]string, disabledDomain bool) (*models.AuthenticatedClient, bool, error) {
	client, basic, oe, err := g.authenticate(c, hrid, form, disabledDomain)
	if err == nil && oe != nil {
		err = writeOAuthError(c, oe, basic)
	}
	return client, basic, err
}

// authenticate finds the client the request authenticates as, applying the
// failure throttle. It returns the oauthError to send when it fails.
//
// The attempt is counted before the secret is checked, per (client,
// address) and per address: a client_id is public (it is in every token),
// so failures from one address must not refuse the client's right secret
// from another. The throttle's per-client delay is not applied: a secret
// is 256 random bits, which no one guesses, and a delay would only let
// anyone slow down the real client.
//
// With disabledDomain set, a client of a disabled domain authenticates too
// (client.DomainDisabled: introspection answers it that every token is
// inactive), under the same throttle; that second query runs only when the
// first found nothing.
func (g *Gateway) authenticate(c echo.Context, hrid string, form map[string][]string, disabledDomain bool) (*models.AuthenticatedClient, bool, *oauthError, error) {
	if hasAssertion(form) {
		return g.authenticateAssertion(c, hrid, form)
	}
	creds, err := parseClientCredentials(c.Request().Header.Get(echo.HeaderAuthorization), form)
	addr := c.RealIP()
	// A type assertion, not errors.As: parseClientCredentials returns its
	// *oauthError unwrapped, and errors.As's pointer would cost an
	// allocation on every request.
	oe, _ := err.(*oauthError)
	switch {
	case errors.Is(err, errNoClientAuth):
		return nil, false, errInvalidClient, nil
	case errors.Is(err, errMalformedBasic):
		// No client to count against: the address alone.
		if d := g.Failures.Attempt("", addr); !d.Allowed {
			g.Summary.Add(hrid, "(malformed credentials)", addr, true)
			return nil, true, throttled(c, d.RetryAfter.Seconds()), nil
		}
		g.Summary.Add(hrid, "(malformed credentials)", addr, false)
		return nil, true, errInvalidClient, nil
	case oe != nil:
		return nil, creds.Basic, oe, nil
	}
	subject := "client:" + hrid + "/" + creds.ID
	d := g.Failures.AttemptWaiting(c.Request().Context(), subject, addr, attemptPatience)
	if !d.Allowed {
		g.Summary.Add(hrid, creds.ID, addr, true)
		return nil, creds.Basic, throttled(c, d.RetryAfter.Seconds()), nil
	}
	client, err := g.Store.AuthenticateClient(c.Request().Context(), hrid, creds.ID, creds.Secret)
	if err == nil && client == nil && disabledDomain {
		client, err = g.Store.ClientOfDisabledDomain(c.Request().Context(), hrid, creds.ID, creds.Secret)
	}
	if err != nil {
		g.Failures.Cancel(subject, addr)
		return nil, creds.Basic, nil, err
	}
	if client == nil {
		g.Summary.Add(hrid, creds.ID, addr, false)
		return nil, creds.Basic, errInvalidClient, nil
	}
	g.Failures.Succeeded(subject, addr)
	g.LastUsed.Touch(client.SecretID, g.Store.Now())
	return client, creds.Basic, nil, nil
}

// attemptPatience is how long a client's attempt may wait behind its
// others being checked (throttle.AttemptWaiting): a client that sends more
// requests at once than security.token.maxAttempts from one address sees
// the rest queue, not refused; guesses that failed max times are refused
// after it.
const attemptPatience = time.Second

// throttled is the answer to an attempt the throttle refused.
func throttled(c echo.Context, seconds float64) *oauthError {
	secs := int(math.Ceil(seconds))
	c.Response().Header().Set("Retry-After", fmt.Sprint(secs))
	return &oauthError{Status: http.StatusTooManyRequests, Code: "invalid_client",
		Description: fmt.Sprintf("Too many failed client authentications. Retry after %d seconds.", secs)}
}

// clientWithToken authenticates the client as authenticatedClient does and
// reads the request's one `token` parameter, for the endpoints that take a
// token from a client (introspection, revocation; disabledDomain as for
// authenticate). A nil client means the answer has been written; err is
// what the handler returns.
func (g *Gateway) clientWithToken(c echo.Context, hrid string, form map[string][]string, disabledDomain bool) (client *models.AuthenticatedClient, token string, basic bool, err error) {
	client, basic, err = g.authenticatedClient(c, hrid, form, disabledDomain)
	if client == nil {
		return nil, "", basic, err
	}
	token, oe := required(form, "token")
	if oe != nil {
		return nil, "", basic, writeOAuthError(c, oe, basic)
	}
	return client, token, basic, nil
}
