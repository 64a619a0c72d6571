// Package views holds the console's templ components. Every page takes one
// view-model struct that embeds Page, the data all pages share.
//
// It may import models (for the types it shows), pki (key formats) and
// static (asset URLs); never handlers or web.
package views

import (
	"fmt"
	"time"

	"latchkey/models"
)

// Flash is a one-time message shown after a redirect.
type Flash struct {
	Kind    string // "success" or "error"
	Message string
}

// PasswordChangedFlash confirms a password change, saying exactly what
// ended and what did not; the layout follows it with a link to the
// Account page's personal API tokens, where they are revoked.
const PasswordChangedFlash = "Password changed. Other sessions have been signed out: your other console sessions " +
	"and the API tokens issued for your password (POST /management/auth/token) no longer work. " +
	"Your personal API tokens keep working until they expire or you revoke them."

// Crumb is one step of the breadcrumb trail.
type Crumb struct {
	Label, Href string
}

// Page is the data every page needs, built once per request by the handlers.
type Page struct {
	Title   string
	User    *models.User
	CSRF    string
	Flashes []Flash
	Crumbs  []Crumb
	// Nav names the active top navigation entry.
	Nav string
	// UnreadNotifications is the number on the bell; NotificationMenu the
	// latest unread notices its dropdown lists.
	UnreadNotifications int64
	NotificationMenu    []models.Notice
}

// CanWrite reports whether the signed-in person may change things; templates
// hide write controls from viewers (the server refuses them anyway).
func (p Page) CanWrite() bool { return p.User.IsAdmin() }

func fieldClass(errs models.FieldErrors, field string) string {
	if errs[field] != "" {
		return "input input-error"
	}
	return "input"
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// typeLabel names an application type for people.
func typeLabel(t string) string {
	switch t {
	case models.AppTypeService:
		return "Service"
	case models.AppTypeWeb:
		return "Web"
	}
	return t
}

func userLabel(u *models.User) string {
	if u == nil {
		return "—"
	}
	return u.Name + " <" + u.Email + ">"
}

func hasOwner(owners []string, id string) bool {
	for _, o := range owners {
		if o == id {
			return true
		}
	}
	return false
}
