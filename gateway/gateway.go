// Package gateway serves the OAuth 2.0 endpoints of every domain: the token
// endpoint (client_credentials), JWKS, OpenID metadata, introspection and
// revocation (RFC 7009), with client authentication, its failure throttle
// and the failure summaries written to the audit log. It
// imports models, metrics, pki and throttle; never handlers or web (web
// registers its routes).
package gateway

import (
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/metrics"
	"latchkey/models"
	"latchkey/throttle"
)

// Gateway serves the OAuth 2.0 endpoints of every domain under /{hrid}/.
type Gateway struct {
	Store    *models.Store
	LastUsed *models.LastUsedRecorder
	// Failures throttles failed client authentication per client and per
	// address.
	Failures *throttle.Limiter
	// Summary counts failures for the audit log.
	Summary *FailureSummary
	// BaseURL is the gateway's public base URL (server.gatewayURL).
	BaseURL string
	Log     *slog.Logger
	// Metrics receives one observation per token or introspection request.
	Metrics *metrics.Metrics
	// AssertionMaxLifetime is how far ahead a client assertion's exp may
	// be (gateway.clientAssertion.maxLifetime; DefaultAssertionMaxLifetime
	// when zero).
	AssertionMaxLifetime time.Duration

	keys       *keyCache
	clientKeys clientKeyCache
}

// New builds the gateway handlers.
func New(store *models.Store, lastUsed *models.LastUsedRecorder, failures *throttle.Limiter, summary *FailureSummary, baseURL string, log *slog.Logger, m *metrics.Metrics) *Gateway {
	return &Gateway{Store: store, LastUsed: lastUsed, Failures: failures, Summary: summary,
		BaseURL: strings.TrimSuffix(baseURL, "/"), Log: log, Metrics: m, keys: newKeyCache(store)}
}

// outcomeKey carries a request's OAuth error code to Observe.
const outcomeKey = "latchkey.oauthOutcome"

// outcomes are the outcomes a gateway request can have (every OAuth error
// code the endpoints answer with): their counters are looked up once.
var outcomes = []string{"success", "error", "throttled", "invalid_request", "invalid_client",
	"unsupported_grant_type", "unauthorized_client", "invalid_scope", "invalid_target"}

// Observe counts each request of an endpoint by outcome and times it.
func (g *Gateway) Observe(endpoint string) echo.MiddlewareFunc {
	observer := g.Metrics.TokenObserver(endpoint, outcomes...)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			outcome, _ := c.Get(outcomeKey).(string)
			switch {
			case err != nil:
				outcome = "error"
			case outcome == "":
				outcome = "success"
			}
			observer.Observe(outcome, start)
			return err
		}
	}
}

func (g *Gateway) issuer(hrid string) string { return g.BaseURL + "/" + hrid + "/oidc" }

// writeOAuthError answers with an RFC 6749 §5.2 error body.
func writeOAuthError(c echo.Context, e *oauthError, basic bool) error {
	outcome := e.Code
	if e.Status == http.StatusTooManyRequests {
		outcome = "throttled"
	}
	c.Set(outcomeKey, outcome)
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if e.Status == http.StatusUnauthorized && basic {
		h.Set("WWW-Authenticate", `Basic realm="latchkey", charset="UTF-8"`)
	}
	return c.JSON(e.Status, e)
}

var errInvalidClient = &oauthError{Status: http.StatusUnauthorized, Code: "invalid_client", Description: invalidClientDescription}

// maxFormBytes bounds a form read whole by readForm; the listener's body
// limit is lower still.
const maxFormBytes = 64 << 10

// readForm parses an application/x-www-form-urlencoded body (the only
// encoding RFC 6749 allows on these endpoints) into the request's PostForm
// (the access log reads the client id there). A body of known length on a
// URL without a query, the token request's shape, is read into a pooled
// buffer and parsed once (parseForm), where Request.ParseForm would grow
// a buffer, parse it and copy it all into Form; every other request takes
// ParseForm. The two give the same values.
func readForm(c echo.Context) (map[string][]string, *oauthError) {
	r := c.Request()
	if !formContentType(r.Header.Get(echo.HeaderContentType)) {
		return nil, invalidRequest("Send the parameters as application/x-www-form-urlencoded.")
	}
	if r.PostForm != nil || r.URL.RawQuery != "" || r.ContentLength < 0 || r.ContentLength > maxFormBytes {
		if err := r.ParseForm(); err != nil {
			return nil, invalidRequest("Malformed request body.")
		}
		return r.PostForm, nil
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b := slices.Grow((*bp)[:0], int(r.ContentLength))[:r.ContentLength]
	*bp = b
	if _, err := io.ReadFull(r.Body, b); err != nil {
		return nil, invalidRequest("Malformed request body.")
	}
	form, err := parseForm(string(b))
	if err != nil {
		return nil, invalidRequest("Malformed request body.")
	}
	r.PostForm, r.Form = form, form
	return form, nil
}

// formContentType reports whether a Content-Type names
// application/x-www-form-urlencoded, whatever its parameters (a charset):
// mime.ParseMediaType's answer without building its map of parameters.
func formContentType(v string) bool {
	mt, params, _ := strings.Cut(v, ";")
	mt = strings.TrimSpace(mt)
	if !strings.EqualFold(mt, echo.MIMEApplicationForm) {
		return false
	}
	if strings.TrimSpace(params) == "" {
		return true
	}
	t, _, _ := mime.ParseMediaType(v)
	return t == echo.MIMEApplicationForm
}

// single returns a parameter that must appear at most once (RFC 6749 §3.1).
func single(form map[string][]string, name string) (string, *oauthError) {
	v := form[name]
	if len(v) > 1 {
		return "", invalidRequest("Parameter " + name + " is repeated.")
	}
	if len(v) == 0 {
		return "", nil
	}
	return v[0], nil
}

// required returns a parameter that must appear exactly once.
func required(form map[string][]string, name string) (string, *oauthError) {
	v, oe := single(form, name)
	if oe == nil && v == "" {
		oe = invalidRequest("Missing " + name + ".")
	}
	return v, oe
}
