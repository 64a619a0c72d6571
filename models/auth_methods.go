package models

import (
	"context"
	"slices"
	"strings"
)

// Token endpoint authentication methods an application may accept.
const (
	// AuthClientSecret is client_secret_basic and client_secret_post: they
	// differ only in where the secret travels, so they go together.
	AuthClientSecret = "client_secret"
	// AuthPrivateKeyJWT is RFC 7523's private_key_jwt: an assertion signed
	// by one of the application's client certificates.
	AuthPrivateKeyJWT = "private_key_jwt"
)

// AuthMethodNames lists the methods in display order.
var AuthMethodNames = []string{AuthClientSecret, AuthPrivateKeyJWT}

// AuthMethods returns the methods the application accepts, in
// AuthMethodNames' order; never empty.
func (a *Application) AuthMethods() []string {
	var out []string
	if !a.ClientSecretAuthDisabled {
		out = append(out, AuthClientSecret)
	}
	if a.PrivateKeyJWTEnabled {
		out = append(out, AuthPrivateKeyJWT)
	}
	return out
}

// normalizeAuthMethods checks a set of methods: each known, at least one.
func normalizeAuthMethods(methods []string) ([]string, string) {
	var out []string
	for _, m := range methods {
		m = strings.TrimSpace(m)
		if !slices.Contains(AuthMethodNames, m) {
			return nil, "Authentication method “" + truncateRunes(m, 64) + "” is unknown: choose client_secret, private_key_jwt or both."
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, "Choose at least one authentication method: client_secret, private_key_jwt or both."
	}
	return out, ""
}

// applyAuthMethods sets a's flags from a checked set of methods.
func applyAuthMethods(a *Application, methods []string) {
	a.ClientSecretAuthDisabled = !slices.Contains(methods, AuthClientSecret)
	a.PrivateKeyJWTEnabled = slices.Contains(methods, AuthPrivateKeyJWT)
}

// SetAuthMethods sets the token endpoint authentication methods an
// application of the domain accepts (AuthClientSecret, AuthPrivateKeyJWT,
// or both), audited as APPLICATION_UPDATED with Detail "old → new". The
// gateway reads them with each authentication, so a change applies to the
// next request on every node.
func (s *Store) SetAuthMethods(ctx context.Context, actor Actor, domainID, appID string, methods []string) (*Application, error) {
	return s.PatchApplication(ctx, actor, domainID, appID, func(cur *ApplicationInput) error {
		cur.AuthMethods = methods
		return nil
	})
}

// authMethodsDetail words a change of methods for the audit trail, "" when
// nothing changed.
func authMethodsDetail(old, updated []string) string {
	if slices.Equal(old, updated) {
		return ""
	}
	return "token endpoint authentication: " + strings.Join(old, ", ") + " → " + strings.Join(updated, ", ")
}

// authMethodColumns are the columns applyAuthMethods sets.
var authMethodColumns = []string{"client_secret_auth_disabled", "private_key_jwt_enabled"}
