package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

func usersCrumb() views.Crumb { return views.Crumb{Label: "Users", Href: "/users"} }

// ListUsers shows the console's users (administrators only), one page at
// a time, searched by ?q= and paged by ?after= and ?before=.
func (h *Handler) ListUsers(c echo.Context) error {
	q, req := listRequest(c)
	us, err := h.Store.UsersPage(c.Request().Context(), q, req)
	if err != nil {
		return err
	}
	sessions, err := h.Store.SessionCounts(c.Request().Context())
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Users(views.UsersPage{
		Page: h.page(c, "Users", "users", usersCrumb()), Users: us.Items, Sessions: sessions, Query: q,
		Pager: listPager("/users", map[string]string{"q": q}, us.Prev, us.Next, views.UserListID),
	}))
}

// NewUser shows the add-user form.
func (h *Handler) NewUser(c echo.Context) error {
	return render(c, http.StatusOK, views.UserForm(views.UserFormPage{
		Page: h.page(c, "Add user", "users", usersCrumb(), views.Crumb{Label: "Add user"}), Role: models.RoleViewer,
	}))
}

// CreateUser adds a user.
func (h *Handler) CreateUser(c echo.Context) error {
	in := models.NewUser{Email: c.FormValue("email"), Name: c.FormValue("name"), Password: c.FormValue("password"), Role: c.FormValue("role")}
	u, err := h.Store.CreateUser(c.Request().Context(), actor(c), in)
	if fe, ok := models.AsFieldErrors(err); ok {
		return render(c, formStatus, views.UserForm(views.UserFormPage{
			Page:  h.page(c, "Add user", "users", usersCrumb(), views.Crumb{Label: "Add user"}),
			Email: in.Email, Name: in.Name, Role: in.Role, Errors: fe,
		}))
	}
	if err != nil {
		return err
	}
	return h.redirect(c, "/users", "User “"+u.Email+"” added.")
}

// EditUser shows the edit form.
func (h *Handler) EditUser(c echo.Context) error {
	u, err := h.Store.UserByID(c.Request().Context(), c.Param("user"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.UserForm(views.UserFormPage{
		Page: h.page(c, "Edit "+u.Name, "users", usersCrumb(), views.Crumb{Label: u.Name}),
		Edit: u, Name: u.Name, Role: u.Role, Disabled: u.Disabled,
	}))
}

// UpdateUser changes a user's name, role or disabled flag.
func (h *Handler) UpdateUser(c echo.Context) error {
	ctx := c.Request().Context()
	old, err := h.Store.UserByID(ctx, c.Param("user"))
	if err != nil {
		return err
	}
	in := models.UserUpdate{Name: c.FormValue("name"), Role: c.FormValue("role"), Disabled: c.FormValue("disabled") == "true"}
	u, err := h.Store.UpdateUser(ctx, actor(c), old.ID, in)
	if fe, ok := models.AsFieldErrors(err); ok {
		return render(c, formStatus, views.UserForm(views.UserFormPage{
			Page: h.page(c, "Edit "+old.Name, "users", usersCrumb(), views.Crumb{Label: old.Name}),
			Edit: old, Name: in.Name, Role: in.Role, Disabled: in.Disabled, Errors: fe,
		}))
	}
	if err != nil {
		return err
	}
	return h.redirect(c, "/users", "User “"+u.Email+"” saved.")
}

// Account shows the signed-in person's account page: password, console
// sessions and API tokens.
func (h *Handler) Account(c echo.Context) error {
	return h.renderAccount(c, http.StatusOK, views.NewTokenForm(), nil, nil)
}

// ChangePassword changes the signed-in person's password, which ends all
// their sessions (models.Store.ChangePassword), and starts this browser a
// new one: their other console sessions and the API tokens issued for
// their password stop working; their personal API tokens do not (like
// personal access tokens elsewhere, they are revoked one by one on the
// Account page), and the confirmation says so. Wrong current passwords are
// throttled like sign-ins.
func (h *Handler) ChangePassword(c echo.Context) error {
	u := CurrentUser(c)
	subject, addr := "password:"+u.ID, c.RealIP()
	if d := h.Logins.Attempt(subject, addr); !d.Allowed {
		refused := &signInRefusal{status: http.StatusTooManyRequests, retryAfter: d.RetryAfter}
		refused.setRetryAfter(c)
		return h.renderAccount(c, refused.status, views.NewTokenForm(), models.FieldErrors{
			"current": fmt.Sprintf("Too many wrong current passwords. Try again in %d minute(s).", int(math.Ceil(d.RetryAfter.Minutes()))),
		}, nil)
	}
	err := h.Store.ChangePassword(c.Request().Context(), actor(c), u.ID, c.FormValue("current"), c.FormValue("password"), c.FormValue("confirm"))
	if fe, ok := models.AsFieldErrors(err); ok {
		if _, wrong := fe["current"]; !wrong {
			h.Logins.Succeeded(subject, addr)
		}
		return h.renderAccount(c, formStatus, views.NewTokenForm(), fe, nil)
	}
	if errors.Is(err, models.ErrPasswordBusy) {
		h.Logins.Cancel(subject, addr)
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(models.PasswordBusyRetryAfter.Seconds())))
		return h.renderAccount(c, http.StatusServiceUnavailable, views.NewTokenForm(), models.FieldErrors{"current": models.ErrPasswordBusy.Message}, nil)
	}
	if err != nil {
		h.Logins.Cancel(subject, addr)
		return err
	}
	h.Logins.Succeeded(subject, addr)
	fresh, err := h.Store.UserByID(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	if err := h.Sessions.Login(c, fresh); err != nil {
		return err
	}
	return h.redirect(c, "/account", views.PasswordChangedFlash)
}
