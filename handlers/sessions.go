package handlers

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// EndSession signs one of the person's own sessions out, from the Account
// page. Their current session is a sign-out like the menu's.
func (h *Handler) EndSession(c echo.Context) error {
	id := c.Param("session")
	if cur := CurrentSession(c); cur != nil && cur.ID == id {
		return h.Logout(c)
	}
	if err := h.Store.EndSession(c.Request().Context(), actor(c), CurrentUser(c).ID, id, models.SessionEndOne); err != nil {
		return err
	}
	return h.redirect(c, "/account", "Session signed out.")
}

// EndOtherSessions signs out every session of the person but this one.
func (h *Handler) EndOtherSessions(c echo.Context) error {
	keep := ""
	if cur := CurrentSession(c); cur != nil {
		keep = cur.ID
	}
	n, err := h.Store.EndOtherSessions(c.Request().Context(), actor(c), CurrentUser(c).ID, keep)
	if err != nil {
		return err
	}
	return h.redirect(c, "/account", "Signed out everywhere else ("+sessionCount(n)+" ended).")
}

// EndUserSessions ends every console session of a user (administrators,
// from the Users page). An administrator ending their own keeps the one
// they are using.
func (h *Handler) EndUserSessions(c echo.Context) error {
	keep := ""
	if cur := CurrentSession(c); cur != nil && cur.UserID == c.Param("user") {
		keep = cur.ID
	}
	u, err := h.Store.UserByID(c.Request().Context(), c.Param("user"))
	if err != nil {
		return err
	}
	n, err := h.Store.EndUserSessions(c.Request().Context(), actor(c), u.ID, keep)
	if err != nil {
		return err
	}
	return h.redirect(c, "/users", "Signed out “"+u.Email+"” ("+sessionCount(n)+" ended).")
}

func sessionCount(n int64) string {
	if n == 1 {
		return "1 session"
	}
	return strconv.FormatInt(n, 10) + " sessions"
}

// accountSessions returns the person's sessions and the current one's id
// for the Account page.
func (h *Handler) accountSessions(c echo.Context) ([]models.Session, string, error) {
	ss, err := h.Store.Sessions(c.Request().Context(), CurrentUser(c).ID)
	cur := ""
	if s := CurrentSession(c); s != nil {
		cur = s.ID
	}
	return ss, cur, err
}
