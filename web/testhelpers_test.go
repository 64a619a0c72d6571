package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"latchkey/config"
	"latchkey/internal/storeopts"
	"latchkey/internal/testdb"
	"latchkey/models"
	"latchkey/web"
)

// Passwords used by the helpers; long enough for the password policy.
const (
	adminPassword  = "admin-password-123"
	viewerPassword = "viewer-password-123"
)

// env is one console under test: a fresh SQLite database in t.TempDir(), the
// server built by web.New, and an httptest server in front of it.
type env struct {
	t     *testing.T
	ctx   context.Context
	cfg   *config.Config
	store *models.Store
	srv   *web.Server
	ts    *httptest.Server
	logs  *testdb.LogBuffer
	// allowErrorLogs turns off the end-of-test check that nothing was
	// logged at error level.
	allowErrorLogs bool
}

// newEnv starts a console. opts adjust the default configuration first.
func newEnv(t *testing.T, opts ...func(*config.Config)) *env {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.Database.DSN = testdb.DSN(t)
	for _, o := range opts {
		o(cfg)
	}
	logs := &testdb.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// The store's settings as `latchkey serve` gives them.
	store, err := models.Open(ctx, cfg.Database.DSN, log, append(storeopts.FromConfig(cfg), models.WithKeyEncryptionKey(testdb.KEK()))...)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	srv, err := web.New(ctx, cfg, store, log)
	if err != nil {
		_ = store.Close()
		t.Fatalf("web.New: %v", err)
	}
	e := &env{t: t, ctx: ctx, cfg: cfg, store: store, srv: srv, logs: logs}
	e.ts = httptest.NewServer(srv.Console)
	t.Cleanup(func() {
		e.ts.Close()
		_ = store.Close()
		if !e.allowErrorLogs && strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("errors were logged:\n%s", logs.String())
		}
	})
	return e
}

// createUser stores a user directly, bypassing the console.
func (e *env) createUser(email, name, password, role string) *models.User {
	e.t.Helper()
	u, err := e.store.CreateUser(e.ctx, models.Actor{}, models.NewUser{Email: email, Name: name, Password: password, Role: role})
	if err != nil {
		e.t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// admin creates an administrator and returns a client signed in as them.
func (e *env) admin() (*client, *models.User) {
	e.t.Helper()
	u := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	c := e.client()
	c.mustLogin(u.Email, adminPassword)
	return c, u
}

// viewer creates a viewer and returns a client signed in as them.
func (e *env) viewer() (*client, *models.User) {
	e.t.Helper()
	u := e.createUser("viewer@example.com", "Vic Viewer", viewerPassword, models.RoleViewer)
	c := e.client()
	c.mustLogin(u.Email, viewerPassword)
	return c, u
}

// domains returns every stored domain.
func (e *env) domains() []models.Domain {
	e.t.Helper()
	ds, err := e.store.Domains(e.ctx, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

// domainByName returns the stored domain with this name, or nil.
func (e *env) domainByName(name string) *models.Domain {
	e.t.Helper()
	for _, d := range e.domains() {
		if d.Name == name {
			full, err := e.store.DomainByID(e.ctx, d.ID)
			if err != nil {
				e.t.Fatal(err)
			}
			return full
		}
	}
	return nil
}

// createDomain stores a domain directly.
func (e *env) createDomain(name, hrid string) *models.Domain {
	e.t.Helper()
	d, err := e.store.CreateDomain(e.ctx, models.Actor{}, models.DomainInput{Name: name, HRID: hrid, Enabled: true})
	if err != nil {
		e.t.Fatalf("create domain %s: %v", name, err)
	}
	return d
}

// createApp stores an application directly.
func (e *env) createApp(domainID, name string) *models.Application {
	e.t.Helper()
	a, _, err := e.store.CreateApplication(e.ctx, models.Actor{}, domainID, models.ApplicationInput{Name: name, Type: models.AppTypeService})
	if err != nil {
		e.t.Fatalf("create application %s: %v", name, err)
	}
	return a
}

// apps returns the stored applications of a domain.
func (e *env) apps(domainID string) []models.Application {
	e.t.Helper()
	as, err := e.store.Applications(e.ctx, domainID)
	if err != nil {
		e.t.Fatal(err)
	}
	return as
}

// users returns every stored user.
func (e *env) users() []models.User {
	e.t.Helper()
	us, err := e.store.Users(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return us
}

// user reloads a user.
func (e *env) user(id string) *models.User {
	e.t.Helper()
	u, err := e.store.UserByID(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// client is one browser: a cookie jar, and redirects left to the test so
// their status and Location can be checked.
type client struct {
	t   *testing.T
	env *env
	hc  *http.Client
}

func (e *env) client() *client {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{t: e.t, env: e, hc: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is a fetched page: its status, headers and parsed body.
type response struct {
	t      *testing.T
	Status int
	Header http.Header
	// Cookies are the cookies the response set, with their attributes.
	Cookies []*http.Cookie
	Body    string
	Doc     *goquery.Document
}

// do sends a request and reads the whole response. Any 500 fails the test:
// bad input must never produce an internal error.
func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.StatusCode >= 500 {
		c.t.Fatalf("%s %s: status %d\n%s", req.Method, req.URL.Path, res.StatusCode, body)
	}
	r := &response{t: c.t, Status: res.StatusCode, Header: res.Header, Cookies: res.Cookies(), Body: string(body)}
	if strings.Contains(res.Header.Get("Content-Type"), "html") {
		r.Doc, err = goquery.NewDocumentFromReader(bytes.NewReader(body))
		if err != nil {
			c.t.Fatalf("parse %s: %v", req.URL.Path, err)
		}
	}
	return r
}

func (c *client) url(path string) string { return c.env.ts.URL + path }

// get fetches a path without following redirects.
func (c *client) get(path string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.url(path), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// postRaw posts a form exactly as given (no CSRF token is added), with
// optional extra headers as name, value pairs.
func (c *client) postRaw(path string, form url.Values, headers ...string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.url(path), strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// csrfFrom GETs a page and returns the _csrf hidden input of its first form.
func (c *client) csrfFrom(path string) string {
	c.t.Helper()
	r := c.get(path)
	r.wantStatus(http.StatusOK)
	return r.csrf()
}

// csrf returns the page's _csrf hidden input value.
func (r *response) csrf() string {
	r.t.Helper()
	if r.Doc == nil {
		r.t.Fatalf("no HTML page to read a CSRF token from:\n%s", r.Body)
	}
	tok, ok := r.Doc.Find(`form input[type=hidden][name=_csrf]`).First().Attr("value")
	if !ok || tok == "" {
		r.t.Fatalf("page has no _csrf input:\n%s", r.Body)
	}
	return tok
}

// submit GETs formPage to obtain a CSRF token, then posts form to action
// with it, as a browser submitting that page's form would.
func (c *client) submit(formPage, action string, form url.Values) *response {
	c.t.Helper()
	tok := c.csrfFrom(formPage)
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("_csrf", tok)
	return c.postRaw(action, f)
}

// follow GETs the Location of a redirect.
func (c *client) follow(r *response) *response {
	c.t.Helper()
	loc := r.location()
	if loc == "" {
		c.t.Fatalf("expected a redirect, got %d:\n%s", r.Status, r.Body)
	}
	return c.get(loc)
}

// login posts the login form (with the token from the login page).
func (c *client) login(email, password string, next ...string) *response {
	c.t.Helper()
	f := url.Values{"email": {email}, "password": {password}}
	if len(next) > 0 {
		f.Set("next", next[0])
	}
	return c.submit("/login", "/login", f)
}

func (c *client) mustLogin(email, password string) {
	c.t.Helper()
	r := c.login(email, password)
	r.wantRedirect("/domains")
}

// cookie returns the jar's value of a cookie for the test server.
func (c *client) cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.env.ts.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// setCookie replaces a cookie in the jar.
func (c *client) setCookie(name, value string) {
	u, _ := url.Parse(c.env.ts.URL)
	c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

func (r *response) location() string { return r.Header.Get("Location") }

func (r *response) wantStatus(want int) *response {
	r.t.Helper()
	if r.Status != want {
		r.t.Fatalf("status = %d, want %d\nLocation: %s\n%s", r.Status, want, r.location(), r.Body)
	}
	return r
}

// wantRedirect checks for a 303 to exactly this location.
func (r *response) wantRedirect(loc string) *response {
	r.t.Helper()
	r.wantStatus(http.StatusSeeOther)
	if got := r.location(); got != loc {
		r.t.Fatalf("Location = %q, want %q", got, loc)
	}
	return r
}

// text returns the trimmed, whitespace-collapsed text of the first match.
func (r *response) text(selector string) string {
	r.t.Helper()
	if r.Doc == nil {
		r.t.Fatalf("not an HTML page:\n%s", r.Body)
	}
	return strings.Join(strings.Fields(r.Doc.Find(selector).First().Text()), " ")
}

// has reports whether selector matches anything.
func (r *response) has(selector string) bool {
	r.t.Helper()
	if r.Doc == nil {
		r.t.Fatalf("not an HTML page:\n%s", r.Body)
	}
	return r.Doc.Find(selector).Length() > 0
}

// attr returns an attribute of the first match.
func (r *response) attr(selector, name string) string {
	r.t.Helper()
	if r.Doc == nil {
		r.t.Fatalf("not an HTML page:\n%s", r.Body)
	}
	v, _ := r.Doc.Find(selector).First().Attr(name)
	return v
}

// wantFieldError checks the message shown next to a form field, and that
// the field points to it for screen readers.
func (r *response) wantFieldError(field, contains string) {
	r.t.Helper()
	r.wantFieldMessage(field, contains)
	if got := r.attr("#f-"+field, "aria-describedby"); r.has("#f-"+field) && got != "e-"+field {
		r.t.Errorf("#f-%s aria-describedby = %q, want e-%s", field, got, field)
	}
}

// wantFieldMessage checks only the message shown next to a form field.
func (r *response) wantFieldMessage(field, contains string) {
	r.t.Helper()
	sel := "#e-" + field
	if !r.has(sel) {
		r.t.Fatalf("no message next to field %q (%s)\n%s", field, sel, r.Body)
	}
	if got := r.text(sel); !strings.Contains(got, contains) {
		r.t.Fatalf("%s = %q, want it to contain %q", sel, got, contains)
	}
}

// wantNoFieldError checks that a field has no message.
func (r *response) wantNoFieldError(field string) {
	r.t.Helper()
	if r.has("#e-" + field) {
		r.t.Fatalf("unexpected message next to %q: %q", field, r.text("#e-"+field))
	}
}

// wantNotFoundPage checks for the 404 page.
func (r *response) wantNotFoundPage() {
	r.t.Helper()
	r.wantStatus(http.StatusNotFound)
	if got := r.text("h1"); got != "Not found" {
		r.t.Fatalf("404 page heading = %q, want %q\n%s", got, "Not found", r.Body)
	}
}

// wantForbidden checks for the 403 page.
func (r *response) wantForbidden() {
	r.t.Helper()
	r.wantStatus(http.StatusForbidden)
	if r.Doc == nil || r.text("h1") == "" {
		r.t.Fatalf("403 without an error page:\n%s", r.Body)
	}
}

// flash returns the text of the page's flash messages.
func (r *response) flash() string {
	r.t.Helper()
	return r.text(`[role=status]`)
}
