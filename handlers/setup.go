package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

// SetupForm shows the first-administrator form when the token is valid.
func (h *Handler) SetupForm(c echo.Context) error {
	token := c.QueryParam("token")
	v := views.SetupPage{Page: h.page(c, "Set up Latchkey", ""), Token: token}
	ok, err := h.setupOpen(c, token)
	if err != nil {
		return err
	}
	if !ok {
		v.Invalid = invalidSetupText
		return render(c, http.StatusNotFound, views.Setup(v))
	}
	return render(c, http.StatusOK, views.Setup(v))
}

// invalidSetupText is the used or wrong setup link's message, as a sentence.
var invalidSetupText = sentence(models.ErrInvalidSetupToken.Error())

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func (h *Handler) setupOpen(c echo.Context, token string) (bool, error) {
	pending, err := h.Store.SetupPending(c.Request().Context())
	if err != nil || !pending {
		return false, err
	}
	return h.Store.CheckSetupToken(c.Request().Context(), token)
}

// Setup creates the first administrator and signs them in.
func (h *Handler) Setup(c echo.Context) error {
	in := models.NewUser{Email: c.FormValue("email"), Name: c.FormValue("name"), Password: c.FormValue("password")}
	token := c.FormValue("token")
	v := views.SetupPage{Page: h.page(c, "Set up Latchkey", ""), Token: token, Email: in.Email, Name: in.Name}
	if in.Password != c.FormValue("confirm") {
		ok, err := h.setupOpen(c, token)
		if err != nil {
			return err
		}
		if ok {
			// Every field's message at once, not only the first found.
			v.Errors = in.FieldErrors()
			v.Errors["confirm"] = "The two passwords do not match."
			return render(c, formStatus, views.Setup(v))
		}
	}
	u, err := h.Store.CompleteSetup(c.Request().Context(), actor(c), token, in)
	if fe, ok := models.AsFieldErrors(err); ok {
		v.Errors = fe
		return render(c, formStatus, views.Setup(v))
	}
	if errors.Is(err, models.ErrInvalidSetupToken) || errors.Is(err, models.ErrSetupDone) {
		v.Invalid = invalidSetupText
		return render(c, http.StatusNotFound, views.Setup(v))
	}
	if err != nil {
		return err
	}
	c.Set(UserKey, u)
	if err := h.Sessions.Login(c, u); err != nil {
		return err
	}
	return h.redirect(c, "/domains", "Welcome! Your administrator account is ready.")
}
