package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"latchkey/models"
	"latchkey/notify"
)

// notifyEnv is a console whose admin owns a domain with an application and
// a secret expiring in 3 days, announced by one run of the notifier.
type notifyEnv struct {
	*env
	admin   *client
	user    *models.User
	domain  *models.Domain
	app     *models.Application
	secret  string
	notices []models.Notice
}

func newNotifyEnv(t *testing.T) *notifyEnv {
	t.Helper()
	e := newEnv(t)
	c, u := e.admin()
	d, err := e.store.CreateDomain(e.ctx, models.Actor{}, models.DomainInput{Name: "Payments", Enabled: true, OwnerIDs: []string{u.ID}})
	if err != nil {
		t.Fatal(err)
	}
	a, first, err := e.store.CreateApplication(e.ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "Billing API", Type: models.AppTypeService})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(3*24*time.Hour + time.Hour)
	if err := e.store.SetSecretExpiry(e.ctx, first.ID, &at); err != nil {
		t.Fatal(err)
	}
	n := &notifyEnv{env: e, admin: c, user: u, domain: d, app: a, secret: first.ID}
	n.runNotifier()
	return n
}

// runNotifier runs the expiry job once, console and log channels on, and
// reloads the admin's notices.
func (n *notifyEnv) runNotifier() {
	n.t.Helper()
	no, err := notify.New(n.store, n.cfg, nil)
	if err != nil {
		n.t.Fatal(err)
	}
	if _, err := no.Run(n.ctx); err != nil {
		n.t.Fatal(err)
	}
	p, err := n.store.Notifications(n.ctx, n.user.ID, 1, 50)
	if err != nil {
		n.t.Fatal(err)
	}
	n.notices = p.Notifications
}

func TestBellShowsUnreadNotices(t *testing.T) {
	n := newNotifyEnv(t)
	if len(n.notices) != 1 {
		t.Fatalf("the admin has %d notices, want 1", len(n.notices))
	}
	r := n.admin.get("/domains").wantStatus(http.StatusOK)
	if got := r.text("#unread-count"); got != "1" {
		t.Errorf("bell count = %q, want 1", got)
	}
	if got := r.attr("#notification-menu summary", "aria-label"); got != "Notifications, 1 unread" {
		t.Errorf("bell label = %q", got)
	}
	item := r.text("#notification-menu-list li")
	if !strings.Contains(item, "Client secret “Default” of Billing API expires in 3 days") {
		t.Errorf("dropdown item = %q", item)
	}
	if got := r.attr("#notification-menu-list a", "href"); got != "/domains/"+n.domain.ID+"/applications/"+n.app.ID+"/secrets" {
		t.Errorf("dropdown link = %q", got)
	}
	// Every page has the bell; a viewer has no notices of their own.
	v, _ := n.viewer()
	r = v.get("/audit").wantStatus(http.StatusOK)
	if r.has("#unread-count") || !r.has("#notification-menu") {
		t.Error("the viewer's bell is missing or shows a count")
	}
	if got := r.text("#notification-dropdown"); !strings.Contains(got, "No unread notifications.") {
		t.Errorf("viewer's dropdown = %q", got)
	}
	// The login page has no bell.
	if n.client().get("/login").has("#notification-menu") {
		t.Error("the login page shows a bell")
	}
}

func TestMarkNotificationRead(t *testing.T) {
	n := newNotifyEnv(t)
	id := n.notices[0].ID
	// CSRF is required.
	n.admin.postRaw("/notifications/"+id+"/read", url.Values{}).wantStatus(http.StatusForbidden)
	// Another user's notice is not found.
	v, _ := n.viewer()
	v.submit("/notifications", "/notifications/"+id+"/read", nil).wantNotFoundPage()

	r := n.admin.submit("/notifications", "/notifications/"+id+"/read", url.Values{"next": {"/notifications?page=1"}})
	r.wantRedirect("/notifications?page=1")
	page := n.admin.follow(r).wantStatus(http.StatusOK)
	if page.has("#unread-count") {
		t.Error("the bell still counts the notice")
	}
	if page.flash() != "Notification marked as read." {
		t.Errorf("flash = %q", page.flash())
	}
	if page.has("#notification-" + id + "[data-unread]") {
		t.Error("the notice is still shown unread")
	}
	// "next" never leaves the Notifications page.
	n.admin.submit("/notifications", "/notifications/"+id+"/read", url.Values{"next": {"//evil.example/"}}).wantRedirect("/notifications")
	n.admin.submit("/notifications", "/notifications/"+id+"/read", url.Values{"next": {"/users"}}).wantRedirect("/notifications")
}

func TestMarkAllNotificationsRead(t *testing.T) {
	n := newNotifyEnv(t)
	second, err := n.store.CreateSecret(n.ctx, models.Actor{}, n.app.ID, "second")
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	if err := n.store.SetSecretExpiry(n.ctx, second.ID, &past); err != nil {
		t.Fatal(err)
	}
	n.runNotifier()
	r := n.admin.get("/domains/" + n.domain.ID)
	if got := r.text("#unread-count"); got != "2" {
		t.Fatalf("bell count = %q, want 2", got)
	}
	// The dropdown's form, as a browser without JavaScript sends it.
	tok := r.csrf()
	r = n.admin.postRaw("/notifications/read-all", url.Values{"_csrf": {tok}})
	r.wantRedirect("/notifications")
	page := n.admin.follow(r)
	if page.has("#unread-count") || page.flash() != "2 notifications marked as read." {
		t.Errorf("after marking all read: count shown %v, flash %q", page.has("#unread-count"), page.flash())
	}
	if c, _ := n.store.UnreadNotificationCount(n.ctx, n.user.ID); c != 0 {
		t.Errorf("%d unread left", c)
	}
}

func TestNotificationsPage(t *testing.T) {
	n := newNotifyEnv(t)
	r := n.admin.get("/notifications").wantStatus(http.StatusOK)
	if got := r.text("#notification-list li"); !strings.Contains(got, "expires in 3 days") || !strings.Contains(got, "Payments") {
		t.Errorf("notice = %q", got)
	}
	if got := r.attr("#notification-list a", "href"); got != "/domains/"+n.domain.ID+"/applications/"+n.app.ID+"/secrets" {
		t.Errorf("notice link = %q", got)
	}
	summary := r.text("#last-run-summary")
	for _, want := range []string{"Last run", "1 due secret scanned", "2 notices sent (1 console, 1 log)"} {
		if !strings.Contains(summary, want) {
			t.Errorf("last run summary %q lacks %q", summary, want)
		}
	}
	table := r.text("#run-notices")
	for _, want := range []string{"Expires within 5 days", "Default", "Billing API", "Console", "admin@example.com", "Log", "Sent"} {
		if !strings.Contains(table, want) {
			t.Errorf("run notices table lacks %q: %s", want, table)
		}
	}
	// Before any run the page says so.
	e := newEnv(t)
	c, _ := e.admin()
	r = c.get("/notifications").wantStatus(http.StatusOK)
	if !strings.Contains(r.text("#last-run"), "has not run yet") || !r.has(".empty-state") {
		t.Errorf("empty page: %s", r.text("main"))
	}
	// Anonymous visitors are sent to the login page.
	e.client().get("/notifications").wantRedirect("/login?next=%2Fnotifications")
}

func TestDomainPageListsExpiringSecrets(t *testing.T) {
	n := newNotifyEnv(t)
	later, err := n.store.CreateSecret(n.ctx, models.Actor{}, n.app.ID, "next quarter")
	if err != nil {
		t.Fatal(err)
	}
	far := time.Now().Add(90 * 24 * time.Hour)
	if err := n.store.SetSecretExpiry(n.ctx, later.ID, &far); err != nil {
		t.Fatal(err)
	}
	r := n.admin.get("/domains/" + n.domain.ID).wantStatus(http.StatusOK)
	section := r.text("#expiring-secrets")
	if !strings.Contains(section, "Billing API") || !strings.Contains(section, "Default") || !strings.Contains(section, "Expiring") {
		t.Errorf("expiring section = %q", section)
	}
	if strings.Contains(section, "next quarter") {
		t.Error("a secret expiring in 90 days is listed")
	}
	if got := r.attr("#expiring-secrets a", "href"); got != "/domains/"+n.domain.ID+"/applications/"+n.app.ID+"/secrets" {
		t.Errorf("link = %q", got)
	}
	empty := n.createDomain("Quiet", "quiet")
	if got := n.admin.get("/domains/" + empty.ID).text("#expiring-secrets"); !strings.Contains(got, "No client secret of this domain") {
		t.Errorf("empty domain section = %q", got)
	}
}

func TestNotificationAPI(t *testing.T) {
	n := newNotifyEnv(t)
	tok := n.personalToken(n.user.ID, "bell", true) // read-only tokens may acknowledge
	api := n.api(tok.Value)
	var list []struct {
		ID, Title, Message, Status, Type, Link, Domain, Application, Secret string
		CreatedAt, ExpiresAt                                                int64
	}
	api.get("/management/user/notifications").want(http.StatusOK).decode(&list)
	if len(list) != 1 || list[0].Status != "UNREAD" || list[0].Type != models.NoticeWillExpire || list[0].Secret != n.secret ||
		list[0].CreatedAt == 0 || list[0].Link != "/domains/"+n.domain.ID+"/applications/"+n.app.ID+"/secrets" {
		t.Fatalf("list = %+v", list)
	}
	// Another user cannot acknowledge it.
	v := n.createUser("vera@example.com", "Vera", viewerPassword, models.RoleViewer)
	other := n.api(n.personalToken(v.ID, "other", false).Value)
	other.post("/management/user/notifications/"+list[0].ID+"/acknowledge", nil).wantError(http.StatusNotFound, "The requested resource does not exist.")
	var none []any
	other.get("/management/user/notifications").want(http.StatusOK).decode(&none)
	if len(none) != 0 {
		t.Errorf("another user sees %d notices", len(none))
	}

	api.post("/management/user/notifications/"+list[0].ID+"/acknowledge", nil).want(http.StatusNoContent)
	api.post("/management/user/notifications/"+list[0].ID+"/acknowledge", nil).want(http.StatusNoContent)
	api.get("/management/user/notifications").want(http.StatusOK).decode(&list)
	if len(list) != 0 {
		t.Errorf("after acknowledging: %d unread", len(list))
	}
	if n.admin.get("/domains").has("#unread-count") {
		t.Error("the console's bell still counts the acknowledged notice")
	}
	// Bearer tokens only: no token is 401, and a console session does not
	// authenticate the API.
	n.api("").get("/management/user/notifications", invalidRequest()).want(http.StatusUnauthorized)
	n.api("").withHTTP(n.admin.hc).get("/management/user/notifications", invalidRequest()).want(http.StatusUnauthorized)
}
