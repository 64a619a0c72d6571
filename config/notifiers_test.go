package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNotifierDefaults(t *testing.T) {
	c := Default()
	n := c.Notifiers
	if !n.UI.Enabled || !n.Log.Enabled || n.Webhook.Enabled || n.Email.Enabled || n.Email.TLS {
		t.Errorf("channels: ui %v, log %v, webhook %v, email %v, email.tls %v; want ui and log only",
			n.UI.Enabled, n.Log.Enabled, n.Webhook.Enabled, n.Email.Enabled, n.Email.TLS)
	}
	if got := c.Services.Notifier.ClientSecret.ExpiredEmailSubject; !strings.Contains(got, "${applicationName}") {
		t.Errorf("expiredEmailSubject = %q, want a default naming the application", got)
	}
	if got := c.WebhookURLs(); got != nil {
		t.Errorf("WebhookURLs() = %v, want none", got)
	}
}

func TestParseCron(t *testing.T) {
	at := time.Date(2025, 3, 14, 4, 0, 0, 0, time.UTC) // a Friday
	tests := []struct {
		expr string
		next time.Time // zero: invalid
	}{
		{"0 0 5 * * *", time.Date(2025, 3, 14, 5, 0, 0, 0, time.UTC)},
		{"30 15 6 * * MON-FRI", time.Date(2025, 3, 14, 6, 15, 30, 0, time.UTC)},
		{"0 0 5 ? * SAT", time.Date(2025, 3, 15, 5, 0, 0, 0, time.UTC)},
		{"0 */10 * * * *", time.Date(2025, 3, 14, 4, 10, 0, 0, time.UTC)},
		{"0 0 25 * * *", time.Time{}},
		{"0 0 5 * * FUNDAY", time.Time{}},
		{"a b c d e f", time.Time{}},
		{"@daily", time.Time{}},
	}
	for _, tc := range tests {
		s, err := ParseCron(tc.expr)
		if tc.next.IsZero() {
			if err == nil {
				t.Errorf("%q: want an error", tc.expr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.expr, err)
			continue
		}
		if got := s.Next(at); !got.Equal(tc.next) {
			t.Errorf("%q: next after %v = %v, want %v", tc.expr, at, got, tc.next)
		}
	}
}

func TestValidateNotifiers(t *testing.T) {
	const cronKey = "services.notifier.client-secret.cronExpression"
	webhook := func(urls, secret string) func(*Config) {
		return func(c *Config) {
			c.Notifiers.Webhook.Enabled, c.Notifiers.Webhook.URLs, c.Notifiers.Webhook.Secret = true, urls, secret
		}
	}
	const secret = "0123456789abcdef"
	tests := []struct {
		name    string
		mod     func(*Config)
		key     string
		problem string
	}{
		{"cron hour out of range", func(c *Config) { c.Services.Notifier.ClientSecret.CronExpression = "0 0 25 * * *" }, cronKey, "25"},
		{"cron bad weekday", func(c *Config) { c.Services.Notifier.ClientSecret.CronExpression = "0 0 5 * * FUNDAY" }, cronKey, "FUNDAY"},
		{"cron letters", func(c *Config) { c.Services.Notifier.ClientSecret.CronExpression = "a b c d e f" }, cronKey, `"a b c d e f"`},
		{"cron weekdays", func(c *Config) { c.Services.Notifier.ClientSecret.CronExpression = "0 30 6 * * MON-FRI" }, "", ""},
		{"expired subject empty", func(c *Config) { c.Services.Notifier.ClientSecret.ExpiredEmailSubject = " " },
			"services.notifier.client-secret.expiredEmailSubject", "must not be empty"},
		{"webhook without urls", webhook(" , ", secret), "notifiers.webhook.urls", "at least one URL"},
		{"webhook relative url", webhook("/hook", secret), "notifiers.webhook.urls", "absolute http or https"},
		{"webhook ftp url", webhook("https://a.example/x, ftp://b.example/y", secret), "notifiers.webhook.urls", `"ftp://b.example/y"`},
		{"webhook user info", webhook("https://u:p@a.example/x", secret), "notifiers.webhook.urls", "user info"},
		{"webhook long url", webhook("https://a.example/"+strings.Repeat("x", 500), secret), "notifiers.webhook.urls", "at most 500"},
		{"webhook no secret", webhook("https://a.example/x", ""), "notifiers.webhook.secret", "at least 16 characters"},
		{"webhook short secret", webhook("https://a.example/x", "short"), "notifiers.webhook.secret", "(got 5)"},
		{"webhook ok", webhook("https://a.example/x?team=1, http://127.0.0.1:9000/hook", secret), "", ""},
		{"webhook disabled with junk", func(c *Config) { c.Notifiers.Webhook.URLs = "junk" }, "", ""},
		{"email over tls", func(c *Config) {
			e := &c.Notifiers.Email
			e.Enabled, e.Host, e.From, e.Port, e.TLS = true, "smtp.example.com", "a@example.com", 465, true
		}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.mod(c)
			err := c.Validate()
			if tc.key == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(ce.Problem, tc.problem) {
				t.Fatalf("got %v, want key %s with problem containing %q", err, tc.key, tc.problem)
			}
		})
	}
}

func TestWebhookURLs(t *testing.T) {
	c := Default()
	c.Notifiers.Webhook.URLs = " https://a.example/x ,,https://b.example/y, https://a.example/x"
	if got, want := c.WebhookURLs(), []string{"https://a.example/x", "https://b.example/y"}; !slices.Equal(got, want) {
		t.Errorf("WebhookURLs() = %v, want %v", got, want)
	}
}

// An invalid schedule given by environment variable stops Load with the key.
func TestLoadRejectsInvalidCron(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := Load("", []string{"LATCHKEY_SERVICES_NOTIFIER_CLIENT_SECRET_CRONEXPRESSION=0 0 5 31 2 * *"})
	if err == nil || !strings.Contains(err.Error(), "services.notifier.client-secret.cronExpression") {
		t.Fatalf("got %v, want an error naming the key", err)
	}
	_, err = Load("", []string{"LATCHKEY_SERVICES_NOTIFIER_CLIENT_SECRET_CRONEXPRESSION=0 61 5 * * *"})
	if err == nil || !strings.Contains(err.Error(), "services.notifier.client-secret.cronExpression") {
		t.Fatalf("got %v, want an error naming the key", err)
	}
}
