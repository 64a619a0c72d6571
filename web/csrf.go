package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"latchkey/handlers"
	"latchkey/models"
)

const (
	csrfCookie = "latchkey_csrf"
	// csrfNonceKey holds the request's CSRF cookie nonce, so Login can give
	// the page of the same request the token of the new session.
	csrfNonceKey = "latchkey.csrfNonce"
	csrfNonceLen = 32
)

// csrfProtection guards every state-changing console request. Forms send the
// token as _csrf, htmx sends it in X-CSRF-Token (set once on <body> with
// hx-headers).
//
// The token is an HMAC, under a server key, of the server-side session and
// of a random nonce in the browser's CSRF cookie: it is good only for that
// session in that browser. A cookie planted by someone else (a sibling
// subdomain, a plain-http page) is worth nothing without the token the
// server made for it and this session, which the planter cannot get. Before
// sign-in (the login and setup forms) there is no session and the token
// binds the nonce alone. It runs after loadUser, which finds the session.
func (s *serverSessions) csrfProtection(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// The Management API authenticates by bearer token only, never by
		// cookie (handlers.APIAuth), so a forged cross-site request has no
		// credentials to ride on: it needs no CSRF token.
		p := c.Request().URL.Path
		if p == "/healthz" || strings.HasPrefix(p, "/static/") || handlers.IsAPIPath(p) {
			return next(c)
		}
		nonce := s.csrfNonce(c)
		c.Set(csrfNonceKey, nonce)
		want := s.csrfToken(handlers.CurrentSession(c), nonce)
		c.Set(handlers.CSRFKey, want)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			return next(c)
		}
		got := c.Request().Header.Get("X-CSRF-Token")
		if got == "" {
			got = c.FormValue("_csrf")
		}
		// A missing token is refused like a wrong one (403 "Form expired").
		if !hmac.Equal([]byte(got), []byte(want)) {
			return middleware.ErrCSRFInvalid
		}
		return next(c)
	}
}

// csrfNonce returns the browser's CSRF cookie nonce, giving it a new one
// when it has none (or one this server did not make the shape of).
func (s *serverSessions) csrfNonce(c echo.Context) string {
	name := s.cookieName(c, csrfCookie)
	if ck, err := c.Cookie(name); err == nil {
		if b, err := base64.RawURLEncoding.DecodeString(ck.Value); err == nil && len(b) == csrfNonceLen {
			return ck.Value
		}
	}
	b := make([]byte, csrfNonceLen)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	nonce := base64.RawURLEncoding.EncodeToString(b)
	c.SetCookie(&http.Cookie{
		Name: name, Value: nonce, Path: "/", MaxAge: int(s.maxAge.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secureRequest(c),
	})
	return nonce
}

// csrfToken is the token forms of this session in this browser carry. The
// session is named by its digest, which never leaves the server.
func (s *serverSessions) csrfToken(sess *models.Session, nonce string) string {
	mac := hmac.New(sha256.New, s.csrfKey)
	if sess != nil {
		mac.Write([]byte("session\x00" + sess.Digest + "\x00"))
	} else {
		mac.Write([]byte("pre-session\x00"))
	}
	mac.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// refreshCSRF gives the rest of the request the token of the session it
// just started (the nonce stays: it is the browser's).
func (s *serverSessions) refreshCSRF(c echo.Context) {
	if nonce, _ := c.Get(csrfNonceKey).(string); nonce != "" {
		c.Set(handlers.CSRFKey, s.csrfToken(handlers.CurrentSession(c), nonce))
	}
}
