package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"latchkey/views"
)

// bellPage is the data the header's bell needs, without taking the
// session's flashes: the bell is refreshed on its own, and a flash read
// here would never be shown.
func (h *Handler) bellPage(c echo.Context) views.Page {
	csrf, _ := c.Get(CSRFKey).(string)
	p := views.Page{User: CurrentUser(c), CSRF: csrf}
	h.notificationMenu(c, &p)
	return p
}

// NotificationBell renders the header's bell alone, for the console to
// refresh the unread count every minute without a page load.
func (h *Handler) NotificationBell(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, http.StatusOK, views.NotificationBell(h.bellPage(c), false))
}

// DismissNotification marks one notice read from the bell. htmx gets the
// refreshed bell, still open, in place; without JavaScript it is the same
// as marking it read on the Notifications page.
func (h *Handler) DismissNotification(c echo.Context) error {
	if err := h.Store.MarkNotificationRead(c.Request().Context(), CurrentUser(c).ID, c.Param("notification")); err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "HX-Request")
	if c.Request().Header.Get("HX-Request") != "true" {
		return h.redirect(c, "/notifications", "Notification dismissed.")
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, http.StatusOK, views.NotificationBell(h.bellPage(c), true))
}
