package notify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"latchkey/models"
)

const webhookSecret = "test-webhook-secret-0123456789"

// hook is an httptest webhook receiver that verifies signatures and counts
// deliveries by event id.
type hook struct {
	t   *testing.T
	srv *httptest.Server

	mu sync.Mutex
	// fail answers this many requests with 500 before accepting.
	fail     int
	requests int
	events   []Event
	byID     map[string]int
	badSigs  int
}

func startHook(t *testing.T) *hook {
	h := &hook{t: t, byID: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests++
	ts := r.Header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute ||
		!Verify([]byte(webhookSecret), ts, body, r.Header.Get(HeaderSignature)) ||
		r.Header.Get("Content-Type") != "application/json" || r.Method != http.MethodPost {
		h.badSigs++
		http.Error(rw, "bad signature", http.StatusUnauthorized)
		return
	}
	if h.fail > 0 {
		h.fail--
		http.Error(rw, "try later", http.StatusInternalServerError)
		return
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	if ev.ID != r.Header.Get(HeaderDelivery) || ev.Type != r.Header.Get(HeaderEvent) {
		http.Error(rw, "headers do not match the body", http.StatusBadRequest)
		return
	}
	h.events = append(h.events, ev)
	h.byID[ev.ID]++
	rw.WriteHeader(http.StatusNoContent)
}

func (h *hook) snapshot() (events []Event, byID map[string]int, requests, badSigs int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := map[string]int{}
	for k, v := range h.byID {
		m[k] = v
	}
	return append([]Event(nil), h.events...), m, h.requests, h.badSigs
}

func (w *world) useWebhook(urls ...string) {
	wh := &w.cfg.Notifiers.Webhook
	wh.Enabled, wh.URLs, wh.Secret = true, strings.Join(urls, ","), webhookSecret
}

func TestSignVerify(t *testing.T) {
	secret, body := []byte("k"), []byte(`{"a":1}`)
	sig := Sign(secret, "1700000000", body)
	// HMAC-SHA256("k", `1700000000.{"a":1}`), computed independently.
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != 7+64 {
		t.Fatalf("signature %q", sig)
	}
	if !Verify(secret, "1700000000", body, sig) {
		t.Error("a valid signature does not verify")
	}
	for _, bad := range []struct{ ts, body, sig string }{
		{"1700000001", `{"a":1}`, sig}, {"1700000000", `{"a":2}`, sig}, {"1700000000", `{"a":1}`, "sha256=00"},
	} {
		if Verify(secret, bad.ts, []byte(bad.body), bad.sig) {
			t.Errorf("%+v verifies", bad)
		}
	}
}

func TestWebhookSignedEvents(t *testing.T) {
	h := startHook(t)
	w := newWorld(t)
	w.useWebhook(h.srv.URL + "/hook?team=payments")
	n := w.notifier(nil)
	expires := w.expireIn(w.secret, 9*day)
	w.run(n)
	w.run(n)
	events, byID, _, bad := h.snapshot()
	if bad != 0 {
		t.Fatalf("%d requests failed signature checks", bad)
	}
	if len(events) != 1 {
		t.Fatalf("got %d events, want 1 (one per notice and URL, not per person)", len(events))
	}
	ev := events[0]
	if ev.Type != models.NoticeWillExpire || ev.ThresholdDays != 10 || ev.Domain.Name != "Payments" || ev.Domain.HRID != w.domain.HRID ||
		ev.Application.Name != "Billing API" || ev.Application.ClientID != w.app.ClientID || ev.Secret.Name != "Default" ||
		ev.Secret.ID != w.secret || !ev.Secret.ExpiresAt.Equal(expires) || ev.Secret.ExpiresAtMillis != expires.UnixMilli() ||
		ev.Link != "https://keys.example.com/domains/"+w.domain.ID+"/applications/"+w.app.ID+"/secrets" {
		t.Errorf("event = %+v", ev)
	}
	if byID[ev.ID] != 1 {
		t.Errorf("event %s delivered %d times", ev.ID, byID[ev.ID])
	}
}

// A 500 is retried a few times within the run, then by the next run; each
// event arrives once.
func TestWebhookRetriedNextRun(t *testing.T) {
	h := startHook(t)
	w := newWorld(t)
	w.useWebhook(h.srv.URL)
	n := w.notifier(nil)
	w.expireIn(w.secret, 2*day)
	second, err := w.store.CreateSecret(w.ctx, models.Actor{}, w.app.ID, "second")
	if err != nil {
		t.Fatal(err)
	}
	w.expireIn(second.ID, 3*day)

	h.mu.Lock()
	h.fail = 100 // down for the whole first run
	h.mu.Unlock()
	r := w.run(n)
	_, _, requests, _ := h.snapshot()
	// Three attempts for the first event; the second is skipped once the
	// URL has failed in this run.
	if requests != 3 || r.Failed != 1 {
		t.Errorf("first run: %d requests, run %+v; want 3 attempts and 1 failure", requests, r)
	}
	if len(w.notices(w.alice)) != 2 {
		t.Error("the console notices waited for the webhook")
	}
	for _, row := range append(w.ledger(w.secret), w.ledger(second.ID)...) {
		if row.Channel != models.ChannelWebhook {
			continue
		}
		if row.Status != models.LedgerPending {
			t.Errorf("webhook row %d is %s, want pending", row.ID, row.Status)
		}
	}

	h.mu.Lock()
	h.fail = 1 // one more 500, then up: retried within the run
	h.mu.Unlock()
	r = w.run(n)
	if r.Sent != 2 || r.Failed != 0 || r.Retried != 2 {
		t.Errorf("second run = %+v, want both events retried and sent", r)
	}
	w.run(n)
	events, byID, _, bad := h.snapshot()
	if bad != 0 || len(events) != 2 || len(byID) != 2 {
		t.Fatalf("events = %d (%d distinct, %d bad signatures), want 2", len(events), len(byID), bad)
	}
	for id, c := range byID {
		if c != 1 {
			t.Errorf("event %s delivered %d times", id, c)
		}
	}
	for _, row := range w.ledger(w.secret) {
		if row.Channel == models.ChannelWebhook && (row.Status != models.LedgerSent || row.Attempts != 1 || !strings.Contains(row.LastError, "500")) {
			t.Errorf("webhook row after retry = %+v, want sent after 1 failed attempt", row)
		}
	}
}

// A notice still pending when its secret is renewed is not sent: it would
// announce the old expiry. Renewal drops it with the rest of the secret's
// ledger rows.
func TestPendingNoticeOfRenewedSecretIsDropped(t *testing.T) {
	h := startHook(t)
	w := newWorld(t)
	w.useWebhook(h.srv.URL)
	n := w.notifier(nil)
	w.expireIn(w.secret, 2*day)
	h.mu.Lock()
	h.fail = 100
	h.mu.Unlock()
	if r := w.run(n); r.Failed != 1 {
		t.Fatalf("run = %+v, want the webhook notice failed", r)
	}
	w.expireIn(w.secret, 90*day) // as a renewal under a 90-day policy would
	if rows := w.ledger(w.secret); len(rows) != 0 {
		t.Errorf("ledger after renewal = %+v, want no rows", rows)
	}
	h.mu.Lock()
	h.fail = 0
	h.mu.Unlock()
	r := w.run(n)
	if r.Retried != 0 || r.Sent != 0 || r.Failed != 0 {
		t.Errorf("run = %+v, want nothing retried or sent", r)
	}
	if events, _, _, _ := h.snapshot(); len(events) != 0 {
		t.Errorf("%d events delivered for the old expiry", len(events))
	}
}

// A webhook URL removed from the configuration gets nothing more.
func TestRemovedWebhookURL(t *testing.T) {
	h := startHook(t)
	w := newWorld(t)
	w.useWebhook(h.srv.URL + "/old")
	n := w.notifier(nil)
	w.expireIn(w.secret, 2*day)
	h.mu.Lock()
	h.fail = 100
	h.mu.Unlock()
	w.run(n)
	h.mu.Lock()
	h.fail = 0
	h.mu.Unlock()
	w.useWebhook(h.srv.URL + "/new")
	r := w.run(w.notifier(nil))
	if r.Obsolete != 1 {
		t.Errorf("run = %+v, want the old URL's notice obsolete", r)
	}
}
