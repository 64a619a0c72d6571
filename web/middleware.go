package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"latchkey/handlers"
)

// contentSecurityPolicy allows only this origin's own scripts and styles:
// no inline script, no eval, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every console response carries. Dynamic
// pages are never cached: they can hold one-time values.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		// no-referrer keeps the one-time setup token out of Referer headers.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// requestLogger logs each request with slog. Only the path is logged, never
// the query string (the setup link carries its token there) or bodies.
func requestLogger(log *slog.Logger, listener string) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogURIPath: true, LogLatency: true, LogRemoteIP: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if listener == "gateway" && v.Status < 500 {
				// One line per token request would cost the gateway more
				// than the request itself; failures are summarised in the
				// audit log instead. log.level=debug shows them all.
				level = slog.LevelDebug
			}
			if v.Status >= 500 {
				level = slog.LevelError
			}
			if !log.Enabled(c.Request().Context(), level) {
				// Building the attributes of a line that is dropped would
				// still cost allocations on every gateway request.
				return nil
			}
			log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("listener", listener), slog.String("method", v.Method),
				slog.String("path", v.URIPath), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.String("remote", v.RemoteIP))
			return nil
		},
	})
}

// requireLogin sends anonymous visitors to the login page, remembering where
// they were going.
func requireLogin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if handlers.CurrentUser(c) != nil {
			return next(c)
		}
		target := "/login"
		if c.Request().Method == http.MethodGet {
			target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
		}
		if c.Request().Header.Get("HX-Request") == "true" {
			c.Response().Header().Set("HX-Redirect", target)
			return c.NoContent(http.StatusUnauthorized)
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
}

// requireAdmin refuses changes by viewers on the server, whatever the page
// showed them.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !handlers.CurrentUser(c).IsAdmin() {
			return echo.NewHTTPError(http.StatusForbidden, "Your role is read-only: ask an administrator to make this change.")
		}
		return next(c)
	}
}

// cleanInput refuses requests whose path, query or form carries invalid
// UTF-8 or NUL characters with 400, before any handler: no name or
// description may contain them, and PostgreSQL rejects them outright (a
// 500 otherwise). JSON API bodies are checked by the API's own decoder.
func cleanInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		bad := !clean(r.URL.Path)
		if !bad && r.Header.Get(echo.HeaderContentType) != echo.MIMEApplicationJSON {
			// A multipart form (the certificate upload) is parsed whole
			// here: once r.Form is set, FormValue would never parse it.
			parse := r.ParseForm
			if strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
				parse = func() error { return r.ParseMultipartForm(maxMultipartMemory) }
			}
			if err := parse(); err != nil {
				return echo.NewHTTPError(http.StatusBadRequest, "malformed form")
			}
			for k, vs := range r.Form {
				bad = bad || !clean(k)
				for _, v := range vs {
					bad = bad || !clean(v)
				}
			}
		}
		if bad {
			return echo.NewHTTPError(http.StatusBadRequest, "Path, query and form parameters must be UTF-8 text without NUL characters.")
		}
		return next(c)
	}
}

// maxMultipartMemory is how much of a multipart form is held in memory
// (the body limit is 1 MiB, uploads at most pki.MaxUpload).
const maxMultipartMemory = 1 << 20

func clean(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
