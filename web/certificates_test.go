package web_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"latchkey/models"
)

// Handler tests for the domain's Certificates page and the application's
// certificate choice (issue 14): each dialog as a plain page, each refusal
// shown next to its field, the deletion guard, viewers and CSRF.

type certsFixture struct {
	*env
	c *client
	d *models.Domain
}

func newCertsFixture(t *testing.T) *certsFixture {
	t.Helper()
	e := newEnv(t)
	c, _ := e.admin()
	return &certsFixture{env: e, c: c, d: e.createDomain("Acme", "acme")}
}

func (f *certsFixture) page() string { return "/domains/" + f.d.ID + "/settings/certificates" }

func (f *certsFixture) certs() []models.CertificateInfo {
	f.t.Helper()
	cs, err := f.store.Certificates(f.ctx, f.d.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return cs
}

// current is the domain's current system certificate.
func (f *certsFixture) current() models.CertificateInfo {
	f.t.Helper()
	for _, c := range f.certs() {
		if c.Current() {
			return c
		}
	}
	f.t.Fatal("no current system certificate")
	return models.CertificateInfo{}
}

// postMultipart posts fields (and one optional file) as multipart/form-data
// with the CSRF token of formPage.
func (c *client) postMultipart(formPage, action string, fields map[string]string, fileField string, file []byte) *response {
	c.t.Helper()
	tok := c.csrfFrom(formPage)
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("_csrf", tok)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if fileField != "" {
		fw, err := w.CreateFormFile(fileField, "upload.p12")
		if err != nil {
			c.t.Fatal(err)
		}
		_, _ = fw.Write(file)
	}
	_ = w.Close()
	req, err := http.NewRequest(http.MethodPost, c.url(action), &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

// selfSigned makes a P-256 certificate and its PKCS#8 key, both PEM.
func selfSigned(t *testing.T, notAfter time.Time) (certPEM, keyPEM string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "partner"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
}

func TestCertificatesPageListsTheDomainsCertificates(t *testing.T) {
	f := newCertsFixture(t)
	cur := f.current()
	r := f.c.get("/domains/" + f.d.ID).wantStatus(http.StatusOK)
	if got := r.attr("#certificates-settings", "href"); got != f.page() {
		t.Fatalf("domain page links certificates at %q, want %q", got, f.page())
	}
	r = f.c.get(f.page()).wantStatus(http.StatusOK)
	row := `tr[data-certificate-id="` + cur.ID + `"]`
	if !r.has(row) {
		t.Fatalf("the current system certificate is not listed:\n%s", r.Body)
	}
	for sel, want := range map[string]string{" .cert-type": "System", " .cert-alg": "ES256", " .cert-kid": cur.ID, " .cert-status": "Valid", " .cert-used-by": "No application"} {
		if got := r.text(row + sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	for _, id := range []string{"#add-certificate", "#rotate-certificate", "#certificate-settings"} {
		if !r.has(id) {
			t.Errorf("admin sees no %s", id)
		}
	}
	if r.has("#read-only-note") {
		t.Error("admin sees the read-only note")
	}
}

func TestAddSystemCertificates(t *testing.T) {
	f := newCertsFixture(t)
	r := f.c.get(f.page() + "/new").wantStatus(http.StatusOK)
	if !r.has("dialog#dialog form[action='" + f.page() + "']") {
		t.Fatalf("the add dialog is not a plain form:\n%s", r.Body)
	}
	r = f.c.postMultipart(f.page(), f.page(), map[string]string{"type": "system", "name": "rsa-3072", "algorithm": "RS256", "keySize": "3072"}, "", nil)
	r.wantRedirect(f.page())
	if got := f.c.follow(r).flash(); !strings.Contains(got, "rsa-3072") {
		t.Errorf("flash = %q", got)
	}
	r = f.c.get(f.page())
	var id string
	for _, c := range f.certs() {
		if c.Name == "rsa-3072" {
			id = c.ID
			if c.Algorithm != "RS256" || !c.Current() {
				t.Errorf("new certificate = %s current %v", c.Algorithm, c.Current())
			}
		}
	}
	if got := r.text(`tr[data-certificate-id="` + id + `"] .cert-alg`); got != "RS256" {
		t.Errorf("listed algorithm = %q", got)
	}
	// Refusals come back next to their field.
	r = f.c.postMultipart(f.page(), f.page(), map[string]string{"type": "system", "name": strings.Repeat("n", 65), "algorithm": "ES256"}, "", nil)
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantFieldError("name", "")
	r = f.c.postMultipart(f.page(), f.page(), map[string]string{"type": "system", "name": "x", "algorithm": "HS256"}, "", nil)
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantFieldMessage("algorithm", "")
	r = f.c.postMultipart(f.page(), f.page(), map[string]string{"type": "system", "name": "x", "algorithm": "RS256", "keySize": "1024"}, "", nil)
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantFieldMessage("keySize", "")
}

func TestUploadOwnCertificate(t *testing.T) {
	f := newCertsFixture(t)
	certPEM, keyPEM := selfSigned(t, time.Now().Add(90*24*time.Hour))
	own := f.page() + "/new?type=own"
	r := f.c.get(own).wantStatus(http.StatusOK)
	if r.attr("#dialog form", "enctype") != "multipart/form-data" || !r.has("#f-file") || !r.has("#f-privateKey") {
		t.Fatalf("the upload form is not a multipart form with file and key:\n%s", r.Body)
	}
	// A key of another certificate is refused next to the key field, and
	// neither the key nor the password comes back in the page.
	_, otherKey := selfSigned(t, time.Now().Add(time.Hour))
	r = f.c.postMultipart(own, f.page(), map[string]string{"type": "own", "name": "partner", "certificate": certPEM, "privateKey": otherKey, "password": "pw-secret"}, "", nil)
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantFieldMessage("privateKey", "match")
	if strings.Contains(r.Body, "PRIVATE KEY-----\n") || strings.Contains(r.Body, "pw-secret") {
		t.Fatal("the refused form shows the private key or the password again")
	}
	if got := r.Doc.Find("#f-certificate").Text(); got != certPEM {
		t.Error("the certificate typed is not kept")
	}
	// Not a PKCS#12 file.
	r = f.c.postMultipart(own, f.page(), map[string]string{"type": "own", "name": "p12", "password": "x"}, "file", []byte("not a pkcs12 file"))
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantFieldMessage("file", "")
	// Nothing chosen.
	r = f.c.postMultipart(own, f.page(), map[string]string{"type": "own", "name": "none"}, "", nil)
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantFieldMessage("file", "PKCS#12")

	r = f.c.postMultipart(own, f.page(), map[string]string{"type": "own", "name": "partner", "certificate": certPEM, "privateKey": keyPEM}, "", nil)
	r.wantRedirect(f.page())
	var got *models.CertificateInfo
	for _, c := range f.certs() {
		if c.Name == "partner" {
			got = &c
		}
	}
	if got == nil || got.Type != models.CertTypeOwn || got.Algorithm != "ES256" {
		t.Fatalf("uploaded certificate = %+v", got)
	}
	if txt := f.c.get(f.page()).text(`tr[data-certificate-id="` + got.ID + `"] .cert-type`); txt != "Own" {
		t.Errorf("type shown = %q", txt)
	}
}

func TestUploadPKCS12(t *testing.T) {
	f := newCertsFixture(t)
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "p12"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(30 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p12, err := pkcs12.Modern.Encode(k, leaf, nil, "right-password")
	if err != nil {
		t.Fatal(err)
	}
	own := f.page() + "/new?type=own"
	r := f.c.postMultipart(own, f.page(), map[string]string{"type": "own", "name": "p12", "password": "wrong-password"}, "file", p12)
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantFieldMessage("password", "")
	if strings.Contains(r.Body, "wrong-password") {
		t.Fatal("the refused form shows the password again")
	}
	r = f.c.postMultipart(own, f.page(), map[string]string{"type": "own", "name": "p12", "password": "right-password"}, "file", p12)
	r.wantRedirect(f.page())
	found := false
	for _, c := range f.certs() {
		found = found || (c.Name == "p12" && c.Type == models.CertTypeOwn && c.ExpiresAt.Equal(leaf.NotAfter))
	}
	if !found {
		t.Fatalf("PKCS#12 certificate not stored as uploaded: %+v", f.certs())
	}
}

func TestPublicKeyDialog(t *testing.T) {
	f := newCertsFixture(t)
	cur := f.current()
	viewer, _ := f.viewer()
	r := viewer.get(f.page() + "/" + cur.ID + "/key").wantStatus(http.StatusOK)
	if !strings.HasPrefix(r.Doc.Find("#cert-pem").Text(), "-----BEGIN PUBLIC KEY-----") {
		t.Errorf("PEM = %q", r.Doc.Find("#cert-pem").Text())
	}
	var jwk map[string]any
	if err := json.Unmarshal([]byte(r.Doc.Find("#cert-jwk").Text()), &jwk); err != nil {
		t.Fatalf("JWK is not JSON: %v", err)
	}
	if jwk["kid"] != cur.ID || jwk["alg"] != "ES256" || jwk["d"] != nil {
		t.Errorf("JWK = %v", jwk)
	}
	if !r.has(`[data-copy="cert-pem"]`) || !r.has(`[data-copy="cert-jwk"]`) {
		t.Error("no Copy buttons")
	}
	if strings.Contains(r.Body, "PRIVATE KEY") {
		t.Error("the page shows a private key")
	}
	other := f.createDomain("Other", "other")
	f.c.get("/domains/" + other.ID + "/settings/certificates/" + cur.ID + "/key").wantNotFoundPage()
}

func TestRotateAndFallback(t *testing.T) {
	f := newCertsFixture(t)
	old := f.current()
	r := f.c.get(f.page() + "/rotate").wantStatus(http.StatusOK)
	if !strings.Contains(r.text("#dialog"), "10 minutes") {
		t.Errorf("the rotate dialog does not explain the delay: %q", r.text("#dialog"))
	}
	r = f.c.submit(f.page()+"/rotate", f.page()+"/rotate", url.Values{"algorithm": {"EdDSA"}})
	r.wantRedirect(f.page())
	cur := f.current()
	if cur.ID == old.ID || cur.Algorithm != "EdDSA" {
		t.Fatalf("after rotation current = %s %s", cur.ID, cur.Algorithm)
	}
	if got := f.c.get(f.page()).text(`tr[data-certificate-id="` + old.ID + `"] .cert-status`); got != "Renewed" {
		t.Errorf("old status = %q, want Renewed", got)
	}

	r = f.c.submit(f.page()+"/settings", f.page()+"/settings", url.Values{"fallbackCertificate": {old.ID}})
	r.wantRedirect(f.page())
	if !f.c.get(f.page()).has(`tr[data-certificate-id="` + old.ID + `"] .cert-fallback`) {
		t.Error("no Fallback badge")
	}
	r = f.c.submit(f.page()+"/settings", f.page()+"/settings", url.Values{"fallbackCertificate": {"no-such-certificate"}})
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantFieldMessage("fallbackCertificate", "Choose")
}

func TestRenameAndDeleteCertificate(t *testing.T) {
	f := newCertsFixture(t)
	cur := f.current()
	base := f.page() + "/" + cur.ID
	r := f.c.submit(base+"/rename", base+"/rename", url.Values{"name": {"main key"}})
	r.wantRedirect(f.page())
	r = f.c.submit(base+"/rename", base+"/rename", url.Values{"name": {"  "}})
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantFieldMessage("name", "")

	// The name must be typed exactly; the current one is refused by the guard.
	r = f.c.submit(base+"/delete", base+"/delete", url.Values{"confirm": {"main"}})
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantFieldMessage("confirm", "exactly")
	r = f.c.submit(base+"/delete", base+"/delete", url.Values{"confirm": {"main key"}})
	r.wantStatus(http.StatusBadRequest)
	if got := r.text("#delete-refused"); !strings.Contains(got, "current system certificate") {
		t.Errorf("refusal = %q", got)
	}

	// An own certificate used by an application is refused, naming it; once
	// free it is deleted.
	certPEM, keyPEM := selfSigned(t, time.Now().Add(90*24*time.Hour))
	own, err := f.store.CreateOwnCertificate(f.ctx, models.Actor{}, f.d.ID, models.OwnCertificateInput{Name: "partner", CertificatePEM: []byte(certPEM), PrivateKeyPEM: []byte(keyPEM)})
	if err != nil {
		t.Fatal(err)
	}
	a := f.createApp(f.d.ID, "Billing")
	if err := f.store.SetApplicationCertificate(f.ctx, models.Actor{}, a.ID, &own.ID); err != nil {
		t.Fatal(err)
	}
	pr := f.c.get(f.page())
	if got := pr.text(`tr[data-certificate-id="` + own.ID + `"] .cert-used-by summary`); got != "1 application" {
		t.Errorf("used by = %q", got)
	}
	if got := pr.attr(`tr[data-certificate-id="`+own.ID+`"] .cert-used-by a`, "href"); got != appBase(a)+"/secrets" {
		t.Errorf("used by links %q", got)
	}
	ob := f.page() + "/" + own.ID
	r = f.c.submit(ob+"/delete", ob+"/delete", url.Values{"confirm": {"partner"}})
	r.wantStatus(http.StatusBadRequest)
	if got := r.text("#delete-refused"); !strings.Contains(got, "Billing") {
		t.Errorf("refusal = %q", got)
	}
	if err := f.store.SetApplicationCertificate(f.ctx, models.Actor{}, a.ID, nil); err != nil {
		t.Fatal(err)
	}
	r = f.c.submit(ob+"/delete", ob+"/delete", url.Values{"confirm": {"partner"}})
	r.wantRedirect(f.page())
	if _, err := f.store.CertificateByID(f.ctx, f.d.ID, own.ID); err == nil {
		t.Fatal("certificate still stored")
	}
}

func TestCertificatesViewerReadOnlyAndCSRF(t *testing.T) {
	f := newCertsFixture(t)
	cur := f.current()
	viewer, _ := f.viewer()
	r := viewer.get(f.page()).wantStatus(http.StatusOK)
	if !r.has("#read-only-note") {
		t.Error("viewer sees no read-only note")
	}
	for _, sel := range []string{"#add-certificate", "#rotate-certificate", "#certificate-settings", "[data-action=rename]", "[data-action=delete]"} {
		if r.has(sel) {
			t.Errorf("viewer sees %s", sel)
		}
	}
	tok := viewer.csrfFrom("/account")
	base := f.page() + "/" + cur.ID
	for _, p := range []string{f.page(), f.page() + "/rotate", f.page() + "/settings", base + "/rename", base + "/delete"} {
		viewer.postRaw(p, url.Values{"_csrf": {tok}, "name": {"x"}, "confirm": {cur.Name}}).wantForbidden()
	}
	for _, p := range []string{f.page() + "/new", f.page() + "/rotate", f.page() + "/settings", base + "/rename", base + "/delete"} {
		viewer.get(p).wantForbidden()
	}
	a := f.createApp(f.d.ID, "Billing")
	viewer.postRaw(appBase(a)+"/certificate", url.Values{"_csrf": {tok}, "certificate": {cur.ID}}).wantForbidden()
	if r := viewer.get(appBase(a) + "/secrets"); r.has("#save-certificate") || !r.has("#app-cert-pem") {
		t.Error("viewer can change the application's certificate, or cannot see its key")
	}

	// An admin's change without the CSRF token is refused and changes nothing.
	if r := f.c.postRaw(f.page()+"/rotate", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("rotate without CSRF: %d", r.Status)
	}
	if r := f.c.postRaw(base+"/rename", url.Values{"name": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("rename without CSRF: %d", r.Status)
	}
	if r := f.c.postRaw(appBase(a)+"/certificate", url.Values{"certificate": {cur.ID}}); r.Status != http.StatusForbidden {
		t.Errorf("application certificate without CSRF: %d", r.Status)
	}
	if got := f.current(); got.ID != cur.ID || got.Name != cur.Name {
		t.Error("a request without CSRF changed a certificate")
	}
	if app, _ := f.store.ApplicationByID(f.ctx, f.d.ID, a.ID); app.CertificateID != nil {
		t.Error("a request without CSRF changed the application's certificate")
	}
}

func TestApplicationCertificateChoice(t *testing.T) {
	f := newCertsFixture(t)
	cur := f.current()
	a := f.createApp(f.d.ID, "Billing")
	tab := appBase(a) + "/secrets"
	r := f.c.get(tab).wantStatus(http.StatusOK)
	if got := r.attr("#f-certificate option[selected]", "value"); got != "" {
		t.Errorf("selected = %q, want Default", got)
	}
	if got := r.text("#signing-certificate .signing-name"); got != cur.Name {
		t.Errorf("signing = %q, want %q", got, cur.Name)
	}
	if r.has("#signing-warning") || !strings.HasPrefix(r.Doc.Find("#app-cert-pem").Text(), "-----BEGIN PUBLIC KEY-----") {
		t.Error("default choice: a warning, or no public key")
	}

	// Choose an own certificate; when it expires the tab warns and names
	// the certificate that signs instead.
	certPEM, keyPEM := selfSigned(t, time.Now().Add(2*time.Hour))
	own, err := f.store.CreateOwnCertificate(f.ctx, models.Actor{}, f.d.ID, models.OwnCertificateInput{Name: "partner", CertificatePEM: []byte(certPEM), PrivateKeyPEM: []byte(keyPEM)})
	if err != nil {
		t.Fatal(err)
	}
	r = f.c.submit(tab, appBase(a)+"/certificate", url.Values{"certificate": {own.ID}})
	r.wantRedirect(tab)
	r = f.c.get(tab)
	if got := r.attr("#f-certificate option[selected]", "value"); got != own.ID {
		t.Errorf("selected = %q, want %q", got, own.ID)
	}
	if got := r.text("#signing-certificate .signing-name"); got != "partner" {
		t.Errorf("signing = %q", got)
	}
	if app, _ := f.store.ApplicationByID(f.ctx, f.d.ID, a.ID); app.CertificateID == nil || *app.CertificateID != own.ID {
		t.Error("choice not stored")
	}
	realNow := f.store.Now
	f.store.Now = func() time.Time { return realNow().Add(3 * time.Hour) }
	r = f.c.get(tab)
	if got := r.text("#signing-warning"); !strings.Contains(got, "expired") {
		t.Errorf("warning = %q", got)
	}
	if got := r.text("#signing-certificate .signing-name"); got != cur.Name {
		t.Errorf("signing after expiry = %q, want %q", got, cur.Name)
	}
	f.store.Now = realNow

	r = f.c.submit(tab, appBase(a)+"/certificate", url.Values{"certificate": {"not-a-certificate"}})
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantFieldMessage("certificate", "Choose")
	r = f.c.submit(tab, appBase(a)+"/certificate", url.Values{"certificate": {""}})
	r.wantRedirect(tab)
	if app, _ := f.store.ApplicationByID(f.ctx, f.d.ID, a.ID); app.CertificateID != nil {
		t.Error("Default not stored")
	}
}
