// Package handlers holds the Echo handlers: one file per resource. Handlers
// are thin: they parse the request, call models, and render a view or
// redirect. They return errors; the central error handler in web/ turns them
// into pages.
//
// It may import models, pki, throttle and views; never gateway or web, and it
// registers no route.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/throttle"
	"latchkey/views"
)

// Context keys shared with the middleware in web/.
const (
	UserKey = "latchkey.user"
	CSRFKey = "latchkey.csrf"
	// SessionKey holds the request's *models.Session, when signed in.
	SessionKey = "latchkey.session"
	// UnreadKey holds the signed-in user's unread notices (int64), read
	// with the session at the request's start.
	UnreadKey = "latchkey.unread"
)

// CurrentSession returns the signed-in person's session record, or nil.
func CurrentSession(c echo.Context) *models.Session {
	s, _ := c.Get(SessionKey).(*models.Session)
	return s
}

// Sessions is the cookie session store, implemented in web/.
type Sessions interface {
	// Login starts a session for u, replacing any previous one.
	Login(c echo.Context, u *models.User) error
	// Logout ends the session.
	Logout(c echo.Context) error
	// AddFlash queues a message for the next page.
	AddFlash(c echo.Context, kind, message string) error
	// Flashes takes the queued messages.
	Flashes(c echo.Context) []views.Flash
}

// Limiter throttles attempts at a password per (account, address) and per
// address, counting each attempt before the password is checked
// (throttle.Limiter).
type Limiter interface {
	// Attempt reserves an attempt by subject from addr, counted as a
	// failure until Succeeded or Cancel.
	Attempt(subject, addr string) throttle.Decision
	// Succeeded takes the attempt back and forgets the pair's failures.
	Succeeded(subject, addr string)
	// Cancel takes back an attempt that was never decided.
	Cancel(subject, addr string)
}

// Handler carries what the console handlers need.
type Handler struct {
	Store    *models.Store
	Sessions Sessions
	Logins   Limiter
	Log      *slog.Logger
	// GatewayURL is the gateway's base URL as clients reach it
	// (server.gatewayURL), for the token endpoint the pages show.
	GatewayURL string
}

// CurrentUser returns the signed-in user, or nil.
func CurrentUser(c echo.Context) *models.User {
	u, _ := c.Get(UserKey).(*models.User)
	return u
}

// page builds the data every page needs.
func (h *Handler) page(c echo.Context, title, nav string, crumbs ...views.Crumb) views.Page {
	csrf, _ := c.Get(CSRFKey).(string)
	p := views.Page{
		Title:   title,
		User:    CurrentUser(c),
		CSRF:    csrf,
		Flashes: h.Sessions.Flashes(c),
		Crumbs:  crumbs,
		Nav:     nav,
	}
	h.notificationMenu(c, &p)
	return p
}

// render writes a templ component as an HTML response.
func render(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

// formStatus is the status for a form re-rendered with validation messages.
const formStatus = http.StatusUnprocessableEntity

// redirect ends a successful POST with a flash and a 303 to a GET page. An
// htmx request gets HX-Redirect instead, so the whole page is reloaded rather
// than swapped into the fragment that made the request.
func (h *Handler) redirect(c echo.Context, url, flash string) error {
	if flash != "" {
		if err := h.Sessions.AddFlash(c, "success", flash); err != nil {
			return err
		}
	}
	c.Response().Header().Add("Vary", "HX-Request")
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", url)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// actor is who makes the request, for the audit events the models record
// with each change: the signed-in user (or the API token's owner), the
// token, and the client's address.
func actor(c echo.Context) models.Actor {
	a := models.Actor{ClientIP: c.RealIP()}
	if u := CurrentUser(c); u != nil {
		a.UserID, a.Email = u.ID, u.Email
	}
	if t, _ := c.Get(TokenKey).(*models.APIToken); t != nil {
		a.TokenID = t.ID
	}
	return a
}

// auditFailedLogin records a refused sign-in, which changes nothing else.
// The identity is recorded only when it is an existing user's e-mail: what
// was typed may be a password typed into the e-mail field. A failure to
// record is logged, not shown: the person is refused anyway.
func (h *Handler) auditFailedLogin(c echo.Context, email, detail string) {
	ctx := context.WithoutCancel(c.Request().Context())
	ev := models.AuditEvent{Type: models.EventLoginFailed, Outcome: models.OutcomeFailure, Detail: detail, ClientIP: c.RealIP()}
	var err error
	if ev.ActorEmail, err = h.Store.LoginIdentity(ctx, email); err == nil {
		err = h.Store.Record(ctx, ev)
	}
	if err != nil {
		h.Log.Error("audit record failed", "type", ev.Type, "err", err)
	}
}

// Healthz answers liveness/readiness probes: 200 when the database answers.
//
// While the database cannot be reached the process keeps running and
// answers 503 {"status":"degraded"}, so a load balancer sends traffic
// elsewhere; the connection pool reconnects by itself once the database is
// back, with no restart.
func (h *Handler) Healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := h.Store.Ping(ctx); err != nil {
		h.Log.Warn("health check: database unreachable", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "degraded", "database": "unreachable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
}

// Home sends people to the domains list.
func (h *Handler) Home(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/domains")
}
