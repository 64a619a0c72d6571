package web_test

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"latchkey/config"
	"latchkey/models"
)

// disconnectTries is how many creates are sent and abandoned, half through
// the console's form and half through the Management API.
const disconnectTries = 240

// TestCreateThenDisconnect sends complete secret-create requests on raw
// connections and closes each connection right away, after a delay that
// varies from nothing to a few milliseconds, so the client goes
// away before, during and after the write. Whatever the timing, every
// secret created has its APPLICATION_CLIENT_SECRET_CREATED event, no event
// names a secret that does not exist, and nothing is logged as an internal
// error (no 500 for a committed change). What is asserted does not depend
// on the timing; the timing only decides which case each try falls in.
func TestCreateThenDisconnect(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Applications.SecretsMax = disconnectTries + 10 })
	c, admin := e.admin()
	d := e.createDomain("Acme", "acme")
	a := e.createApp(d.ID, "Billing")
	token := e.personalToken(admin.ID, "disconnect", false).Value

	tab := "/domains/" + d.ID + "/applications/" + a.ID + "/secrets"
	csrf := c.csrfFrom(tab)
	base, err := url.Parse(e.ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	var cookies []string
	for _, ck := range c.hc.Jar.Cookies(base) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	consoleRequest := func(name string) string {
		body := url.Values{"description": {name}, "_csrf": {csrf}}.Encode()
		return "POST " + tab + " HTTP/1.1\r\nHost: " + base.Host +
			"\r\nCookie: " + strings.Join(cookies, "; ") +
			"\r\nContent-Type: application/x-www-form-urlencoded" +
			fmt.Sprintf("\r\nContent-Length: %d\r\n\r\n", len(body)) + body
	}
	apiRequest := func(name string) string {
		body := `{"name":"` + name + `"}`
		return "POST " + appPathAPI(d.ID, a.ID) + "/secrets HTTP/1.1\r\nHost: " + base.Host +
			"\r\nAuthorization: Bearer " + token +
			"\r\nContent-Type: application/json" +
			fmt.Sprintf("\r\nContent-Length: %d\r\n\r\n", len(body)) + body
	}

	for i := range disconnectTries {
		name := fmt.Sprintf("try-%03d", i)
		req := consoleRequest(name)
		if i%2 == 1 {
			req = apiRequest(name)
		}
		conn, err := net.Dial("tcp", base.Host)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		// The delay is what the test varies, not a wait for something:
		// 0 to about 40 ms, denser near 0 (SQLite commits within a few
		// hundred µs; PostgreSQL may first open a connection), spun rather than slept
		// (sleeps this short are not kept). Every other try resets the connection instead of closing
		// it politely.
		k := time.Duration(i % 48)
		spin(k * k * 18 * time.Microsecond)
		if i%4 >= 2 {
			_ = conn.(*net.TCPConn).SetLinger(0)
		}
		_ = conn.Close()
	}
	// Close waits for every request still being served: after it, all the
	// writes that started have ended.
	e.ts.Close()

	secrets, err := e.store.Secrets(e.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	page, err := e.store.AuditEvents(e.ctx, models.AuditFilter{ApplicationID: a.ID, Type: models.EventSecretCreated, PerPage: 500})
	if err != nil {
		t.Fatal(err)
	}
	events := map[string]int{}
	for _, ev := range page.Events {
		if ev.Outcome != models.OutcomeSuccess {
			t.Errorf("unexpected refused create: %+v", ev)
			continue
		}
		events[ev.TargetID]++
	}
	created := 0
	ids := map[string]bool{}
	for _, s := range secrets {
		ids[s.ID] = true
		if !strings.HasPrefix(s.Description, "try-") {
			continue // the application's first secret, made by the fixture
		}
		created++
		if events[s.ID] != 1 {
			t.Errorf("secret %s (%s) has %d creation events, want 1", s.ID, s.Description, events[s.ID])
		}
	}
	for id := range events {
		if !ids[id] {
			t.Errorf("creation event for secret %s, which does not exist", id)
		}
	}
	logs := e.logs.String()
	if strings.Contains(logs, "level=ERROR") || strings.Contains(logs, "status=500") {
		t.Errorf("an abandoned create was logged as an internal error:\n%s", logs)
	}
	t.Logf("%d of %d abandoned creates were committed", created, disconnectTries)
}

// spin waits d by looping: it keeps microseconds, which time.Sleep does not.
func spin(d time.Duration) {
	for t0 := time.Now(); time.Since(t0) < d; {
	}
}
