package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// APIRequireAdmin lets only administrators' tokens through (a read-only
// token of an administrator may read): people's emails and who is
// notified are not for viewers.
func APIRequireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		t, _ := c.Get(TokenKey).(*models.APIToken)
		switch {
		case t == nil:
			return unauthorized("Authentication required.", bearerRealm)
		case !t.User.IsAdmin():
			return apiError(http.StatusForbidden, "Only administrators may manage users and members.")
		}
		return next(c)
	}
}

// userJSON is an organization user as the API shows it. Roles are
// Latchkey's two, upper-case: ADMIN and VIEWER.
type userJSON struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	Role        string `json:"role"`
	Enabled     bool   `json:"enabled"`
	CreatedAt   int64  `json:"createdAt"`
	UpdatedAt   int64  `json:"updatedAt"`
}

func toUserJSON(u *models.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, DisplayName: u.Name, Role: strings.ToUpper(u.Role), Enabled: !u.Disabled,
		CreatedAt: epochMillis(u.CreatedAt), UpdatedAt: epochMillis(u.UpdatedAt)}
}

// userCreateJSON is the body of POST .../organizations/DEFAULT/users.
type userCreateJSON struct {
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	Password    string `json:"password"`
	Role        string `json:"role"`
}

// userPatchJSON is the body of PATCH .../users/{user}.
type userPatchJSON struct {
	DisplayName *string `json:"displayName"`
	Role        *string `json:"role"`
	Enabled     *bool   `json:"enabled"`
}

// passwordResetJSON is the body of POST .../users/{user}/resetPassword.
type passwordResetJSON struct {
	Password string `json:"password"`
}

// userFields names the models' user fields as the API does.
var userFields = map[string]string{"name": "displayName"}

func apiRole(r string) string { return strings.ToLower(strings.TrimSpace(r)) }

// APIOrgPrefix is the Gravitee path of the one organization, DEFAULT.
const APIOrgPrefix = "/management/organizations/DEFAULT"

// apiUser loads the user named in the path.
func (h *Handler) apiUser(c echo.Context) (*models.User, error) {
	u, err := h.Store.UserByID(c.Request().Context(), c.Param("user"))
	if errors.Is(err, models.ErrNotFound) {
		return nil, apiError(http.StatusNotFound, "User [%s] can not be found.", c.Param("user"))
	}
	return u, err
}

// APIListUsers is GET .../organizations/DEFAULT/users: every user by name,
// a page at a time (?q= matches name or email).
func (h *Handler) APIListUsers(c echo.Context) error {
	pageNo, size, err := paging(c, 50, 500)
	if err != nil {
		return err
	}
	us, err := h.Store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	q := strings.ToLower(strings.TrimSpace(c.QueryParam("q")))
	out := make([]userJSON, 0, len(us))
	for i := range us {
		if q == "" || strings.Contains(strings.ToLower(us[i].Name), q) || strings.Contains(us[i].Email, q) {
			out = append(out, toUserJSON(&us[i]))
		}
	}
	return c.JSON(http.StatusOK, pageOf(out, pageNo, size))
}

// APICreateUser is POST .../organizations/DEFAULT/users (role VIEWER unless
// given).
func (h *Handler) APICreateUser(c echo.Context) error {
	var body userCreateJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	role := models.RoleViewer
	if body.Role != "" {
		role = apiRole(body.Role)
	}
	u, err := h.Store.CreateUser(c.Request().Context(), actor(c),
		models.NewUser{Email: body.Email, Name: body.DisplayName, Password: body.Password, Role: role})
	if fe, ok := models.AsFieldErrors(err); ok {
		if _, bad := fe["role"]; bad {
			fe["role"] = "role must be ADMIN or VIEWER."
		}
		return apiFieldErrors(fe, userFields)
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, APIOrgPrefix+"/users/"+u.ID)
	return c.JSON(http.StatusCreated, toUserJSON(u))
}

// APIGetUser is GET .../users/{user}.
func (h *Handler) APIGetUser(c echo.Context) error {
	u, err := h.apiUser(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserJSON(u))
}

// APIPatchUser is PATCH .../users/{user}: display name, role, enabled. An
// administrator cannot demote or disable themselves, nor the last one.
func (h *Handler) APIPatchUser(c echo.Context) error {
	var body userPatchJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	u, err := h.apiUser(c)
	if err != nil {
		return err
	}
	in := models.UserUpdate{Name: u.Name, Role: u.Role, Disabled: u.Disabled}
	setIf(&in.Name, body.DisplayName)
	if body.Role != nil {
		in.Role = apiRole(*body.Role)
	}
	if body.Enabled != nil {
		in.Disabled = !*body.Enabled
	}
	u, err = h.Store.UpdateUser(c.Request().Context(), actor(c), u.ID, in)
	if fe, ok := models.AsFieldErrors(err); ok {
		if msg := fe["role"]; msg == "Choose admin or viewer." {
			fe["role"] = "role must be ADMIN or VIEWER."
		}
		return apiFieldErrors(fe, userFields)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserJSON(u))
}

// APIDeleteUser is DELETE .../users/{user}.
func (h *Handler) APIDeleteUser(c echo.Context) error {
	u, err := h.apiUser(c)
	if err != nil {
		return err
	}
	if _, err := h.Store.DeleteUser(c.Request().Context(), actor(c), u.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// APIResetPassword is POST .../users/{user}/resetPassword (Gravitee's):
// sets a new password, following the password rules; 204.
func (h *Handler) APIResetPassword(c echo.Context) error {
	var body passwordResetJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	u, err := h.apiUser(c)
	if err != nil {
		return err
	}
	err = h.Store.ResetPassword(c.Request().Context(), actor(c), u.ID, body.Password)
	if fe, ok := models.AsFieldErrors(err); ok {
		return apiFieldErrors(fe, nil)
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// userStatusJSON is Gravitee's StatusEntity.
type userStatusJSON struct {
	Enabled *bool `json:"enabled"`
}

// APIPutUserStatus is PUT .../users/{user}/status (Gravitee's): enables or
// disables a user, with PATCH's rules.
func (h *Handler) APIPutUserStatus(c echo.Context) error {
	var body userStatusJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Enabled == nil {
		return fieldError(map[string]string{"enabled": "enabled is required."})
	}
	u, err := h.apiUser(c)
	if err != nil {
		return err
	}
	u, err = h.Store.UpdateUser(c.Request().Context(), actor(c), u.ID, models.UserUpdate{Name: u.Name, Role: u.Role, Disabled: !*body.Enabled})
	if fe, ok := models.AsFieldErrors(err); ok {
		return apiFieldErrors(fe, userFields)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserJSON(u))
}
