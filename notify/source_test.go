package notify

import (
	"context"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	texttemplate "text/template"
	"time"

	"latchkey/config"
	"latchkey/models"
)

// gadgets is a second source, kept in memory: what a source of
// certificates will be, without its table. Its kind gets a ledger column
// and a partial key as its migration would give it, and no foreign key.
type gadgets struct {
	mu    sync.Mutex
	items []models.Subject // by (expiry, id)
}

var gadgetKindColumn = "gadget_id"

func (g *gadgets) kind() models.LedgerKind {
	return models.LedgerKind{
		Name: "gadget", Column: gadgetKindColumn,
		Subjects: func(_ context.Context, _ *models.Store, ids []string) (map[string]models.Subject, error) {
			g.mu.Lock()
			defer g.mu.Unlock()
			out := map[string]models.Subject{}
			for _, it := range g.items {
				if slices.Contains(ids, it.ID) {
					out[it.ID] = it
				}
			}
			return out, nil
		},
		Title: func(t models.NoticeText) string {
			if t.Expired() {
				return fmt.Sprintf("Gadget %s has expired", t.SubjectName)
			}
			return fmt.Sprintf("Gadget %s expires %s", t.SubjectName, t.Remaining())
		},
		Message: func(t models.NoticeText) string {
			return fmt.Sprintf("The gadget %s of domain %s expires on %s.", t.SubjectName, t.DomainName, t.ExpiryDate())
		},
	}
}

func (g *gadgets) Kind() models.LedgerKind { return g.kind() }

func (g *gadgets) Due(_ context.Context, horizon time.Time, after *models.DueCursor, limit int) ([]models.Subject, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []models.Subject
	for _, it := range g.items {
		if it.ExpiresAt.After(horizon) {
			continue
		}
		if after != nil && (it.ExpiresAt.Before(after.ExpiresAt) || it.ExpiresAt.Equal(after.ExpiresAt) && it.ID <= after.ID) {
			continue
		}
		if len(out) < limit {
			out = append(out, it)
		}
	}
	return out, nil
}

func (g *gadgets) Wording() *Wording {
	return &Wording{
		WillExpire: "GADGET_WILL_EXPIRE", Expired: "GADGET_EXPIRED",
		Path: func(s models.Subject) string { return "/domains/" + s.DomainID + "/gadgets/" + s.ID },
		EmailSubject: func(template string, n *notice) string {
			return strings.ReplaceAll(template, "${gadgetName}", n.Subject.Name)
		},
		MailData: func(n *notice, name string) any {
			return map[string]string{"Name": name, "Title": n.Title(), "Link": n.Link}
		},
		Text: texttemplate.Must(texttemplate.New("t").Parse("Hello {{.Name}}, {{.Title}}: {{.Link}}")),
		HTML: htmltemplate.Must(htmltemplate.New("h").Parse("<p>Hello {{.Name}}, {{.Title}}: {{.Link}}</p>")),
		Webhook: func(n *notice) any {
			return map[string]any{"id": webhookID(n), "type": n.Event, "summary": n.Title(), "link": n.Link}
		},
		LogAttrs: func(attrs []slog.Attr, n *notice) []slog.Attr {
			return append(attrs, slog.String("gadget", n.Subject.Name))
		},
	}
}

// withGadgets gives the world's ledger the gadgets' column and key, and
// returns a notifier over the client secrets and the gadgets.
func (w *world) withGadgets(g *gadgets, settings config.NotifierSource) *Notifier {
	w.t.Helper()
	db, err := w.store.SQLDB()
	if err != nil {
		w.t.Fatal(err)
	}
	for _, stmt := range []string{
		"ALTER TABLE notification_ledgers ADD COLUMN " + gadgetKindColumn + " VARCHAR(36)",
		"CREATE UNIQUE INDEX idx_ledger_gadget_key ON notification_ledgers (expires_at, " + gadgetKindColumn +
			", event, threshold, recipient, channel) WHERE " + gadgetKindColumn + " IS NOT NULL",
	} {
		if _, err := db.ExecContext(w.ctx, stmt); err != nil {
			w.t.Fatal(err)
		}
	}
	w.store.AddLedgerKind(g.kind())
	if err := w.cfg.Validate(); err != nil {
		w.t.Fatal(err)
	}
	n, err := NewWithSources(w.store, w.cfg, w.log, []SourceSetup{
		{Key: "client-secret", Source: &secretsSource{store: w.store}, Settings: w.cfg.Services.Notifier.ClientSecret},
		{Key: "gadget", Source: g, Settings: settings},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	quickRetries(n)
	return n
}

func gadgetSettings() config.NotifierSource {
	return config.NotifierSource{Enabled: true, CronExpression: "0 30 6 * * *", ExpiryThresholds: "7,2",
		ExpiryEmailSubject: "Gadget ${gadgetName} will expire", ExpiredEmailSubject: "Gadget ${gadgetName} expired"}
}

// A second source goes through the same scan, ledger and channels as the
// client secrets, in its own words, thresholds and schedule, exactly once.
func TestSecondSource(t *testing.T) {
	hook := startHook(t)
	srv := startSMTP(t)
	w := newWorld(t)
	w.useWebhook(hook.srv.URL)
	w.useSMTP(srv)
	bob := &models.Recipient{ID: w.bob.ID, Email: w.bob.Email, Name: w.bob.Name}
	now := w.clock.Now()
	g := &gadgets{items: []models.Subject{
		{ID: "g-expired", Name: "Old", ExpiresAt: now.Add(-time.Hour), DomainID: w.domain.ID, DomainName: w.domain.Name},
		{ID: "g-soon", Name: "Soon", ExpiresAt: now.Add(3*day + time.Hour), DomainID: w.domain.ID, DomainName: w.domain.Name, Owner: bob},
		{ID: "g-later", Name: "Later", ExpiresAt: now.Add(30 * day), DomainID: w.domain.ID, DomainName: w.domain.Name},
	}}
	n := w.withGadgets(g, gadgetSettings())
	w.expireIn(w.secret, 4*day)

	r := w.run(n)
	if r.Failed != 0 || r.Scanned != 3 { // the secret and two gadgets within 7 days
		t.Fatalf("first run = %+v", r)
	}
	titles := map[string]string{}
	for _, x := range w.notices(w.alice) {
		titles[x.Kind+"/"+x.SubjectID] = x.Title
	}
	want := map[string]string{
		"gadget/g-expired": "Gadget Old has expired",
		"gadget/g-soon":    "Gadget Soon expires in 3 days 1 hour",
		models.KindClientSecret.Name + "/" + w.secret: "Client secret “Default” of Billing API expires in 4 days",
	}
	if fmt.Sprint(titles) != fmt.Sprint(want) {
		t.Errorf("alice's notices = %v, want %v", titles, want)
	}
	// Bob owns the soon gadget and the application: the old gadget is not
	// his.
	var bobs []string
	for _, x := range w.notices(w.bob) {
		bobs = append(bobs, x.SubjectID)
	}
	slices.Sort(bobs)
	wantBob := []string{"g-soon", w.secret}
	slices.Sort(wantBob)
	if !slices.Equal(bobs, wantBob) {
		t.Errorf("bob's notices = %v", bobs)
	}

	events, _, _, _ := hook.snapshot()
	types := map[string]int{}
	for _, e := range events {
		types[e.Type]++
		if e.Type == "GADGET_WILL_EXPIRE" && e.Link != "https://keys.example.com/domains/"+w.domain.ID+"/gadgets/g-soon" {
			t.Errorf("gadget webhook link = %q", e.Link)
		}
	}
	if types["GADGET_WILL_EXPIRE"] != 1 || types["GADGET_EXPIRED"] != 1 || types[models.NoticeWillExpire] != 1 || len(events) != 3 {
		t.Errorf("webhook events = %v", types)
	}
	subjects := map[string]int{}
	for _, m := range srv.messages() {
		subjects[m.Subject]++
	}
	if subjects["Gadget Soon will expire"] != 2 || subjects["Gadget Old expired"] != 1 {
		t.Errorf("e-mail subjects = %v (Soon to alice and bob, Old to alice)", subjects)
	}
	if logs := w.logs.String(); !strings.Contains(logs, "Gadget Soon expires in 3 days") || !strings.Contains(logs, "event=GADGET_WILL_EXPIRE thresholdDays=7") {
		t.Errorf("log lacks the gadget's line:\n%s", logs)
	}

	// Nothing is decided twice; a day on, the soon gadget crosses 2 days
	// (its own threshold, not the secrets').
	if r := w.run(n); r.Decided != 0 {
		t.Errorf("a repeated run decided %d notices", r.Decided)
	}
	w.clock.Advance(day + 2*time.Hour)
	w.run(n)
	var soon []int
	for _, x := range w.notices(w.alice) {
		if x.SubjectID == "g-soon" {
			soon = append(soon, x.Threshold)
		}
	}
	if !slices.Equal(soon, []int{7, 2}) {
		t.Errorf("soon gadget's thresholds = %v, want [7 2]", soon)
	}

	// The dry run lists the sources by key; the schedules are each their
	// own (the secrets' at 05:00, the gadgets' at 06:30).
	w.clock.Advance(10 * day)
	plan, err := n.DryRun(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	bySource := map[string]int{}
	for _, p := range plan {
		bySource[p.Source]++
	}
	if bySource["gadget"] == 0 || bySource["client-secret"] == 0 {
		t.Errorf("dry run by source = %v", bySource)
	}
	if got := n.Sources(); !slices.Equal(got, []string{"client-secret", "gadget"}) {
		t.Errorf("Sources = %v", got)
	}
	at := time.Date(2030, 1, 10, 5, 30, 0, 0, time.UTC)
	if next := n.Next(at); !next.Equal(time.Date(2030, 1, 10, 6, 30, 0, 0, time.UTC)) {
		t.Errorf("Next(%v) = %v, want the gadgets' 06:30", at, next)
	}
}

// A source switched off is not scanned, but the others are.
func TestSourceSwitchedOff(t *testing.T) {
	w := newWorld(t)
	g := &gadgets{items: []models.Subject{{ID: "g1", Name: "One", ExpiresAt: w.clock.Now().Add(day), DomainID: w.domain.ID}}}
	off := gadgetSettings()
	off.Enabled = false
	n := w.withGadgets(g, off)
	w.expireIn(w.secret, day)
	w.run(n)
	for _, x := range w.notices(w.alice) {
		if x.Kind != models.KindClientSecret.Name {
			t.Errorf("notice of a source switched off: %+v", x)
		}
	}
	if len(w.notices(w.alice)) != 1 {
		t.Errorf("alice has %d notices, want the secret's", len(w.notices(w.alice)))
	}
}

// Each source runs on its own schedule: the gadgets' every second, the
// secrets' once a year, so only the gadget is announced.
func TestSourcesOwnSchedules(t *testing.T) {
	w := newWorld(t)
	w.cfg.Services.Notifier.ClientSecret.CronExpression = "0 0 0 1 1 *"
	g := &gadgets{items: []models.Subject{{ID: "g1", Name: "One", ExpiresAt: w.clock.Now().Add(day), DomainID: w.domain.ID}}}
	every := gadgetSettings()
	every.CronExpression = "* * * * * *"
	n := w.withGadgets(g, every)
	w.expireIn(w.secret, day)
	ctx, cancel := context.WithCancel(w.ctx)
	n.Start(ctx)
	defer func() { cancel(); n.Stop() }()
	deadline := time.Now().Add(20 * time.Second)
	for len(w.notices(w.alice)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the gadgets' schedule did not run")
		}
		time.Sleep(20 * time.Millisecond) // polling for the scheduled run
	}
	n.Stop()
	for _, x := range w.notices(w.alice) {
		if x.Kind != "gadget" {
			t.Errorf("a notice of the secrets, whose schedule is not due: %+v", x)
		}
	}
}
