package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"latchkey/config"
	"latchkey/models"
)

const firefoxUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"

// loginAs signs c in with a chosen User-Agent header.
func (c *client) loginAs(email, password, userAgent string) {
	c.t.Helper()
	tok := c.csrfFrom("/login")
	c.postRaw("/login", url.Values{"_csrf": {tok}, "email": {email}, "password": {password}}, "User-Agent", userAgent).
		wantRedirect("/domains")
}

// sessionEvents returns the details of the session-ending audit events.
func (e *env) sessionEvents() []string {
	e.t.Helper()
	page, err := e.store.AuditEvents(e.ctx, models.AuditFilter{Type: models.EventSessionsEnded})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range page.Events {
		out = append(out, ev.ActorEmail+": "+ev.Detail)
	}
	return out
}

func TestLogoutEndsTheSessionOnTheServer(t *testing.T) {
	e := newEnv(t)
	c, u := e.admin()
	tok := c.csrfFrom("/domains/new")
	saved := c.cookie("latchkey_session").Value
	savedCSRF := c.cookie("latchkey_csrf").Value

	c.submit("/domains", "/logout", nil).wantRedirect("/login")

	// The cookies saved before the logout, replayed by another browser.
	replay := e.client()
	replay.setCookie("latchkey_session", saved)
	replay.setCookie("latchkey_csrf", savedCSRF)
	replay.get("/domains").wantRedirect("/login?next=" + url.QueryEscape("/domains"))
	replay.setCookie("latchkey_session", saved)
	r := replay.postRaw("/domains", url.Values{"name": {"Replayed"}, "enabled": {"true"}, "_csrf": {tok}})
	if r.Status == http.StatusSeeOther && strings.HasPrefix(r.location(), "/domains/") {
		t.Fatalf("a replayed cookie created a domain: %s", r.location())
	}
	if n := len(e.domains()); n != 0 {
		t.Fatalf("%d domains created with a cookie replayed after logout", n)
	}
	if ev := e.sessionEvents(); len(ev) != 1 || !strings.HasPrefix(ev[0], u.Email+": "+models.SessionEndSignOut) {
		t.Fatalf("session events = %q, want one sign-out by %s", ev, u.Email)
	}
}

func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	e := newEnv(t)
	victim, _ := e.admin()
	victim.get("/domains").wantStatus(http.StatusOK)
	form := func(tok string) url.Values {
		return url.Values{"name": {"Forged"}, "enabled": {"true"}, "_csrf": {tok}}
	}
	wantRefused := func(t *testing.T, r *response) {
		t.Helper()
		r.wantForbidden()
		if n := len(e.domains()); n != 0 {
			t.Fatalf("%d domains created by a forged request", n)
		}
	}
	own := victim.cookie("latchkey_csrf").Value
	t.Cleanup(func() { victim.setCookie("latchkey_csrf", own) })

	t.Run("planted cookie with a matching form value", func(t *testing.T) {
		victim.setCookie("latchkey_csrf", "planted-by-a-sibling-subdomain")
		wantRefused(t, victim.postRaw("/domains", form("planted-by-a-sibling-subdomain")))
		victim.setCookie("latchkey_csrf", "planted-by-a-sibling-subdomain")
		wantRefused(t, victim.postRaw("/domains", form(""), "X-CSRF-Token", "planted-by-a-sibling-subdomain", "HX-Request", "true"))
	})
	t.Run("the attacker's own valid cookie and token", func(t *testing.T) {
		attacker, _ := e.viewer()
		tok := attacker.csrfFrom("/account")
		victim.setCookie("latchkey_csrf", attacker.cookie("latchkey_csrf").Value)
		wantRefused(t, victim.postRaw("/domains", form(tok)))
	})
	t.Run("an anonymous cookie and token", func(t *testing.T) {
		anon := e.client()
		tok := anon.csrfFrom("/login")
		victim.setCookie("latchkey_csrf", anon.cookie("latchkey_csrf").Value)
		wantRefused(t, victim.postRaw("/domains", form(tok)))
	})
	t.Run("a token of an earlier session", func(t *testing.T) {
		victim.setCookie("latchkey_csrf", own)
		old := victim.csrfFrom("/domains/new")
		victim.submit("/domains", "/logout", nil).wantRedirect("/login")
		victim.mustLogin("admin@example.com", adminPassword)
		wantRefused(t, victim.postRaw("/domains", form(old)))
		// The new session's own token works.
		victim.submit("/domains/new", "/domains", url.Values{"name": {"Acme"}, "enabled": {"true"}}).wantStatus(http.StatusSeeOther)
		if e.domainByName("Acme") == nil {
			t.Fatal("the session's own token was refused")
		}
	})
}

func TestHostPrefixedCookiesOverHTTPS(t *testing.T) {
	for name, cfg := range map[string]func(*config.Config){
		"publicURL https":     func(c *config.Config) { c.Server.PublicURL = "https://latchkey.example.com" },
		"secureCookie always": func(c *config.Config) { c.Session.SecureCookie = "always" },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, cfg)
			e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
			c := e.client()
			page := c.get("/login").wantStatus(http.StatusOK)
			ck := findCookie(page.Cookies, "__Host-latchkey_csrf")
			if ck == nil || !ck.Secure || ck.Path != "/" || ck.Domain != "" || findCookie(page.Cookies, "latchkey_csrf") != nil {
				t.Fatalf("CSRF cookies = %v, want only __Host-latchkey_csrf, Secure, Path=/, no Domain", page.Cookies)
			}
			// The jar does not send Secure cookies over http: send them
			// by hand, as a browser would over HTTPS.
			r := c.postRaw("/login", url.Values{"_csrf": {page.csrf()}, "email": {"admin@example.com"}, "password": {adminPassword}},
				"Cookie", "__Host-latchkey_csrf="+ck.Value)
			r.wantRedirect("/domains")
			s := findCookie(r.Cookies, "__Host-latchkey_session")
			if s == nil || !s.Secure || s.Path != "/" || s.Domain != "" || findCookie(r.Cookies, "latchkey_session") != nil {
				t.Fatalf("session cookies = %v, want only __Host-latchkey_session, Secure, Path=/", r.Cookies)
			}
			req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/account", nil)
			req.Header.Set("Cookie", "__Host-latchkey_session="+s.Value+"; __Host-latchkey_csrf="+ck.Value)
			c.do(req).wantStatus(http.StatusOK)
		})
	}
}

func TestAccountPageListsAndEndsSessions(t *testing.T) {
	e := newEnv(t)
	a, u := e.admin()
	b := e.client()
	b.loginAs(u.Email, adminPassword, firefoxUA)
	v, vu := e.viewer()

	page := a.get("/account").wantStatus(http.StatusOK)
	rows := page.Doc.Find("#session-table .session-row")
	if rows.Length() != 2 {
		t.Fatalf("%d sessions listed, want 2:\n%s", rows.Length(), page.Body)
	}
	if n := page.Doc.Find(".session-current").Length(); n != 1 {
		t.Fatalf("%d sessions marked current, want 1", n)
	}
	var bID string
	rows.Each(func(_ int, s *goquery.Selection) {
		if s.Find(".session-current").Length() == 0 {
			bID, _ = s.Attr("data-session-id")
			if got := strings.TrimSpace(s.Find(".session-browser").Text()); got != "Firefox 121 on Windows" {
				t.Errorf("browser = %q, want %q", got, "Firefox 121 on Windows")
			}
			if got := strings.TrimSpace(s.Find(".session-address").Text()); got != "127.0.0.1" {
				t.Errorf("address = %q", got)
			}
			if s.Find(".session-started").Text() == "" || s.Find(".session-last-seen").Text() == "" {
				t.Error("no started or last-seen time")
			}
		}
	})
	if !page.has("#end-others") {
		t.Error("no \"Sign out everywhere else\" with two sessions")
	}

	t.Run("sign out one other session", func(t *testing.T) {
		r := a.submit("/account", "/account/sessions/"+bID+"/end", nil)
		r.wantRedirect("/account")
		b.get("/domains").wantRedirect("/login?next=" + url.QueryEscape("/domains"))
		a.get("/domains").wantStatus(http.StatusOK)
		// Gone now: a second try is a 404.
		a.submit("/account", "/account/sessions/"+bID+"/end", nil).wantNotFoundPage()
	})
	t.Run("someone else's session is not mine to end", func(t *testing.T) {
		ss, err := e.store.Sessions(e.ctx, vu.ID)
		if err != nil || len(ss) != 1 {
			t.Fatalf("viewer sessions = %v, %v", ss, err)
		}
		a.submit("/account", "/account/sessions/"+ss[0].ID+"/end", nil).wantNotFoundPage()
		v.get("/domains").wantStatus(http.StatusOK)
	})
	t.Run("sign out everywhere else", func(t *testing.T) {
		b.loginAs(u.Email, adminPassword, firefoxUA)
		c3 := e.client()
		c3.mustLogin(u.Email, adminPassword)
		r := a.submit("/account", "/account/sessions/end-others", nil)
		r.wantRedirect("/account")
		if got := a.follow(r).flash(); !strings.Contains(got, "2 sessions") {
			t.Errorf("flash = %q, want it to say 2 sessions ended", got)
		}
		for _, other := range []*client{b, c3} {
			other.get("/domains").wantRedirect("/login?next=" + url.QueryEscape("/domains"))
		}
		page := a.get("/account").wantStatus(http.StatusOK)
		if n := page.Doc.Find("#session-table .session-row").Length(); n != 1 || page.has("#end-others") {
			t.Fatalf("%d sessions listed after signing out everywhere else, want only this one", n)
		}
		v.get("/domains").wantStatus(http.StatusOK) // another user's session is untouched
	})
	t.Run("signing out this session from the list", func(t *testing.T) {
		cur := a.get("/account").attr(".session-row", "data-session-id")
		a.submit("/account", "/account/sessions/"+cur+"/end", nil).wantRedirect("/login")
		a.get("/domains").wantStatus(http.StatusSeeOther)
	})
	events := strings.Join(e.sessionEvents(), "\n")
	for _, want := range []string{models.SessionEndOne, models.SessionEndOthers + " (2 sessions)", models.SessionEndSignOut} {
		if !strings.Contains(events, want) {
			t.Errorf("audit lacks %q:\n%s", want, events)
		}
	}
}

func TestAdminEndsAUsersSessions(t *testing.T) {
	e := newEnv(t)
	admin, au := e.admin()
	v1, vu := e.viewer()
	v2 := e.client()
	v2.mustLogin(vu.Email, viewerPassword)

	page := admin.get("/users").wantStatus(http.StatusOK)
	row := page.Doc.Find("#user-list tr").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return strings.Contains(s.Text(), vu.Email)
	})
	if got := strings.Join(strings.Fields(row.Find(".user-sessions").Text()), " "); !strings.HasPrefix(got, "2 sessions") {
		t.Fatalf("viewer's sessions cell = %q, want 2 sessions", got)
	}

	// A viewer cannot end anyone's sessions.
	v1.submit("/account", "/users/"+au.ID+"/sessions/end", nil).wantForbidden()
	admin.get("/domains").wantStatus(http.StatusOK)

	r := admin.submit("/users", "/users/"+vu.ID+"/sessions/end", nil)
	r.wantRedirect("/users")
	for _, c := range []*client{v1, v2} {
		c.get("/domains").wantRedirect("/login?next=" + url.QueryEscape("/domains"))
	}
	if got := strings.Join(e.sessionEvents(), "\n"); !strings.Contains(got, au.Email+": "+models.SessionEndByAdmin+" (2 sessions)") {
		t.Fatalf("audit = %q, want the administrator's ending of 2 sessions", got)
	}

	// Ending one's own keeps the session in use.
	other := e.client()
	other.mustLogin(au.Email, adminPassword)
	admin.submit("/users", "/users/"+au.ID+"/sessions/end", nil).wantRedirect("/users")
	admin.get("/domains").wantStatus(http.StatusOK)
	other.get("/domains").wantStatus(http.StatusSeeOther)
}
