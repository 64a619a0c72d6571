package web

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"
)

// requestIDHeader carries the request id, in and out.
const requestIDHeader = "X-Request-Id"

// saneRequestID is what an incoming X-Request-Id may be to be kept: short,
// and nothing that could forge a log line or a header.
var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// requestID keeps a sane incoming X-Request-Id, or makes one, and sets it
// on the response, where the access log reads it.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(requestIDHeader)
		if id == "" || !saneRequestID.MatchString(id) {
			var b [16]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		// Assigned rather than Set: the name is canonical already.
		c.Response().Header()[requestIDHeader] = []string{id}
		return next(c)
	}
}

// accessLog writes one line per request: method, route pattern (never the
// path's values nor the query string, which may hold secrets), status,
// duration, the OAuth client id where the request named one (form field or
// Basic user name: public identifiers, never the secret) and the request id.
func accessLog(log *slog.Logger, listener string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				// Let the error handler write the response first, so the
				// status logged is the one sent.
				c.Error(err)
			}
			r := c.Request()
			attrs := []slog.Attr{
				slog.String("listener", listener), slog.String("method", r.Method),
				slog.String("route", c.Path()), slog.Int("status", c.Response().Status),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("request_id", c.Response().Header().Get(requestIDHeader)),
			}
			if id := clientID(c); id != "" {
				attrs = append(attrs, slog.String("client_id", id))
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "access", attrs...)
			return nil
		}
	}
}

// clientID is the client id a gateway request named, from the form the
// handler already parsed (no body is read here) or the Basic user name.
func clientID(c echo.Context) string {
	r := c.Request()
	if user, _, ok := r.BasicAuth(); ok && saneRequestID.MatchString(user) {
		return user
	}
	if r.PostForm != nil {
		if id := r.PostForm.Get("client_id"); saneRequestID.MatchString(id) {
			return id
		}
	}
	return ""
}
