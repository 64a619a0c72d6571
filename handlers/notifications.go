package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

// menuSize is how many unread notices the bell's dropdown lists.
const menuSize = 5

// notificationMenu fills the bell of the header for the signed-in user. A
// failure is logged, not shown: the page is still worth showing without
// its bell count.
func (h *Handler) notificationMenu(c echo.Context, p *views.Page) {
	u := p.User
	if u == nil {
		return
	}
	ctx := c.Request().Context()
	n, err := h.unreadCount(c, u)
	// A client that went away needs no bell, and nothing failed here.
	if err != nil && ctx.Err() == nil {
		h.Log.Error("count unread notifications", "err", err)
	}
	if err != nil {
		return
	}
	p.UnreadNotifications = n
	if n == 0 {
		return
	}
	if p.NotificationMenu, err = h.Store.UnreadNotifications(ctx, u.ID, menuSize); err != nil && ctx.Err() == nil {
		h.Log.Error("list unread notifications", "err", err)
	}
}

// unreadCount is the bell's number. A GET, which changes nothing, uses
// the count read with the session at the request's start (one statement
// fewer); anything else may have just read or removed a notice, so it
// counts again.
func (h *Handler) unreadCount(c echo.Context, u *models.User) (int64, error) {
	if n, ok := c.Get(UnreadKey).(int64); ok && c.Request().Method == http.MethodGet {
		return n, nil
	}
	return h.Store.UnreadNotificationCount(c.Request().Context(), u.ID)
}

// runNoticesShown bounds the list of what the last run sent.
const runNoticesShown = 50

// ListNotifications shows the signed-in user's notices, newest first, and
// what the expiry job last did.
func (h *Handler) ListNotifications(c echo.Context) error {
	ctx := c.Request().Context()
	u := CurrentUser(c)
	pageNo, _ := strconv.Atoi(c.QueryParam("page"))
	list, err := h.Store.Notifications(ctx, u.ID, pageNo, 50)
	if err != nil {
		return err
	}
	run, err := h.Store.LastNotificationRun(ctx)
	if err != nil {
		return err
	}
	sent, err := h.Store.RunNotices(ctx, run, runNoticesShown)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Notifications(views.NotificationsPage{
		Page:       h.page(c, "Notifications", "notifications"),
		List:       list,
		LastRun:    run,
		RunNotices: sent,
		Now:        h.Store.Now(),
	}))
}

// notificationsBack is where marking notices read returns to: the page of
// the list the form was on.
func notificationsBack(c echo.Context) string {
	next := safeNext(c.FormValue("next"))
	if !strings.HasPrefix(next, "/notifications") {
		return "/notifications"
	}
	return next
}

// MarkNotificationRead marks one of the signed-in user's notices read.
func (h *Handler) MarkNotificationRead(c echo.Context) error {
	if err := h.Store.MarkNotificationRead(c.Request().Context(), CurrentUser(c).ID, c.Param("notification")); err != nil {
		return err
	}
	return h.redirect(c, notificationsBack(c), "Notification marked as read.")
}

// MarkAllNotificationsRead marks every unread notice of the signed-in user
// read.
func (h *Handler) MarkAllNotificationsRead(c echo.Context) error {
	n, err := h.Store.MarkAllNotificationsRead(c.Request().Context(), CurrentUser(c).ID)
	if err != nil {
		return err
	}
	msg := "No unread notifications."
	switch {
	case n == 1:
		msg = "1 notification marked as read."
	case n > 1:
		msg = strconv.FormatInt(n, 10) + " notifications marked as read."
	}
	return h.redirect(c, notificationsBack(c), msg)
}
