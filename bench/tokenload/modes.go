package main

import (
	"encoding/base64"
	"net/url"

	"github.com/labstack/echo/v4"
)

// authMode is one way a client authenticates at the token endpoint. The
// tables have one row per mode and algorithm, each against its own work
// floor. A new mode (private_key_jwt, say) is one more entry in authModes:
// prepare gives its requests, and floor, when the mode's unavoidable work
// is more than one signature (verifying an assertion too), its floor.
type authMode struct {
	name string
	// prepare returns what the load generators send to ask for a token as
	// cl, whose application exists (with its secrets) when it is called.
	prepare func(b *benchServer, cl benchClient) (request, error)
	// floor, when set, is the mode's work floor in place of the plain one;
	// sign returns a token of the same claims and key type as the
	// endpoint's, and respond writes the endpoint's JSON around it.
	floor func(sign func() (string, error), respond func(c echo.Context, token string) error) echo.HandlerFunc
}

// benchClient is an application the cases authenticate as.
type benchClient struct {
	// hrid is its domain, alg the algorithm its certificate signs with.
	hrid, alg string
	// appID is the application's id, clientID its client id.
	appID, clientID string
	// secret is the value the case presents.
	secret string
}

// request is what a load generator sends to the token endpoint.
type request struct {
	// header holds the request's own headers beside Host, Content-Type
	// and Content-Length (Authorization).
	header map[string]string
	body   string
	// fresh, when set, makes each request's body anew (a one-time client
	// assertion); wrk, which sends one fixed request, skips such a mode.
	fresh func() string
	// ready, when set, runs before each case the request is sent in,
	// outside its time (the assertions' pool is signed anew there once it
	// is old).
	ready func()
}

// secretBasic is client_secret_basic (RFC 6749 §2.3.1): the id and secret
// form-encoded, joined by ":", base64 in the Authorization header.
var secretBasic = authMode{name: "client_secret_basic", prepare: func(_ *benchServer, cl benchClient) (request, error) {
	creds := url.QueryEscape(cl.clientID) + ":" + url.QueryEscape(cl.secret)
	return request{
		header: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(creds))},
		body:   "grant_type=client_credentials",
	}, nil
}}

// secretPost is client_secret_post: the credentials in the form body.
var secretPost = authMode{name: "client_secret_post", prepare: func(_ *benchServer, cl benchClient) (request, error) {
	return request{body: url.Values{"grant_type": {"client_credentials"}, "client_id": {cl.clientID}, "client_secret": {cl.secret}}.Encode()}, nil
}}

// authModes are the modes -modes may name; the first is the default.
var authModes = []authMode{secretBasic, secretPost, privateKeyJWT}
