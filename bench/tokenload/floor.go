package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/pki"
)

// tokenResponse is the token endpoint's success body, as the floor returns
// it too.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// floorHandler is an algorithm's work floor: a bare Echo handler that
// does nothing but sign the claims of a token the real endpoint issued
// (same header and claims, so the same bytes to sign) with a new key of
// the same type, and return the endpoint's JSON around it. The signature
// is the one cost no token endpoint can skip, so Latchkey's rate over the
// floor's shows what everything else it does costs.
func floorHandler(mode authMode, alg string, sample tokenResponse) (echo.HandlerFunc, error) {
	dot := strings.LastIndexByte(sample.AccessToken, '.')
	if dot < 0 {
		return nil, fmt.Errorf("floor %s: the sample token is not a JWS", alg)
	}
	signingInput := sample.AccessToken[:dot]
	cert, err := pki.Generate(pki.GenerateOptions{Algorithm: alg, Subject: "floor", ValidityDays: 1})
	if err != nil {
		return nil, fmt.Errorf("floor %s: %w", alg, err)
	}
	// The signature as the token endpoint makes it.
	sign := func() (string, error) {
		token, err := pki.AppendJWSSignature([]byte(signingInput+"."), alg, cert.Key, []byte(signingInput))
		return string(token), err
	}
	respond := func(c echo.Context, token string) error {
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		r := sample
		r.AccessToken = token
		return c.JSON(http.StatusOK, r)
	}
	if mode.floor != nil {
		return mode.floor(sign, respond), nil
	}
	return func(c echo.Context) error {
		token, err := sign()
		if err != nil {
			return err
		}
		return respond(c, token)
	}, nil
}
