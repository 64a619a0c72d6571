package handlers

import (
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/pki"
	"latchkey/views"
)

// certificatesPath is the domain's Certificates settings page.
func certificatesPath(d *models.Domain) string {
	return "/domains/" + d.ID + "/settings/certificates"
}

// certificatesPage loads the domain's Certificates page with an optional
// dialog open over it.
func (h *Handler) certificatesPage(c echo.Context, d *models.Domain, dlg *views.CertDialog) (views.CertificatesPage, error) {
	ctx := c.Request().Context()
	certs, err := h.Store.Certificates(ctx, d.ID)
	if err != nil {
		return views.CertificatesPage{}, err
	}
	apps, err := h.Store.Applications(ctx, d.ID)
	if err != nil {
		return views.CertificatesPage{}, err
	}
	users := map[string][]models.Application{}
	for _, a := range apps {
		if a.CertificateID != nil {
			users[*a.CertificateID] = append(users[*a.CertificateID], a)
		}
	}
	return views.CertificatesPage{
		Page:         h.page(c, "Certificates · "+d.Name, "domains", domainsCrumb(), domainCrumb(d), views.Crumb{Label: "Certificates"}),
		Domain:       d,
		Certificates: certs,
		UsedBy:       users,
		RefreshDelay: h.Store.CertDefaults.RefreshDelay,
		Dialog:       dlg,
	}, nil
}

// renderCertificates renders the page (with its dialog) for the domain.
func (h *Handler) renderCertificates(c echo.Context, status int, d *models.Domain, dlg *views.CertDialog) error {
	v, err := h.certificatesPage(c, d, dlg)
	if err != nil {
		return err
	}
	return render(c, status, views.Certificates(v))
}

// loadDomain finds the domain named in the path.
func (h *Handler) loadDomain(c echo.Context) (*models.Domain, error) {
	return h.Store.DomainByID(c.Request().Context(), c.Param("domain"))
}

// loadCertificate finds the domain and the certificate in the path; a
// certificate of another domain is not found.
func (h *Handler) loadCertificate(c echo.Context) (*models.Domain, *models.Certificate, error) {
	d, err := h.loadDomain(c)
	if err != nil {
		return nil, nil, err
	}
	cert, err := h.Store.CertificateByID(c.Request().Context(), d.ID, c.Param("cert"))
	if err != nil {
		return nil, nil, err
	}
	return d, cert, nil
}

// ShowCertificates shows the domain's Certificates page.
func (h *Handler) ShowCertificates(c echo.Context) error {
	d, err := h.loadDomain(c)
	if err != nil {
		return err
	}
	return h.renderCertificates(c, http.StatusOK, d, nil)
}

// NewCertificate shows the "Add certificate" dialog; ?type=own opens the
// upload form, anything else the system certificate form.
func (h *Handler) NewCertificate(c echo.Context) error {
	d, err := h.loadDomain(c)
	if err != nil {
		return err
	}
	form := views.CertForm{Type: views.CertFormSystem, Algorithm: pki.ES256, RSABits: "2048"}
	if c.QueryParam("type") == views.CertFormOwn {
		form.Type = views.CertFormOwn
	}
	return h.renderCertificates(c, http.StatusOK, d, &views.CertDialog{Kind: views.CertDialogNew, Form: form})
}

// CreateCertificate generates a system certificate or stores an uploaded
// one (PKCS#12, or PEM certificate and key), or re-renders the dialog with
// each refusal next to its field. What was typed for secrets (the
// password, the private key) is never sent back.
func (h *Handler) CreateCertificate(c echo.Context) error {
	d, err := h.loadDomain(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	form := views.CertForm{Type: c.FormValue("type"), Name: c.FormValue("name"), Algorithm: c.FormValue("algorithm"),
		RSABits: c.FormValue("keySize"), CertificatePEM: c.FormValue("certificate"), PSS: c.FormValue("pss") == "true"}
	var cert *models.Certificate
	if form.Type == views.CertFormOwn {
		in := models.OwnCertificateInput{Name: form.Name, Password: c.FormValue("password"),
			CertificatePEM: []byte(form.CertificatePEM), PrivateKeyPEM: []byte(c.FormValue("privateKey")), PSS: form.PSS}
		if in.PKCS12, err = uploadedFile(c, "file"); err != nil {
			return err
		}
		cert, err = h.Store.CreateOwnCertificate(ctx, actor(c), d.ID, in)
	} else {
		form.Type = views.CertFormSystem
		bits, _ := strconv.Atoi(form.RSABits)
		cert, err = h.Store.CreateSystemCertificate(ctx, actor(c), d.ID, models.SystemCertificateInput{Name: form.Name, Algorithm: form.Algorithm, RSABits: bits})
	}
	if fe, ok := models.AsFieldErrors(err); ok {
		form.Errors = fe
		return h.renderCertificates(c, formStatus, d, &views.CertDialog{Kind: views.CertDialogNew, Form: form})
	}
	if msg, ok := ruleMessage(err); ok {
		return h.renderCertificates(c, formStatus, d, &views.CertDialog{Kind: views.CertDialogNew, Form: form, Error: msg})
	}
	if err != nil {
		return err
	}
	flash := "Certificate “" + cert.Name + "” added."
	if cert.Type == models.CertTypeSystem {
		flash += " It is published at once and becomes the current system certificate."
	}
	return h.redirect(c, certificatesPath(d), flash)
}

// uploadedFile reads the multipart file field name, nil when none was
// chosen. Reading stops one byte past pki.MaxUpload, so pki refuses a file
// too large without it being held whole in memory.
func uploadedFile(c echo.Context, name string) ([]byte, error) {
	fh, err := c.FormFile(name)
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return nil, nil
	}
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The upload could not be read.")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer func(f multipart.File) { _ = f.Close() }(f)
	return io.ReadAll(io.LimitReader(f, pki.MaxUpload+1))
}

// ConfirmRotateCertificate shows the "Rotate system key" dialog.
func (h *Handler) ConfirmRotateCertificate(c echo.Context) error {
	d, err := h.loadDomain(c)
	if err != nil {
		return err
	}
	return h.renderCertificates(c, http.StatusOK, d, &views.CertDialog{Kind: views.CertDialogRotate, Form: views.CertForm{RSABits: "2048"}})
}

// RotateCertificate makes a new system certificate that supersedes the
// current one; applications on the default sign with it after the refresh
// delay.
func (h *Handler) RotateCertificate(c echo.Context) error {
	d, err := h.loadDomain(c)
	if err != nil {
		return err
	}
	form := views.CertForm{Algorithm: c.FormValue("algorithm"), RSABits: c.FormValue("keySize")}
	bits, _ := strconv.Atoi(form.RSABits)
	cert, err := h.Store.RotateCertificate(c.Request().Context(), actor(c), d.ID, models.SystemCertificateInput{Algorithm: form.Algorithm, RSABits: bits})
	if fe, ok := models.AsFieldErrors(err); ok {
		form.Errors = fe
		return h.renderCertificates(c, formStatus, d, &views.CertDialog{Kind: views.CertDialogRotate, Form: form})
	}
	if msg, ok := ruleMessage(err); ok {
		return h.renderCertificates(c, http.StatusConflict, d, &views.CertDialog{Kind: views.CertDialogRotate, Form: form, Error: msg})
	}
	if err != nil {
		return err
	}
	return h.redirect(c, certificatesPath(d), "System key rotated: “"+cert.Name+"” is published now and signs from "+
		cert.SigningFrom.UTC().Format("2006-01-02 15:04:05 MST")+".")
}

// CertificateSettings shows the "Settings" dialog: the fallback certificate.
func (h *Handler) CertificateSettings(c echo.Context) error {
	d, err := h.loadDomain(c)
	if err != nil {
		return err
	}
	fallback := ""
	if d.FallbackCertificateID != nil {
		fallback = *d.FallbackCertificateID
	}
	return h.renderCertificates(c, http.StatusOK, d, &views.CertDialog{Kind: views.CertDialogSettings, Input: fallback})
}

// SaveCertificateSettings sets (or clears, with "") the fallback
// certificate.
func (h *Handler) SaveCertificateSettings(c echo.Context) error {
	d, err := h.loadDomain(c)
	if err != nil {
		return err
	}
	input := c.FormValue("fallbackCertificate")
	var id *string
	if input != "" {
		id = &input
	}
	err = h.Store.SetFallbackCertificate(c.Request().Context(), actor(c), d.ID, id)
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.renderCertificates(c, formStatus, d, &views.CertDialog{Kind: views.CertDialogSettings, Input: input, Error: fe["fallbackCertificate"]})
	}
	if err != nil {
		return err
	}
	return h.redirect(c, certificatesPath(d), "Certificate settings saved.")
}

// publicKeys returns a certificate's public key as PEM and as indented JWK
// JSON, for the dialogs and the application's tab.
func publicKeys(cert *models.Certificate) (pem, jwk string, err error) {
	if pem, err = cert.PublicKeyPEM(); err != nil {
		return "", "", err
	}
	k, err := cert.JWK()
	if err != nil {
		return "", "", err
	}
	b, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return "", "", err
	}
	return pem, string(b), nil
}

// CertificateKey shows a certificate's public key (PEM and JWK). Anyone
// signed in may read it: it is public.
func (h *Handler) CertificateKey(c echo.Context) error {
	d, cert, err := h.loadCertificate(c)
	if err != nil {
		return err
	}
	pem, jwk, err := publicKeys(cert)
	if err != nil {
		return err
	}
	return h.renderCertificates(c, http.StatusOK, d, &views.CertDialog{Kind: views.CertDialogKey, Cert: cert, PEM: pem, JWK: jwk})
}

// RenameCertificateForm shows the rename dialog.
func (h *Handler) RenameCertificateForm(c echo.Context) error {
	d, cert, err := h.loadCertificate(c)
	if err != nil {
		return err
	}
	return h.renderCertificates(c, http.StatusOK, d, &views.CertDialog{Kind: views.CertDialogRename, Cert: cert, Input: cert.Name})
}

// RenameCertificate changes a certificate's name.
func (h *Handler) RenameCertificate(c echo.Context) error {
	d, cert, err := h.loadCertificate(c)
	if err != nil {
		return err
	}
	input := c.FormValue("name")
	renamed, err := h.Store.RenameCertificate(c.Request().Context(), actor(c), d.ID, cert.ID, input)
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.renderCertificates(c, formStatus, d, &views.CertDialog{Kind: views.CertDialogRename, Cert: cert, Input: input, Error: fe["name"]})
	}
	if err != nil {
		return err
	}
	return h.redirect(c, certificatesPath(d), "Certificate renamed to “"+renamed.Name+"”.")
}

// ConfirmDeleteCertificate asks for the certificate's name before deleting.
func (h *Handler) ConfirmDeleteCertificate(c echo.Context) error {
	d, cert, err := h.loadCertificate(c)
	if err != nil {
		return err
	}
	return h.renderCertificates(c, http.StatusOK, d, &views.CertDialog{Kind: views.CertDialogDelete, Cert: cert})
}

// DeleteCertificate deletes a certificate once its name was typed exactly;
// the guard's refusal (used by an application, the fallback, the current
// system certificate) is shown in the dialog.
func (h *Handler) DeleteCertificate(c echo.Context) error {
	d, cert, err := h.loadCertificate(c)
	if err != nil {
		return err
	}
	confirm := c.FormValue("confirm")
	_, err = h.Store.DeleteCertificate(c.Request().Context(), actor(c), d.ID, cert.ID, &confirm)
	dlg := &views.CertDialog{Kind: views.CertDialogDelete, Cert: cert, Input: confirm}
	if fe, ok := models.AsFieldErrors(err); ok {
		dlg.Error = fe["confirm"]
		return h.renderCertificates(c, formStatus, d, dlg)
	}
	if msg, ok := ruleMessage(err); ok {
		dlg.Refusal = msg
		return h.renderCertificates(c, http.StatusBadRequest, d, dlg)
	}
	if err != nil {
		return err
	}
	return h.redirect(c, certificatesPath(d), "Certificate “"+cert.Name+"” deleted.")
}
