package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"latchkey/models"
)

// TestExpiryBanner (issue 18, item 15): an application's pages open with a
// banner while one of its secrets, client certificates or its signing
// certificate is expiring
// (the tables' "Expiring soon") or expired, saying which and when in
// reltime.go's words, expired first; "Renew now" opens the Renew dialog for
// that secret (in place on the Secrets tab, as a page from the Overview),
// and a certificate's button leads to what replaces it. A secret renewed
// leaves the banner. Viewers see the banner without the buttons.
func TestExpiryBanner(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	appPath := "/domains/" + f.domain.ID + "/applications/" + f.app.ID
	f.open(t, appPath)
	requireAbsent(t, ctx, "the banner while nothing expires", "#expiry-banner")

	// --- Arrange: Default expires in 5 days, "legacy" expired 2 hours ago,
	// "fresh" never expires; the chosen certificate expires in 10 days.
	secrets := secretsOf(t, f)
	def := secrets[0]
	soon := time.Now().Add(5*24*time.Hour + time.Hour)
	if err := f.srv.Store.SetSecretExpiry(t.Context(), def.ID, &soon); err != nil {
		t.Fatal(err)
	}
	legacy, err := f.srv.Store.CreateSecret(t.Context(), models.Actor{}, f.app.ID, "legacy")
	if err != nil {
		t.Fatal(err)
	}
	gone := time.Now().Add(-2 * time.Hour)
	if err := f.srv.Store.SetSecretExpiry(t.Context(), legacy.ID, &gone); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Store.CreateSecret(t.Context(), models.Actor{}, f.app.ID, "fresh"); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := e2eCertificateFor(t, 10*24*time.Hour)
	cert, err := f.srv.Store.CreateOwnCertificate(t.Context(), models.Actor{}, f.domain.ID, models.OwnCertificateInput{
		Name: "partner", CertificatePEM: []byte(certPEM), PrivateKeyPEM: []byte(keyPEM)})
	if err != nil {
		t.Fatalf("CreateOwnCertificate: %v", err)
	}
	if err := f.srv.Store.SetApplicationCertificate(t.Context(), models.Actor{}, f.app.ID, &cert.ID); err != nil {
		t.Fatalf("SetApplicationCertificate: %v", err)
	}
	// A client certificate expiring in 8 days is listed too.
	clientPEM, _ := e2eCertificateFor(t, 8*24*time.Hour)
	clientCert, err := f.srv.Store.AddClientCertificate(t.Context(), models.Actor{}, f.app.ID, models.ClientCertificateInput{
		Description: "partner key", Data: []byte(clientPEM)})
	if err != nil {
		t.Fatalf("AddClientCertificate: %v", err)
	}
	wantTexts := func() []string {
		now := time.Now()
		return []string{
			"Client secret “legacy” expired " + models.RelativeTime(gone, now),
			"Client secret “Default” expires " + models.RelativeTime(soon, now),
			"Client certificate “partner key” expires " + models.RelativeTime(*clientCert.ExpiresAt, now),
			"Certificate “partner”, which signs this application's tokens, expires " + models.RelativeTime(cert.ExpiresAt, now),
		}
	}
	alerts := `Array.from(document.querySelectorAll("#expiry-banner .expiry-alert")).map(li => li.textContent.replace(/\s+/g, " ").trim())`

	for _, w := range widths {
		setWidth(t, ctx, w)
		for _, path := range []string{appPath, f.tab} {
			step := fmt.Sprintf("%s at %d px", path, w)
			f.open(t, path)
			got := run(t, ctx, step+": read the banner", chromedp.Evaluate[[]string](alerts))
			want := wantTexts()
			if len(got) != len(want) {
				t.Fatalf("%s: the banner lists %q, want %d alerts like %q", step, got, len(want), want)
			}
			for i := range want {
				if !regexp.MustCompile("^" + regexp.QuoteMeta(want[i]) + ` \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)\.`).MatchString(got[i]) {
					t.Errorf("%s: alert %d reads %q, want it to start %q (with the exact time)", step, i, got[i], want[i])
				}
			}
			requireContains(t, ctx, step+": the title", "#expiry-banner-title", "Expired credentials")
			// The banner comes first, above the application's name.
			if !run(t, ctx, step+": banner above the heading", chromedp.Evaluate[bool](
				`!!(document.querySelector("#expiry-banner").compareDocumentPosition(document.querySelector("main h1")) & Node.DOCUMENT_POSITION_FOLLOWING)`)) {
				t.Errorf("%s: the banner is not above the application's heading", step)
			}
			certLink := run(t, ctx, step+": the certificate's action", chromedp.Evaluate[string](
				`document.querySelector('#expiry-banner [data-alert-kind=certificate] a').getAttribute("href")`))
			if certLink != "/domains/"+f.domain.ID+"/settings/certificates/new" {
				t.Errorf("%s: the uploaded certificate's action goes to %q, want the upload form", step, certLink)
			}
			clientLink := run(t, ctx, step+": the client certificate's action", chromedp.Evaluate[string](
				`document.querySelector('#expiry-banner [data-alert-kind=client_certificate] a').getAttribute("href")`))
			if clientLink != appPath+"/client-certificates/new" {
				t.Errorf("%s: the client certificate's action goes to %q, want its upload form", step, clientLink)
			}
			requireFitsWidth(t, ctx, step)
			requireNoPageErrors(t, ctx, step)
		}
	}
	saveScreenshot(t, ctx, "expiry-banner-390")

	// From the Secrets tab, "Renew now" opens the Renew dialog in place.
	setWidth(t, ctx, 1280)
	renewDefault := `#expiry-banner [data-alert-id="` + def.ID + `"] [data-action=banner-renew]`
	do(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.latchkeyTestMark = true`))
	do(t, ctx, "Renew now for Default", chromedp.Click(chromedp.CSS(renewDefault)))
	requireModalDialog(t, ctx, "the renew dialog from the banner", "Renew “Default”?")
	if !run(t, ctx, "read the mark", chromedp.Evaluate[bool](`window.latchkeyTestMark === true`)) {
		t.Error("Renew now on the Secrets tab reloaded the page; want the dialog in place")
	}
	pressEscape(t, ctx, "close the renew dialog")
	waitFor(t, ctx, "wait for the dialog to close", `!document.querySelector("dialog#dialog").open`)

	// From the Overview, it opens the same dialog as a page; renewing
	// "legacy" takes it out of the banner.
	f.open(t, appPath)
	renewLegacy := `#expiry-banner [data-alert-id="` + legacy.ID + `"] [data-action=banner-renew]`
	load(t, ctx, "Renew now for legacy", http.StatusOK, regexp.QuoteMeta(f.tab+"/"+legacy.ID+"/renew"), chromedp.Click(chromedp.CSS(renewLegacy)))
	requireModalDialog(t, ctx, "the renew page from the banner", "Renew “legacy”?")
	do(t, ctx, "renew", chromedp.Click(chromedp.CSS("#confirm-renew")))
	do(t, ctx, "wait for the new value", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #secret-value")))
	closeReveal(t, ctx, "close the reveal", regexp.QuoteMeta(f.tab))
	requireAbsent(t, ctx, "legacy in the banner after renewing", `#expiry-banner [data-alert-id="`+legacy.ID+`"]`)
	requireContains(t, ctx, "the title without expired credentials", "#expiry-banner-title", "Credentials expiring soon")

	// --- A viewer sees the banner without buttons. ------------------------
	const password = "correct-horse-battery-9"
	viewer, err := f.srv.Store.CreateUser(t.Context(), models.Actor{}, models.NewUser{
		Email: "vic@example.com", Name: "Vic Viewer", Password: password, Role: models.RoleViewer,
	})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	vctx := newBrowser(t)
	signInAs(t, f.srv, vctx, viewer.Email, password)
	for _, w := range widths {
		setWidth(t, vctx, w)
		for _, path := range []string{appPath, f.tab} {
			step := fmt.Sprintf("viewer, %s at %d px", path, w)
			load(t, vctx, step, http.StatusOK, regexp.QuoteMeta(path), chromedp.Navigate(f.srv.URL(path)))
			if n := run(t, vctx, step+": count alerts", chromedp.Evaluate[int](`document.querySelectorAll("#expiry-banner .expiry-alert").length`)); n != 3 {
				t.Errorf("%s: the viewer's banner lists %d alerts, want 3", step, n)
			}
			requireAbsent(t, vctx, step+": a button in the banner", "#expiry-banner a, #expiry-banner button")
			requireFitsWidth(t, vctx, step)
		}
	}
}
