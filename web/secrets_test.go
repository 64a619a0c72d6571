package web_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"latchkey/config"
	"latchkey/internal/testdb"
	"latchkey/models"
)

// Handler tests for the Secrets & Certificates tab (issue 3): every dialog
// step, as a plain page (no JavaScript) and as an htmx request, the rules'
// messages inside the dialog, unknown and foreign ids, viewers, CSRF, the
// audit trail, and that a secret value is shown once and never logged.

// --- Fixture and helpers -----------------------------------------------------

// secretsFixture is a console with an administrator signed in, a domain and
// an application whose "Default" secret value is known.
type secretsFixture struct {
	*env
	c     *client
	admin *models.User
	d     *models.Domain
	a     *models.Application
	// def is the application's first secret, with its value.
	def *models.NewSecret
}

func newSecretsFixture(t *testing.T, opts ...func(*config.Config)) *secretsFixture {
	t.Helper()
	e := newEnv(t, opts...)
	// web.New does not copy applications.secretsMax into the store (only
	// cmd/latchkey serve does), so apply the configured limit here.
	e.store.SecretsMax = e.cfg.Applications.SecretsMax
	c, admin := e.admin()
	d := e.createDomain("Acme", "acme")
	a, first, err := e.store.CreateApplication(e.ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "Billing", Type: models.AppTypeService})
	if err != nil {
		t.Fatalf("create application: %v", err)
	}
	return &secretsFixture{env: e, c: c, admin: admin, d: d, a: a, def: first}
}

func appBase(a *models.Application) string {
	return "/domains/" + a.DomainID + "/applications/" + a.ID
}

func secretsTab(a *models.Application) string { return appBase(a) + "/secrets" }

func secretAction(a *models.Application, secretID, action string) string {
	return secretsTab(a) + "/" + secretID + "/" + action
}

func (f *secretsFixture) tab() string { return secretsTab(f.a) }

// secrets returns an application's stored secrets, oldest first.
func (e *env) secrets(appID string) []models.ClientSecret {
	e.t.Helper()
	ss, err := e.store.Secrets(e.ctx, appID)
	if err != nil {
		e.t.Fatal(err)
	}
	return ss
}

// descriptions lists the descriptions of an application's secrets.
func (e *env) descriptions(appID string) []string {
	e.t.Helper()
	var out []string
	for _, s := range e.secrets(appID) {
		out = append(out, s.Description)
	}
	return out
}

// secret reloads one secret of an application; nil when it is gone.
func (e *env) secret(appID, id string) *models.ClientSecret {
	e.t.Helper()
	cs, err := e.store.SecretByID(e.ctx, appID, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

// addSecret stores a secret directly, bypassing the console.
func (e *env) addSecret(appID, description string) *models.NewSecret {
	e.t.Helper()
	ns, err := e.store.CreateSecret(e.ctx, models.Actor{}, appID, description)
	if err != nil {
		e.t.Fatalf("create secret %q: %v", description, err)
	}
	return ns
}

// auditEvents lists the events of one type for an application.
func (e *env) auditEvents(appID, typ string) []models.AuditEvent {
	e.t.Helper()
	p, err := e.store.AuditEvents(e.ctx, models.AuditFilter{ApplicationID: appID, Type: typ, PerPage: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Events
}

// getWith fetches a path with extra headers as name, value pairs.
func (c *client) getWith(path string, headers ...string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.url(path), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// hxSubmit posts a form as htmx does from a page: with the page's CSRF
// token and HX-Request: true.
func (c *client) hxSubmit(formPage, action string, form url.Values) *response {
	c.t.Helper()
	tok := c.csrfFrom(formPage)
	f := url.Values{"_csrf": {tok}}
	for k, v := range form {
		f[k] = v
	}
	return c.postRaw(action, f, "HX-Request", "true")
}

// wantDialog checks that the page carries one open dialog in the dialog
// slot (what htmx selects with hx-select="#dialog"), and returns its text.
func (r *response) wantDialog() string {
	r.t.Helper()
	if r.Doc == nil {
		r.t.Fatalf("not an HTML page:\n%s", r.Body)
	}
	if n := r.Doc.Find("#dialog").Length(); n != 1 {
		r.t.Fatalf("%d #dialog elements, want 1\n%s", n, r.Body)
	}
	if !r.has("#dialog-slot > dialog#dialog[open]") {
		r.t.Fatalf("#dialog is not an open <dialog> inside #dialog-slot\n%s", r.Body)
	}
	return r.text("#dialog")
}

// wantNoDialog checks that no dialog is open.
func (r *response) wantNoDialog() {
	r.t.Helper()
	if r.has("#dialog") {
		r.t.Fatalf("unexpected dialog: %q", r.text("#dialog"))
	}
}

// wantReveal checks the one-time reveal dialog and returns the value shown.
func (r *response) wantReveal(status int, tab string) string {
	r.t.Helper()
	r.wantStatus(status)
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		r.t.Errorf("Cache-Control = %q, want no-store on a response carrying a secret value", cc)
	}
	r.wantDialog()
	if !r.has("#dialog #secret-value[readonly]") {
		r.t.Fatalf("no read-only #secret-value in the dialog\n%s", r.Body)
	}
	value := r.attr("#dialog #secret-value", "value")
	if !models.LooksLikeSecret(value) {
		r.t.Fatalf("revealed value %q does not look like a secret", value)
	}
	if n := strings.Count(r.Body, value); n != 1 {
		r.t.Errorf("value appears %d times in the page, want exactly once", n)
	}
	if !r.has(`#dialog [data-copy="secret-value"]`) {
		r.t.Error("no Copy button for the value")
	}
	if !r.has(`#dialog input#secret-stored[type=checkbox]`) {
		r.t.Error(`no "I have stored it" checkbox #secret-stored`)
	}
	if !r.has("#dialog #secret-ok") {
		r.t.Error("no OK button #secret-ok")
	}
	if got := r.attr("#dialog", "data-close-href"); got != tab {
		r.t.Errorf("data-close-href = %q, want %q", got, tab)
	}
	// Without JavaScript OK is a GET of the refreshed tab.
	if got := r.attr(`#dialog form:has(#secret-ok)`, "action"); got != tab {
		r.t.Errorf("OK form action = %q, want %q", got, tab)
	}
	if !strings.Contains(r.text("#dialog"), "will not be shown again") {
		r.t.Errorf("no warning that the value is shown once: %q", r.text("#dialog"))
	}
	return value
}

// wantDialogFieldError checks a validation message inside the dialog, next
// to its field, with the form still there to correct it.
func (r *response) wantDialogFieldError(field, contains string) {
	r.t.Helper()
	r.wantStatus(http.StatusUnprocessableEntity)
	r.wantDialog()
	if !r.has("#dialog #e-" + field) {
		r.t.Fatalf("#e-%s is not inside the dialog\n%s", field, r.Body)
	}
	if !r.has("#dialog form #f-" + field) {
		r.t.Fatalf("#f-%s is not inside the dialog's form\n%s", field, r.Body)
	}
	r.wantFieldError(field, contains)
	if r.has("#secret-value") {
		r.t.Fatal("a refused request revealed a value")
	}
}

// rowSel selects the table row of a secret.
func rowSel(id string) string { return `#secrets-table tbody tr[data-secret-id="` + id + `"]` }

// --- Application creation reveals the Default secret ------------------------

func TestCreateApplicationRevealsDefaultSecretOnce(t *testing.T) {
	e := newEnv(t)
	c, _ := e.admin()
	d := e.createDomain("Acme", "acme")

	r := c.submit("/domains/"+d.ID+"/applications/new", "/domains/"+d.ID+"/applications",
		url.Values{"name": {"Billing"}, "type": {"service"}})
	apps := e.apps(d.ID)
	if len(apps) != 1 {
		t.Fatalf("applications = %d, want 1", len(apps))
	}
	a := &apps[0]
	tab := secretsTab(a)
	value := r.wantReveal(http.StatusCreated, tab)
	if !strings.Contains(r.text("#dialog"), "Default") {
		t.Errorf("dialog does not name the Default secret: %q", r.text("#dialog"))
	}

	ss := e.secrets(a.ID)
	if len(ss) != 1 || ss[0].Description != models.DefaultSecretName {
		t.Fatalf("stored secrets: %+v, want one named Default", ss)
	}
	if got := models.SecretDigest(value); got != ss[0].Digest {
		t.Fatalf("digest of the revealed value %s, stored %s", got, ss[0].Digest)
	}
	if ss[0].Hint != value[len(value)-4:] {
		t.Errorf("hint = %q, want the value's last 4 characters", ss[0].Hint)
	}
	// The table under the dialog already lists the secret.
	if !r.has(rowSel(ss[0].ID)) {
		t.Error("the reveal page does not show the secret in the table")
	}

	for _, p := range []string{tab, appBase(a), "/domains/" + d.ID, "/audit"} {
		later := c.get(p).wantStatus(http.StatusOK)
		if strings.Contains(later.Body, value) {
			t.Fatalf("GET %s shows the secret value again", p)
		}
		later.wantNoDialog()
	}
}

// --- The tab ------------------------------------------------------------------

func TestSecretsTab(t *testing.T) {
	f := newSecretsFixture(t)

	r := f.c.get(f.tab()).wantStatus(http.StatusOK)
	r.wantNoDialog()
	if got := r.attr("#client-id", "value"); got != f.a.ClientID || got == "" {
		t.Fatalf("#client-id = %q, want %q", got, f.a.ClientID)
	}
	if !r.has(`[data-copy="client-id"]`) {
		t.Error("no copy button for the client id")
	}
	if got := r.text("#secret-count"); got != "1 of 10 secrets" {
		t.Fatalf("#secret-count = %q, want %q", got, "1 of 10 secrets")
	}
	if n := r.Doc.Find("#secrets-table tbody tr").Length(); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
	row := rowSel(f.def.ID)
	if got := r.text(row + " .secret-description"); got != "Default" {
		t.Errorf("description = %q", got)
	}
	if got := r.text(row + " td:nth-child(2)"); got != "Active" {
		t.Errorf("status = %q, want Active", got)
	}
	if got := r.text(row + " .secret-expires"); got != "Never" {
		t.Errorf("expires = %q, want Never", got)
	}
	if got := r.text(row + " .secret-last-used"); got != "Never" {
		t.Errorf("last used = %q, want Never", got)
	}
	if got := r.text(row + " td:nth-child(3)"); got == "" || got == "Never" || got == "—" {
		t.Errorf("created = %q, want a time", got)
	}
	if got := r.text(row); !strings.Contains(got, f.def.Hint) {
		t.Errorf("row %q does not show the hint %q", got, f.def.Hint)
	}
	if strings.Contains(r.Body, f.def.Value) {
		t.Fatal("the tab shows a secret value")
	}
	if got := r.attr(row+` [data-action=renew]`, "href"); got != secretAction(f.a, f.def.ID, "renew") {
		t.Errorf("renew link = %q", got)
	}
	if r.has("[data-action=delete]") {
		t.Fatal("the only secret offers a delete action")
	}
	if got := r.attr("#new-secret", "href"); got != f.tab()+"/new" {
		t.Errorf("#new-secret href = %q, want %q (works without JavaScript)", got, f.tab()+"/new")
	}
	if got := r.attr("#new-secret", "hx-select"); got != "#dialog" {
		t.Errorf("#new-secret hx-select = %q, want #dialog", got)
	}

	second := f.addSecret(f.a.ID, "production")
	r = f.c.get(f.tab()).wantStatus(http.StatusOK)
	if got := r.text("#secret-count"); got != "2 of 10 secrets" {
		t.Fatalf("#secret-count = %q, want %q", got, "2 of 10 secrets")
	}
	if n := r.Doc.Find("#secrets-table tbody tr").Length(); n != 2 {
		t.Fatalf("%d rows, want 2", n)
	}
	for _, cs := range []*models.NewSecret{f.def, second} {
		row := rowSel(cs.ID)
		if got := r.text(row + " .secret-description"); got != cs.Description {
			t.Errorf("row %s description = %q, want %q", cs.ID, got, cs.Description)
		}
		if got := r.attr(row+" [data-action=delete]", "href"); got != secretAction(f.a, cs.ID, "delete") {
			t.Errorf("row %q delete link = %q", cs.Description, got)
		}
		if got := r.attr(row+" [data-action=renew]", "href"); got != secretAction(f.a, cs.ID, "renew") {
			t.Errorf("row %q renew link = %q", cs.Description, got)
		}
	}
}

// --- New secret ---------------------------------------------------------------

func TestNewSecretDialog(t *testing.T) {
	f := newSecretsFixture(t)
	newPath := f.tab() + "/new"

	t.Run("step 1 without JavaScript", func(t *testing.T) {
		r := f.c.get(newPath).wantStatus(http.StatusOK)
		r.wantDialog()
		if !r.has(`#dialog form[method=post] input#f-description[name=description]`) {
			t.Fatalf("no description field in the dialog's form\n%s", r.Body)
		}
		if got := r.attr("#dialog form", "action"); got != f.tab() {
			t.Errorf("form action = %q, want %q", got, f.tab())
		}
		if got := r.attr("#dialog form input[name=_csrf]", "value"); got == "" {
			t.Error("the dialog's form has no CSRF token")
		}
		if got := r.attr("#dialog a[data-dialog-close]", "href"); got != f.tab() {
			t.Errorf("Cancel href = %q, want %q", got, f.tab())
		}
		// The page under the dialog is the tab itself.
		if !r.has(rowSel(f.def.ID)) {
			t.Error("the table is missing under the dialog")
		}
	})

	t.Run("step 1 with htmx", func(t *testing.T) {
		r := f.c.getWith(newPath, "HX-Request", "true").wantStatus(http.StatusOK)
		r.wantDialog()
		if !r.has("#dialog #f-description") {
			t.Fatalf("no description field\n%s", r.Body)
		}
	})

	t.Run("step 2 without JavaScript", func(t *testing.T) {
		r := f.c.submit(newPath, f.tab(), url.Values{"description": {"production"}})
		value := r.wantReveal(http.StatusOK, f.tab())
		if !strings.Contains(r.text("#dialog"), "production") {
			t.Errorf("dialog does not name the secret: %q", r.text("#dialog"))
		}
		ss := f.secrets(f.a.ID)
		if len(ss) != 2 || ss[1].Description != "production" {
			t.Fatalf("stored secrets: %v, want Default and production", f.descriptions(f.a.ID))
		}
		if models.SecretDigest(value) != ss[1].Digest {
			t.Fatal("the revealed value is not the stored secret's")
		}
		// The table under the dialog is refreshed.
		if !r.has(rowSel(ss[1].ID)) {
			t.Error("the new secret is not in the table under the dialog")
		}
		if got := r.text("#secret-count"); got != "2 of 10 secrets" {
			t.Errorf("#secret-count = %q", got)
		}
		// Closing (OK) returns to the refreshed table, without the value.
		after := f.c.get(f.tab()).wantStatus(http.StatusOK)
		after.wantNoDialog()
		if strings.Contains(after.Body, value) {
			t.Fatal("the value is shown again after closing")
		}
		if got := after.text(rowSel(ss[1].ID) + " .secret-last-used"); got != "Never" {
			t.Errorf("last used = %q, want Never", got)
		}
	})

	t.Run("step 2 with htmx", func(t *testing.T) {
		r := f.c.hxSubmit(f.tab(), f.tab(), url.Values{"description": {"partner-acme"}})
		value := r.wantReveal(http.StatusOK, f.tab())
		cs := f.secrets(f.a.ID)
		last := cs[len(cs)-1]
		if last.Description != "partner-acme" || models.SecretDigest(value) != last.Digest {
			t.Fatalf("stored %+v does not match the revealed value", last)
		}
	})

	t.Run("htmx error stays in the dialog", func(t *testing.T) {
		r := f.c.hxSubmit(f.tab(), f.tab(), url.Values{"description": {""}})
		r.wantDialogFieldError("description", "required")
	})
}

func TestNewSecretBadInput(t *testing.T) {
	f := newSecretsFixture(t)
	f.addSecret(f.a.ID, "production")
	newPath := f.tab() + "/new"

	cases := []struct {
		name, input, want string
	}{
		{"empty", "", "Description is required"},
		{"whitespace only", "   \t ", "Description is required"},
		{"65 characters", strings.Repeat("a", 65), "at most 64 characters"},
		{"65 characters after trimming", " " + strings.Repeat("é", 65) + " ", "at most 64 characters"},
		{"control character", "prod\x07uction", "control characters"},
		{"duplicate", "production", "A secret described “production” already exists in this application."},
		{"duplicate but for surrounding spaces", "  production ", "A secret described “production” already exists in this application."},
		{"duplicate but for case", "PRODUCTION", "A secret described “production” already exists in this application; descriptions are compared ignoring case."},
		{"Default again", "Default", "already exists"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.secrets(f.a.ID)
			r := f.c.submit(newPath, f.tab(), url.Values{"description": {tc.input}})
			r.wantDialogFieldError("description", tc.want)
			if got := r.attr("#f-description", "value"); got != tc.input {
				t.Errorf("description field = %q, want what was typed %q", got, tc.input)
			}
			after := f.secrets(f.a.ID)
			if fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("secrets changed by a refused create:\nbefore %+v\nafter  %+v", before, after)
			}
		})
	}

	t.Run("64 characters accepted", func(t *testing.T) {
		desc := strings.Repeat("é", 64)
		r := f.c.submit(newPath, f.tab(), url.Values{"description": {desc}})
		r.wantReveal(http.StatusOK, f.tab())
		if ds := f.descriptions(f.a.ID); len(ds) != 3 || ds[2] != desc {
			t.Fatalf("descriptions = %q", ds)
		}
	})

	t.Run("stored trimmed", func(t *testing.T) {
		r := f.c.submit(newPath, f.tab(), url.Values{"description": {"  staging  "}})
		r.wantReveal(http.StatusOK, f.tab())
		if ds := f.descriptions(f.a.ID); ds[len(ds)-1] != "staging" {
			t.Fatalf("descriptions = %q, want the last one trimmed", ds)
		}
	})
}

func TestNewSecretDoubleSubmit(t *testing.T) {
	f := newSecretsFixture(t)
	// One form, submitted twice with the same token and values.
	form := url.Values{"_csrf": {f.c.csrfFrom(f.tab() + "/new")}, "description": {"production"}}

	first := f.c.postRaw(f.tab(), form)
	value := first.wantReveal(http.StatusOK, f.tab())
	second := f.c.postRaw(f.tab(), form)
	second.wantDialogFieldError("description", "A secret described “production” already exists in this application.")

	ss := f.secrets(f.a.ID)
	if len(ss) != 2 || ss[1].Description != "production" {
		t.Fatalf("descriptions = %q, want exactly one production", f.descriptions(f.a.ID))
	}
	if models.SecretDigest(value) != ss[1].Digest {
		t.Fatal("the second submission replaced the first secret's value")
	}
}

func TestNewSecretLimit(t *testing.T) {
	f := newSecretsFixture(t, func(c *config.Config) { c.Applications.SecretsMax = 2 })
	newPath := f.tab() + "/new"

	f.c.submit(newPath, f.tab(), url.Values{"description": {"second"}}).wantReveal(http.StatusOK, f.tab())
	page := f.c.get(f.tab()).wantStatus(http.StatusOK)
	if got := page.text("#secret-count"); !strings.HasPrefix(got, "2 of 2 secrets") || !strings.Contains(got, "limit reached") {
		t.Errorf("#secret-count = %q, want 2 of 2 and the limit explained", got)
	}

	r := f.c.submit(newPath, f.tab(), url.Values{"description": {"third"}})
	r.wantDialogFieldError("description", "Too many Client Secrets. Cannot create more than 2 secrets")
	if ds := f.descriptions(f.a.ID); len(ds) != 2 {
		t.Fatalf("descriptions = %q after the limit, want 2", ds)
	}
	// A duplicate at the limit is refused too, with one of the two reasons.
	f.c.submit(newPath, f.tab(), url.Values{"description": {"second"}}).wantStatus(http.StatusUnprocessableEntity)

	t.Run("limit lowered below the current count", func(t *testing.T) {
		f.store.SecretsMax = 1
		r := f.c.submit(newPath, f.tab(), url.Values{"description": {"third"}})
		r.wantDialogFieldError("description", "Cannot create more than 1 secrets")
		if ds := f.descriptions(f.a.ID); len(ds) != 2 {
			t.Fatalf("descriptions = %q, want 2", ds)
		}
	})

	t.Run("renew and delete still work at the limit", func(t *testing.T) {
		f.c.submit(f.tab(), secretAction(f.a, f.def.ID, "renew"), nil).wantReveal(http.StatusOK, f.tab())
		second := f.secrets(f.a.ID)[1]
		f.c.submit(f.tab(), secretAction(f.a, second.ID, "delete"), url.Values{"confirm": {"second"}}).wantRedirect(f.tab())
		if ds := f.descriptions(f.a.ID); len(ds) != 1 {
			t.Fatalf("descriptions = %q, want 1", ds)
		}
	})
}

// --- Renew --------------------------------------------------------------------

func TestRenewSecret(t *testing.T) {
	f := newSecretsFixture(t)
	other := f.addSecret(f.a.ID, "production")
	renew := secretAction(f.a, other.ID, "renew")

	confirm := f.c.get(renew).wantStatus(http.StatusOK)
	text := confirm.wantDialog()
	if !strings.Contains(text, "production") || !strings.Contains(text, "stops working") {
		t.Fatalf("renew dialog = %q, want the description and that the current value stops working", text)
	}
	if got := confirm.attr("#dialog form[method=post]", "action"); got != renew {
		t.Errorf("form action = %q, want %q", got, renew)
	}
	if got := confirm.attr("#dialog a[data-dialog-close]", "href"); got != f.tab() {
		t.Errorf("Cancel href = %q", got)
	}
	if confirm.has("#secret-value") {
		t.Fatal("the confirmation already reveals a value")
	}
	if f.secret(f.a.ID, other.ID).Digest != other.Digest {
		t.Fatal("GET renewed the secret")
	}

	htmxConfirm := f.c.getWith(renew, "HX-Request", "true").wantStatus(http.StatusOK)
	if !strings.Contains(htmxConfirm.wantDialog(), "stops working") {
		t.Fatal("htmx renew confirmation lacks the warning")
	}

	r := f.c.submit(renew, renew, nil)
	value := r.wantReveal(http.StatusOK, f.tab())
	if !strings.Contains(r.text("#dialog h2"), "renewed") {
		t.Errorf("heading = %q, want it to say renewed", r.text("#dialog h2"))
	}
	if value == other.Value {
		t.Fatal("renew revealed the old value")
	}
	got := f.secret(f.a.ID, other.ID)
	if got == nil {
		t.Fatal("renew lost the secret")
	}
	if got.Description != "production" {
		t.Errorf("description = %q after renew", got.Description)
	}
	if got.Digest == other.Digest || got.Digest != models.SecretDigest(value) {
		t.Fatalf("stored digest %s, old %s, revealed value's %s", got.Digest, other.Digest, models.SecretDigest(value))
	}
	if got.Hint != value[len(value)-4:] {
		t.Errorf("hint = %q not updated", got.Hint)
	}
	if got.RenewedAt == nil {
		t.Fatal("RenewedAt not set")
	}
	if !got.CreatedAt.Equal(other.CreatedAt) {
		t.Errorf("CreatedAt changed: %v → %v", other.CreatedAt, got.CreatedAt)
	}
	if n := len(f.secrets(f.a.ID)); n != 2 {
		t.Fatalf("secrets = %d after renew, want 2", n)
	}
	if d := f.secret(f.a.ID, f.def.ID); d.Digest != f.def.Digest {
		t.Fatal("renewing one secret changed another")
	}

	t.Run("with htmx", func(t *testing.T) {
		r := f.c.hxSubmit(f.tab(), renew, nil)
		v2 := r.wantReveal(http.StatusOK, f.tab())
		if v2 == value || f.secret(f.a.ID, other.ID).Digest != models.SecretDigest(v2) {
			t.Fatal("htmx renew did not replace the value")
		}
	})

	t.Run("the only secret can be renewed", func(t *testing.T) {
		a2, first, err := f.store.CreateApplication(f.ctx, models.Actor{}, f.d.ID, models.ApplicationInput{Name: "Reports", Type: models.AppTypeService})
		if err != nil {
			t.Fatal(err)
		}
		p := secretAction(a2, first.ID, "renew")
		v := f.c.submit(p, p, nil).wantReveal(http.StatusOK, secretsTab(a2))
		if f.secret(a2.ID, first.ID).Digest != models.SecretDigest(v) {
			t.Fatal("not renewed")
		}
	})
}

// --- Delete ---------------------------------------------------------------------

func TestDeleteSecret(t *testing.T) {
	f := newSecretsFixture(t)
	prod := f.addSecret(f.a.ID, "production")
	del := secretAction(f.a, prod.ID, "delete")

	confirm := f.c.get(del).wantStatus(http.StatusOK)
	text := confirm.wantDialog()
	if !strings.Contains(text, "production") {
		t.Errorf("delete dialog = %q, want the description", text)
	}
	if got := confirm.attr("#dialog #f-confirm", "data-confirm-match"); got != "production" {
		t.Fatalf("data-confirm-match = %q, want production", got)
	}
	if got := confirm.attr("#dialog #f-confirm", "data-confirm-button"); got != "confirm-delete" || !confirm.has("#dialog #confirm-delete") {
		t.Errorf("confirm field controls %q", got)
	}
	if got := confirm.attr("#dialog form[method=post]", "action"); got != del {
		t.Errorf("form action = %q, want %q", got, del)
	}
	if f.secret(f.a.ID, prod.ID) == nil {
		t.Fatal("GET deleted the secret")
	}
	if got := f.c.getWith(del, "HX-Request", "true").wantStatus(http.StatusOK); got.attr("#dialog #f-confirm", "data-confirm-match") != "production" {
		t.Fatal("htmx delete dialog lacks the confirmation field")
	}

	for _, typed := range []string{"", "prod", "production!", ".*", "produc.*", "Production", "PRODUCTION", "production ", " production", "Default"} {
		t.Run("wrong "+strconv.Quote(typed), func(t *testing.T) {
			r := f.c.submit(del, del, url.Values{"confirm": {typed}})
			r.wantDialogFieldError("confirm", "exactly")
			if got := r.attr("#f-confirm", "value"); got != typed {
				t.Errorf("confirm field = %q, want what was typed %q", got, typed)
			}
			if got := r.attr("#f-confirm", "data-confirm-match"); got != "production" {
				t.Errorf("data-confirm-match = %q after an error", got)
			}
			if f.secret(f.a.ID, prod.ID) == nil || f.secret(f.a.ID, f.def.ID) == nil {
				t.Fatalf("a secret was deleted with %q", typed)
			}
		})
	}
	t.Run("wrong with htmx", func(t *testing.T) {
		r := f.c.hxSubmit(f.tab(), del, url.Values{"confirm": {"prod"}})
		r.wantDialogFieldError("confirm", "exactly")
		if f.secret(f.a.ID, prod.ID) == nil {
			t.Fatal("deleted")
		}
	})

	r := f.c.submit(del, del, url.Values{"confirm": {"production"}})
	r.wantRedirect(f.tab())
	if f.secret(f.a.ID, prod.ID) != nil {
		t.Fatal("secret still there after the exact confirmation")
	}
	if f.secret(f.a.ID, f.def.ID) == nil {
		t.Fatal("the other secret was deleted too")
	}
	page := f.c.follow(r).wantStatus(http.StatusOK)
	if got := page.flash(); !strings.Contains(got, "production") || !strings.Contains(got, "deleted") {
		t.Errorf("flash = %q", got)
	}
	if page.has(rowSel(prod.ID)) {
		t.Fatal("deleted secret still listed")
	}
	if got := page.text("#secret-count"); got != "1 of 10 secrets" {
		t.Errorf("#secret-count = %q", got)
	}
	f.c.get(del).wantNotFoundPage()
	f.c.submit(f.tab(), del, url.Values{"confirm": {"production"}}).wantNotFoundPage()
}

func TestDeleteSecretWithHTMX(t *testing.T) {
	f := newSecretsFixture(t)
	prod := f.addSecret(f.a.ID, "production")
	del := secretAction(f.a, prod.ID, "delete")

	r := f.c.hxSubmit(del, del, url.Values{"confirm": {"production"}})
	r.wantStatus(http.StatusNoContent)
	if got := r.Header.Get("HX-Redirect"); got != f.tab() {
		t.Fatalf("HX-Redirect = %q, want %q", got, f.tab())
	}
	if r.location() != "" {
		t.Errorf("Location = %q on an htmx response", r.location())
	}
	if f.secret(f.a.ID, prod.ID) != nil {
		t.Fatal("secret still there")
	}
	page := f.c.get(f.tab()).wantStatus(http.StatusOK)
	if !strings.Contains(page.flash(), "deleted") {
		t.Errorf("flash after HX-Redirect = %q", page.flash())
	}
}

func TestDeleteLastSecretRefused(t *testing.T) {
	f := newSecretsFixture(t)
	del := secretAction(f.a, f.def.ID, "delete")

	// The tab offers no delete; POST directly, as a stale page or a script
	// could.
	for _, hx := range []bool{false, true} {
		t.Run("htmx="+strconv.FormatBool(hx), func(t *testing.T) {
			var r *response
			if hx {
				r = f.c.hxSubmit(f.tab(), del, url.Values{"confirm": {"Default"}})
			} else {
				r = f.c.submit(f.tab(), del, url.Values{"confirm": {"Default"}})
			}
			r.wantDialogFieldError("confirm", "last secret")
			ss := f.secrets(f.a.ID)
			if len(ss) != 1 || ss[0].ID != f.def.ID || ss[0].Digest != f.def.Digest {
				t.Fatalf("secrets after refusing to delete the last one: %+v", ss)
			}
		})
	}
	fails := 0
	for _, ev := range f.auditEvents(f.a.ID, models.EventSecretDeleted) {
		if ev.Outcome != models.OutcomeFailure {
			t.Fatalf("a refused delete was audited as %s", ev.Outcome)
		}
		fails++
	}
	if fails != 2 {
		t.Fatalf("%d FAILURE delete events, want 2", fails)
	}
}

// --- Unknown and foreign ids ---------------------------------------------------

func TestSecretUnknownAndForeignIDs(t *testing.T) {
	f := newSecretsFixture(t)
	f.addSecret(f.a.ID, "production")
	// Another application of the same domain, and one of another domain,
	// each with two secrets so a delete would otherwise be allowed.
	sibling, sibFirst, err := f.store.CreateApplication(f.ctx, models.Actor{}, f.d.ID, models.ApplicationInput{Name: "Reports", Type: models.AppTypeService})
	if err != nil {
		t.Fatal(err)
	}
	f.addSecret(sibling.ID, "production")
	d2 := f.createDomain("Globex", "globex")
	stranger, strFirst, err := f.store.CreateApplication(f.ctx, models.Actor{}, d2.ID, models.ApplicationInput{Name: "Billing", Type: models.AppTypeService})
	if err != nil {
		t.Fatal(err)
	}
	f.addSecret(stranger.ID, "production")

	snapshot := func() string {
		var b strings.Builder
		for _, id := range []string{f.a.ID, sibling.ID, stranger.ID} {
			fmt.Fprintf(&b, "%+v\n", f.secrets(id))
		}
		return b.String()
	}
	before := snapshot()

	unknownApp := uuid.NewString()
	mine := f.tab()
	cases := []struct {
		name, base, secretID string
		confirm              string
	}{
		{"unknown secret", mine, uuid.NewString(), "production"},
		{"malformed secret id", mine, "not-a-uuid", "production"},
		{"secret of another application in the domain", mine, sibFirst.ID, "Default"},
		{"secret of an application in another domain", mine, strFirst.ID, "Default"},
		{"application of another domain in this domain's path", "/domains/" + f.d.ID + "/applications/" + stranger.ID + "/secrets", strFirst.ID, "Default"},
		{"own secret under another domain", "/domains/" + d2.ID + "/applications/" + f.a.ID + "/secrets", f.def.ID, "Default"},
		{"unknown application", "/domains/" + f.d.ID + "/applications/" + unknownApp + "/secrets", f.def.ID, "Default"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, action := range []string{"renew", "delete"} {
				p := tc.base + "/" + tc.secretID + "/" + action
				f.c.get(p).wantNotFoundPage()
				f.c.submit(mine, p, url.Values{"confirm": {tc.confirm}}).wantNotFoundPage()
				f.c.hxSubmit(mine, p, url.Values{"confirm": {tc.confirm}}).wantNotFoundPage()
			}
		})
	}

	t.Run("unknown application", func(t *testing.T) {
		base := "/domains/" + f.d.ID + "/applications/" + unknownApp + "/secrets"
		f.c.get(base).wantNotFoundPage()
		f.c.get(base + "/new").wantNotFoundPage()
		f.c.submit(mine, base, url.Values{"description": {"sneaky"}}).wantNotFoundPage()
		f.c.get("/domains/" + uuid.NewString() + "/applications/" + f.a.ID + "/secrets").wantNotFoundPage()
	})
	t.Run("create in a foreign application path", func(t *testing.T) {
		base := "/domains/" + f.d.ID + "/applications/" + stranger.ID + "/secrets"
		f.c.get(base).wantNotFoundPage()
		f.c.get(base + "/new").wantNotFoundPage()
		f.c.submit(mine, base, url.Values{"description": {"sneaky"}}).wantNotFoundPage()
	})

	if after := snapshot(); after != before {
		t.Fatalf("secrets changed through unknown or foreign ids:\nbefore %s\nafter  %s", before, after)
	}
	// The fixture wrote through the store, which records no events: any
	// secret event now came from one of the refused requests.
	for _, id := range []string{f.a.ID, sibling.ID, stranger.ID} {
		for _, typ := range []string{models.EventSecretCreated, models.EventSecretRenewed, models.EventSecretDeleted} {
			if evs := f.auditEvents(id, typ); len(evs) != 0 {
				t.Errorf("a 404 request was audited: %+v", evs)
			}
		}
	}
}

// --- Viewers --------------------------------------------------------------------

func TestSecretsViewerIsReadOnly(t *testing.T) {
	f := newSecretsFixture(t)
	prod := f.addSecret(f.a.ID, "production")
	v, _ := f.viewer()

	page := v.get(f.tab()).wantStatus(http.StatusOK)
	for _, cs := range []*models.NewSecret{f.def, prod} {
		if got := page.text(rowSel(cs.ID) + " .secret-description"); got != cs.Description {
			t.Errorf("viewer sees description %q, want %q", got, cs.Description)
		}
	}
	if got := page.attr("#client-id", "value"); got != f.a.ClientID {
		t.Errorf("#client-id = %q", got)
	}
	if got := page.text("#secret-count"); got != "2 of 10 secrets" {
		t.Errorf("#secret-count = %q", got)
	}
	for _, sel := range []string{"#new-secret", `a[href$="/secrets/new"]`, `a[href$="/renew"]`, `a[href$="/delete"]`, "[data-action]", `form[method=post][action*="/secrets"]`} {
		if page.has(sel) {
			t.Errorf("viewer sees a write control %s", sel)
		}
	}

	for _, p := range []string{f.tab() + "/new", secretAction(f.a, prod.ID, "renew"), secretAction(f.a, prod.ID, "delete")} {
		v.get(p).wantForbidden()
		v.getWith(p, "HX-Request", "true").wantForbidden()
	}

	before := fmt.Sprintf("%+v", f.secrets(f.a.ID))
	writes := []struct {
		name, path string
		form       url.Values
	}{
		{"create", f.tab(), url.Values{"description": {"viewer"}}},
		{"renew", secretAction(f.a, prod.ID, "renew"), nil},
		{"delete", secretAction(f.a, prod.ID, "delete"), url.Values{"confirm": {"production"}}},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			r := v.submit(f.tab(), w.path, w.form)
			r.wantForbidden()
			if !strings.Contains(r.text("main"), "read-only") {
				t.Errorf("403 page does not explain the role: %q", r.text("main"))
			}
			if r.has("#secret-value") {
				t.Fatal("a viewer got a secret value")
			}
			v.hxSubmit(f.tab(), w.path, w.form).wantForbidden()
			if after := fmt.Sprintf("%+v", f.secrets(f.a.ID)); after != before {
				t.Fatalf("a viewer's %s changed the secrets:\nbefore %s\nafter  %s", w.name, before, after)
			}
		})
	}
	for _, typ := range []string{models.EventSecretRenewed, models.EventSecretDeleted} {
		if evs := f.auditEvents(f.a.ID, typ); len(evs) != 0 {
			t.Errorf("refused viewer requests were audited as %s: %+v", typ, evs)
		}
	}
}

// --- CSRF -----------------------------------------------------------------------

func TestSecretsCSRF(t *testing.T) {
	f := newSecretsFixture(t)
	prod := f.addSecret(f.a.ID, "production")
	f.c.get(f.tab()).wantStatus(http.StatusOK) // the CSRF cookie exists
	before := fmt.Sprintf("%+v", f.secrets(f.a.ID))

	posts := []struct {
		name, path string
		form       url.Values
	}{
		{"create", f.tab(), url.Values{"description": {"forged"}}},
		{"renew", secretAction(f.a, prod.ID, "renew"), nil},
		{"delete", secretAction(f.a, prod.ID, "delete"), url.Values{"confirm": {"production"}}},
	}
	for _, p := range posts {
		t.Run(p.name+" without a token", func(t *testing.T) {
			r := f.c.postRaw(p.path, p.form)
			r.wantForbidden()
			if got := r.text("h1"); got != "Form expired" {
				t.Errorf("h1 = %q, want Form expired", got)
			}
			if r.has("#secret-value") {
				t.Fatal("a forged request got a secret value")
			}
		})
		t.Run(p.name+" with a wrong htmx header token", func(t *testing.T) {
			f.c.postRaw(p.path, p.form, "HX-Request", "true", "X-CSRF-Token", "not-the-token").wantForbidden()
		})
	}
	if after := fmt.Sprintf("%+v", f.secrets(f.a.ID)); after != before {
		t.Fatalf("secrets changed without a CSRF token:\nbefore %s\nafter  %s", before, after)
	}
}

// --- Audit ----------------------------------------------------------------------

func TestSecretsAudit(t *testing.T) {
	f := newSecretsFixture(t)

	created := f.c.submit(f.tab()+"/new", f.tab(), url.Values{"description": {"production"}})
	createdValue := created.wantReveal(http.StatusOK, f.tab())
	ss := f.secrets(f.a.ID)
	prod := ss[len(ss)-1]
	renewPath := secretAction(f.a, prod.ID, "renew")
	renewedValue := f.c.submit(renewPath, renewPath, nil).wantReveal(http.StatusOK, f.tab())
	del := secretAction(f.a, prod.ID, "delete")
	f.c.submit(del, del, url.Values{"confirm": {"prod"}}).wantStatus(http.StatusUnprocessableEntity)
	f.c.submit(del, del, url.Values{"confirm": {"production"}}).wantRedirect(f.tab())
	values := []string{f.def.Value, createdValue, renewedValue}

	wantEvent := func(typ, outcome string) models.AuditEvent {
		t.Helper()
		var found []models.AuditEvent
		for _, ev := range f.auditEvents(f.a.ID, typ) {
			if ev.TargetID == prod.ID && ev.Outcome == outcome {
				found = append(found, ev)
			}
		}
		if len(found) != 1 {
			t.Fatalf("%d %s %s events for the secret, want 1", len(found), typ, outcome)
		}
		ev := found[0]
		if ev.ActorEmail != f.admin.Email || ev.ActorID != f.admin.ID {
			t.Errorf("%s actor = %q (%s), want %q", typ, ev.ActorEmail, ev.ActorID, f.admin.Email)
		}
		if ev.TargetName != "production" {
			t.Errorf("%s target name = %q, want the description", typ, ev.TargetName)
		}
		if ev.DomainID != f.d.ID || ev.ApplicationID != f.a.ID {
			t.Errorf("%s domain/application = %s/%s", typ, ev.DomainID, ev.ApplicationID)
		}
		if ev.CreatedAt.IsZero() {
			t.Errorf("%s has no time", typ)
		}
		return ev
	}
	wantEvent(models.EventSecretCreated, models.OutcomeSuccess)
	wantEvent(models.EventSecretRenewed, models.OutcomeSuccess)
	wantEvent(models.EventSecretDeleted, models.OutcomeSuccess)
	refused := wantEvent(models.EventSecretDeleted, models.OutcomeFailure)
	if refused.Detail == "" {
		t.Error("the refused delete's event does not say why")
	}

	// No event of any kind holds a value, in any field.
	all, err := f.store.AuditEvents(f.ctx, models.AuditFilter{PerPage: 500})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total == 0 {
		t.Fatal("no audit events")
	}
	for _, ev := range all.Events {
		dump := fmt.Sprintf("%#v", ev)
		for _, v := range values {
			if strings.Contains(dump, v) || strings.Contains(dump, v[len(models.SecretPrefix):len(v)-6]) {
				t.Fatalf("audit event holds a secret value: %s", dump)
			}
		}
	}
	// Nor does the audit page.
	page := f.c.get("/audit").wantStatus(http.StatusOK)
	if !strings.Contains(page.Body, models.EventSecretRenewed) {
		t.Error("the audit page does not list the renew event")
	}
	for _, v := range values {
		if strings.Contains(page.Body, v) {
			t.Fatal("the audit page shows a secret value")
		}
	}
}

// --- Values never logged ----------------------------------------------------------

func TestSecretValuesNeverLogged(t *testing.T) {
	f := newSecretsFixture(t)
	var values []string

	// Through the console: an application's first secret, a new secret
	// (plain and htmx), renewals (plain and htmx), refused requests.
	r := f.c.submit("/domains/"+f.d.ID+"/applications/new", "/domains/"+f.d.ID+"/applications", url.Values{"name": {"Reports"}, "type": {"service"}})
	var reports *models.Application
	for _, a := range f.apps(f.d.ID) {
		if a.Name == "Reports" {
			reports = &a
		}
	}
	if reports == nil {
		t.Fatal("application not created")
	}
	values = append(values, r.wantReveal(http.StatusCreated, secretsTab(reports)))
	values = append(values, f.c.submit(f.tab()+"/new", f.tab(), url.Values{"description": {"production"}}).wantReveal(http.StatusOK, f.tab()))
	values = append(values, f.c.hxSubmit(f.tab(), f.tab(), url.Values{"description": {"staging"}}).wantReveal(http.StatusOK, f.tab()))
	for _, cs := range f.secrets(f.a.ID) {
		p := secretAction(f.a, cs.ID, "renew")
		values = append(values, f.c.submit(p, p, nil).wantReveal(http.StatusOK, f.tab()))
		values = append(values, f.c.hxSubmit(f.tab(), p, nil).wantReveal(http.StatusOK, f.tab()))
	}
	f.c.submit(f.tab(), f.tab(), url.Values{"description": {"production"}}).wantStatus(http.StatusUnprocessableEntity)

	logs := f.logs.String()
	// The capture works: the requests above were logged.
	if !strings.Contains(logs, "path="+f.tab()) {
		t.Fatalf("the captured log has no request lines for %s:\n%s", f.tab(), logs)
	}
	for i, v := range values {
		if strings.Contains(logs, v) || strings.Contains(logs, v[len(models.SecretPrefix):len(v)-6]) {
			t.Fatalf("value %d was logged:\n%s", i, logs)
		}
	}

	// Nor stored: the database file holds digests, never values. (On
	// PostgreSQL, models' TestSecretValuesNeverStoredOrLogged dumps every row.)
	if testdb.Postgres() {
		return
	}
	var blob []byte
	for _, suffix := range []string{"", "-wal"} {
		if b, err := os.ReadFile(f.cfg.Database.DSN + suffix); err == nil {
			blob = append(blob, b...)
		}
	}
	live := f.secrets(f.a.ID)
	if len(live) == 0 || !strings.Contains(string(blob), live[0].Digest) {
		t.Fatal("database file read is not the console's: a live digest is missing")
	}
	for i, v := range values {
		if strings.Contains(string(blob), v[len(models.SecretPrefix):len(v)-6]) {
			t.Fatalf("value %d is in the database file", i)
		}
	}
}
