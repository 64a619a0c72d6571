// Package notify tells people that credentials will expire or have
// expired: in the console (the bell), by e-mail, by signed webhook and in the
// log. It scans sources of expiring credentials (see Source; client secrets
// in source_secrets.go, certificates in source_certificates.go), each on its own cron schedule inside
// `latchkey serve`, and all at once from `latchkey notify`. It imports
// models (the ledger and the subjects), config and metrics.
//
// Files: notify.go (the Notifier and its settings), schedule.go, scan.go
// (reading due subjects and deciding), deliver.go, dryrun.go, rotation.go
// (the automatic rotation's notice), source.go
// (the Source interface) with one file per source, notice.go (what the
// channels see) and one file per channel.
//
// # Events
//
// A subject (a client secret) with an expiry gets "will expire"
// (models.NoticeWillExpire for secrets) each time its remaining time first
// falls to or under one of its source's thresholds
// (services.notifier.client-secret.expiryThresholds, in days). A run that
// finds several thresholds crossed at once (the notifier was off, or a secret
// was created with a short lifetime) sends one notice, for the smallest
// threshold crossed; larger thresholds are then never sent for that expiry.
// Once the secret has expired it gets "expired" (models.NoticeExpired), once.
// Secrets without an expiry never notify. Recipients are the domain's owners
// and the application's owner, each once; disabled users get nothing, and
// users without an e-mail address get console notices only. Recipients and
// channels are fixed when a notice is decided: an owner added later, or a
// channel switched on later, is used from the next event on.
//
// # Delivery semantics
//
// Every notice for one recipient on one channel is a row of the ledger
// (models.NotificationLedger), whose unique key is, per kind of subject,
// (expiresAt, the subject, event with its threshold, recipient, channel);
// the row names its kind, and each kind keeps its subjects' ids in a column
// of its own (see models.LedgerKind). A run works in two phases:
//
//  1. Decide. Each page of due subjects of each source is turned into ledger rows inserted
//     with ON CONFLICT DO NOTHING, claimed by the run with a lease, in a
//     transaction (its own on PostgreSQL; on SQLite, pages share one while
//     the next is already read, see ledger.Decider). The unique key makes
//     each decision exactly once: when two Latchkey processes scan the same
//     secrets at the same moment, the database lets one insert each row and
//     the other insert nothing (each learns which rows are its own: from the
//     insert's RETURNING clause on PostgreSQL, from the rows its statement
//     added on SQLite, which lets one writer in at a time). The console and
//     the log are delivered right there, in the deciding transaction: the
//     console notice is stored with its row, and the log line written for
//     each row this run inserted; both rows are inserted as sent. E-mail and
//     webhook rows are inserted pending. A run stopped while deciding keeps
//     the transactions it committed; the next run decides the rest.
//  2. Deliver. The run sends the pending rows it claimed, channel by
//     channel, each channel in its own goroutine so that a slow or failing
//     one holds up no other, and marks each row sent. A failed attempt keeps
//     the row pending with its lease released, so the next run retries it
//     (up to models.MaxDeliveryAttempts runs). A run first takes over
//     pending rows whose lease has run out: those of failed attempts, and
//     those of a run that crashed between deciding and delivering, so a
//     crash delays a notice rather than losing it.
//
// Decisions are therefore exactly once, and so is the console, whose notice
// commits or rolls back with its decision. E-mail, webhook and log are at
// least once: a crash after sending and before marking sent (or a lease
// outliving a very slow run) sends that notice again, and a log line written
// just before its transaction failed to commit is written again by the run
// that decides it. Webhook receivers can drop repeats by the event id, the
// same on every attempt (header X-Latchkey-Delivery).
//
// # Certificates
//
// The second source (source_certificates.go, services.notifier.certificate)
// warns about a domain's certificates: CERTIFICATE_WILL_EXPIRE at each
// threshold and CERTIFICATE_EXPIRED, to the domain's owners and the owners
// of the applications that chose the certificate, each once, linking to
// /domains/{id}/settings/certificates. Superseded system certificates
// (renewed or retired) are not announced: a newer one signs. A current
// system certificate is announced only once its automatic rotation
// (domains.certificates.default.autoRotateDays before expiry) is overdue,
// since the rotation would otherwise come first; with the default
// thresholds (20 days and less, under the 30 of the rotation) that means
// only when the rotation failed. The automatic rotation itself is told to
// the domain's owners by NotifyRotations (CERTIFICATE_ROTATED, its subject
// the new certificate), through the same ledger, once. Rotating a
// certificate deletes the superseded one's ledger rows and console
// notices in the rotation's transaction; deleting one deletes its rows (the
// foreign key, ON DELETE CASCADE). A certificate's expiry never changes,
// so nothing else resets its notices.
//
// Renewing a secret deletes its ledger rows, pending ones included, and
// changes its expiresAt, so its notices start again; a row read for
// delivery just before the renewal is marked obsolete instead of sent.
// Deleting a secret deletes its ledger rows (foreign key with ON DELETE
// CASCADE). A console notice is its ledger row's (models.Notification), so
// both take the secret's console notices off the bell.
//
// It may import config, metrics, models and models/ledger; the web layer does
// not depend on it.
package notify

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"latchkey/config"
	"latchkey/metrics"
	"latchkey/models"
	"latchkey/models/ledger"
)

// DefaultLease is how long a run may take to deliver what it claimed before
// another run may take a still-pending row over. Runs are daily by default,
// so this only matters when several processes run at once.
const DefaultLease = 30 * time.Minute

// pageSize is how many subjects (and ledger rows) are read at a time; it
// keeps the memory of a run flat however many subjects are due.
const pageSize = 1000

// Notifier scans its sources for expiry and delivers the notices.
type Notifier struct {
	store     *models.Store
	ledger    *ledger.Ledger
	log       *slog.Logger
	publicURL string
	host      string
	lease     time.Duration
	pageSize  int
	// sources are every source, enabled or not: the rows of a source
	// switched off are still delivered in its words.
	sources []*configured
	// channels are the enabled channels by name.
	channels map[string]channel

	// afterDecide, when set, runs between deciding and delivering; tests
	// use it to simulate a crash (by returning an error).
	afterDecide func() error
	// beforeInsert, when set, runs before each page's ledger insert; tests
	// use it to line two instances up on the same page.
	beforeInsert func()

	// Metrics, when set, counts notices sent and failed per channel.
	Metrics *metrics.Metrics

	mu   sync.Mutex
	cron *cron.Cron
}

// count adds a channel's results to the metrics.
func (n *Notifier) count(channel string, sent, failed int) {
	if n.Metrics == nil {
		return
	}
	if sent > 0 {
		n.Metrics.Notifications.WithLabelValues(channel, "sent").Add(float64(sent))
	}
	if failed > 0 {
		n.Metrics.Notifications.WithLabelValues(channel, "failed").Add(float64(failed))
	}
}

// New builds a notifier for the configuration: every registered source
// with its settings block (services.notifier.<key>), and the enabled
// channels (notifiers.*). It does not start it; see [Notifier.Start].
func New(store *models.Store, cfg *config.Config, log *slog.Logger) (*Notifier, error) {
	setups := make([]SourceSetup, 0, len(sourceFactories))
	for _, f := range sourceFactories {
		settings := cfg.NotifierSource(f.key)
		if settings == nil {
			return nil, fmt.Errorf("services.notifier.%s: no settings block for this source", f.key)
		}
		setups = append(setups, SourceSetup{Key: f.key, Source: f.make(store), Settings: *settings})
	}
	return NewWithSources(store, cfg, log, setups)
}

// NewWithSources builds a notifier over the given sources, with the
// channels of the configuration (New passes the registered ones; tests
// pass their own). A source's kind other than the client secrets' must be
// known to the store (models.Store.AddLedgerKind).
func NewWithSources(store *models.Store, cfg *config.Config, log *slog.Logger, setups []SourceSetup) (*Notifier, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	n := &Notifier{
		store: store, ledger: ledger.New(store), log: log, publicURL: cfg.Server.PublicURL,
		host: host, lease: DefaultLease, pageSize: pageSize,
		channels: map[string]channel{},
	}
	for _, s := range setups {
		prefix := "services.notifier." + s.Key + "."
		sched, err := config.ParseCron(s.Settings.CronExpression)
		if err != nil {
			return nil, fmt.Errorf("%scronExpression: %w", prefix, err)
		}
		days := s.Settings.ThresholdDays()
		if len(days) == 0 {
			return nil, fmt.Errorf("%sexpiryThresholds: no thresholds", prefix)
		}
		n.sources = append(n.sources, &configured{
			Source: s.Source, key: s.Key, enabled: cfg.Services.Notifier.Enabled && s.Settings.Enabled,
			thresholds: days, schedule: sched,
			subjectWillExpire: s.Settings.ExpiryEmailSubject, subjectExpired: s.Settings.ExpiredEmailSubject,
			kind: s.Source.Kind(), wording: s.Source.Wording(),
		})
	}
	nc := cfg.Notifiers
	if nc.UI.Enabled {
		n.channels[models.ChannelUI] = &uiChannel{store: store}
	}
	if nc.Email.Enabled {
		n.channels[models.ChannelEmail] = newEmailChannel(cfg)
	}
	if nc.Webhook.Enabled {
		n.channels[models.ChannelWebhook] = newWebhookChannel(cfg.WebhookURLs(), nc.Webhook.Secret)
	}
	if nc.Log.Enabled {
		n.channels[models.ChannelLog] = &logChannel{log: log}
	}
	return n, nil
}

// Channels lists the enabled channels.
func (n *Notifier) Channels() []string {
	var out []string
	for _, name := range allChannels {
		if n.channels[name] != nil {
			out = append(out, name)
		}
	}
	return out
}

// allChannels lists every channel in delivery order.
var allChannels = []string{models.ChannelUI, models.ChannelEmail, models.ChannelWebhook, models.ChannelLog}

// Sources lists the settings keys of the enabled sources
// (services.notifier.enabled and services.notifier.<key>.enabled).
func (n *Notifier) Sources() []string {
	var out []string
	for _, s := range n.enabled() {
		out = append(out, s.key)
	}
	return out
}

// enabled returns the enabled sources.
func (n *Notifier) enabled() []*configured {
	var out []*configured
	for _, s := range n.sources {
		if s.enabled {
			out = append(out, s)
		}
	}
	return out
}

// source returns the source of a ledger kind, nil when none has it.
func (n *Notifier) source(kind string) *configured {
	for _, s := range n.sources {
		if s.kind.Name == kind {
			return s
		}
	}
	return nil
}

// Enabled reports whether the configuration asks for any expiry job:
// services.notifier.enabled and the enabled flag of at least one source
// (services.notifier.client-secret.enabled, ...).
func Enabled(cfg *config.Config) bool {
	if !cfg.Services.Notifier.Enabled {
		return false
	}
	for _, s := range cfg.NotifierSources() {
		if s.Settings.Enabled {
			return true
		}
	}
	return false
}
