package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"latchkey/models"
)

// TestExpiryChosenPerSecret (issue 18, item 12): the New and Renew dialogs
// offer the policy's expiry (the default, "Policy: 400 days"), Entra's
// presets (180 days recommended; those longer than the policy disabled with
// the reason) and a date; the server refuses a date beyond the policy with
// the message in the dialog and saves nothing; the reveal says when the new
// value expires. Without a policy "Never" is offered and is the default.
func TestExpiryChosenPerSecret(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	setPolicy := func(in models.ExpiryInput) {
		t.Helper()
		if _, _, err := f.srv.Store.UpdateDomainSecretPolicy(t.Context(), models.Actor{}, f.domain.ID, in); err != nil {
			t.Fatalf("UpdateDomainSecretPolicy: %v", err)
		}
	}
	setPolicy(models.ExpiryInput{Enabled: true, Unit: models.UnitDays, Duration: "400"})
	tabPattern := regexp.QuoteMeta(f.tab)

	for _, w := range widths {
		// --- New: the offer under a 400-day policy. ----------------------
		step := openNewSecretAt(t, f, w, "")
		requireContains(t, ctx, step+": the default", `label[for="expiry-policy"]`, "Policy: 400 days")
		if !run(t, ctx, "read the default", chromedp.Evaluate[bool](`document.querySelector("#expiry-policy").checked`)) {
			t.Errorf("%s: the policy's expiry is not the default", step)
		}
		requireContains(t, ctx, step+": the recommended preset", `label[for="expiry-180"]`, "recommended")
		for _, d := range []string{"90", "180", "365"} {
			if isDisabled(t, ctx, "#expiry-"+d) {
				t.Errorf("%s: the %s-day preset is disabled under a 400-day policy", step, d)
			}
		}
		for _, d := range []string{"545", "730"} {
			if !isDisabled(t, ctx, "#expiry-"+d) {
				t.Errorf("%s: the %s-day preset is offered beyond a 400-day policy", step, d)
			}
			requireContains(t, ctx, step+": why "+d+" is disabled", "#expiry-"+d+"-why", "Longer than the policy allows (400 days).")
		}
		requireAbsent(t, ctx, step+": Never under a policy", "#expiry-never")
		requireFitsWidth(t, ctx, step+": the new-secret dialog")
		saveScreenshot(t, ctx, "expiry-choice-new-"+strconv.FormatInt(w, 10))
		requireInViewport(t, ctx, step, "#create-secret")

		// A date beyond the policy: refused in the dialog, nothing saved.
		desc := "chosen-" + strconv.FormatInt(w, 10)
		before := len(secretsOf(t, f))
		tooLate := time.Now().UTC().AddDate(0, 0, 430).Format("2006-01-02")
		do(t, ctx, "type the description", chromedp.SendKeys(chromedp.CSS("#f-description"), desc))
		typeExpiryDate(t, ctx, "type a date beyond the policy", tooLate)
		if !run(t, ctx, "read the date radio", chromedp.Evaluate[bool](`document.querySelector("#expiry-date").checked`)) {
			t.Fatalf("%s: typing a date did not choose \"A date\"", step)
		}
		do(t, ctx, "create the secret", chromedp.Click(chromedp.CSS("#create-secret")))
		do(t, ctx, "wait for the refusal", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #e-expiresAt")))
		requireContains(t, ctx, step+": the refusal", "#e-expiresAt", "the longest the policy allows")
		expectPageError(t, ctx, step+": the refused expiry", regexp.MustCompile(`status of 422`))
		requireModalDialog(t, ctx, step+": the dialog after the refusal", "New client secret")
		if got := run(t, ctx, "read the kept date", chromedp.Value(chromedp.CSS("#f-expires-on"))); got != tooLate {
			t.Errorf("%s: the refused date reads %q after the refusal, want %q kept", step, got, tooLate)
		}
		if n := len(secretsOf(t, f)); n != before {
			t.Fatalf("%s: a refused expiry saved a secret (%d secrets, had %d)", step, n, before)
		}

		// The recommended preset: saved 180 days out, said in the reveal.
		do(t, ctx, "choose 180 days", chromedp.Click(chromedp.CSS("#expiry-180")))
		start := time.Now()
		do(t, ctx, "create the secret", chromedp.Click(chromedp.CSS("#create-secret")))
		do(t, ctx, "wait for the value", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #secret-value")))
		cs := storedSecret(t, f.srv, f.app.ID, desc)
		requireExpiresAround(t, step+": 180 days", cs.ExpiresAt, start.AddDate(0, 0, 180))
		requireContains(t, ctx, step+": the reveal's expiry", "#reveal-expiry", cs.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
		requireContains(t, ctx, step+": the reveal's countdown", "#reveal-expiry", models.RelativeTime(*cs.ExpiresAt, time.Now()))
		requireFitsWidth(t, ctx, step+": the reveal")
		closeReveal(t, ctx, step+": close the reveal", tabPattern)

		// --- Renew with a date within the policy. -----------------------
		do(t, ctx, "click Renew", chromedp.Click(chromedp.CSS(expiryRowSel(cs.ID)+` [data-action=renew]`)))
		requireModalDialog(t, ctx, "the renew dialog", "Renew “"+desc+"”?")
		if got := activeID(t, ctx); got != "cancel-dialog" {
			t.Errorf("%s: the renew dialog focuses %q, want Cancel", step, got)
		}
		requireContains(t, ctx, step+": the renew default", `label[for="expiry-policy"]`, "Policy: 400 days")
		if !isDisabled(t, ctx, "#expiry-730") {
			t.Errorf("%s: the renew dialog offers 730 days beyond the policy", step)
		}
		onDate := time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02")
		typeExpiryDate(t, ctx, "type a date within the policy", onDate)
		do(t, ctx, "confirm the renewal", chromedp.Click(chromedp.CSS("#confirm-renew")))
		do(t, ctx, "wait for the new value", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #secret-value")))
		renewed := storedSecret(t, f.srv, f.app.ID, desc)
		if renewed.Digest == cs.Digest {
			t.Fatalf("%s: the renewal kept the old value", step)
		}
		if got := renewed.ExpiresAt.UTC().Format("2006-01-02"); got != onDate {
			t.Errorf("%s: renewed to expire on %s, want the chosen %s", step, got, onDate)
		}
		requireContains(t, ctx, step+": the renewed reveal's expiry", "#reveal-expiry", renewed.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
		closeReveal(t, ctx, step+": close the renewed reveal", tabPattern)
		requireNoPageErrors(t, ctx, step)
	}

	// --- Without a policy: "Never" is offered and is the default. --------
	setPolicy(models.ExpiryInput{Enabled: false})
	for _, w := range widths {
		step := openNewSecretAt(t, f, w, "no policy, ")
		requireAbsent(t, ctx, step+": a policy choice", "#expiry-policy")
		if !run(t, ctx, "read Never", chromedp.Evaluate[bool](`document.querySelector("#expiry-never").checked`)) {
			t.Errorf("%s: Never is not the default", step)
		}
		for _, d := range models.ExpiryPresetDays {
			if isDisabled(t, ctx, "#expiry-"+strconv.Itoa(d)) {
				t.Errorf("%s: the %d-day preset is disabled without a policy", step, d)
			}
		}
		desc := "forever-" + strconv.FormatInt(w, 10)
		do(t, ctx, "type the description", chromedp.SendKeys(chromedp.CSS("#f-description"), desc))
		do(t, ctx, "create the secret", chromedp.Click(chromedp.CSS("#create-secret")))
		do(t, ctx, "wait for the value", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #secret-value")))
		if cs := storedSecret(t, f.srv, f.app.ID, desc); cs.ExpiresAt != nil {
			t.Errorf("%s: the default without a policy expires at %v, want never", step, cs.ExpiresAt)
		}
		requireText(t, ctx, step+": the reveal", "#reveal-expiry", "Never expires.")
		closeReveal(t, ctx, step+": close the reveal", tabPattern)
		// The secret table fills up: make room for the next width.
		if _, err := f.srv.Store.DeleteSecret(t.Context(), models.Actor{}, f.app.ID, storedSecret(t, f.srv, f.app.ID, desc).ID, nil); err != nil {
			t.Fatalf("DeleteSecret: %v", err)
		}
	}
}

// secretsOf lists the fixture application's secrets in the database.
func secretsOf(t *testing.T, f *consoleFixture) []models.ClientSecret {
	t.Helper()
	ss, err := f.srv.Store.Secrets(t.Context(), f.app.ID)
	if err != nil {
		t.Fatalf("Secrets: %v", err)
	}
	return ss
}

// requireExpiresAround fails unless at is within a minute of want.
func requireExpiresAround(t *testing.T, what string, at *time.Time, want time.Time) {
	t.Helper()
	if at == nil {
		t.Fatalf("%s: never expires, want about %v", what, want.UTC())
	}
	if d := at.Sub(want); d < -time.Minute || d > time.Minute {
		t.Errorf("%s: expires %v, want about %v", what, at.UTC(), want.UTC())
	}
}

// typeExpiryDate enters a date (YYYY-MM-DD) in the dialog's date input as
// typing does: the value changes and an input event follows.
func typeExpiryDate(t *testing.T, ctx context.Context, step, date string) {
	t.Helper()
	do(t, ctx, step, chromedp.Evaluate[chromedp.Void](`(el => {
		el.value = `+jsString(date)+`;
		el.dispatchEvent(new Event("input", {bubbles: true}));
	})(document.querySelector("#f-expires-on"))`))
}

// openNewSecretAt opens the tab at width w and its New dialog; it returns
// the step's name for messages.
func openNewSecretAt(t *testing.T, f *consoleFixture, w int64, prefix string) string {
	t.Helper()
	setWidth(t, f.ctx, w)
	f.openTab(t)
	do(t, f.ctx, `click "+ New client secret"`, chromedp.Click(chromedp.CSS("#new-secret")))
	requireModalDialog(t, f.ctx, "the new-secret dialog", "New client secret")
	return fmt.Sprintf("%sat %d px", prefix, w)
}
