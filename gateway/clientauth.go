package gateway

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
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
