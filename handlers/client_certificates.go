package handlers

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/pki"
	"latchkey/views"
)

// clientCertificatesOf is the "Client certificates" section of the
// Secrets & Certificates tab, for an application's client certificates
// already read.
func clientCertificatesOf(a *models.Application, list []models.ClientCertificate, max int) *views.ClientCertificates {
	return &views.ClientCertificates{List: list, Max: max, Methods: views.AuthMethodsValue(a.AuthMethods())}
}

// renderClientCertificates renders the tab after set has changed the
// section: a dialog opened, a refused form shown again.
func (h *Handler) renderClientCertificates(c echo.Context, status int, d *models.Domain, a *models.Application, set func(*views.ClientCertificates)) error {
	v, err := h.secretsPage(c, d, a, nil)
	if err != nil {
		return err
	}
	set(v.ClientCertificates)
	return render(c, status, views.SecretsTab(v))
}

// clientCertificateDialog renders the tab with one of the section's
// dialogs open.
func (h *Handler) clientCertificateDialog(c echo.Context, status int, d *models.Domain, a *models.Application, dlg *views.ClientCertDialog) error {
	return h.renderClientCertificates(c, status, d, a, func(cs *views.ClientCertificates) { cs.Dialog = dlg })
}

// NewClientCertificate shows the "Upload client certificate" dialog.
func (h *Handler) NewClientCertificate(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	return h.clientCertificateDialog(c, http.StatusOK, d, a, &views.ClientCertDialog{Kind: views.ClientCertDialogUpload})
}

// UploadClientCertificate adds a client certificate from the uploaded file,
// or else from the pasted text; a refusal is shown in the dialog and
// nothing is saved.
func (h *Handler) UploadClientCertificate(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	data, err := uploadedFile(c, "file")
	if err != nil {
		return err
	}
	dlg := &views.ClientCertDialog{Kind: views.ClientCertDialogUpload,
		Description: c.FormValue("description"), Pasted: c.FormValue(views.FieldClientCert)}
	if len(data) == 0 {
		data = []byte(dlg.Pasted)
	}
	cc, err := h.Store.AddClientCertificate(c.Request().Context(), actor(c), a.ID,
		models.ClientCertificateInput{Description: dlg.Description, Data: data})
	if fe, ok := models.AsFieldErrors(err); ok {
		dlg.Errors = models.FieldErrors{"description": fe["description"], views.FieldClientCert: fe[pki.FieldCertificate]}
		return h.clientCertificateDialog(c, formStatus, d, a, dlg)
	}
	if msg, ok := ruleMessage(err); ok {
		dlg.Error = msg
		return h.clientCertificateDialog(c, formStatus, d, a, dlg)
	}
	if err != nil {
		return err
	}
	flash := "Client certificate “" + cc.Description + "” added."
	if !slices.Contains(a.AuthMethods(), models.AuthPrivateKeyJWT) {
		flash += " Accept client certificates under Token endpoint authentication for the client to sign in with it."
	}
	return h.redirect(c, appPath(a)+"/secrets", flash)
}

// loadClientCertificate finds the domain, application and client
// certificate in the path; one of another application is not found.
func (h *Handler) loadClientCertificate(c echo.Context) (*models.Domain, *models.Application, *models.ClientCertificate, error) {
	d, a, err := h.loadApp(c)
	if err != nil {
		return nil, nil, nil, err
	}
	cc, err := h.Store.ClientCertificateByID(c.Request().Context(), a.ID, c.Param("clientCertificate"))
	if err != nil {
		return nil, nil, nil, err
	}
	return d, a, cc, nil
}

// ConfirmDeleteClientCertificate asks for the description before deleting.
func (h *Handler) ConfirmDeleteClientCertificate(c echo.Context) error {
	d, a, cc, err := h.loadClientCertificate(c)
	if err != nil {
		return err
	}
	return h.clientCertificateDialog(c, http.StatusOK, d, a, &views.ClientCertDialog{Kind: views.ClientCertDialogDelete, Cert: cc})
}

// DeleteClientCertificate deletes a client certificate once its description
// was typed exactly.
func (h *Handler) DeleteClientCertificate(c echo.Context) error {
	d, a, cc, err := h.loadClientCertificate(c)
	if err != nil {
		return err
	}
	confirm := c.FormValue("confirm")
	_, err = h.Store.DeleteClientCertificateTyped(c.Request().Context(), actor(c), a, cc.ID, confirm)
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.clientCertificateDialog(c, formStatus, d, a, &views.ClientCertDialog{Kind: views.ClientCertDialogDelete, Cert: cc, Confirm: confirm, Errors: fe})
	}
	if err != nil {
		return err
	}
	return h.redirect(c, appPath(a)+"/secrets", "Client certificate “"+cc.Description+"” deleted. It no longer authenticates.")
}

// SaveAuthMethods stores the token endpoint authentication methods the
// application accepts: the radio's value is the methods, space-separated.
func (h *Handler) SaveAuthMethods(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	input := c.FormValue("authMethods")
	// Never nil: nil would keep the stored methods, while no choice must
	// be refused.
	methods := append([]string{}, strings.Fields(input)...)
	_, err = h.Store.SetAuthMethods(c.Request().Context(), actor(c), d.ID, a.ID, methods)
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.renderClientCertificates(c, formStatus, d, a, func(cs *views.ClientCertificates) {
			cs.Methods, cs.MethodsError = input, fe["authMethods"]
		})
	}
	if err != nil {
		return err
	}
	return h.redirect(c, appPath(a)+"/secrets", "Token endpoint authentication saved. It applies from the next token request.")
}
