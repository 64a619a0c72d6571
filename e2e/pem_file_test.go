package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"latchkey/models"
)

// TestPEMUploadFromFiles (issue 18): the PEM upload of a certificate need
// not be pasted: a file input under each textarea reads a PEM file into it.
// The inputs follow their textareas in the keyboard order, the filled text
// is what is sent, and the certificate is stored, at 1280 and 390 px.
func TestPEMUploadFromFiles(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	page := "/domains/" + f.domain.ID + "/settings/certificates"
	dir := t.TempDir()
	for _, w := range widths {
		setWidth(t, ctx, w)
		name := fmt.Sprintf("partner-%d", w)
		certPEM, keyPEM := e2eCertificateFor(t, 90*24*time.Hour)
		certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		if err := os.WriteFile(certFile, []byte(certPEM), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, []byte(keyPEM), 0o600); err != nil {
			t.Fatal(err)
		}
		f.open(t, page)
		requireFitsWidth(t, ctx, fmt.Sprintf("the certificates page at %d px", w))
		do(t, ctx, "click + Add certificate", chromedp.Click(chromedp.CSS("#add-certificate")))
		requireModalDialog(t, ctx, "the add dialog", "Add certificate")
		do(t, ctx, "switch to the upload form", chromedp.Click(chromedp.CSS("#choose-own")))
		do(t, ctx, "wait for the file inputs", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #f-privateKey-file")))
		requireModalDialog(t, ctx, "the upload dialog", "Add certificate")

		// Keyboard: Tab from each textarea reaches its file input.
		for _, field := range []string{"certificate", "privateKey"} {
			do(t, ctx, "focus the "+field+" text", chromedp.Focus(chromedp.CSS("#f-"+field)))
			do(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
			waitFor(t, ctx, "wait for the "+field+" file input's focus", `document.activeElement && document.activeElement.id === `+jsString("f-"+field+"-file"))
		}

		do(t, ctx, "name it", chromedp.SendKeys(chromedp.CSS("#f-name"), name))
		do(t, ctx, "choose the certificate file", chromedp.SetUploadFiles(chromedp.CSS("#f-certificate-file"), []string{certFile}))
		waitFor(t, ctx, "wait for the certificate text", `document.querySelector("#f-certificate").value.includes("BEGIN CERTIFICATE")`)
		do(t, ctx, "choose the key file", chromedp.SetUploadFiles(chromedp.CSS("#f-privateKey-file"), []string{keyFile}))
		waitFor(t, ctx, "wait for the key text", `document.querySelector("#f-privateKey").value.includes("PRIVATE KEY")`)
		if got := run(t, ctx, "read the certificate text", chromedp.Value(chromedp.CSS("#f-certificate"))); strings.TrimSpace(got) != strings.TrimSpace(certPEM) {
			t.Fatalf("the certificate textarea holds %q, want the file's text", got)
		}
		requireFitsWidth(t, ctx, fmt.Sprintf("the upload dialog at %d px", w))
		requireInViewport(t, ctx, "add", "#create-certificate")
		load(t, ctx, "upload", http.StatusOK, regexp.QuoteMeta(page), chromedp.Click(chromedp.CSS("#create-certificate")))
		cs, err := f.srv.Store.Certificates(t.Context(), f.domain.ID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range cs {
			found = found || (c.Name == name && c.Type == models.CertTypeOwn)
		}
		if !found {
			t.Fatalf("at %d px no own certificate %q was stored from the files", w, name)
		}
		requireNoPageErrors(t, ctx, "PEM files")
	}
}
