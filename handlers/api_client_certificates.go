package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/pki"
)

// clientCertificateJSON is a client certificate as the API shows it: the
// public material it holds (a PEM certificate, or a JWK) and what was read
// from it. Times are epoch milliseconds.
type clientCertificateJSON struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	// Thumbprint is x5t#S256 for a certificate, the RFC 7638 thumbprint
	// for a JWK (both SHA-256, base64url).
	Thumbprint string `json:"thumbprint"`
	KeyID      string `json:"keyId"`
	Algorithm  string `json:"algorithm"`
	// Format is X509 or JWK; Certificate or JWK holds the key.
	Format      string          `json:"format"`
	Certificate string          `json:"certificate,omitempty"`
	JWK         json.RawMessage `json:"jwk,omitempty"`
	NotBefore   *int64          `json:"notBefore"`
	ExpiresAt   *int64          `json:"expiresAt"`
	LastUsedAt  *int64          `json:"lastUsedAt"`
	CreatedAt   int64           `json:"createdAt"`
	Status      string          `json:"status"`
}

func (h *Handler) toClientCertificateJSON(cc *models.ClientCertificate) clientCertificateJSON {
	out := clientCertificateJSON{
		ID: cc.ID, Description: cc.Description, Thumbprint: cc.Thumbprint, KeyID: cc.KeyID, Algorithm: cc.Algorithm,
		Format:    strings.ToUpper(cc.Format),
		NotBefore: optMillis(cc.NotBefore), ExpiresAt: optMillis(cc.ExpiresAt), LastUsedAt: optMillis(cc.LastUsedAt),
		CreatedAt: epochMillis(cc.CreatedAt), Status: cc.Status(h.Store.Now(), h.Store.ExpiringSoon),
	}
	if cc.Format == pki.FormatJWK {
		out.JWK = json.RawMessage(cc.PublicKey)
	} else {
		out.Certificate = cc.PublicKey
	}
	return out
}

// clientCertificateCreateJSON is the body of POST .../client-certificates:
// a description and either a PEM certificate or a public JWK.
type clientCertificateCreateJSON struct {
	Description string          `json:"description"`
	Certificate *string         `json:"certificate"`
	JWK         json.RawMessage `json:"jwk"`
}

// apiClientCertificate loads the domain, application and client
// certificate named in the path; one of another application is not found.
func (h *Handler) apiClientCertificate(c echo.Context) (*models.Domain, *models.Application, *models.ClientCertificate, error) {
	d, a, err := h.apiApp(c)
	if err != nil {
		return nil, nil, nil, err
	}
	cc, err := h.Store.ClientCertificateByID(c.Request().Context(), a.ID, c.Param("clientCertificate"))
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, nil, apiError(http.StatusNotFound, "Client certificate [%s] can not be found.", c.Param("clientCertificate"))
	}
	return d, a, cc, err
}

// APIListClientCertificates is GET .../applications/{application}/client-certificates:
// the application's client certificates, oldest first.
func (h *Handler) APIListClientCertificates(c echo.Context) error {
	_, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	list, err := h.Store.ClientCertificates(c.Request().Context(), a.ID)
	if err != nil {
		return err
	}
	out := make([]clientCertificateJSON, len(list))
	for i := range list {
		out[i] = h.toClientCertificateJSON(&list[i])
	}
	return c.JSON(http.StatusOK, out)
}

// APIGetClientCertificate is GET .../client-certificates/{id}.
func (h *Handler) APIGetClientCertificate(c echo.Context) error {
	_, _, cc, err := h.apiClientCertificate(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.toClientCertificateJSON(cc))
}

// APICreateClientCertificate is POST .../client-certificates: 201 with the
// client certificate and its Location. The upload's checks, the
// description's rules and the limit are the console's (models).
func (h *Handler) APICreateClientCertificate(c echo.Context) error {
	var body clientCertificateCreateJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	_, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	hasJWK := len(body.JWK) > 0 && string(body.JWK) != "null"
	var data []byte
	switch {
	case body.Certificate != nil && hasJWK:
		return fieldError(map[string]string{"certificate": "Give certificate or jwk, not both."})
	case body.Certificate != nil:
		data = []byte(*body.Certificate)
	case hasJWK:
		if !strings.HasPrefix(strings.TrimSpace(string(body.JWK)), "{") {
			return fieldError(map[string]string{"jwk": "jwk must be a JSON object: a public JWK, or a JWK Set of one key."})
		}
		data = body.JWK
	default:
		return fieldError(map[string]string{"certificate": "Give certificate (a PEM certificate) or jwk (a public JWK)."})
	}
	cc, err := h.Store.AddClientCertificate(c.Request().Context(), actor(c), a.ID, models.ClientCertificateInput{Description: body.Description, Data: data})
	if fe, ok := models.AsFieldErrors(err); ok && hasJWK {
		return apiFieldErrors(fe, map[string]string{"certificate": "jwk"})
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, appURL(a)+"/client-certificates/"+cc.ID)
	return c.JSON(http.StatusCreated, h.toClientCertificateJSON(cc))
}

// APIDeleteClientCertificate is DELETE .../client-certificates/{id}: 204;
// the key stops authenticating at once.
func (h *Handler) APIDeleteClientCertificate(c echo.Context) error {
	d, a, cc, err := h.apiClientCertificate(c)
	if err != nil {
		return err
	}
	if _, err := h.Store.DeleteClientCertificate(c.Request().Context(), actor(c), d.ID, a.ID, cc.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
