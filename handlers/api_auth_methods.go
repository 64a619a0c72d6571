package handlers

import (
	"slices"

	"latchkey/models"
)

// The API names the token endpoint authentication methods as RFC 8414
// and OIDC do (settings.oauth.tokenEndpointAuthMethods): client secrets
// are client_secret_basic and client_secret_post, always together (the
// models' client_secret), and private_key_jwt.
const (
	apiAuthSecretBasic = "client_secret_basic"
	apiAuthSecretPost  = "client_secret_post"
)

// apiAuthMethods lists an application's methods in the API's names.
func apiAuthMethods(a *models.Application) []string {
	var out []string
	for _, m := range a.AuthMethods() {
		if m == models.AuthClientSecret {
			out = append(out, apiAuthSecretBasic, apiAuthSecretPost)
		} else {
			out = append(out, m)
		}
	}
	return out
}

// authMethodsInput turns the API's list into the models' methods.
func authMethodsInput(list []string) ([]string, error) {
	basic, post := slices.Contains(list, apiAuthSecretBasic), slices.Contains(list, apiAuthSecretPost)
	if basic != post {
		return nil, fieldError(map[string]string{"settings.oauth.tokenEndpointAuthMethods": "client_secret_basic and client_secret_post go together: list both or neither."})
	}
	out := []string{}
	for _, m := range list {
		switch m {
		case apiAuthSecretBasic:
			if !slices.Contains(out, models.AuthClientSecret) {
				out = append(out, models.AuthClientSecret)
			}
		case apiAuthSecretPost:
		case models.AuthPrivateKeyJWT:
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		default:
			return nil, fieldError(map[string]string{"settings.oauth.tokenEndpointAuthMethods": "Unknown token endpoint authentication method “" + m +
				"”: use client_secret_basic with client_secret_post, private_key_jwt, or all three."})
		}
	}
	if len(out) == 0 {
		return nil, fieldError(map[string]string{"settings.oauth.tokenEndpointAuthMethods": "List at least one token endpoint authentication method."})
	}
	return out, nil
}
