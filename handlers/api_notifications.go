package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

// apiNotificationsMax bounds the list: the bell shows unread notices, and a
// person who lets thousands pile up reads the newest first.
const apiNotificationsMax = 500

// APINotification is a console notice as the Management API returns it:
// Gravitee's id, title, message and createdAt, with what Latchkey adds.
type APINotification struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Message string `json:"message"`
	// CreatedAt is epoch milliseconds.
	CreatedAt int64 `json:"createdAt"`
	// Status is UNREAD until acknowledged.
	Status string `json:"status"`
	// Type is the event: CLIENT_SECRET_WILL_EXPIRE, CLIENT_SECRET_EXPIRED,
	// CERTIFICATE_WILL_EXPIRE, CERTIFICATE_EXPIRED or CERTIFICATE_ROTATED.
	Type   string `json:"type"`
	Link   string `json:"link"`
	Domain string `json:"domain"`
	// Application and Secret are set for a client secret's notice,
	// Certificate for a certificate's: each id in the field named for it.
	Application string `json:"application,omitempty"`
	Secret      string `json:"secret,omitempty"`
	Certificate string `json:"certificate,omitempty"`
	ExpiresAt   int64  `json:"expiresAt"`
}

func apiNotification(n models.Notice) APINotification {
	out := APINotification{
		ID: n.ID, Title: n.Title, Message: n.Message, CreatedAt: epochMillis(n.CreatedAt), Status: "UNREAD",
		Type: n.Event, Link: views.NoticePath(n.Kind, n.DomainID, n.ApplicationID), Domain: n.DomainID, Application: n.ApplicationID,
		ExpiresAt: epochMillis(n.ExpiresAt),
	}
	if n.Kind == models.KindCertificate.Name {
		out.Certificate = n.SubjectID
	} else {
		out.Secret = n.SubjectID
	}
	return out
}

// APIListNotifications is GET /management/user/notifications: the
// authenticated user's unread notices, newest first, as in Gravitee.
func (h *Handler) APIListNotifications(c echo.Context) error {
	ns, err := h.Store.UnreadNotifications(c.Request().Context(), CurrentUser(c).ID, apiNotificationsMax)
	if err != nil {
		return err
	}
	out := make([]APINotification, len(ns))
	for i, n := range ns {
		out[i] = apiNotification(n)
	}
	return c.JSON(http.StatusOK, out)
}

// APIAcknowledgeNotification is POST
// /management/user/notifications/{notification}/acknowledge: marks one of
// the authenticated user's notices read (another user's is not found).
func (h *Handler) APIAcknowledgeNotification(c echo.Context) error {
	if err := h.Store.MarkNotificationRead(c.Request().Context(), CurrentUser(c).ID, c.Param("notification")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
