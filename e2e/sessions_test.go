package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// signInOverHTTP signs the user in from a plain HTTP client with a chosen
// User-Agent, as another browser would, and returns that client.
func signInOverHTTP(t *testing.T, srv *server, email, password, userAgent string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	send := func(method, path string, form url.Values) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL(path), strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("User-Agent", userAgent)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, string(body)
	}
	_, page := send(http.MethodGet, "/login", nil)
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the login page:\n%s", page)
	}
	res, body := send(http.MethodPost, "/login", url.Values{"_csrf": {html.UnescapeString(m[1])}, "email": {email}, "password": {password}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/domains" {
		t.Fatalf("sign-in over HTTP: %d %s\n%s", res.StatusCode, res.Header.Get("Location"), body)
	}
	return hc
}

// signedIn reports whether an HTTP client's session still opens a page.
func signedIn(t *testing.T, srv *server, hc *http.Client) bool {
	t.Helper()
	res, err := hc.Get(srv.URL("/domains"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// TestAccountSessions lists the person's sessions on the Account page in a
// real browser, signs one out with its own button, then signs out
// everywhere else: the other browsers lose their sessions at once, this one
// keeps it, all without a CSP violation or a script error.
func TestAccountSessions(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	admin := signIn(t, srv, ctx)
	const password = "correct-horse-battery-9" // signIn's
	firefox := signInOverHTTP(t, srv, admin.Email, password,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0")
	safari := signInOverHTTP(t, srv, admin.Email, password,
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15")

	load(t, ctx, "open the Account page", http.StatusOK, `/account`, chromedp.Navigate(srv.URL("/account")))
	requireScriptsLoaded(t, ctx, "account")
	rows := func(step string) int {
		return run(t, ctx, step, chromedp.Evaluate[int](`document.querySelectorAll("#session-table .session-row").length`))
	}
	if n := rows("count the sessions"); n != 3 {
		t.Fatalf("%d sessions listed, want 3", n)
	}
	requireContains(t, ctx, "this browser's session", "#session-table .session-row:has(.session-current) .session-browser", "Chrome")
	list := run(t, ctx, "read the list", chromedp.Text(chromedp.CSS("#session-table")))
	for _, want := range []string{"Firefox 121 on Windows", "Safari 17 on MacOS", "127.0.0.1", "This session"} {
		if !strings.Contains(list, want) {
			t.Errorf("the session list lacks %q:\n%s", want, list)
		}
	}
	saveScreenshot(t, ctx, "sessions-01-list")

	// One session, signed out with its own button.
	ss, err := srv.Store.Sessions(t.Context(), admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	var firefoxID string
	for _, s := range ss {
		if strings.Contains(s.UserAgent, "Firefox") {
			firefoxID = s.ID
		}
	}
	row := `#session-table tr[data-session-id="` + firefoxID + `"]`
	load(t, ctx, "sign the Firefox session out", http.StatusOK, `/account`,
		chromedp.Click(chromedp.CSS(row+" [data-action=end-session]")))
	requireContains(t, ctx, "the confirmation", "[role=status]", "Session signed out")
	requireAbsent(t, ctx, "the Firefox session", row)
	if signedIn(t, srv, firefox) {
		t.Fatal("the signed-out Firefox session still opens pages")
	}
	if !signedIn(t, srv, safari) {
		t.Fatal("signing one session out ended another")
	}

	load(t, ctx, "sign out everywhere else", http.StatusOK, `/account`, chromedp.Click(chromedp.CSS("#end-others")))
	requireContains(t, ctx, "the confirmation", "[role=status]", "Signed out everywhere else")
	if n := rows("count the sessions left"); n != 1 {
		t.Fatalf("%d sessions listed after signing out everywhere else, want 1", n)
	}
	requireText(t, ctx, "the one left", "#session-table .session-current", "This session")
	requireAbsent(t, ctx, "the button, with nothing else to sign out", "#end-others")
	if signedIn(t, srv, safari) {
		t.Fatal("the Safari session survived \"Sign out everywhere else\"")
	}
	saveScreenshot(t, ctx, "sessions-02-alone")
	load(t, ctx, "this browser is still signed in", http.StatusOK, `/domains`, chromedp.Navigate(srv.URL("/domains")))
	if ss, err := srv.Store.Sessions(t.Context(), admin.ID); err != nil || len(ss) != 1 {
		t.Fatalf("stored sessions = %d (%v), want 1", len(ss), err)
	}
}
