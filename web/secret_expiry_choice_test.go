package web_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"latchkey/models"
)

// The console's New and Renew forms refuse, on the server, an expiry the
// policy does not allow even when the page offered none of it (a forced
// request): a preset beyond a 100-day policy, a date beyond it, "never"
// under a policy, an unknown choice. The dialog comes back with the message
// under the expiry, 422, and nothing is saved or renewed; a preset within
// the policy is stored as chosen.
func TestConsoleExpiryChoiceRefusedBeyondPolicy(t *testing.T) {
	f := newSecretsFixture(t)
	if _, _, err := f.store.UpdateDomainSecretPolicy(f.ctx, models.Actor{}, f.d.ID, models.ExpiryInput{Enabled: true, Unit: models.UnitDays, Duration: "100"}); err != nil {
		t.Fatal(err)
	}
	newPath := f.tab() + "/new"
	renewPath := secretAction(f.a, f.def.ID, "renew")
	late := time.Now().UTC().AddDate(0, 0, 120).Format("2006-01-02")
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"a preset beyond the policy", url.Values{"expiry": {"180"}}, "the longest the policy allows"},
		{"a date beyond the policy", url.Values{"expiry": {"date"}, "expiresOn": {late}}, "the longest the policy allows"},
		{"never under a policy", url.Values{"expiry": {"never"}}, "The policy requires an expiry"},
		{"an unknown choice", url.Values{"expiry": {"42"}}, "Choose one of the offered expiries."},
		{"a date that is no date", url.Values{"expiry": {"date"}, "expiresOn": {"soon"}}, "YYYY-MM-DD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.secrets(f.a.ID)
			create := url.Values{"description": {"forced"}}
			for k, v := range tc.form {
				create[k] = v
			}
			r := f.c.submit(newPath, f.tab(), create)
			r.wantStatus(http.StatusUnprocessableEntity)
			r.wantFieldMessage("expiresAt", tc.want)
			r2 := f.c.submit(renewPath, renewPath, tc.form)
			r2.wantStatus(http.StatusUnprocessableEntity)
			r2.wantFieldMessage("expiresAt", tc.want)
			if r.has("#secret-value") || r2.has("#secret-value") {
				t.Fatal("a refused expiry revealed a value")
			}
			after := f.secrets(f.a.ID)
			if len(after) != len(before) || after[0].Digest != before[0].Digest {
				t.Fatalf("a refused expiry changed the secrets: %d → %d, Default renewed %v", len(before), len(after), after[0].Digest != before[0].Digest)
			}
		})
	}
	start := time.Now()
	r := f.c.submit(newPath, f.tab(), url.Values{"description": {"quarterly"}, "expiry": {"90"}})
	r.wantStatus(http.StatusOK)
	for _, cs := range f.secrets(f.a.ID) {
		if cs.Description == "quarterly" {
			if cs.ExpiresAt == nil || cs.ExpiresAt.Sub(start.AddDate(0, 0, 90)).Abs() > time.Minute {
				t.Fatalf("90 days stored as %v", cs.ExpiresAt)
			}
			return
		}
	}
	t.Fatal("the 90-day secret was not stored")
}
