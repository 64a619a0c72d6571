package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"latchkey/models"
	"latchkey/pki"
)

// Handler tests for the "Client certificates" section of the Secrets &
// Certificates tab (issue 16): upload as a file and as pasted text, the
// models' refusals inside the dialog with nothing saved, the limit, the
// typed-confirm delete, the token endpoint authentication methods form,
// and that viewers and forged requests change nothing.

func clientCertsBase(a *models.Application) string { return appBase(a) + "/client-certificates" }

func clientCertAction(a *models.Application, id, action string) string {
	return clientCertsBase(a) + "/" + id + "/" + action
}

func clientCertRow(id string) string {
	return `#client-certs-table tr[data-client-cert-id="` + id + `"]`
}

// clientCerts returns an application's stored client certificates.
func (e *env) clientCerts(appID string) []models.ClientCertificate {
	e.t.Helper()
	list, err := e.store.ClientCertificates(e.ctx, appID)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// addClientCert stores a client certificate directly, bypassing the console.
func (e *env) addClientCert(appID, description string) *models.ClientCertificate {
	e.t.Helper()
	certPEM, _ := selfSigned(e.t, time.Now().Add(90*24*time.Hour))
	cc, err := e.store.AddClientCertificate(e.ctx, models.Actor{}, appID, models.ClientCertificateInput{Description: description, Data: []byte(certPEM)})
	if err != nil {
		e.t.Fatalf("add client certificate %q: %v", description, err)
	}
	return cc
}

// publicJWK is a new P-256 public key as a JWK with a kid.
func publicJWK(t *testing.T, kid string) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return jwkJSON(t, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"})
}

func jwkJSON(t *testing.T, k jose.JSONWebKey) string {
	t.Helper()
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestClientCertificatesUpload(t *testing.T) {
	f := newSecretsFixture(t)
	tab := f.tab()

	page := f.c.get(tab).wantStatus(http.StatusOK)
	if got := page.text("#client-cert-count"); got != "0 of 10 client certificates" {
		t.Errorf("#client-cert-count = %q", got)
	}
	if !strings.Contains(page.text("#client-certs-table"), "private_key_jwt") {
		t.Errorf("the empty state does not say what client certificates are for: %q", page.text("#client-certs-table"))
	}
	// The section sits between the client secrets and the signing certificate.
	at := func(id string) int { return strings.Index(page.Body, `id="`+id+`"`) }
	if !(at("secrets-table") >= 0 && at("secrets-table") < at("client-certificates") && at("client-certificates") < at("app-certificate")) {
		t.Error("the Client certificates section is not between the secrets table and the Certificate section")
	}

	dlg := f.c.get(clientCertsBase(f.a) + "/new").wantStatus(http.StatusOK)
	if !strings.Contains(dlg.wantDialog(), "Upload client certificate") {
		t.Fatalf("the upload dialog is missing")
	}
	if dlg.attr("#dialog form", "enctype") != "multipart/form-data" || !dlg.has("#f-file[type=file]") || !dlg.has("textarea#f-clientCertificate") {
		t.Fatalf("the upload form is not a multipart form with a file and a paste field:\n%s", dlg.Body)
	}

	// A PEM certificate as a file.
	certPEM, keyPEM := selfSigned(t, time.Now().Add(60*24*time.Hour))
	r := f.c.postMultipart(tab, clientCertsBase(f.a), map[string]string{"description": "partner-acme"}, "file", []byte(certPEM))
	r.wantRedirect(tab)
	if got := f.c.follow(r).flash(); !strings.Contains(got, "Client certificate “partner-acme” added.") {
		t.Errorf("flash = %q", got)
	}
	list := f.clientCerts(f.a.ID)
	if len(list) != 1 || list[0].Description != "partner-acme" || list[0].Format != pki.FormatX509 || list[0].Algorithm != "ES256" {
		t.Fatalf("stored client certificates = %+v, want partner-acme, x509, ES256", list)
	}
	if evs := f.auditEvents(f.a.ID, models.EventClientCertificateAdded); len(evs) != 1 || evs[0].Outcome != models.OutcomeSuccess {
		t.Errorf("audit events = %+v, want one successful add", evs)
	}

	// A public JWK, pasted.
	jwk := publicJWK(t, "partner-key-2")
	f.c.postMultipart(tab, clientCertsBase(f.a), map[string]string{"description": "partner-jwk", "clientCertificate": jwk}, "", nil).wantRedirect(tab)

	page = f.c.get(tab).wantStatus(http.StatusOK)
	list = f.clientCerts(f.a.ID)
	if len(list) != 2 {
		t.Fatalf("%d client certificates stored, want 2", len(list))
	}
	x509Row, jwkRow := clientCertRow(list[0].ID), clientCertRow(list[1].ID)
	if got := page.text(x509Row + " .client-cert-description"); got != "partner-acme" {
		t.Errorf("description = %q", got)
	}
	if got := page.attr(x509Row+" .client-cert-thumbprint", "title"); got != list[0].Thumbprint {
		t.Errorf("thumbprint title = %q, want the full %q", got, list[0].Thumbprint)
	}
	if got := page.text(x509Row + " .client-cert-thumbprint"); got == list[0].Thumbprint || !strings.HasPrefix(list[0].Thumbprint, strings.TrimSuffix(got, "…")) {
		t.Errorf("shown thumbprint %q, want a shortened %q", got, list[0].Thumbprint)
	}
	if got := page.text("#client-cert-x5t-" + list[0].ID); got != list[0].Thumbprint {
		t.Errorf("copy source holds %q, want the full thumbprint", got)
	}
	if page.attr("#copy-client-cert-x5t-"+list[0].ID, "data-copy") != "client-cert-x5t-"+list[0].ID {
		t.Error("the thumbprint has no Copy button for its full value")
	}
	if got := page.text(x509Row + " .client-cert-last-used"); got != "Never" {
		t.Errorf("last used = %q, want Never", got)
	}
	if got := page.text(x509Row + " .client-cert-expires .secret-status"); got != "Active" {
		t.Errorf("status = %q, want Active", got)
	}
	if got := page.text(x509Row + " .client-cert-expires"); !strings.Contains(got, "in ") {
		t.Errorf("expires = %q, want the countdown", got)
	}
	if got := page.text(jwkRow + " .client-cert-kid"); got != "partner-key-2" {
		t.Errorf("JWK key id = %q", got)
	}
	if got := page.text(jwkRow + " .client-cert-valid-from"); got != "—" {
		t.Errorf("JWK valid from = %q, want —", got)
	}
	if got := page.text("#client-cert-count"); got != "2 of 10 client certificates" {
		t.Errorf("#client-cert-count = %q", got)
	}

	// Refusals: shown in the dialog, next to the field, and nothing saved.
	expired, _ := selfSigned(t, time.Now().Add(-time.Minute))
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	refusals := []struct {
		name, field, want string
		fields            map[string]string
		file              string
	}{
		{"private key", "clientCertificate", string(pki.ErrClientPrivateKey), map[string]string{"description": "with-key", "clientCertificate": certPEM + keyPEM}, ""},
		{"private key in a file", "clientCertificate", string(pki.ErrClientPrivateKey), map[string]string{"description": "with-key"}, keyPEM},
		{"expired", "clientCertificate", string(pki.ErrExpired), map[string]string{"description": "old", "clientCertificate": expired}, ""},
		{"RSA under 2048 bits", "clientCertificate", string(pki.ErrRSATooShort), map[string]string{"description": "short", "clientCertificate": jwkJSON(t, jose.JSONWebKey{Key: &rsa1024.PublicKey})}, ""},
		{"unsupported curve", "clientCertificate", string(pki.ErrUnsupportedKey), map[string]string{"description": "p384", "clientCertificate": jwkJSON(t, jose.JSONWebKey{Key: &p384.PublicKey})}, ""},
		{"not a key", "clientCertificate", "neither an X.509 certificate", map[string]string{"description": "junk", "clientCertificate": "hello"}, ""},
		{"nothing", "clientCertificate", "", map[string]string{"description": "empty"}, ""},
		{"no description", "description", "", map[string]string{"description": "  ", "clientCertificate": publicJWK(t, "k3")}, ""},
		{"duplicate description", "description", "already exists", map[string]string{"description": "partner-acme", "clientCertificate": publicJWK(t, "k4")}, ""},
		{"same key again", "clientCertificate", "already registered", map[string]string{"description": "again", "clientCertificate": jwk}, ""},
	}
	for _, rc := range refusals {
		t.Run(rc.name, func(t *testing.T) {
			fileField := ""
			if rc.file != "" {
				fileField = "file"
			}
			r := f.c.postMultipart(tab, clientCertsBase(f.a), rc.fields, fileField, []byte(rc.file))
			r.wantStatus(http.StatusUnprocessableEntity)
			r.wantDialog()
			r.wantFieldError(rc.field, rc.want)
			if got := r.attr("#f-description", "value"); got != rc.fields["description"] {
				t.Errorf("description kept as %q, want %q", got, rc.fields["description"])
			}
			if got := r.Doc.Find("#f-clientCertificate").Text(); strings.TrimSpace(got) != strings.TrimSpace(rc.fields["clientCertificate"]) {
				t.Errorf("pasted text not kept: %q", got)
			}
			if n := len(f.clientCerts(f.a.ID)); n != 2 {
				t.Fatalf("%d client certificates stored after a refusal, want 2", n)
			}
		})
	}
}

func TestClientCertificatesLimit(t *testing.T) {
	f := newSecretsFixture(t)
	f.store.ClientCertificatesMax = 2
	f.addClientCert(f.a.ID, "one")
	f.addClientCert(f.a.ID, "two")

	page := f.c.get(f.tab()).wantStatus(http.StatusOK)
	if !page.has("button#upload-client-cert[disabled]") || page.has(`a[href$="/client-certificates/new"]`) {
		t.Fatal("at the limit the upload button is not disabled")
	}
	if got := page.attr("#upload-client-cert", "aria-describedby"); got != "upload-client-cert-reason" {
		t.Errorf("the disabled button does not point to its reason: %q", got)
	}
	if got := page.text("#upload-client-cert-reason"); got != "2 of 2 client certificates: delete one first." {
		t.Errorf("reason = %q", got)
	}
	// A forced request is refused in the dialog all the same.
	r := f.c.postMultipart(f.tab(), clientCertsBase(f.a), map[string]string{"description": "three", "clientCertificate": publicJWK(t, "k")}, "", nil)
	r.wantStatus(http.StatusUnprocessableEntity)
	if !strings.Contains(r.text("#upload-client-cert-error"), "Cannot add more than 2 client certificates") {
		t.Errorf("limit message = %q", r.text("#upload-client-cert-error"))
	}
	if n := len(f.clientCerts(f.a.ID)); n != 2 {
		t.Fatalf("%d client certificates after the refused upload, want 2", n)
	}
}

func TestClientCertificatesDelete(t *testing.T) {
	f := newSecretsFixture(t)
	cc := f.addClientCert(f.a.ID, "partner-acme")
	del := clientCertAction(f.a, cc.ID, "delete")

	dlg := f.c.get(del).wantStatus(http.StatusOK)
	if !strings.Contains(dlg.wantDialog(), "Delete “partner-acme”?") {
		t.Fatal("the delete dialog is missing")
	}
	if got := dlg.attr("#f-confirm", "data-confirm-match"); got != "partner-acme" {
		t.Errorf("data-confirm-match = %q", got)
	}

	for _, wrong := range []string{"", "partner", "partner-acme "} {
		r := f.c.submit(del, del, url.Values{"confirm": {wrong}})
		r.wantStatus(http.StatusUnprocessableEntity)
		r.wantFieldError("confirm", "exactly to confirm")
		if got := r.attr("#f-confirm", "value"); got != wrong {
			t.Errorf("confirmation kept as %q, want %q", got, wrong)
		}
		if len(f.clientCerts(f.a.ID)) != 1 {
			t.Fatalf("a wrong confirmation %q deleted the client certificate", wrong)
		}
	}
	if evs := f.auditEvents(f.a.ID, models.EventClientCertificateDeleted); len(evs) != 3 || evs[0].Outcome != models.OutcomeFailure {
		t.Errorf("refused deletions audited as %+v, want 3 failures", evs)
	}

	r := f.c.submit(del, del, url.Values{"confirm": {"partner-acme"}})
	r.wantRedirect(f.tab())
	if got := f.c.follow(r).flash(); got != "Client certificate “partner-acme” deleted. It no longer authenticates." {
		t.Errorf("flash = %q", got)
	}
	if len(f.clientCerts(f.a.ID)) != 0 {
		t.Fatal("the client certificate is still stored")
	}
	f.c.get(del).wantNotFoundPage()

	// A long description is cut short in the table, in full on hover.
	long := strings.Repeat("x", 64)
	lc := f.addClientCert(f.a.ID, long)
	page := f.c.get(f.tab()).wantStatus(http.StatusOK)
	if got := page.attr(clientCertRow(lc.ID)+" .client-cert-description.truncate", "title"); got != long {
		t.Errorf("the long description's title = %q, want it in full", got)
	}

	// One of another application is not found through this one.
	other := f.createApp(f.d.ID, "Other")
	theirs := f.addClientCert(other.ID, "theirs")
	f.c.get(clientCertAction(f.a, theirs.ID, "delete")).wantNotFoundPage()
	f.c.submit(f.tab(), clientCertAction(f.a, theirs.ID, "delete"), url.Values{"confirm": {"theirs"}}).wantNotFoundPage()
	if len(f.clientCerts(other.ID)) != 1 {
		t.Fatal("a client certificate of another application was deleted")
	}
}

func TestAuthMethodsForm(t *testing.T) {
	f := newSecretsFixture(t)
	page := f.c.get(f.tab()).wantStatus(http.StatusOK)
	if got := page.attr("#auth-methods input[type=radio]:checked", "value"); got != models.AuthClientSecret {
		t.Errorf("checked method = %q, want the default %q", got, models.AuthClientSecret)
	}
	action := appBase(f.a) + "/auth-methods"

	both := models.AuthClientSecret + " " + models.AuthPrivateKeyJWT
	r := f.c.submit(f.tab(), action, url.Values{"authMethods": {both}})
	r.wantRedirect(f.tab())
	page = f.c.follow(r)
	if got := page.attr("#auth-methods input[type=radio]:checked", "value"); got != both {
		t.Errorf("checked method after saving = %q, want %q", got, both)
	}
	if !page.has("#auth-methods-warning") {
		t.Error("no warning that private_key_jwt has no client certificate to verify with")
	}
	a, err := f.store.ApplicationByID(f.ctx, f.d.ID, f.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.AuthMethods(); fmt.Sprint(got) != fmt.Sprint([]string{models.AuthClientSecret, models.AuthPrivateKeyJWT}) {
		t.Errorf("stored methods = %v", got)
	}
	evs := f.auditEvents(f.a.ID, models.EventApplicationUpdated)
	if len(evs) != 1 || !strings.Contains(evs[0].Detail, "client_secret → client_secret, private_key_jwt") {
		t.Errorf("audit events = %+v, want one APPLICATION_UPDATED naming the change", evs)
	}

	for bad, want := range map[string]string{"": "Choose at least one", "password": "is unknown"} {
		r := f.c.submit(f.tab(), action, url.Values{"authMethods": {bad}})
		r.wantStatus(http.StatusUnprocessableEntity)
		r.wantFieldMessage("authMethods", want)
		if a, _ := f.store.ApplicationByID(f.ctx, f.d.ID, f.a.ID); len(a.AuthMethods()) != 2 {
			t.Fatalf("a refused choice %q changed the methods to %v", bad, a.AuthMethods())
		}
	}
	f.c.submit(f.tab(), action, url.Values{"authMethods": {models.AuthPrivateKeyJWT}}).wantRedirect(f.tab())
	if a, _ := f.store.ApplicationByID(f.ctx, f.d.ID, f.a.ID); fmt.Sprint(a.AuthMethods()) != "[private_key_jwt]" {
		t.Errorf("stored methods = %v, want private_key_jwt only", a.AuthMethods())
	}
}

func TestClientCertificatesViewerIsReadOnly(t *testing.T) {
	f := newSecretsFixture(t)
	cc := f.addClientCert(f.a.ID, "partner-acme")
	v, _ := f.viewer()

	page := v.get(f.tab()).wantStatus(http.StatusOK)
	if got := page.text(clientCertRow(cc.ID) + " .client-cert-description"); got != "partner-acme" {
		t.Errorf("viewer sees description %q", got)
	}
	for _, sel := range []string{"#upload-client-cert", `a[href*="/client-certificates"]`, `form[action$="/auth-methods"]`, "#auth-methods input"} {
		if page.has(sel) {
			t.Errorf("viewer sees a write control %s", sel)
		}
	}
	if got := page.text("#auth-methods-value"); !strings.Contains(got, "Client secrets") {
		t.Errorf("viewer reads the methods as %q", got)
	}
	for _, p := range []string{clientCertsBase(f.a) + "/new", clientCertAction(f.a, cc.ID, "delete")} {
		v.get(p).wantForbidden()
	}

	before := fmt.Sprintf("%+v %v", f.clientCerts(f.a.ID), f.a.AuthMethods())
	writes := clientCertWrites(t, f, cc)
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			r := v.submit(f.tab(), w.path, w.form)
			r.wantForbidden()
			if !strings.Contains(r.text("main"), "read-only") {
				t.Errorf("403 page does not explain the role: %q", r.text("main"))
			}
			v.hxSubmit(f.tab(), w.path, w.form).wantForbidden()
			a, err := f.store.ApplicationByID(f.ctx, f.d.ID, f.a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if after := fmt.Sprintf("%+v %v", f.clientCerts(f.a.ID), a.AuthMethods()); after != before {
				t.Fatalf("a viewer's %s changed something:\nbefore %s\nafter  %s", w.name, before, after)
			}
		})
	}
	for _, typ := range []string{models.EventClientCertificateAdded, models.EventClientCertificateDeleted, models.EventApplicationUpdated} {
		if evs := f.auditEvents(f.a.ID, typ); len(evs) != 0 {
			t.Errorf("refused viewer requests were audited as %s: %+v", typ, evs)
		}
	}
}

func TestClientCertificatesCSRF(t *testing.T) {
	f := newSecretsFixture(t)
	cc := f.addClientCert(f.a.ID, "partner-acme")
	f.c.get(f.tab()).wantStatus(http.StatusOK) // the CSRF cookie exists
	before := fmt.Sprintf("%+v %v", f.clientCerts(f.a.ID), f.a.AuthMethods())

	posts := clientCertWrites(t, f, cc)
	for _, p := range posts {
		t.Run(p.name+" without a token", func(t *testing.T) {
			r := f.c.postRaw(p.path, p.form)
			r.wantForbidden()
			if got := r.text("h1"); got != "Form expired" {
				t.Errorf("h1 = %q, want Form expired", got)
			}
		})
		t.Run(p.name+" with a wrong htmx header token", func(t *testing.T) {
			f.c.postRaw(p.path, p.form, "HX-Request", "true", "X-CSRF-Token", "not-the-token").wantForbidden()
		})
	}
	a, err := f.store.ApplicationByID(f.ctx, f.d.ID, f.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprintf("%+v %v", f.clientCerts(f.a.ID), a.AuthMethods()); after != before {
		t.Fatalf("forged requests changed something:\nbefore %s\nafter  %s", before, after)
	}
}

// clientCertWrite is one state-changing request of the section.
type clientCertWrite struct {
	name, path string
	form       url.Values
}

// clientCertWrites are the section's writes, each one that would change
// something if it were allowed: upload, delete cc, change the methods.
func clientCertWrites(t *testing.T, f *secretsFixture, cc *models.ClientCertificate) []clientCertWrite {
	return []clientCertWrite{
		{"upload", clientCertsBase(f.a), url.Values{"description": {"forged"}, "clientCertificate": {publicJWK(t, "f")}}},
		{"delete", clientCertAction(f.a, cc.ID, "delete"), url.Values{"confirm": {cc.Description}}},
		{"auth methods", appBase(f.a) + "/auth-methods", url.Values{"authMethods": {models.AuthPrivateKeyJWT}}},
	}
}
