package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"

	"latchkey/models"
	"latchkey/pki"
)

// TestClientCertificatesSection manages an application's client
// certificates in a real browser, at a laptop's and a phone's width: a PEM
// with its private key is refused in the dialog and nothing is saved; a PEM
// certificate uploaded as a file and a public JWK pasted both appear in the
// table (the thumbprint's Copy takes the whole value); one is deleted by
// typing its description; the token endpoint authentication methods are
// saved and shown after a reload; the page never gets wider than the
// viewport.
func TestClientCertificatesSection(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	tabPattern := regexp.QuoteMeta(f.tab)
	dir := t.TempDir()
	methods := map[int64]string{1280: "auth-both", 390: "auth-private-key-jwt"}
	wantMethods := map[int64][]string{
		1280: {models.AuthClientSecret, models.AuthPrivateKeyJWT},
		390:  {models.AuthPrivateKeyJWT},
	}

	for _, w := range widths {
		certDesc, jwkDesc := fmt.Sprintf("partner-acme-%d", w), fmt.Sprintf("partner-jwk-%d", w)
		certPEM, keyPEM := e2eCertificate(t)
		certFile := filepath.Join(dir, certDesc+".pem")
		if err := os.WriteFile(certFile, []byte(certPEM), 0o600); err != nil {
			t.Fatal(err)
		}
		before := len(storedClientCerts(t, f))

		setWidth(t, f.ctx, w)
		f.openTab(t)
		requireFitsWidth(t, f.ctx, fmt.Sprintf("the tab at %d px", w))

		// --- A PEM holding the private key is refused; nothing is saved. ---
		do(t, f.ctx, "open the upload dialog", chromedp.Click(chromedp.CSS("#upload-client-cert")))
		requireModalDialog(t, f.ctx, "the upload dialog", "Upload client certificate")
		do(t, f.ctx, "describe it", chromedp.SendKeys(chromedp.CSS("#f-description"), certDesc))
		do(t, f.ctx, "paste certificate and private key",
			chromedp.SetValue(chromedp.CSS("#f-clientCertificate"), certPEM+keyPEM))
		do(t, f.ctx, "upload", chromedp.Click(chromedp.CSS("#create-client-cert")))
		do(t, f.ctx, "wait for the refusal", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #e-clientCertificate")))
		expectPageError(t, f.ctx, "the refused upload", regexp.MustCompile(`/client-certificates: Failed to load resource: the server responded with a status of 422 `))
		requireModalDialog(t, f.ctx, "the upload dialog with the refusal", "Upload client certificate")
		requireText(t, f.ctx, "the refusal", "#e-clientCertificate", string(pki.ErrClientPrivateKey))
		requireFitsWidth(t, f.ctx, fmt.Sprintf("the refused upload at %d px", w))
		if n := len(storedClientCerts(t, f)); n != before {
			t.Fatalf("%d client certificates after the refusal, want %d", n, before)
		}

		// --- The certificate alone, as a file. ------------------------------
		do(t, f.ctx, "clear the pasted text", chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-clientCertificate").value = ""`))
		do(t, f.ctx, "choose the file", chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{certFile}))
		load(t, f.ctx, "upload the file", http.StatusOK, tabPattern, chromedp.Click(chromedp.CSS("#create-client-cert")))
		requireContains(t, f.ctx, "added message", ".flash-success", "Client certificate “"+certDesc+"” added.")

		// --- A public JWK, pasted. ------------------------------------------
		do(t, f.ctx, "open the upload dialog again", chromedp.Click(chromedp.CSS("#upload-client-cert")))
		requireModalDialog(t, f.ctx, "the upload dialog again", "Upload client certificate")
		do(t, f.ctx, "describe the JWK", chromedp.SendKeys(chromedp.CSS("#f-description"), jwkDesc))
		do(t, f.ctx, "paste the JWK", chromedp.SetValue(chromedp.CSS("#f-clientCertificate"), newPublicJWK(t, jwkDesc+"-kid")))
		requireFitsWidth(t, f.ctx, fmt.Sprintf("the upload dialog at %d px", w))
		requireInViewport(t, f.ctx, "the upload button on screen", "#create-client-cert")
		load(t, f.ctx, "upload the JWK", http.StatusOK, tabPattern, chromedp.Click(chromedp.CSS("#create-client-cert")))

		stored := storedClientCerts(t, f)
		if len(stored) != before+2 {
			t.Fatalf("%d client certificates stored, want %d", len(stored), before+2)
		}
		certCC, jwkCC := stored[len(stored)-2], stored[len(stored)-1]
		if certCC.Description != certDesc || certCC.Format != pki.FormatX509 || jwkCC.Description != jwkDesc || jwkCC.Format != pki.FormatJWK {
			t.Fatalf("stored %+v and %+v, want the certificate %q then the JWK %q", certCC, jwkCC, certDesc, jwkDesc)
		}
		rows := clientCertRows(t, f)
		for _, cc := range []models.ClientCertificate{certCC, jwkCC} {
			row, ok := rows[cc.ID]
			if !ok {
				t.Fatalf("no row for %q among %+v", cc.Description, rows)
			}
			want := clientCertRow{Description: cc.Description, KeyID: cc.KeyID, Algorithm: "ES256", LastUsed: "Never", CanDelete: true}
			if row != want {
				t.Errorf("row of %q = %+v, want %+v", cc.Description, row, want)
			}
		}
		requireFitsWidth(t, f.ctx, fmt.Sprintf("the table at %d px", w))

		// The shortened thumbprint copies whole.
		writeClipboard(t, f.ctx, "stale clipboard")
		do(t, f.ctx, "copy the thumbprint", chromedp.Click(chromedp.CSS("#copy-client-cert-x5t-"+certCC.ID)))
		waitFor(t, f.ctx, "wait for Copied", `document.querySelector("#copy-client-cert-x5t-`+certCC.ID+`").textContent === "Copied"`)
		if got := readClipboard(t, f.ctx); got != certCC.Thumbprint {
			t.Errorf("the clipboard holds %q, want the thumbprint %q", got, certCC.Thumbprint)
		}

		// --- Delete the JWK by typing its description. ----------------------
		rowSel := `#client-certs-table tr[data-client-cert-id="` + jwkCC.ID + `"]`
		do(t, f.ctx, "click Delete on the JWK", chromedp.Click(chromedp.CSS(rowSel+` [data-action=delete-client-cert]`)))
		requireModalDialog(t, f.ctx, "the delete dialog", "Delete “"+jwkDesc+"”?")
		if !isDisabled(t, f.ctx, "#confirm-delete") {
			t.Fatal("Delete is enabled before the description was typed")
		}
		do(t, f.ctx, "type the description", chromedp.SendKeys(chromedp.CSS("#f-confirm"), jwkDesc))
		do(t, f.ctx, "wait for Delete to be enabled", chromedp.WaitEnabled(chromedp.CSS("#confirm-delete")))
		requireInViewport(t, f.ctx, "the delete button on screen", "#confirm-delete")
		load(t, f.ctx, "delete the JWK", http.StatusOK, tabPattern, chromedp.Click(chromedp.CSS("#confirm-delete")))
		requireText(t, f.ctx, "deleted message", ".flash-success", "Client certificate “"+jwkDesc+"” deleted. It no longer authenticates.")
		requireAbsent(t, f.ctx, "the deleted row", rowSel)
		if _, err := f.srv.Store.ClientCertificateByID(t.Context(), f.app.ID, jwkCC.ID); err == nil {
			t.Fatal("the deleted client certificate is still stored")
		}

		// --- Token endpoint authentication, saved and shown after a reload.
		do(t, f.ctx, "choose "+methods[w], chromedp.Click(chromedp.CSS("#"+methods[w])))
		load(t, f.ctx, "save the methods", http.StatusOK, tabPattern, chromedp.Click(chromedp.CSS("#save-auth-methods")))
		requireContains(t, f.ctx, "saved message", ".flash-success", "Token endpoint authentication saved.")
		f.openTab(t)
		if !run(t, f.ctx, "read the radio", chromedp.Evaluate[bool](`document.querySelector("#`+methods[w]+`").checked`)) {
			t.Errorf("after a reload %s is not checked", methods[w])
		}
		a, err := f.srv.Store.ApplicationByID(t.Context(), f.domain.ID, f.app.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.AuthMethods(); fmt.Sprint(got) != fmt.Sprint(wantMethods[w]) {
			t.Errorf("stored methods %v, want %v", got, wantMethods[w])
		}
		requireFitsWidth(t, f.ctx, fmt.Sprintf("the tab after saving at %d px", w))
		saveScreenshot(t, f.ctx, fmt.Sprintf("client-certificates-%d", w))
	}
}

// clientCertRow is one row of #client-certs-table as the browser shows it.
type clientCertRow struct {
	Description string `json:"description"`
	KeyID       string `json:"keyId"` // in full, from the title
	Algorithm   string `json:"algorithm"`
	LastUsed    string `json:"lastUsed"`
	CanDelete   bool   `json:"canDelete"`
}

// clientCertRows reads the table's rows by client certificate id.
func clientCertRows(t *testing.T, f *consoleFixture) map[string]clientCertRow {
	t.Helper()
	return run(t, f.ctx, "read the client certificates table", chromedp.Evaluate[map[string]clientCertRow](`
		Object.fromEntries(Array.from(document.querySelectorAll("#client-certs-table tr[data-client-cert-id]")).map(tr => {
			const text = sel => (tr.querySelector(sel) || {innerText: "(missing)"}).innerText.trim();
			return [tr.dataset.clientCertId, {
				description: text(".client-cert-description"),
				keyId: (tr.querySelector(".client-cert-kid") || {title: "(missing)"}).title,
				algorithm: text(".client-cert-alg"),
				lastUsed: text(".client-cert-last-used"),
				canDelete: tr.querySelector("[data-action=delete-client-cert]") !== null,
			}];
		}))`))
}

func storedClientCerts(t *testing.T, f *consoleFixture) []models.ClientCertificate {
	t.Helper()
	list, err := f.srv.Store.ClientCertificates(t.Context(), f.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// newPublicJWK is a new P-256 public key as a JWK.
func newPublicJWK(t *testing.T, kid string) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
