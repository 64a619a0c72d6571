package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"latchkey/models"
)

// apiClientCert is a client certificate as the API returns it.
type apiClientCert struct {
	ID          string          `json:"id"`
	Description string          `json:"description"`
	Thumbprint  string          `json:"thumbprint"`
	KeyID       string          `json:"keyId"`
	Algorithm   string          `json:"algorithm"`
	Format      string          `json:"format"`
	Certificate string          `json:"certificate"`
	JWK         json.RawMessage `json:"jwk"`
	ExpiresAt   *int64          `json:"expiresAt"`
	LastUsedAt  *int64          `json:"lastUsedAt"`
	Status      string          `json:"status"`
}

func TestAPIClientCertificatesLifecycle(t *testing.T) {
	e := newEnv(t)
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	api := e.api(e.apiToken(admin.Email, adminPassword))
	d := e.createDomain("Acme", "acme")
	app := e.createApp(d.ID, "Billing")
	list := appPathAPI(d.HRID, app.ID) + "/client-certificates"

	var none []apiClientCert
	api.get(list).want(http.StatusOK).decode(&none)
	if len(none) != 0 {
		t.Fatalf("a new application's client certificates = %+v", none)
	}
	// A PEM certificate.
	ec := newECKeyPair(t)
	var cert apiClientCert
	r := api.post(list, map[string]any{"description": " Partner EC ", "certificate": ec.certPEM}).want(http.StatusCreated)
	r.decode(&cert)
	if cert.Description != "Partner EC" || cert.Algorithm != "ES256" || cert.Format != "X509" || cert.KeyID != cert.Thumbprint ||
		cert.Certificate == "" || cert.ExpiresAt == nil || *cert.ExpiresAt != ec.notAfter.UnixMilli() || cert.Status != "ACTIVE" || cert.LastUsedAt != nil {
		t.Fatalf("created = %+v", cert)
	}
	if got := r.Header.Get("Location"); got != appPathAPI(d.ID, app.ID)+"/client-certificates/"+cert.ID {
		t.Errorf("Location = %q", got)
	}
	// A public JWK, PS256.
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	var jwk apiClientCert
	api.post(list, map[string]any{"description": "Rotation key", "jwk": jose.JSONWebKey{Key: &rk.PublicKey, KeyID: "k-2", Algorithm: "PS256"}}).
		want(http.StatusCreated).decode(&jwk)
	if jwk.Algorithm != "PS256" || jwk.Format != "JWK" || jwk.KeyID != "k-2" || jwk.ExpiresAt != nil || len(jwk.JWK) == 0 {
		t.Fatalf("JWK = %+v", jwk)
	}
	var got apiClientCert
	api.get(list + "/" + jwk.ID).want(http.StatusOK).decode(&got)
	if got.ID != jwk.ID || got.Thumbprint != jwk.Thumbprint {
		t.Fatalf("GET = %+v", got)
	}
	var all []apiClientCert
	api.get(list).want(http.StatusOK).decode(&all)
	if len(all) != 2 || all[0].ID != cert.ID || all[1].ID != jwk.ID {
		t.Fatalf("list = %+v", all)
	}

	// Refusals.
	pk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	api.post(list, map[string]any{"description": "x", "certificate": ec.certPEM + ec.keyPEM}).
		wantError(http.StatusBadRequest, "The upload contains a private key.")
	api.post(list, map[string]any{"description": "x", "jwk": jose.JSONWebKey{Key: pk}}).
		wantError(http.StatusBadRequest, "The upload contains a private key.")
	expired := newTestKeyPair(t, pk, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour))
	api.post(list, map[string]any{"description": "x", "certificate": expired.certPEM}).
		wantError(http.StatusBadRequest, "The certificate has already expired.")
	api.post(list, map[string]any{"description": "x", "certificate": newRSAKeyPair(t, 1024).certPEM}).
		wantError(http.StatusBadRequest, "The RSA key is shorter than 2048 bits.")
	api.post(list, map[string]any{"description": "Partner EC", "certificate": newECKeyPair(t).certPEM}).
		wantError(http.StatusBadRequest, "Client certificate with description Partner EC already exists")
	api.post(list, map[string]any{"description": "again", "certificate": ec.certPEM}).
		wantError(http.StatusBadRequest, "already registered on this application")
	api.post(list, map[string]any{"description": "x"}).wantError(http.StatusBadRequest, "Give certificate")
	api.post(list, map[string]any{"description": "x", "certificate": ec.certPEM, "jwk": map[string]any{"kty": "EC"}}).
		wantError(http.StatusBadRequest, "not both")
	api.post(list, map[string]any{"description": "", "certificate": newECKeyPair(t).certPEM}, requestUncheckable()).
		wantError(http.StatusBadRequest, "Description is required.")
	api.get(list+"/nope").wantError(http.StatusNotFound, "Client certificate [nope] can not be found.")
	other := e.createApp(d.ID, "Other")
	api.get(appPathAPI(d.ID, other.ID)+"/client-certificates/"+cert.ID).wantError(http.StatusNotFound, "can not be found")

	// The limit, as applications.clientCertificatesMax sets it.
	e.store.ClientCertificatesMax = 2
	api.post(list, map[string]any{"description": "third", "certificate": newECKeyPair(t).certPEM}).
		wantError(http.StatusBadRequest, "Too many client certificates. Cannot add more than 2 client certificates")

	api.del(list + "/" + cert.ID).want(http.StatusNoContent)
	api.get(list + "/" + cert.ID).want(http.StatusNotFound)
	page, err := e.store.AuditEvents(e.ctx, models.AuditFilter{ApplicationID: app.ID, Type: models.EventClientCertificateDeleted})
	if err != nil || page.Total != 1 || page.Events[0].ActorEmail != admin.Email || page.Events[0].TargetName != "Partner EC" {
		t.Fatalf("delete audit = %+v %v", page, err)
	}
}

// The application body carries its token endpoint authentication methods.
func TestAPITokenEndpointAuthMethods(t *testing.T) {
	e := newEnv(t)
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	api := e.api(e.apiToken(admin.Email, adminPassword))
	d := e.createDomain("Acme", "acme")
	type appBody struct {
		Settings struct {
			OAuth struct {
				TokenEndpointAuthMethods []string `json:"tokenEndpointAuthMethods"`
			} `json:"oauth"`
		} `json:"settings"`
	}
	methods := func(r *apiResponse) []string {
		var a appBody
		r.decode(&a)
		return a.Settings.OAuth.TokenEndpointAuthMethods
	}
	eq := func(got []string, want ...string) bool {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		return string(g) == string(w)
	}
	var created struct {
		ID string `json:"id"`
	}
	r := api.post(domainPath(d.ID)+"/applications", map[string]any{"name": "Billing"}).want(http.StatusCreated)
	r.decode(&created)
	if got := methods(r); !eq(got, "client_secret_basic", "client_secret_post") {
		t.Fatalf("a new application accepts %v", got)
	}
	app := appPathAPI(d.ID, created.ID)
	patch := func(m []string, opts ...callOpt) *apiResponse {
		return api.patch(app, map[string]any{"settings": map[string]any{"oauth": map[string]any{"tokenEndpointAuthMethods": m}}}, opts...)
	}
	if got := methods(patch([]string{"private_key_jwt"}).want(http.StatusOK)); !eq(got, "private_key_jwt") {
		t.Fatalf("after PATCH: %v", got)
	}
	if got := methods(api.get(app).want(http.StatusOK)); !eq(got, "private_key_jwt") {
		t.Fatalf("GET: %v", got)
	}
	if got := methods(patch([]string{"private_key_jwt", "client_secret_post", "client_secret_basic"}).want(http.StatusOK)); !eq(got, "client_secret_basic", "client_secret_post", "private_key_jwt") {
		t.Fatalf("both: %v", got)
	}
	patch([]string{"client_secret_basic"}).wantError(http.StatusBadRequest, "go together")
	patch([]string{}, invalidRequest()).wantError(http.StatusBadRequest, "List at least one token endpoint authentication method.")
	patch([]string{"client_secret_jwt"}, invalidRequest()).wantError(http.StatusBadRequest, "Unknown token endpoint authentication method")
	// PUT without the field is the default again.
	if got := methods(api.do(http.MethodPut, app, map[string]any{"name": "Billing"}).want(http.StatusOK)); !eq(got, "client_secret_basic", "client_secret_post") {
		t.Fatalf("after PUT: %v", got)
	}
	// Created with private_key_jwt only.
	r = api.post(domainPath(d.ID)+"/applications", map[string]any{"name": "Keys only",
		"settings": map[string]any{"oauth": map[string]any{"tokenEndpointAuthMethods": []string{"private_key_jwt"}}}}).want(http.StatusCreated)
	if got := methods(r); !eq(got, "private_key_jwt") {
		t.Fatalf("created with %v", got)
	}
}

func TestAPIClientCertificatesReadOnly(t *testing.T) {
	e := newEnv(t)
	e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	viewer := e.createUser("viewer@example.com", "Vic Viewer", viewerPassword, models.RoleViewer)
	d := e.createDomain("Acme", "acme")
	app := e.createApp(d.ID, "Billing")
	cc, err := e.store.AddClientCertificate(e.ctx, models.Actor{}, app.ID, models.ClientCertificateInput{Description: "k", Data: []byte(newECKeyPair(t).certPEM)})
	if err != nil {
		t.Fatal(err)
	}
	api := e.api(e.apiToken(viewer.Email, viewerPassword))
	list := appPathAPI(d.ID, app.ID) + "/client-certificates"
	api.get(list).want(http.StatusOK)
	api.get(list + "/" + cc.ID).want(http.StatusOK)
	api.post(list, map[string]any{"description": "x", "certificate": newECKeyPair(t).certPEM}).wantError(http.StatusForbidden, "Your role is read-only")
	api.del(list+"/"+cc.ID).wantError(http.StatusForbidden, "Your role is read-only")
}
