package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// Login checks the credentials, throttled per (account, address) and per
// address (see signIn).
func (h *Handler) Login(c echo.Context) error {
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	next := c.FormValue("next")
	v := views.LoginPage{Page: h.page(c, "Sign in", ""), Email: email, Next: next}
	u, refused, err := h.signIn(c, email, c.FormValue("password"), "")
	if err != nil {
		return err
	}
	if refused != nil {
		v.Error = refused.consoleText()
		refused.setRetryAfter(c)
		return render(c, refused.status, views.Login(v))
	}
	// The sign-in is on the record before its session exists.
	if err := h.Store.SignedIn(c.Request().Context(), actor(c), u, ""); err != nil {
		return err
	}
	if err := h.Sessions.Login(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(next))
}

// signInRefusal is why a sign-in attempt got no user.
type signInRefusal struct {
	// status is 401 (wrong credentials), 429 (throttled) or 503 (too many
	// passwords being checked at once).
	status     int
	retryAfter time.Duration
}

func (r *signInRefusal) retrySeconds() int { return int(math.Ceil(r.retryAfter.Seconds())) }

func (r *signInRefusal) setRetryAfter(c echo.Context) {
	if r.retryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(r.retrySeconds()))
	}
}

// consoleText is the sign-in page's message.
func (r *signInRefusal) consoleText() string {
	switch r.status {
	case http.StatusTooManyRequests:
		return fmt.Sprintf("Too many failed sign-in attempts. Try again in %d minute(s).", int(math.Ceil(r.retryAfter.Minutes())))
	case http.StatusServiceUnavailable:
		return models.ErrPasswordBusy.Message
	}
	return "Email or password is not correct."
}

// signIn runs one password sign-in (the console's or the Management
// API's: they share the throttle, so neither is a way around the other).
// The attempt is counted before the password is checked, atomically, so
// parallel guesses cannot all pass the limit; a throttled attempt is
// refused without checking and without an audit row (the failures that
// led to it have theirs). Attempts at an account that failed from other
// addresses are slowed down, never refused: its owner can still sign in.
// detail says where the attempt came from, for the audit log.
func (h *Handler) signIn(c echo.Context, email, password, detail string) (*models.User, *signInRefusal, error) {
	ctx := c.Request().Context()
	subject, addr := "account:"+email, c.RealIP()
	d := h.Logins.Attempt(subject, addr)
	if !d.Allowed {
		return nil, &signInRefusal{status: http.StatusTooManyRequests, retryAfter: d.RetryAfter}, nil
	}
	if d.Delay > 0 {
		t := time.NewTimer(d.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			h.Logins.Cancel(subject, addr)
			return nil, nil, ctx.Err()
		}
	}
	var u *models.User
	var err error
	// Text a database cannot hold cannot be an account: answer as for a
	// wrong password, without asking the database (PostgreSQL would fail).
	if utf8.ValidString(email) && !strings.ContainsRune(email, 0) {
		u, err = h.Store.Authenticate(ctx, email, password)
	}
	switch {
	case errors.Is(err, models.ErrPasswordBusy):
		h.Logins.Cancel(subject, addr)
		return nil, &signInRefusal{status: http.StatusServiceUnavailable, retryAfter: models.PasswordBusyRetryAfter}, nil
	case err != nil:
		h.Logins.Cancel(subject, addr)
		return nil, nil, err
	case u == nil:
		h.auditFailedLogin(c, email, detail)
		return nil, &signInRefusal{status: http.StatusUnauthorized}, nil
	}
	h.Logins.Succeeded(subject, addr)
	return u, nil, nil
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
