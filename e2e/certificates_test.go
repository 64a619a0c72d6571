package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"latchkey/models"
)

// TestCertificatesFlow manages a domain's certificates in a real browser:
// it opens the Certificates page from the domain's settings, adds system
// certificates (ES256, then RS256 3072) and uploads a PEM certificate and
// key through the htmx dialogs, rotates the system key to EdDSA, sets the
// uploaded certificate as fallback, is refused deleting it (fallback) and
// the current system certificate (typed name, guard's message in the
// dialog), deletes it once free, and chooses an application's certificate
// on its Secrets & Certificates tab. Each step is checked in the database.
func TestCertificatesFlow(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	const password = "correct-horse-battery-9"
	admin, err := srv.Store.CreateUser(t.Context(), models.Actor{}, models.NewUser{
		Email: "grace@example.com", Name: "Grace Hopper", Password: password, Role: models.RoleAdmin,
	})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	d, err := srv.Store.CreateDomain(t.Context(), models.Actor{}, models.DomainInput{Name: "Payments Team", Enabled: true, OwnerIDs: []string{admin.ID}})
	if err != nil {
		t.Fatalf("CreateDomain: %v", err)
	}
	a, _, err := srv.Store.CreateApplication(t.Context(), models.Actor{}, d.ID, models.ApplicationInput{Name: "Billing API", Type: models.AppTypeService, OwnerID: admin.ID})
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	page := "/domains/" + d.ID + "/settings/certificates"
	pagePattern := regexp.QuoteMeta(page)
	byName := func(name string) *models.CertificateInfo {
		t.Helper()
		cs, err := srv.Store.Certificates(t.Context(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range cs {
			if cs[i].Name == name {
				return &cs[i]
			}
		}
		return nil
	}
	current := func() *models.CertificateInfo {
		t.Helper()
		cs, err := srv.Store.Certificates(t.Context(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range cs {
			if cs[i].Current() {
				return &cs[i]
			}
		}
		t.Fatal("no current system certificate")
		return nil
	}
	row := func(id string) string { return `#certificates-table tr[data-certificate-id="` + id + `"]` }

	load(t, ctx, "open the login page", http.StatusOK, `/login`, chromedp.Navigate(srv.URL("/login")))
	do(t, ctx, "fill in the login form",
		chromedp.SendKeys(chromedp.CSS("#f-email"), admin.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password))
	load(t, ctx, "log in", http.StatusOK, `/domains`, chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	load(t, ctx, "open the domain", http.StatusOK, regexp.QuoteMeta("/domains/"+d.ID), chromedp.Navigate(srv.URL("/domains/"+d.ID)))
	load(t, ctx, "open its certificates", http.StatusOK, pagePattern, chromedp.Click(chromedp.CSS("#certificates-settings")))
	requireScriptsLoaded(t, ctx, "certificates page")
	first := current()
	requireText(t, ctx, "the first system certificate", row(first.ID)+" .cert-status", "Valid")

	// --- Add system certificates: ES256, then RS256 3072. ----------------
	addSystem := func(name, alg, bits string) *models.CertificateInfo {
		t.Helper()
		do(t, ctx, "click + Add certificate", chromedp.Click(chromedp.CSS("#add-certificate")))
		requireModalDialog(t, ctx, "the add dialog", "Add certificate")
		do(t, ctx, "fill in "+name,
			chromedp.SendKeys(chromedp.CSS("#f-name"), name),
			chromedp.SetValue(chromedp.CSS("#f-algorithm"), alg),
			chromedp.SetValue(chromedp.CSS("#f-keySize"), bits))
		load(t, ctx, "add "+name, http.StatusOK, pagePattern, chromedp.Click(chromedp.CSS("#create-certificate")))
		c := byName(name)
		if c == nil || c.Algorithm != alg || c.Type != models.CertTypeSystem || !c.Current() {
			t.Fatalf("after adding %s the store has %+v", name, c)
		}
		requireText(t, ctx, name+" listed", row(c.ID)+" .cert-alg", alg)
		requireText(t, ctx, name+" type", row(c.ID)+" .cert-type", "System")
		return c
	}
	addSystem("es-key", "ES256", "2048")
	rsa := addSystem("rsa-key", "RS256", "3072")
	requireText(t, ctx, "the superseded one is Renewed", row(first.ID)+" .cert-status", "Renewed")

	// --- Upload a PEM certificate and key (the other dialog tab). ---------
	certPEM, keyPEM := e2eCertificate(t)
	do(t, ctx, "click + Add certificate", chromedp.Click(chromedp.CSS("#add-certificate")))
	requireModalDialog(t, ctx, "the add dialog", "Add certificate")
	do(t, ctx, "switch to the upload form", chromedp.Click(chromedp.CSS("#choose-own")))
	do(t, ctx, "wait for the upload form", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #f-privateKey")))
	requireModalDialog(t, ctx, "the upload dialog", "Add certificate")
	do(t, ctx, "fill in the PEM upload",
		chromedp.SendKeys(chromedp.CSS("#f-name"), "partner"),
		chromedp.SetValue(chromedp.CSS("#f-certificate"), certPEM),
		chromedp.SetValue(chromedp.CSS("#f-privateKey"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	do(t, ctx, "upload a broken key", chromedp.Click(chromedp.CSS("#create-certificate")))
	do(t, ctx, "wait for the key's message", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #e-privateKey")))
	expectPageError(t, ctx, "the refused upload", regexp.MustCompile(`status of 422`))
	if byName("partner") != nil {
		t.Fatal("a broken key was stored")
	}
	if got := run(t, ctx, "read the key field", chromedp.Value(chromedp.CSS("#f-privateKey"))); got != "" {
		t.Fatalf("the refused form shows the private key again: %q", got)
	}
	do(t, ctx, "paste the real key", chromedp.SetValue(chromedp.CSS("#f-privateKey"), keyPEM))
	load(t, ctx, "upload the PEM certificate", http.StatusOK, pagePattern, chromedp.Click(chromedp.CSS("#create-certificate")))
	own := byName("partner")
	if own == nil || own.Type != models.CertTypeOwn || own.Algorithm != "ES256" {
		t.Fatalf("uploaded certificate = %+v", own)
	}
	requireText(t, ctx, "partner listed", row(own.ID)+" .cert-type", "Own")
	saveScreenshot(t, ctx, "certificates-01-table")

	// --- Rotate the system key to EdDSA. -----------------------------------
	do(t, ctx, "click Rotate system key", chromedp.Click(chromedp.CSS("#rotate-certificate")))
	requireModalDialog(t, ctx, "the rotate dialog", "Rotate system key")
	requireContains(t, ctx, "the delay explained", "dialog#dialog", "10 minutes")
	saveScreenshot(t, ctx, "certificates-02-rotate")
	do(t, ctx, "choose EdDSA", chromedp.SetValue(chromedp.CSS("#f-algorithm"), "EdDSA"))
	load(t, ctx, "rotate", http.StatusOK, pagePattern, chromedp.Click(chromedp.CSS("#confirm-rotate")))
	rotated := current()
	if rotated.Algorithm != "EdDSA" || rotated.ID == rsa.ID {
		t.Fatalf("after rotation the current certificate is %+v", rotated)
	}
	requireText(t, ctx, "rsa-key is Renewed", row(rsa.ID)+" .cert-status", "Renewed")

	// --- Set the fallback. ---------------------------------------------------
	do(t, ctx, "click Settings", chromedp.Click(chromedp.CSS("#certificate-settings")))
	requireModalDialog(t, ctx, "the settings dialog", "Certificate settings")
	do(t, ctx, "choose partner", chromedp.SetValue(chromedp.CSS("#f-fallbackCertificate"), own.ID))
	load(t, ctx, "save the fallback", http.StatusOK, pagePattern, chromedp.Click(chromedp.CSS("#save-certificate-settings")))
	requireText(t, ctx, "Fallback badge", row(own.ID)+" .cert-fallback", "Fallback")
	if dd, err := srv.Store.DomainByID(t.Context(), d.ID); err != nil || dd.FallbackCertificateID == nil || *dd.FallbackCertificateID != own.ID {
		t.Fatalf("fallback not stored: %v", err)
	}

	// --- Deletion: typed name, refused while in use. ---------------------
	tryDelete := func(c *models.CertificateInfo, wantRefusal string) {
		t.Helper()
		do(t, ctx, "click Delete on "+c.Name, chromedp.Click(chromedp.CSS(row(c.ID)+" [data-action=delete]")))
		requireModalDialog(t, ctx, "the delete dialog", "Delete “"+c.Name+"”?")
		do(t, ctx, "type a prefix", chromedp.SendKeys(chromedp.CSS("#f-confirm"), c.Name[:2]))
		if !isDisabled(t, ctx, "#confirm-delete") {
			t.Fatal("Delete is enabled for a prefix of the name")
		}
		do(t, ctx, "type the rest", chromedp.SendKeys(chromedp.CSS("#f-confirm"), c.Name[2:]))
		do(t, ctx, "wait for Delete", chromedp.WaitEnabled(chromedp.CSS("#confirm-delete")))
		if wantRefusal == "" {
			load(t, ctx, "delete "+c.Name, http.StatusOK, pagePattern, chromedp.Click(chromedp.CSS("#confirm-delete")))
			return
		}
		do(t, ctx, "delete "+c.Name, chromedp.Click(chromedp.CSS("#confirm-delete")))
		do(t, ctx, "wait for the refusal", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #delete-refused")))
		expectPageError(t, ctx, "the refused deletion", regexp.MustCompile(`status of 400`))
		requireContains(t, ctx, "the guard's message", "#delete-refused", wantRefusal)
		load(t, ctx, "close the dialog", http.StatusOK, pagePattern, chromedp.Navigate(srv.URL(page)))
	}
	tryDelete(own, "fallback")
	tryDelete(rotated, "current system certificate")
	if byName("partner") == nil || byName(rotated.Name) == nil {
		t.Fatal("a refused deletion deleted")
	}

	// --- The application's certificate choice. ----------------------------
	tab := "/domains/" + d.ID + "/applications/" + a.ID + "/secrets"
	load(t, ctx, "open the application's tab", http.StatusOK, regexp.QuoteMeta(tab), chromedp.Navigate(srv.URL(tab)))
	requireText(t, ctx, "signing by default", "#signing-certificate .signing-name", first.Name)
	do(t, ctx, "choose rsa-key", chromedp.SetValue(chromedp.CSS("#f-certificate"), rsa.ID))
	load(t, ctx, "save the choice", http.StatusOK, regexp.QuoteMeta(tab), chromedp.Click(chromedp.CSS("#save-certificate")))
	requireText(t, ctx, "signing with the choice", "#signing-certificate .signing-name", "rsa-key")
	saveScreenshot(t, ctx, "certificates-03-application")
	if app, err := srv.Store.ApplicationByID(t.Context(), d.ID, a.ID); err != nil || app.CertificateID == nil || *app.CertificateID != rsa.ID {
		t.Fatalf("the choice was not stored: %v", err)
	}
	keyText := run(t, ctx, "read the public key", chromedp.Value(chromedp.CSS("#app-cert-pem")))
	if !strings.HasPrefix(keyText, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("public key shown = %q", keyText)
	}
	do(t, ctx, "copy the PEM", chromedp.Click(chromedp.CSS("#copy-app-cert-pem")))
	waitFor(t, ctx, "wait for Copied", `document.querySelector("#copy-app-cert-pem").textContent.includes("Copied")`)
	if got := readClipboard(t, ctx); got != keyText {
		t.Fatalf("clipboard = %q, want the PEM", got)
	}

	// --- Free the uploaded certificate and delete it. ------------------
	load(t, ctx, "back to certificates", http.StatusOK, pagePattern, chromedp.Navigate(srv.URL(page)))
	do(t, ctx, "click Settings", chromedp.Click(chromedp.CSS("#certificate-settings")))
	requireModalDialog(t, ctx, "the settings dialog", "Certificate settings")
	do(t, ctx, "choose no fallback", chromedp.SetValue(chromedp.CSS("#f-fallbackCertificate"), ""))
	load(t, ctx, "save no fallback", http.StatusOK, pagePattern, chromedp.Click(chromedp.CSS("#save-certificate-settings")))
	tryDelete(own, "")
	if byName("partner") != nil {
		t.Fatal("the deleted certificate is still stored")
	}
	requireAbsent(t, ctx, "the deleted row", row(own.ID))
	requireNoPageErrors(t, ctx, "certificates flow")
}

// e2eCertificate makes a P-256 certificate valid for 90 days and its
// PKCS#8 key, both PEM.
func e2eCertificate(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	return e2eCertificateFor(t, 90*24*time.Hour)
}

// e2eCertificateFor is e2eCertificate valid for the given time from now.
func e2eCertificateFor(t *testing.T, valid time.Duration) (certPEM, keyPEM string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "partner"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(valid)}
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
