package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

// LoginForm shows the sign-in page.
func (h *Handler) LoginForm(c echo.Context) error {
	if CurrentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	pending, err := h.Store.SetupPending(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.LoginPage{Page: h.page(c, "Sign in", ""), Next: c.QueryParam("next")}
	if pending {
		v.Error = "No administrator exists yet: open the setup link printed in Latchkey's log."
	}
	return render(c, http.StatusOK, views.Login(v))
}

// Login checks the credentials, rate limiting failures per account and per
// client address.
func (h *Handler) Login(c echo.Context) error {
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	next := c.FormValue("next")
	keys := []string{"account:" + email, "ip:" + c.RealIP()}
	v := views.LoginPage{Page: h.page(c, "Sign in", ""), Email: email, Next: next}
	if blocked, wait := h.Logins.Blocked(keys...); blocked {
		minutes := int(math.Ceil(wait.Minutes()))
		v.Error = fmt.Sprintf("Too many failed sign-in attempts. Try again in %d minute(s).", minutes)
		c.Response().Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		h.auditFailedLogin(c, models.AuditEvent{Type: models.EventLoginFailed, ActorEmail: email, Outcome: models.OutcomeFailure, Detail: "rate limited"})
		return render(c, http.StatusTooManyRequests, views.Login(v))
	}
	u, err := h.Store.Authenticate(c.Request().Context(), email, c.FormValue("password"))
	if err != nil {
		return err
	}
	if u == nil {
		h.Logins.Fail(keys...)
		h.auditFailedLogin(c, models.AuditEvent{Type: models.EventLoginFailed, ActorEmail: email, Outcome: models.OutcomeFailure})
		v.Error = "Email or password is not correct."
		return render(c, http.StatusUnauthorized, views.Login(v))
	}
	h.Logins.Reset(keys[0])
	// The sign-in is on the record before its session exists.
	if err := h.Store.SignedIn(c.Request().Context(), actor(c), u, ""); err != nil {
		return err
	}
	if err := h.Sessions.Login(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(next))
}

// Logout ends the session.
func (h *Handler) Logout(c echo.Context) error {
	if err := h.Sessions.Logout(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

// safeNext keeps post-login redirects on this site: only absolute paths,
// never "//host" or "/\host". Control characters and backslashes are refused
// anywhere: browsers drop tabs and newlines from a Location and read "\" as
// "/", so "/\t/host" would otherwise lead off-site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/domains"
	}
	return next
}
