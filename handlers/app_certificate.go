package handlers

import (
	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

// appCertificate loads the Certificate section of the Secrets &
// Certificates tab: the choices, the application's choice (input, when a
// refused form is shown again) and which certificate actually signs.
func (h *Handler) appCertificate(c echo.Context, d *models.Domain, a *models.Application, input *string, errMsg string) (*views.AppCertificate, error) {
	choice, err := h.Store.SigningCertificate(c.Request().Context(), a.ID, h.Store.Now())
	if err != nil {
		return nil, err
	}
	return h.appCertificateOf(c, d, a, choice, input, errMsg)
}

// appCertificateOf is appCertificate with the signing choice already read.
func (h *Handler) appCertificateOf(c echo.Context, d *models.Domain, a *models.Application, choice *models.SigningChoice, input *string, errMsg string) (*views.AppCertificate, error) {
	certs, err := h.Store.CertificatesOf(c.Request().Context(), d)
	if err != nil {
		return nil, err
	}
	v := &views.AppCertificate{Certificates: certs, Signing: choice, Error: errMsg}
	if a.CertificateID != nil {
		v.Selected = *a.CertificateID
	}
	if input != nil {
		v.Selected = *input
	}
	if choice.Certificate != nil {
		if v.PEM, v.JWK, err = publicKeys(choice.Certificate); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// SaveAppCertificate stores the certificate that signs the application's
// tokens ("" is Default: the domain's current system certificate).
func (h *Handler) SaveAppCertificate(c echo.Context) error {
	d, a, err := h.loadApp(c)
	if err != nil {
		return err
	}
	input := c.FormValue("certificate")
	var id *string
	if input != "" {
		id = &input
	}
	err = h.Store.SetApplicationCertificate(c.Request().Context(), actor(c), a.ID, id)
	if fe, ok := models.AsFieldErrors(err); ok {
		v, err := h.secretsPage(c, d, a, nil)
		if err != nil {
			return err
		}
		if v.Certificate, err = h.appCertificate(c, d, a, &input, fe["certificate"]); err != nil {
			return err
		}
		return render(c, formStatus, views.SecretsTab(v))
	}
	if err != nil {
		return err
	}
	return h.redirect(c, appPath(a)+"/secrets", "Certificate saved. The application's tokens are signed with it from the next token request.")
}
