package config

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
)

// cronParser reads Spring-style expressions: six fields, the first being
// seconds. "?" is accepted in the day fields as in Spring; descriptors such
// as "@daily" are not, so every expression reads the same way.
var cronParser = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// ParseCron parses a six-field cron expression (second minute hour
// day-of-month month day-of-week), as services.notifier.client-secret.
// cronExpression is written. The notifier schedules with the same parser that
// Validate checks with, so a value that validates also runs.
func ParseCron(expr string) (cron.Schedule, error) {
	return cronParser.Parse(expr)
}

// MaxWebhookURL bounds one webhook URL; the notifier keys its delivery
// ledger on the URL.
const MaxWebhookURL = 500

// MinWebhookSecret is the shortest accepted notifiers.webhook.secret.
const MinWebhookSecret = 16

// WebhookURLs returns notifiers.webhook.urls as a list, without blanks or
// duplicates.
func (c *Config) WebhookURLs() []string {
	var out []string
	seen := map[string]bool{}
	for part := range strings.SplitSeq(c.Notifiers.Webhook.URLs, ",") {
		u := strings.TrimSpace(part)
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// validateWebhook checks notifiers.webhook.* when the channel is enabled.
func (c *Config) validateWebhook() error {
	w := &c.Notifiers.Webhook
	if !w.Enabled {
		return nil
	}
	urls := c.WebhookURLs()
	if len(urls) == 0 {
		return &Error{Key: "notifiers.webhook.urls", Problem: "must list at least one URL when notifiers.webhook.enabled is true"}
	}
	for _, s := range urls {
		u, err := url.Parse(s)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
			return &Error{Key: "notifiers.webhook.urls", Problem: fmt.Sprintf("must be comma-separated absolute http or https URLs (got %q)", s)}
		case u.User != nil:
			return &Error{Key: "notifiers.webhook.urls", Problem: fmt.Sprintf("must not contain user info; authenticate with the signature instead (got %q)", s)}
		case len(s) > MaxWebhookURL:
			return &Error{Key: "notifiers.webhook.urls", Problem: fmt.Sprintf("each URL must be at most %d characters (got %d)", MaxWebhookURL, len(s))}
		}
	}
	if n := utf8.RuneCountInString(w.Secret); n < MinWebhookSecret {
		return &Error{Key: "notifiers.webhook.secret", Problem: fmt.Sprintf("must be at least %d characters when notifiers.webhook.enabled is true (got %d)", MinWebhookSecret, n)}
	}
	return nil
}
