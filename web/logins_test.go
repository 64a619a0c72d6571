package web_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"latchkey/config"
	"latchkey/models"
	"latchkey/throttle"
)

// Source addresses: the test servers listen on 127.0.0.1 and see the
// client's address; on Linux all of 127/8 is loopback.
const (
	attackerAddr = "127.0.0.2"
	ownerAddr    = "127.0.0.3"
)

// transportFrom is an HTTP transport whose connections leave from addr.
func transportFrom(addr string) *http.Transport {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}, Timeout: 5 * time.Second}
	return &http.Transport{DialContext: d.DialContext}
}

// clientFrom is a browser whose connections come from addr.
func (e *env) clientFrom(addr string) *client {
	e.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &client{t: e.t, env: e, hc: &http.Client{
		Jar: jar, Transport: transportFrom(addr),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// tokenRequest is POST /management/auth/token with HTTP Basic credentials.
func (e *env) tokenRequest(email, password string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/management/auth/token", nil)
	req.SetBasicAuth(email, password)
	return req
}

// Issue 15, item 1: parallel wrong passwords from one address are counted
// before they are checked, so exactly security.login.maxAttempts of them
// reach the password hash; the rest are refused (429, Retry-After) without
// one, and without an audit row.
func TestParallelWrongLoginsVerifyOnlyTheAllowedAttempts(t *testing.T) {
	e := newEnv(t) // maxAttempts 5
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	max := e.cfg.Security.Login.MaxAttempts

	// Each allowed attempt is verified, unless the password gate was full
	// for longer than its queue waits (a busy machine): then it is answered
	// 503 and its attempt given back, and nothing else comes to take it.
	// Every other attempt is refused without a verification.
	before := models.PasswordVerifications()
	answers := burst(t, http.DefaultClient, 40, func() *http.Request { return e.tokenRequest(admin.Email, "not-the-password") })
	verified := int(models.PasswordVerifications() - before)
	counts := map[int]int{}
	for _, a := range answers {
		counts[a.status]++
	}
	if verified < 1 || verified > max || counts[http.StatusUnauthorized] != verified ||
		counts[http.StatusServiceUnavailable] != max-verified || counts[http.StatusTooManyRequests] != 40-max {
		t.Fatalf("%d passwords verified, answers = %v; want at most %d verified, one 401 each, 503 for the rest of %d, and %d × 429",
			verified, counts, max, max, 40-max)
	}
	if n := len(e.auditEvents("", models.EventLoginFailed)); n != verified {
		t.Fatalf("%d failed sign-ins audited, want %d (throttled attempts add nothing)", n, verified)
	}

	// The console's form: the same from another address.
	c := e.clientFrom(ownerAddr)
	form := url.Values{"_csrf": {c.csrfFrom("/login")}, "email": {"someone@example.com"}, "password": {"not-the-password"}}
	before = models.PasswordVerifications()
	answers = burst(t, c.hc, 40, func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, c.url("/login"), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	})
	verified = int(models.PasswordVerifications() - before)
	counts = map[int]int{}
	for _, a := range answers {
		counts[a.status]++
	}
	if verified < 1 || verified > max || counts[http.StatusServiceUnavailable] != max-verified || counts[http.StatusTooManyRequests] != 40-max {
		t.Fatalf("console: %d passwords verified, answers = %v; want at most %d verified, 503 for the rest of %d, and %d × 429",
			verified, counts, max, max, 40-max)
	}
}

// Issue 15, item 3: wrong passwords from one address do not lock the
// account's owner out from another. The attacker's address is refused; the
// owner signs in (console and API), only slowed down.
func TestLoginFailuresFromOneAddressDoNotLockOutTheOwner(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Security.Login.MaxAttempts = 3 })
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	attacker := e.clientFrom(attackerAddr)
	for i := 0; i < 3; i++ {
		attacker.login(admin.Email, fmt.Sprint("wrong-password-", i)).wantStatus(http.StatusUnauthorized)
	}
	// The attacking address is refused, even with the right password, and
	// for any account.
	attacker.login(admin.Email, adminPassword).wantStatus(http.StatusTooManyRequests)
	attacker.login("other@example.com", "whatever-password").wantStatus(http.StatusTooManyRequests)
	api := &http.Client{Transport: transportFrom(attackerAddr)}
	if resp, body := doReq(t, api, e.tokenRequest(admin.Email, adminPassword)); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("API from the attacking address: %d %s", resp.StatusCode, body)
	}

	// The owner, elsewhere, signs in: slowed down, not refused.
	owner := e.clientFrom(ownerAddr)
	start := time.Now()
	owner.mustLogin(admin.Email, adminPassword)
	if took := time.Since(start); took < throttle.DefaultBaseDelay {
		t.Fatalf("sign-in of an account under attack took %v, want at least the progressive delay %v", took, throttle.DefaultBaseDelay)
	}
	owner.get("/domains").wantStatus(http.StatusOK)
	ownerAPI := &http.Client{Transport: transportFrom(ownerAddr)}
	if resp, body := doReq(t, ownerAPI, e.tokenRequest(admin.Email, adminPassword)); resp.StatusCode != http.StatusOK {
		t.Fatalf("API from the owner's address: %d %s", resp.StatusCode, body)
	}
}

// Issue 15, item 3, at the gateway: a client_id is public; wrong secrets
// for it from one address do not refuse its right secret from another.
func TestGatewayFailuresFromOneAddressDoNotLockOutTheClient(t *testing.T) {
	g := newGatewayEnv(t, func(c *config.Config) { c.Security.Token.MaxAttempts = 3 })
	send := func(from, secret string) (*http.Response, string) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {g.app.ClientID}, "client_secret": {secret}}
		req, _ := http.NewRequest(http.MethodPost, g.tokenURL(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return doReq(t, &http.Client{Transport: transportFrom(from)}, req)
	}
	for i := 0; i < 3; i++ {
		resp, body := send(attackerAddr, "lks_wrong")
		g.wantInvalidClient(resp, body, false)
	}
	if resp, _ := send(attackerAddr, g.secret); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the attacking address got %d", resp.StatusCode)
	}
	for i := 0; i < 5; i++ {
		if resp, body := send(ownerAddr, g.secret); resp.StatusCode != http.StatusOK {
			t.Fatalf("the client's right secret from its own address: %d %s", resp.StatusCode, body)
		}
	}
}

// Issue 15, item 4: what was typed into the e-mail field is recorded only
// when it is an existing user's e-mail; anything else (a password typed
// into the wrong field) is recorded as unknown.
func TestFailedLoginRecordsOnlyKnownIdentities(t *testing.T) {
	e := newEnv(t)
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	const typedPassword = "Correct-Horse-Battery-Staple"
	e.client().login(typedPassword, "whatever").wantStatus(http.StatusUnauthorized)
	if resp, _ := doReq(t, http.DefaultClient, e.tokenRequest(typedPassword+"-api", "whatever")); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("API: %d", resp.StatusCode)
	}
	e.client().login(admin.Email, "wrong-password-1").wantStatus(http.StatusUnauthorized)

	evs := e.auditEvents("", models.EventLoginFailed)
	if len(evs) != 3 {
		t.Fatalf("%d failed sign-ins audited, want 3", len(evs))
	}
	page, err := e.store.AuditEvents(e.ctx, models.AuditFilter{PerPage: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range page.Events {
		if strings.Contains(strings.ToLower(ev.ActorEmail+ev.TargetName+ev.Detail), strings.ToLower(typedPassword)) {
			t.Fatalf("what was typed into the e-mail field reached the audit log: %+v", ev)
		}
	}
	var unknown, known int
	for _, ev := range evs {
		switch ev.ActorEmail {
		case models.UnknownIdentity:
			unknown++
		case admin.Email:
			known++
		default:
			t.Errorf("failed sign-in recorded as %q", ev.ActorEmail)
		}
	}
	if unknown != 2 || known != 1 {
		t.Fatalf("%d unknown and %d known identities, want 2 and 1", unknown, known)
	}
}

// Issue 15, item 4: failed client authentications with many distinct
// client ids are summarised in a bounded number of rows: the clients with
// the most failures, then one row for the others.
func TestGatewayFailureSummaryIsBounded(t *testing.T) {
	g := newGatewayEnv(t, func(c *config.Config) { c.Security.Token.MaxAttempts = 1000 })
	for i := 0; i < 3; i++ {
		resp, body := g.token("the-busiest-id", "lks_wrong")
		g.wantInvalidClient(resp, body, false)
	}
	for i := 0; i < 40; i++ {
		resp, body := g.token(fmt.Sprint("random-id-", i), "lks_wrong")
		g.wantInvalidClient(resp, body, false)
	}
	if err := g.srv.Flush(g.ctx); err != nil {
		t.Fatal(err)
	}
	page, err := g.store.AuditEvents(g.ctx, models.AuditFilter{Type: models.EventClientAuthFailed, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 11 {
		t.Fatalf("%d summary rows for 41 client ids, want 11 (10 named, 1 for the others)", page.Total)
	}
	var busiest, others bool
	for _, ev := range page.Events {
		if ev.TargetName == "the-busiest-id" && strings.HasPrefix(ev.Detail, "3 failed client authentications") {
			busiest = true
		}
		if strings.HasPrefix(ev.Detail, "and 31 other client ids: 31 failed client authentications") && ev.DomainID == g.domain.ID {
			others = true
		}
	}
	if !busiest || !others {
		t.Fatalf("summary rows lack the busiest client or the others:\n%+v", page.Events)
	}
}

// Issue 15, item 10: after a password change, the page says exactly what
// ended (other console sessions, issued API tokens) and what did not
// (personal API tokens, with a link to revoke them); and that is true.
func TestPasswordChangeSaysWhatEnds(t *testing.T) {
	e := newEnv(t)
	a, u := e.admin()
	personal := e.personalToken(u.ID, "automation", false).Value
	issued := e.apiToken(u.Email, adminPassword)
	r := a.submit("/account", "/account/password", url.Values{"current": {adminPassword}, "password": {"new-password-1234"}, "confirm": {"new-password-1234"}})
	r.wantRedirect("/account")
	page := a.follow(r)
	flash := page.flash()
	for _, want := range []string{
		"Password changed.",
		"your other console sessions and the API tokens issued for your password (POST /management/auth/token) no longer work",
		"Your personal API tokens keep working until they expire or you revoke them.",
		"Revoke personal API tokens",
	} {
		if !strings.Contains(flash, want) {
			t.Errorf("flash %q does not say %q", flash, want)
		}
	}
	if href := page.attr("#flash-revoke-tokens", "href"); href != "/account#api-tokens" {
		t.Errorf("revoke link = %q", href)
	}
	if !page.has("#api-tokens") {
		t.Error("the link's target is not on the Account page")
	}
	e.api(personal).get(apiPrefix + "/domains").want(http.StatusOK)
	e.api(issued).get(apiPrefix+"/domains").wantError(http.StatusUnauthorized, "invalid, expired or revoked")
}

func doReq(t *testing.T, hc *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// Wrong current passwords on the Account page are throttled like
// sign-ins: counted before they are checked, then refused (429).
func TestPasswordChangeThrottled(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Security.Login.MaxAttempts = 3 })
	a, _ := e.admin()
	change := func(current string) *response {
		return a.submit("/account", "/account/password", url.Values{"current": {current}, "password": {"new-password-1234"}, "confirm": {"new-password-1234"}})
	}
	before := models.PasswordVerifications()
	for i := 0; i < 3; i++ {
		change(fmt.Sprint("wrong-password-", i)).wantFieldError("current", "not correct")
	}
	r := change(adminPassword)
	r.wantStatus(http.StatusTooManyRequests)
	r.wantFieldError("current", "Too many wrong current passwords")
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if n := models.PasswordVerifications() - before; n != 3 {
		t.Fatalf("%d passwords verified, want 3: the refused attempt must not be checked", n)
	}
}
