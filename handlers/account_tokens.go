package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

// renderAccount renders the Account page with the person's API tokens, the
// token form and an optional dialog; pwErrs are the password form's
// messages.
func (h *Handler) renderAccount(c echo.Context, status int, form views.TokenForm, pwErrs models.FieldErrors, dlg *views.TokenDialog) error {
	u := CurrentUser(c)
	tokens, err := h.Store.APITokens(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	sessions, current, err := h.accountSessions(c)
	if err != nil {
		return err
	}
	return render(c, status, views.Account(views.AccountPage{
		Page: h.page(c, "Account", "account"), Errors: pwErrs,
		Tokens: tokens, Now: h.Store.Now(), TokenForm: form, Dialog: dlg,
		APIBase:  c.Scheme() + "://" + c.Request().Host + APIPrefix,
		Sessions: sessions, CurrentSessionID: current,
	}))
}

// CreateAPIToken creates a personal API token and shows its value once, or
// re-renders the Account page with the form's problems. Viewers may create
// tokens: theirs are read-only.
func (h *Handler) CreateAPIToken(c echo.Context) error {
	u := CurrentUser(c)
	form := views.TokenForm{Name: c.FormValue("name"), Expires: c.FormValue("expires"), ReadOnly: c.FormValue("readOnly") == "true"}
	nt, err := h.Store.CreateAPIToken(c.Request().Context(), actor(c), u.ID, models.APITokenInput{
		Name: form.Name, ExpiresInDays: form.Expires, ReadOnly: form.ReadOnly,
	})
	if fe, ok := models.AsFieldErrors(err); ok {
		form.Errors = fe
		return h.renderAccount(c, formStatus, form, nil, nil)
	}
	if err != nil {
		return err
	}
	// The value can only be shown now: answer with the page rather than a
	// redirect, and let nothing on the way keep it.
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	return h.renderAccount(c, http.StatusOK, views.NewTokenForm(), nil, &views.TokenDialog{
		Kind: views.TokenDialogReveal, Token: &nt.APIToken, Value: nt.Value,
	})
}

// ConfirmRevokeAPIToken asks before revoking one of the person's tokens.
func (h *Handler) ConfirmRevokeAPIToken(c echo.Context) error {
	t, err := h.Store.APITokenByID(c.Request().Context(), CurrentUser(c).ID, c.Param("token"))
	if err != nil {
		return err
	}
	return h.renderAccount(c, http.StatusOK, views.NewTokenForm(), nil, &views.TokenDialog{Kind: views.TokenDialogRevoke, Token: t})
}

// RevokeAPIToken revokes one of the person's tokens; it stops working at
// once. Another person's token is not found.
func (h *Handler) RevokeAPIToken(c echo.Context) error {
	t, err := h.Store.RevokeAPIToken(c.Request().Context(), actor(c), CurrentUser(c).ID, c.Param("token"))
	if err != nil {
		return err
	}
	return h.redirect(c, "/account", "API token “"+t.Name+"” revoked. It no longer works.")
}
