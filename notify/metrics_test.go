package notify

import (
	"fmt"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"

	"latchkey/metrics"
)

// Notices are counted per channel in the metrics: console and log notices
// when decided, webhook failures when they fail.
func TestNotificationMetrics(t *testing.T) {
	w := newWorld(t)
	w.cfg.Notifiers.Webhook.Enabled = true
	w.cfg.Notifiers.Webhook.URLs = "http://127.0.0.1:1/unreachable"
	w.cfg.Notifiers.Webhook.Secret = "a-webhook-secret-123"
	n := w.notifier(nil)
	sqlDB, _ := w.store.SQLDB()
	n.Metrics = metrics.New(w.store, sqlDB)
	w.expireIn(w.secret, day/2)
	w.run(n)
	rec := httptest.NewRecorder()
	n.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	count := func(channel, result string) float64 {
		re := regexp.MustCompile(fmt.Sprintf(`latchkey_notifications_total\{channel="%s",result="%s"\} (\S+)`, channel, result))
		m := re.FindStringSubmatch(rec.Body.String())
		if m == nil {
			return 0
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}
	// Two recipients (the domain owner and the application owner; the
	// disabled owner gets nothing).
	if got := count("ui", "sent"); got != 2 {
		t.Errorf("ui sent = %v, want 2", got)
	}
	if got := count("log", "sent"); got < 1 {
		t.Errorf("log sent = %v, want at least 1", got)
	}
	if got := count("webhook", "failed"); got < 1 {
		t.Errorf("webhook failed = %v, want at least 1", got)
	}
	if got := count("webhook", "sent"); got != 0 {
		t.Errorf("webhook sent = %v, want 0", got)
	}
}
