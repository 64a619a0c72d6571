package config

import (
	"fmt"
	"net/url"
	"slices"
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

// NotifierSource is the settings block of one source of expiring
// credentials, under services.notifier.<key> (Gravitee's names):
// client-secret, certificate and client-certificate.
type NotifierSource struct {
	// Enabled switches the source's expiry job on or off.
	Enabled bool `yaml:"enabled"`
	// CronExpression schedules the job; six fields, the first being
	// seconds (Spring style, as in Gravitee).
	CronExpression string `yaml:"cronExpression"`
	// ExpiryThresholds lists, comma-separated, how many days before expiry
	// to notify. See [NotifierSource.ThresholdDays].
	ExpiryThresholds string `yaml:"expiryThresholds"`
	// ExpiryEmailSubject is the subject of "will expire" e-mails; the
	// source names the ${...} placeholders it fills in (for client
	// secrets: ${applicationName}, ${domainName}, ${secretName} and
	// ${expiryDate}; for certificates: ${certificateName}, ${domainName}
	// and ${expiryDate}; for client certificates: ${applicationName},
	// ${domainName}, ${clientCertificateName} and ${expiryDate}).
	ExpiryEmailSubject string `yaml:"expiryEmailSubject"`
	// ExpiredEmailSubject is the subject of "expired" e-mails (Gravitee
	// never sends those, so it has no key for them); the same
	// placeholders are filled in.
	ExpiredEmailSubject string `yaml:"expiredEmailSubject"`
}

// NamedNotifierSource is a source's settings with its key.
type NamedNotifierSource struct {
	// Key is the block's name under services.notifier: "client-secret".
	Key      string
	Settings *NotifierSource
}

// NotifierSources lists the settings block of every source, in the order
// they are validated. A new source adds its block to the Notifier struct
// and here.
func (c *Config) NotifierSources() []NamedNotifierSource {
	return []NamedNotifierSource{
		{Key: "client-secret", Settings: &c.Services.Notifier.ClientSecret},
		{Key: "certificate", Settings: &c.Services.Notifier.Certificate},
		{Key: "client-certificate", Settings: &c.Services.Notifier.ClientCertificate},
	}
}

// NotifierSource returns the settings block under services.notifier.<key>,
// or nil when there is none.
func (c *Config) NotifierSource(key string) *NotifierSource {
	for _, s := range c.NotifierSources() {
		if s.Key == key {
			return s.Settings
		}
	}
	return nil
}

// validate checks a source's settings; prefix is its dotted key with a
// final dot.
func (s *NotifierSource) validate(prefix string) error {
	bad := func(key, format string, args ...any) error {
		return &Error{Key: prefix + key, Problem: fmt.Sprintf(format, args...)}
	}
	if n := len(strings.Fields(s.CronExpression)); n != 6 {
		return bad("cronExpression", "must have 6 space-separated fields (second minute hour day month weekday), got %d in %q", n, s.CronExpression)
	}
	if _, err := ParseCron(s.CronExpression); err != nil {
		return bad("cronExpression", "%v (in %q)", err, s.CronExpression)
	}
	if _, err := parseThresholds(s.ExpiryThresholds); err != nil {
		return bad("expiryThresholds", "%v", err)
	}
	if strings.TrimSpace(s.ExpiryEmailSubject) == "" {
		return bad("expiryEmailSubject", "must not be empty")
	}
	if strings.TrimSpace(s.ExpiredEmailSubject) == "" {
		return bad("expiredEmailSubject", "must not be empty")
	}
	return nil
}

// ThresholdDays returns the source's expiryThresholds as days, sorted in
// descending order without duplicates. It returns nil if the value does
// not validate.
func (s *NotifierSource) ThresholdDays() []int {
	days, err := parseThresholds(s.ExpiryThresholds)
	if err != nil {
		return nil
	}
	slices.Sort(days)
	days = slices.Compact(days)
	slices.Reverse(days)
	return days
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
