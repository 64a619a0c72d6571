package web

import (
	"github.com/labstack/echo/v4"

	"latchkey/handlers"
)

// notificationRoutes registers the Notifications page, its forms, and the
// notification endpoints of the Management API. Every signed-in person has
// notices of their own, so none of this needs the admin role.
func notificationRoutes(e *echo.Echo, h *handlers.Handler) {
	r := routes{e, []echo.MiddlewareFunc{requireLogin}}
	r.GET("/notifications", h.ListNotifications)
	r.POST("/notifications/read-all", h.MarkAllNotificationsRead)
	r.POST("/notifications/:notification/read", h.MarkNotificationRead)
	handlers.RegisterNotificationAPI(e, h)
}
