package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"latchkey/config"
	"latchkey/internal/testdb"
	"latchkey/models"
)

// Handler tests for expiry policies (issue 4): the domain's "Client Secrets
// Policies" page, the application's "Client Secrets Settings" dialog, their
// validation, the expiresAt of new and renewed secrets, the statuses and
// counts shown, the audit trail and viewers. The expiry computation itself
// is table-tested in models/expiry_test.go.

// --- Fixture and helpers -----------------------------------------------------

// expT0 is the fixed time the fixture's clock starts at.
var expT0 = time.Date(2026, time.November, 26, 12, 0, 0, 0, time.UTC)

// expFixture is a console with an administrator signed in, a domain
// "Acme" and an application "Billing" (with its Default secret), on a
// fixed clock.
type expFixture struct {
	*env
	c     *client
	admin *models.User
	clock *testdb.Clock
	d     *models.Domain
	a     *models.Application
	def   *models.NewSecret
}

func newExpFixture(t *testing.T, opts ...func(*config.Config)) *expFixture {
	t.Helper()
	e := newEnv(t, opts...)
	clock := testdb.NewClock(expT0)
	e.store.Now = clock.Now
	c, admin := e.admin()
	d := e.createDomain("Acme", "acme")
	a, def, err := e.store.CreateApplication(e.ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "Billing", Type: models.AppTypeService})
	if err != nil {
		t.Fatalf("create application: %v", err)
	}
	return &expFixture{env: e, c: c, admin: admin, clock: clock, d: d, a: a, def: def}
}

func expDomainPath(d *models.Domain) string { return "/domains/" + d.ID }

func expDomainSettingsPath(domainID string) string {
	return "/domains/" + domainID + "/settings/client-secrets"
}

func expTabPath(a *models.Application) string {
	return "/domains/" + a.DomainID + "/applications/" + a.ID + "/secrets"
}

func expAppSettingsPath(a *models.Application) string { return expTabPath(a) + "/settings" }

// storedDomainPolicy reloads a domain's stored policy.
func (e *env) storedDomainPolicy(id string) models.ExpiryPolicy {
	e.t.Helper()
	d, err := e.store.DomainByID(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return d.SecretPolicy()
}

// storedAppPolicy reloads an application's stored override.
func (e *env) storedAppPolicy(domainID, id string) models.ExpiryPolicy {
	e.t.Helper()
	a, err := e.store.ApplicationByID(e.ctx, domainID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a.SecretPolicy()
}

// setDomainPolicy stores a domain policy directly.
func (e *env) setDomainPolicy(id string, enabled bool, unit, duration string) {
	e.t.Helper()
	if _, _, err := e.store.UpdateDomainSecretPolicy(e.ctx, models.Actor{}, id, models.ExpiryInput{Enabled: enabled, Unit: unit, Duration: duration}); err != nil {
		e.t.Fatalf("set domain policy: %v", err)
	}
}

// setAppPolicy stores an application override directly (override false:
// use domain rules).
func (e *env) setAppPolicy(domainID, id string, override bool, unit, duration string) {
	e.t.Helper()
	if _, _, err := e.store.UpdateAppSecretPolicy(e.ctx, models.Actor{}, domainID, id, models.ExpiryInput{Enabled: override, Unit: unit, Duration: duration}); err != nil {
		e.t.Fatalf("set application policy: %v", err)
	}
}

// storedSecretExpiry reloads a secret's expiresAt.
func (e *env) storedSecretExpiry(appID, id string) *time.Time {
	e.t.Helper()
	cs, err := e.store.SecretByID(e.ctx, appID, id)
	if err != nil {
		e.t.Fatalf("load secret %s: %v", id, err)
	}
	return cs.ExpiresAt
}

// policyEvents lists the audit events of one type for a domain.
func (e *env) policyEvents(domainID, typ string) []models.AuditEvent {
	e.t.Helper()
	p, err := e.store.AuditEvents(e.ctx, models.AuditFilter{DomainID: domainID, Type: typ, PerPage: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Events
}

// wantExpiry checks an expiresAt: nil for never, otherwise exactly want.
func wantExpiry(t *testing.T, what string, got *time.Time, want *time.Time) {
	t.Helper()
	switch {
	case want == nil && got != nil:
		t.Fatalf("%s expires at %v, want never", what, got.UTC())
	case want != nil && got == nil:
		t.Fatalf("%s never expires, want %v", what, want.UTC())
	case want != nil && !got.Equal(*want):
		t.Fatalf("%s expires at %v, want %v", what, got.UTC(), want.UTC())
	}
}

func expAt(t time.Time) *time.Time { return &t }

// selectedUnit returns the selected option of the unit select.
func (r *response) selectedUnit() string {
	r.t.Helper()
	return r.attr("#f-unit option[selected]", "value")
}

// unitOptions lists the values of the unit select's options.
func (r *response) unitOptions() []string {
	r.t.Helper()
	var out []string
	for _, n := range r.Doc.Find("#f-unit option").Nodes {
		for _, a := range n.Attr {
			if a.Key == "value" {
				out = append(out, a.Val)
			}
		}
	}
	return out
}

// boxChecked reports whether the checkbox matching selector is checked.
func (r *response) boxChecked(selector string) bool {
	r.t.Helper()
	if !r.has(selector) {
		r.t.Fatalf("no %s on the page\n%s", selector, r.Body)
	}
	_, ok := r.Doc.Find(selector).First().Attr("checked")
	return ok
}

// wantPolicyForm checks what a policy form shows.
func (r *response) wantPolicyForm(checkbox string, checked bool, unit, duration string) {
	r.t.Helper()
	if got := r.boxChecked(checkbox); got != checked {
		r.t.Errorf("%s checked = %v, want %v", checkbox, got, checked)
	}
	if got := r.selectedUnit(); got != unit {
		r.t.Errorf("selected unit = %q, want %q", got, unit)
	}
	if got := r.attr("#f-duration", "value"); got != duration {
		r.t.Errorf("duration = %q, want %q", got, duration)
	}
}

// wantSettingsDialog checks that the page carries the open settings dialog.
func (r *response) wantSettingsDialog() {
	r.t.Helper()
	if !r.has("#dialog-slot > dialog#dialog[open]") {
		r.t.Fatalf("no open #dialog in #dialog-slot\n%s", r.Body)
	}
	if got := r.text("#dialog #dialog-title"); got != "Client Secrets Settings" {
		r.t.Fatalf("dialog title = %q, want %q", got, "Client Secrets Settings")
	}
	if !r.has("#dialog form #f-unit") || !r.has("#dialog form #f-duration") || !r.has("#dialog form #f-use-domain") {
		r.t.Fatalf("the settings dialog lacks its fields\n%s", r.Body)
	}
}

func sameStrings(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// --- Domain "Client Secrets Policies" --------------------------------------

func TestDomainSecretPolicyPage(t *testing.T) {
	f := newExpFixture(t)
	settings := expDomainSettingsPath(f.d.ID)

	// The domain page summarises the policy and links to its settings.
	page := f.c.get(expDomainPath(f.d)).wantStatus(http.StatusOK)
	if got := page.text("#domain-secret-policy .policy-summary"); got != "no expiry" {
		t.Errorf("policy summary = %q, want %q", got, "no expiry")
	}
	link := `#domain-secret-policy a[href="` + settings + `"]`
	if !page.has(link) {
		t.Fatalf("no link to %s on the domain page\n%s", settings, page.text("#domain-secret-policy"))
	}
	if got := page.text(link); got != "Client Secrets Settings" {
		t.Errorf("settings link text = %q", got)
	}

	// Never set: the form offers 3 MONTHS, switched off.
	form := f.c.get(settings).wantStatus(http.StatusOK)
	if got := form.text("main h1"); got != "Client Secrets Settings" {
		t.Errorf("heading = %q", got)
	}
	form.wantPolicyForm("#f-enabled", false, models.UnitMonths, "3")
	if got := form.attr("#f-enabled", "value"); got != "true" {
		t.Errorf("#f-enabled value = %q, want true", got)
	}
	if got := form.attr("#f-enabled", "data-shows"); got == "" || !form.has("#"+got+" #f-unit") || !form.has("#"+got+" #f-duration") {
		t.Errorf("the toggle's data-shows %q does not name the block holding unit and duration", got)
	}
	if got, want := form.unitOptions(), models.ExpiryUnits; !sameStrings(got, want) {
		t.Errorf("unit options = %v, want %v (no NONE for a domain)", got, want)
	}
	if got := form.attr(`main form[method=post]`, "action"); got != settings {
		t.Errorf("form action = %q, want %q", got, settings)
	}
	if !form.has(`main form button[type=submit]`) {
		t.Error("no Save button for an administrator")
	}
	if !strings.Contains(form.text("main"), "does not change existing secrets") {
		t.Error("the form does not say that existing secrets keep their expiry")
	}
	if !form.has(`main a[href="` + expDomainPath(f.d) + `"]`) {
		t.Error("no way back to the domain page")
	}

	// Saved values come back exactly as chosen.
	for _, tc := range []struct {
		unit, duration, summary string
	}{
		{models.UnitDays, "2", "expires after 2 days"},
		{models.UnitMonths, "3", "expires after 3 months"},
		{models.UnitYears, "1", "expires after 1 year"},
		{models.UnitWeeks, "52", "expires after 52 weeks"},
	} {
		r := f.c.submit(settings, settings, url.Values{"enabled": {"true"}, "unit": {tc.unit}, "duration": {tc.duration}})
		r.wantRedirect(expDomainPath(f.d))
		show := f.c.follow(r).wantStatus(http.StatusOK)
		if got := show.flash(); !strings.Contains(got, "Client secret policy saved") {
			t.Errorf("%s %s: flash = %q", tc.duration, tc.unit, got)
		}
		if got := show.text("#domain-secret-policy .policy-summary"); got != tc.summary {
			t.Errorf("%s %s: summary = %q, want %q", tc.duration, tc.unit, got, tc.summary)
		}
		f.c.get(settings).wantStatus(http.StatusOK).wantPolicyForm("#f-enabled", true, tc.unit, tc.duration)
		want := models.ExpiryPolicy{Enabled: true, Unit: tc.unit, Duration: atoiOr0(tc.duration)}
		if got := f.storedDomainPolicy(f.d.ID); got != want {
			t.Fatalf("stored policy = %+v, want %+v", got, want)
		}
	}

	// Switching expiry off keeps the last choice in the form.
	r := f.c.submit(settings, settings, url.Values{"unit": {models.UnitYears}, "duration": {"1"}})
	r.wantRedirect(expDomainPath(f.d))
	if got := f.c.follow(r).text("#domain-secret-policy .policy-summary"); got != "no expiry" {
		t.Errorf("summary after switching off = %q", got)
	}
	if got, want := f.storedDomainPolicy(f.d.ID), (models.ExpiryPolicy{Unit: models.UnitYears, Duration: 1}); got != want {
		t.Fatalf("stored policy after switching off = %+v, want %+v", got, want)
	}
	f.c.get(settings).wantStatus(http.StatusOK).wantPolicyForm("#f-enabled", false, models.UnitYears, "1")
}

func atoiOr0(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// --- Validation ----------------------------------------------------------------

type expBadInput struct {
	name, unit, duration string
	field, message       string
}

var expBadInputs = []expBadInput{
	{"zero", models.UnitDays, "0", "duration", "at least 1"},
	{"negative", models.UnitDays, "-1", "duration", "at least 1"},
	{"non-numeric", models.UnitDays, "abc", "duration", "whole number"},
	{"decimal", models.UnitDays, "1.5", "duration", "whole number"},
	{"empty", models.UnitDays, "", "duration", "Enter a duration"},
	{"beyond int64", models.UnitSeconds, "99999999999999999999", "duration", "too long"},
	{"negative beyond int64", models.UnitSeconds, "-99999999999999999999", "duration", "at least 1"},
	{"a million years", models.UnitYears, "1000000", "duration", "The duration must be at most 100 years."},
	{"a million months", models.UnitMonths, "1000000", "duration", "at most 1200 months (100 years)"},
	{"more than 100 years of seconds", models.UnitSeconds, "3155760001", "duration", "at most"},
	{"unknown unit", "FORTNIGHTS", "2", "unit", "Choose a unit"},
}

func TestDomainSecretPolicyValidation(t *testing.T) {
	f := newExpFixture(t)
	settings := expDomainSettingsPath(f.d.ID)
	f.setDomainPolicy(f.d.ID, true, models.UnitWeeks, "2")
	before := f.storedDomainPolicy(f.d.ID)

	cases := append([]expBadInput{}, expBadInputs...)
	cases = append(cases, expBadInput{"NONE is for applications only", models.UnitNone, "2", "unit", "Choose a unit"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.c.submit(settings, settings, url.Values{"enabled": {"true"}, "unit": {tc.unit}, "duration": {tc.duration}})
			r.wantStatus(http.StatusUnprocessableEntity)
			r.wantFieldError(tc.field, tc.message)
			other := map[string]string{"unit": "duration", "duration": "unit"}[tc.field]
			r.wantNoFieldError(other)
			if got := r.attr("#f-duration", "value"); got != tc.duration {
				t.Errorf("duration field = %q, want the typed %q kept", got, tc.duration)
			}
			if !r.boxChecked("#f-enabled") {
				t.Error("the toggle is unticked after the refusal")
			}
			if tc.field == "duration" {
				if got := r.selectedUnit(); got != tc.unit {
					t.Errorf("selected unit = %q, want the chosen %q kept", got, tc.unit)
				}
			}
			if !r.has(`main form button[type=submit]`) {
				t.Error("the refused form has no Save button to try again")
			}
			if got := f.storedDomainPolicy(f.d.ID); got != before {
				t.Fatalf("a refused form changed the policy: %+v, want %+v", got, before)
			}
		})
	}
	if evs := f.policyEvents(f.d.ID, models.EventDomainSecretSettingsUpdated); len(evs) != 0 {
		t.Errorf("refused forms were audited: %+v", evs)
	}
	// The page still shows the stored policy.
	f.c.get(settings).wantStatus(http.StatusOK).wantPolicyForm("#f-enabled", true, models.UnitWeeks, "2")
}

func TestAppSecretSettingsValidation(t *testing.T) {
	f := newExpFixture(t)
	dialog := expAppSettingsPath(f.a)
	f.setAppPolicy(f.d.ID, f.a.ID, true, models.UnitHours, "5")
	before := f.storedAppPolicy(f.d.ID, f.a.ID)

	for _, tc := range expBadInputs {
		t.Run(tc.name, func(t *testing.T) {
			// useDomainRules is left out: the override is being edited.
			r := f.c.submit(dialog, dialog, url.Values{"unit": {tc.unit}, "duration": {tc.duration}})
			r.wantStatus(http.StatusUnprocessableEntity)
			r.wantSettingsDialog()
			if !r.has("#dialog #e-" + tc.field) {
				t.Fatalf("#e-%s is not inside the dialog\n%s", tc.field, r.Body)
			}
			r.wantFieldError(tc.field, tc.message)
			other := map[string]string{"unit": "duration", "duration": "unit"}[tc.field]
			r.wantNoFieldError(other)
			if got := r.attr("#f-duration", "value"); got != tc.duration {
				t.Errorf("duration field = %q, want the typed %q kept", got, tc.duration)
			}
			if r.boxChecked("#f-use-domain") {
				t.Error(`"Use Domain Rules" is ticked again after the refusal`)
			}
			if tc.field == "duration" {
				if got := r.selectedUnit(); got != tc.unit {
					t.Errorf("selected unit = %q, want the chosen %q kept", got, tc.unit)
				}
			}
			if got := f.storedAppPolicy(f.d.ID, f.a.ID); got != before {
				t.Fatalf("a refused form changed the override: %+v, want %+v", got, before)
			}
		})
	}

	// Through htmx the refusal comes back as the dialog, with the same status.
	tok := f.c.csrfFrom(dialog)
	r := f.c.postRaw(dialog, url.Values{"_csrf": {tok}, "unit": {models.UnitDays}, "duration": {"0"}}, "HX-Request", "true")
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantSettingsDialog()
	r.wantFieldError("duration", "at least 1")

	if got := f.storedAppPolicy(f.d.ID, f.a.ID); got != before {
		t.Fatalf("override = %+v, want %+v", got, before)
	}
	if evs := f.policyEvents(f.d.ID, models.EventAppSecretSettingsUpdated); len(evs) != 0 {
		t.Errorf("refused forms were audited: %+v", evs)
	}
}

// --- Application "Client Secrets Settings" ---------------------------------

func TestAppSecretSettingsDialog(t *testing.T) {
	f := newExpFixture(t)
	dialog := expAppSettingsPath(f.a)
	tab := expTabPath(f.a)

	// The tab offers the dialog.
	page := f.c.get(tab).wantStatus(http.StatusOK)
	if !page.has(`a[href="` + dialog + `"]`) {
		t.Fatal("the secrets tab has no Settings link to the dialog")
	}

	// Defaults: Use Domain Rules, with the domain's current rule shown.
	r := f.c.get(dialog).wantStatus(http.StatusOK)
	r.wantSettingsDialog()
	if !r.boxChecked("#dialog #f-use-domain") {
		t.Error(`"Use Domain Rules" is not ticked by default`)
	}
	if got := r.attr("#f-use-domain", "value"); got != "true" {
		t.Errorf("#f-use-domain value = %q, want true", got)
	}
	if got := r.text("#dialog #domain-rule"); !strings.Contains(got, "no expiry") {
		t.Errorf("#domain-rule = %q, want the domain's rule (no expiry)", got)
	}
	if got, want := r.unitOptions(), append([]string{models.UnitNone}, models.ExpiryUnits...); !sameStrings(got, want) {
		t.Errorf("unit options = %v, want %v", got, want)
	}
	if got := r.attr(`#dialog a:contains("Edit domain rules")`, "href"); got != expDomainSettingsPath(f.d.ID) {
		t.Errorf(`"Edit domain rules" points at %q, want %q`, got, expDomainSettingsPath(f.d.ID))
	}
	text := r.text("#dialog")
	if !strings.Contains(text, "overrides the domain rules") {
		t.Errorf("no note that editing overrides the domain rules: %q", text)
	}
	if !strings.Contains(text, "existing secrets keep their expiry") {
		t.Errorf("no note that existing secrets keep their expiry: %q", text)
	}

	// The rule shown follows the domain's policy.
	f.setDomainPolicy(f.d.ID, true, models.UnitDays, "2")
	r = f.c.get(dialog).wantStatus(http.StatusOK)
	if got := r.text("#dialog #domain-rule"); !strings.Contains(got, "expires after 2 days") {
		t.Errorf("#domain-rule = %q, want it to show %q", got, "expires after 2 days")
	}

	for _, tc := range []struct {
		name         string
		form         url.Values
		want         models.ExpiryPolicy
		ticked       bool
		unit, amount string
	}{
		{"NONE", url.Values{"unit": {models.UnitNone}, "duration": {""}},
			models.ExpiryPolicy{Enabled: true, Unit: models.UnitNone}, false, models.UnitNone, ""},
		{"1 HOURS", url.Values{"unit": {models.UnitHours}, "duration": {"1"}},
			models.ExpiryPolicy{Enabled: true, Unit: models.UnitHours, Duration: 1}, false, models.UnitHours, "1"},
		// The hidden fields are still sent with the toggle ticked.
		{"use domain rules", url.Values{"useDomainRules": {"true"}, "unit": {models.UnitHours}, "duration": {"1"}},
			models.ExpiryPolicy{Unit: models.UnitHours, Duration: 1}, true, models.UnitHours, "1"},
		{"3 WEEKS", url.Values{"unit": {models.UnitWeeks}, "duration": {"3"}},
			models.ExpiryPolicy{Enabled: true, Unit: models.UnitWeeks, Duration: 3}, false, models.UnitWeeks, "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.c.submit(dialog, dialog, tc.form)
			r.wantRedirect(tab)
			if got := f.c.follow(r).wantStatus(http.StatusOK).flash(); !strings.Contains(got, "Client secret settings saved") {
				t.Errorf("flash = %q", got)
			}
			if got := f.storedAppPolicy(f.d.ID, f.a.ID); got != tc.want {
				t.Fatalf("stored override = %+v, want %+v", got, tc.want)
			}
			back := f.c.get(dialog).wantStatus(http.StatusOK)
			back.wantPolicyForm("#f-use-domain", tc.ticked, tc.unit, tc.amount)
		})
	}

	// With htmx, success redirects the whole page to the tab.
	tok := f.c.csrfFrom(dialog)
	r = f.c.postRaw(dialog, url.Values{"_csrf": {tok}, "useDomainRules": {"true"}}, "HX-Request", "true")
	r.wantStatus(http.StatusNoContent)
	if got := r.Header.Get("HX-Redirect"); got != tab {
		t.Errorf("HX-Redirect = %q, want %q", got, tab)
	}
	if got := f.storedAppPolicy(f.d.ID, f.a.ID); got.Enabled {
		t.Errorf("override after choosing domain rules through htmx = %+v, want off", got)
	}
}

// --- expiresAt of new and renewed secrets -------------------------------------

// expRow selects the table row of a secret.
func expRow(id string) string { return `#secrets-table tbody tr[data-secret-id="` + id + `"]` }

// createSecretUI creates a secret through the tab's dialog and returns it as
// stored.
func (f *expFixture) createSecretUI(description string) models.ClientSecret {
	f.t.Helper()
	tab := expTabPath(f.a)
	r := f.c.submit(tab, tab, url.Values{"description": {description}})
	r.wantStatus(http.StatusOK)
	if !r.has("#dialog #secret-value") {
		f.t.Fatalf("creating %q revealed no value\n%s", description, r.Body)
	}
	for _, cs := range f.expSecrets(f.a.ID) {
		if cs.Description == description {
			return cs
		}
	}
	f.t.Fatalf("secret %q was not stored", description)
	return models.ClientSecret{}
}

// renewSecretUI renews a secret through the tab's dialog.
func (f *expFixture) renewSecretUI(id string) {
	f.t.Helper()
	tab := expTabPath(f.a)
	r := f.c.submit(tab, tab+"/"+id+"/renew", nil)
	r.wantStatus(http.StatusOK)
	if !r.has("#dialog #secret-value") {
		f.t.Fatalf("renewing %s revealed no value\n%s", id, r.Body)
	}
}

func (e *env) expSecrets(appID string) []models.ClientSecret {
	e.t.Helper()
	ss, err := e.store.Secrets(e.ctx, appID)
	if err != nil {
		e.t.Fatal(err)
	}
	return ss
}

// wantExpiresCell checks the Expires cell of a secret's row: "Never", or a
// <time> with the exact RFC 3339 instant and a relative hint.
func (r *response) wantExpiresCell(id string, want *time.Time, hint string) {
	r.t.Helper()
	cell := expRow(id) + " .secret-expires"
	if !r.has(cell) {
		r.t.Fatalf("no %s\n%s", cell, r.Body)
	}
	if want == nil {
		if got := r.text(cell); got != "Never" {
			r.t.Errorf("Expires of %s = %q, want Never", id, got)
		}
		if r.has(cell + " time") {
			r.t.Errorf("Expires of %s has a <time> for a secret that never expires", id)
		}
		return
	}
	if got, w := r.attr(cell+" time", "datetime"), want.UTC().Format(time.RFC3339); got != w {
		r.t.Errorf("Expires of %s: datetime = %q, want %q", id, got, w)
	}
	if got := r.text(cell); !strings.Contains(got, hint) {
		r.t.Errorf("Expires of %s = %q, want the hint %q", id, got, hint)
	}
}

func TestSecretExpiryFollowsPolicies(t *testing.T) {
	f := newExpFixture(t)
	domainSettings := expDomainSettingsPath(f.d.ID)
	dialog := expAppSettingsPath(f.a)
	tab := expTabPath(f.a)
	wantExpiry(t, "the Default secret, created without a policy", f.def.ExpiresAt, nil)

	// The domain enables 2 DAYS: new secrets get it, the Default keeps never.
	f.c.submit(domainSettings, domainSettings, url.Values{"enabled": {"true"}, "unit": {"DAYS"}, "duration": {"2"}}).
		wantRedirect(expDomainPath(f.d))
	wantExpiry(t, "Default after the domain policy changed", f.storedSecretExpiry(f.a.ID, f.def.ID), nil)
	twoDays := f.createSecretUI("two-days")
	wantExpiry(t, "a secret created under 2 DAYS", twoDays.ExpiresAt, expAt(expT0.AddDate(0, 0, 2)))
	page := f.c.get(tab).wantStatus(http.StatusOK)
	page.wantExpiresCell(twoDays.ID, expAt(expT0.AddDate(0, 0, 2)), "in 2 days")
	page.wantExpiresCell(f.def.ID, nil, "")

	// An hour later the application overrides with NONE: a renewal never
	// expires, although the domain enables expiry.
	t1 := f.clock.Advance(time.Hour)
	f.c.submit(dialog, dialog, url.Values{"unit": {"NONE"}}).wantRedirect(tab)
	wantExpiry(t, "two-days after the application policy changed", f.storedSecretExpiry(f.a.ID, twoDays.ID), expAt(expT0.AddDate(0, 0, 2)))
	f.renewSecretUI(twoDays.ID)
	wantExpiry(t, "two-days renewed under NONE", f.storedSecretExpiry(f.a.ID, twoDays.ID), nil)
	none := f.createSecretUI("none")
	wantExpiry(t, "a secret created under NONE", none.ExpiresAt, nil)
	f.c.get(tab).wantStatus(http.StatusOK).wantExpiresCell(twoDays.ID, nil, "")

	// 1 HOURS: renewals and new secrets expire an hour after now.
	f.c.submit(dialog, dialog, url.Values{"unit": {"HOURS"}, "duration": {"1"}}).wantRedirect(tab)
	f.renewSecretUI(twoDays.ID)
	f.renewSecretUI(f.def.ID)
	hourly := f.createSecretUI("hourly")
	for _, id := range []string{twoDays.ID, f.def.ID, hourly.ID} {
		wantExpiry(t, "a secret created or renewed under 1 HOURS", f.storedSecretExpiry(f.a.ID, id), expAt(t1.Add(time.Hour)))
	}
	wantExpiry(t, "the NONE secret after the change", f.storedSecretExpiry(f.a.ID, none.ID), nil)
	page = f.c.get(tab).wantStatus(http.StatusOK)
	page.wantExpiresCell(hourly.ID, expAt(t1.Add(time.Hour)), "in 1 hour")
	page.wantExpiresCell(none.ID, nil, "")

	// Back to the domain rules, which meanwhile say 1 MONTHS: on 31 January
	// that is 3 March (Go's normalisation of "31 February").
	jan31 := time.Date(2027, time.January, 31, 9, 30, 0, 0, time.UTC)
	f.clock.Set(jan31)
	f.c.submit(domainSettings, domainSettings, url.Values{"enabled": {"true"}, "unit": {"MONTHS"}, "duration": {"1"}}).
		wantRedirect(expDomainPath(f.d))
	f.c.submit(dialog, dialog, url.Values{"useDomainRules": {"true"}, "unit": {"HOURS"}, "duration": {"1"}}).wantRedirect(tab)
	f.renewSecretUI(none.ID)
	wantExpiry(t, "none renewed under the domain's 1 MONTHS on 31 January", f.storedSecretExpiry(f.a.ID, none.ID),
		expAt(time.Date(2027, time.March, 3, 9, 30, 0, 0, time.UTC)))
	wantExpiry(t, "hourly, untouched", f.storedSecretExpiry(f.a.ID, hourly.ID), expAt(t1.Add(time.Hour)))

	// The domain switches expiry off: renewals never expire again.
	f.c.submit(domainSettings, domainSettings, url.Values{"unit": {"MONTHS"}, "duration": {"1"}}).
		wantRedirect(expDomainPath(f.d))
	f.renewSecretUI(hourly.ID)
	wantExpiry(t, "hourly renewed with the domain policy off", f.storedSecretExpiry(f.a.ID, hourly.ID), nil)
	wantExpiry(t, "none, untouched", f.storedSecretExpiry(f.a.ID, none.ID),
		expAt(time.Date(2027, time.March, 3, 9, 30, 0, 0, time.UTC)))
}

// --- Statuses and counts -----------------------------------------------------

// addSecretWith creates a secret directly under an application override.
func (f *expFixture) addSecretWith(a *models.Application, unit, duration, description string) *models.NewSecret {
	f.t.Helper()
	f.setAppPolicy(a.DomainID, a.ID, true, unit, duration)
	ns, err := f.store.CreateSecret(f.ctx, models.Actor{}, a.ID, description)
	if err != nil {
		f.t.Fatalf("create secret %q: %v", description, err)
	}
	return ns
}

func TestSecretStatusesAndCounts(t *testing.T) {
	f := newExpFixture(t)
	other := f.createApp(f.d.ID, "Reports")
	elsewhere := f.createDomain("Elsewhere", "elsewhere")
	foreign := f.createApp(elsewhere.ID, "Foreign")
	quiet := f.createDomain("Quiet", "quiet")

	short := f.addSecretWith(f.a, "SECONDS", "1", "short")
	twenty := f.addSecretWith(f.a, "DAYS", "20", "twenty-days")
	threeWeeks := f.addSecretWith(f.a, "DAYS", "21", "three-weeks")
	f.addSecretWith(other, "SECONDS", "1", "other-short")
	f.addSecretWith(other, "YEARS", "1", "other-long")
	f.addSecretWith(foreign, "SECONDS", "1", "foreign-short")
	f.addSecretWith(foreign, "DAYS", "1", "foreign-soon")

	// Three hours later "short" has expired; "twenty-days" is within the
	// 20-day window, "three-weeks" is not.
	f.clock.Set(expT0.Add(3 * time.Hour))
	page := f.c.get(expTabPath(f.a)).wantStatus(http.StatusOK)
	for _, tc := range []struct {
		id, status, class string
		expires           *time.Time
		hint              string
	}{
		{short.ID, "Expired", "badge-red", expAt(expT0.Add(time.Second)), "3 hours ago"},
		{twenty.ID, "Expiring soon", "badge-amber", expAt(expT0.AddDate(0, 0, 20)), "in 19 days 21 hours"},
		{threeWeeks.ID, "Active", "badge-green", expAt(expT0.AddDate(0, 0, 21)), "in 20 days 21 hours"},
		{f.def.ID, "Active", "badge-green", nil, ""},
	} {
		sel := expRow(tc.id) + " .secret-status"
		if got := page.text(sel); got != tc.status {
			t.Errorf("status of %s = %q, want %q", tc.id, got, tc.status)
		}
		if !page.has(sel + "." + tc.class) {
			t.Errorf("status %q of %s is not coloured %s: class %q", tc.status, tc.id, tc.class, page.attr(sel, "class"))
		}
		page.wantExpiresCell(tc.id, tc.expires, tc.hint)
	}
	// Expired secrets stay listed, and can still be renewed or deleted.
	for _, action := range []string{"renew", "delete"} {
		if !page.has(expRow(short.ID) + ` [data-action="` + action + `"]`) {
			t.Errorf("the expired secret offers no %s", action)
		}
	}

	wantCounts := func(path string, want ...string) {
		t.Helper()
		r := f.c.get(path).wantStatus(http.StatusOK)
		got := r.text(".expiry-counts")
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: counts = %q, want %q", path, got, w)
			}
		}
		for _, bad := range []string{"expiring soon", "expired", "No secrets expiring"} {
			mentioned := false
			for _, w := range want {
				mentioned = mentioned || strings.Contains(w, bad)
			}
			if !mentioned && strings.Contains(got, bad) {
				t.Errorf("%s: counts = %q, want no %q", path, got, bad)
			}
		}
	}
	appBasePath := "/domains/" + f.d.ID + "/applications/"
	wantCounts(appBasePath+f.a.ID, "1 secret expiring soon", "1 secret expired")
	wantCounts(expTabPath(f.a), "1 secret expiring soon", "1 secret expired")
	wantCounts(appBasePath+other.ID, "1 secret expired")
	wantCounts(expDomainPath(f.d), "1 secret expiring soon", "2 secrets expired")
	wantCounts(expDomainSettingsPath(f.d.ID), "1 secret expiring soon", "2 secrets expired")
	wantCounts("/domains/"+elsewhere.ID, "1 secret expiring soon", "1 secret expired")
	wantCounts("/domains/"+quiet.ID, "No secrets expiring")

	// At the moment of expiry a secret counts as expired.
	f.clock.Set(expT0.AddDate(0, 0, 20))
	page = f.c.get(expTabPath(f.a)).wantStatus(http.StatusOK)
	if got := page.text(expRow(twenty.ID) + " .secret-status"); got != "Expired" {
		t.Errorf("status at the expiry instant = %q, want Expired", got)
	}
	if got := page.text(expRow(threeWeeks.ID) + " .secret-status"); got != "Expiring soon" {
		t.Errorf("status a day before expiry = %q, want Expiring soon", got)
	}
	wantCounts(appBasePath+f.a.ID, "1 secret expiring soon", "2 secrets expired")
}

// The "expiring soon" window is the first notification threshold of the
// configuration, not a fixed 20 days.
func TestExpiringSoonWindowFromConfig(t *testing.T) {
	f := newExpFixture(t, func(c *config.Config) {
		c.Services.Notifier.ClientSecret.ExpiryThresholds = "1,5"
	})
	inTen := f.addSecretWith(f.a, "DAYS", "10", "ten-days")
	inFour := f.addSecretWith(f.a, "DAYS", "4", "four-days")
	page := f.c.get(expTabPath(f.a)).wantStatus(http.StatusOK)
	if got := page.text(expRow(inTen.ID) + " .secret-status"); got != "Active" {
		t.Errorf("a secret expiring in 10 days with a 5-day threshold is %q, want Active", got)
	}
	if got := page.text(expRow(inFour.ID) + " .secret-status"); got != "Expiring soon" {
		t.Errorf("a secret expiring in 4 days with a 5-day threshold is %q, want Expiring soon", got)
	}
	if got := page.text(".expiry-counts"); !strings.Contains(got, "1 secret expiring soon") {
		t.Errorf("counts = %q, want 1 secret expiring soon", got)
	}
}

// --- Audit -----------------------------------------------------------------------

func TestExpiryPolicyChangesAreAudited(t *testing.T) {
	f := newExpFixture(t)
	settings := expDomainSettingsPath(f.d.ID)
	dialog := expAppSettingsPath(f.a)

	for _, form := range []url.Values{
		{"enabled": {"true"}, "unit": {"DAYS"}, "duration": {"2"}},
		{"enabled": {"true"}, "unit": {"YEARS"}, "duration": {"1"}},
		{"unit": {"YEARS"}, "duration": {"1"}},
	} {
		f.clock.Advance(time.Minute) // events are listed newest first
		f.c.submit(settings, settings, form).wantRedirect(expDomainPath(f.d))
	}
	evs := f.policyEvents(f.d.ID, models.EventDomainSecretSettingsUpdated)
	wantDetails := []string{ // newest first
		"expires after 1 year → no expiry",
		"expires after 2 days → expires after 1 year",
		"no expiry → expires after 2 days",
	}
	if len(evs) != len(wantDetails) {
		t.Fatalf("%d domain policy events, want %d: %+v", len(evs), len(wantDetails), evs)
	}
	for i, ev := range evs {
		if ev.Detail != wantDetails[i] {
			t.Errorf("domain event %d Detail = %q, want %q", i, ev.Detail, wantDetails[i])
		}
		if ev.ActorEmail != f.admin.Email || ev.ActorID != f.admin.ID {
			t.Errorf("domain event %d actor = %q (%s), want %q", i, ev.ActorEmail, ev.ActorID, f.admin.Email)
		}
		if ev.TargetID != f.d.ID || ev.TargetName != f.d.Name || ev.Outcome != models.OutcomeSuccess {
			t.Errorf("domain event %d = %+v, want target %s %q and SUCCESS", i, ev, f.d.ID, f.d.Name)
		}
	}

	tab := expTabPath(f.a)
	for _, form := range []url.Values{
		{"unit": {"NONE"}},
		{"unit": {"HOURS"}, "duration": {"1"}},
		{"useDomainRules": {"true"}, "unit": {"HOURS"}, "duration": {"1"}},
	} {
		f.clock.Advance(time.Minute)
		f.c.submit(dialog, dialog, form).wantRedirect(tab)
	}
	evs = f.policyEvents(f.d.ID, models.EventAppSecretSettingsUpdated)
	wantDetails = []string{
		"expires after 1 hour → use domain rules",
		"never expires → expires after 1 hour",
		"use domain rules → never expires",
	}
	if len(evs) != len(wantDetails) {
		t.Fatalf("%d application policy events, want %d: %+v", len(evs), len(wantDetails), evs)
	}
	for i, ev := range evs {
		if ev.Detail != wantDetails[i] {
			t.Errorf("application event %d Detail = %q, want %q", i, ev.Detail, wantDetails[i])
		}
		if ev.ActorEmail != f.admin.Email {
			t.Errorf("application event %d actor = %q, want %q", i, ev.ActorEmail, f.admin.Email)
		}
		if ev.ApplicationID != f.a.ID || ev.TargetID != f.a.ID || ev.TargetName != f.a.Name || ev.Outcome != models.OutcomeSuccess {
			t.Errorf("application event %d = %+v, want application %s %q and SUCCESS", i, ev, f.a.ID, f.a.Name)
		}
	}

	// The audit page shows the change.
	audit := f.c.get("/audit?type=" + models.EventAppSecretSettingsUpdated).wantStatus(http.StatusOK)
	if body := audit.text("main"); !strings.Contains(body, "use domain rules → never expires") {
		t.Errorf("the audit page does not show the change: %q", body)
	}
}

// --- Viewers and unknown ids -------------------------------------------------

func TestExpirySettingsViewer(t *testing.T) {
	f := newExpFixture(t)
	f.setDomainPolicy(f.d.ID, true, models.UnitDays, "2")
	f.setAppPolicy(f.d.ID, f.a.ID, true, models.UnitHours, "1")
	v, _ := f.viewer()
	settings := expDomainSettingsPath(f.d.ID)
	dialog := expAppSettingsPath(f.a)
	domainBefore, appBefore := f.storedDomainPolicy(f.d.ID), f.storedAppPolicy(f.d.ID, f.a.ID)

	// The domain page and the settings page are readable, without Save.
	show := v.get(expDomainPath(f.d)).wantStatus(http.StatusOK)
	if got := show.text("#domain-secret-policy .policy-summary"); got != "expires after 2 days" {
		t.Errorf("viewer sees policy summary %q", got)
	}
	// Viewers see each setting as text with a "read only" note, and nothing
	// that looks editable (issue 18 item 8).
	page := v.get(settings).wantStatus(http.StatusOK)
	if got := page.text("#policy-read-only .policy-read-only-value"); got != "expires after 2 days" {
		t.Errorf("viewer sees the domain policy as %q", got)
	}
	if !strings.Contains(page.text("#read-only-note"), "read only") {
		t.Errorf("no read-only note for a viewer: %q", page.text("#read-only-note"))
	}
	for _, sel := range []string{"main form", "main input", "main select", `main button[type=submit]`} {
		if page.has(sel) {
			t.Errorf("a viewer sees %s on the domain policy page", sel)
		}
	}
	// The application's override is readable too, as text.
	if !v.get(expTabPath(f.a)).wantStatus(http.StatusOK).has(`a[href="` + dialog + `"]`) {
		t.Error("a viewer does not see the Settings link of the secrets tab")
	}
	d := v.get(dialog).wantStatus(http.StatusOK)
	if got := d.text("#dialog .policy-read-only-value"); got != "Overrides the domain rules: expires after 1 hour" {
		t.Errorf("viewer sees the application override as %q", got)
	}
	for _, sel := range []string{"#dialog form", "#dialog input", "#dialog select"} {
		if d.has(sel) {
			t.Errorf("a viewer sees %s in the settings dialog", sel)
		}
	}

	for _, w := range []struct {
		name, path string
		form       url.Values
	}{
		{"domain policy", settings, url.Values{"enabled": {"true"}, "unit": {"YEARS"}, "duration": {"1"}}},
		{"domain policy off", settings, url.Values{}},
		{"application override", dialog, url.Values{"unit": {"NONE"}}},
		{"application uses domain rules", dialog, url.Values{"useDomainRules": {"true"}}},
	} {
		t.Run(w.name, func(t *testing.T) {
			r := v.submit(settings, w.path, w.form)
			r.wantForbidden()
			if got := f.storedDomainPolicy(f.d.ID); got != domainBefore {
				t.Fatalf("a viewer changed the domain policy to %+v", got)
			}
			if got := f.storedAppPolicy(f.d.ID, f.a.ID); got != appBefore {
				t.Fatalf("a viewer changed the application override to %+v", got)
			}
		})
	}
	for _, typ := range []string{models.EventDomainSecretSettingsUpdated, models.EventAppSecretSettingsUpdated} {
		if evs := f.policyEvents(f.d.ID, typ); len(evs) != 0 {
			t.Errorf("refused viewer requests were audited as %s: %+v", typ, evs)
		}
	}
}

func TestExpirySettingsUnknownIDs(t *testing.T) {
	f := newExpFixture(t)
	elsewhere := f.createDomain("Elsewhere", "elsewhere")
	foreign := f.createApp(elsewhere.ID, "Foreign")
	tok := f.c.csrfFrom(expDomainSettingsPath(f.d.ID))
	// An application reached through another domain's path is not found.
	crossed := "/domains/" + f.d.ID + "/applications/" + foreign.ID + "/secrets/settings"
	for _, p := range []string{"/domains/no-such-domain/settings/client-secrets", crossed} {
		f.c.get(p).wantNotFoundPage()
		f.c.postRaw(p, url.Values{"_csrf": {tok}, "enabled": {"true"}, "unit": {"DAYS"}, "duration": {"2"}}).wantNotFoundPage()
	}
	if got := f.storedAppPolicy(elsewhere.ID, foreign.ID); got.Enabled {
		t.Errorf("a crossed path changed another domain's application: %+v", got)
	}
}
