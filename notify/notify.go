// Package notify tells people that client secrets will expire or have
// expired: in the console (the bell), by e-mail, by signed webhook and in the
// log. It runs on a cron schedule inside `latchkey serve`, and once from
// `latchkey notify`.
//
// # Events
//
// A secret with an expiry gets "will expire" (models.NoticeWillExpire) each
// time its remaining time first falls to or under one of the thresholds
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
// (models.NotificationLedger), whose unique key is (secret, expiresAt, event
// with its threshold, recipient, channel). A run works in two phases:
//
//  1. Decide. Each page of due secrets is turned into ledger rows inserted
//     with ON CONFLICT DO NOTHING, claimed by the run with a lease, in a
//     transaction (its own on PostgreSQL; on SQLite, pages share one while
//     the next is already read, see models.Decider). The unique key makes
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
// Renewing a secret deletes its ledger rows, pending ones included, and
// changes its expiresAt, so its notices start again; a row read for
// delivery just before the renewal is marked obsolete instead of sent.
// Deleting a secret deletes its ledger rows (foreign key with ON DELETE
// CASCADE). A console notice is its ledger row's (models.Notification), so
// both take the secret's console notices off the bell.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/robfig/cron/v3"
	"golang.org/x/sync/errgroup"

	"latchkey/config"
	"latchkey/metrics"
	"latchkey/models"
)

// DefaultLease is how long a run may take to deliver what it claimed before
// another run may take a still-pending row over. Runs are daily by default,
// so this only matters when several processes run at once.
const DefaultLease = 30 * time.Minute

// pageSize is how many secrets (and ledger rows) are read at a time; it keeps
// the memory of a run flat however many secrets are due.
const pageSize = 1000

// Notifier scans secrets for expiry and delivers the notices.
type Notifier struct {
	store      *models.Store
	log        *slog.Logger
	thresholds []int // days, descending
	publicURL  string
	schedule   cron.Schedule
	host       string
	lease      time.Duration
	pageSize   int
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

// New builds a notifier for the configuration: its schedule, thresholds and
// enabled channels (notifiers.*). It does not start it; see [Notifier.Start].
func New(store *models.Store, cfg *config.Config, log *slog.Logger) (*Notifier, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cs := cfg.Services.Notifier.ClientSecret
	sched, err := config.ParseCron(cs.CronExpression)
	if err != nil {
		return nil, fmt.Errorf("services.notifier.client-secret.cronExpression: %w", err)
	}
	days := cfg.ExpiryThresholdDays()
	if len(days) == 0 {
		return nil, errors.New("services.notifier.client-secret.expiryThresholds: no thresholds")
	}
	host, _ := os.Hostname()
	n := &Notifier{
		store: store, log: log, thresholds: days, publicURL: cfg.Server.PublicURL,
		schedule: sched, host: host, lease: DefaultLease, pageSize: pageSize,
		channels: map[string]channel{},
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

// Start runs the job on its schedule until Stop is called. Runs use ctx,
// so cancelling it interrupts a run in progress; a run still going when the
// next is due makes that one skip.
func (n *Notifier) Start(ctx context.Context) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cron != nil {
		return
	}
	logger := cronLogger{n.log}
	n.cron = cron.New(cron.WithLogger(logger), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	n.cron.Schedule(n.schedule, cron.FuncJob(func() {
		if ctx.Err() != nil {
			return
		}
		if _, err := n.Run(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("notifier run failed", "err", err)
		}
	}))
	n.cron.Start()
	n.log.Info("notifier started", "next", n.schedule.Next(time.Now()).Format(time.RFC3339), "channels", n.Channels())
}

// Stop stops the schedule and waits for a run in progress to finish (cancel
// the context given to Start to make it finish early).
func (n *Notifier) Stop() {
	n.mu.Lock()
	c := n.cron
	n.cron = nil
	n.mu.Unlock()
	if c != nil {
		<-c.Stop().Done()
	}
}

// Next returns when the job runs next after t.
func (n *Notifier) Next(t time.Time) time.Time { return n.schedule.Next(t) }

// Run scans once and delivers what it decided, and what earlier runs left
// pending. The returned record is also stored for the Notifications page.
func (n *Notifier) Run(ctx context.Context) (*models.NotificationRun, error) {
	run := &models.NotificationRun{ID: uuid.NewString(), Host: n.host}
	if err := n.store.StartNotificationRun(ctx, run); err != nil {
		return nil, err
	}
	err := n.run(ctx, run)
	if err != nil {
		run.Error = err.Error()
	}
	// Recorded even when ctx is cancelled, so the page shows the stop.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := n.store.FinishNotificationRun(fctx, run); ferr != nil && err == nil {
		err = ferr
	}
	n.log.Info("notifier run finished", "run", run.ID, "scanned", run.Scanned, "decided", run.Decided,
		"retried", run.Retried, "sent", run.Sent, "failed", run.Failed, "obsolete", run.Obsolete)
	return run, err
}

func (n *Notifier) run(ctx context.Context, run *models.NotificationRun) error {
	now := n.store.Now().UTC()
	leaseUntil := now.Add(n.lease)
	retried, err := n.store.ReclaimPending(ctx, run.ID, leaseUntil)
	if err != nil {
		return fmt.Errorf("take over pending notices: %w", err)
	}
	run.Retried = int(retried)
	// onDecided runs inside the transaction: counts are kept apart and
	// added once it has committed, and the log lines are written just
	// before it commits.
	var d decision
	var toLog []*plannedEntry
	decider := n.store.NewDecider(ctx, run.ID, leaseUntil, models.DeciderHooks{
		BeforeCommit: func() {
			for _, e := range toLog {
				n.logNotice(ctx, e, now)
			}
			toLog = nil // lets the batch's pages go
		},
		Committed: func() {
			d.addTo(run)
			for ch, k := range d.sentByChannel {
				n.count(ch, k, 0)
			}
			d = decision{}
		},
	})
	defer decider.Close()
	err = n.scan(ctx, now, func(entries []plannedEntry) error {
		le := make([]models.LedgerEntry, len(entries))
		for i, e := range entries {
			le[i] = e.LedgerEntry
		}
		if n.beforeInsert != nil {
			n.beforeInsert()
		}
		if err := ctx.Err(); err != nil {
			return err // stopped: what was decided before is committed
		}
		return decider.Decide(le, func(i int, id uint64) {
			e := &entries[i]
			d.add(id, e.Channel, e.Channel == models.ChannelUI || e.Sent)
			if e.Channel == models.ChannelLog && e.Sent {
				toLog = append(toLog, e)
			}
		})
	}, decider.Commit, &run.Scanned)
	// Whatever stopped the scan (the end, the run cancelled, a failure),
	// what was decided is kept.
	if cerr := decider.Commit(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	decider.Close()
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if n.afterDecide != nil {
		if err := n.afterDecide(); err != nil {
			return err
		}
	}
	return n.deliver(ctx, run)
}

// decision counts what a transaction of the Decider inserted.
type decision struct {
	decided       int
	first, last   uint64
	sentByChannel map[string]int
}

func (d *decision) add(id uint64, channel string, sent bool) {
	d.decided++
	if d.first == 0 || id < d.first {
		d.first = id
	}
	d.last = max(d.last, id)
	if sent {
		if d.sentByChannel == nil {
			d.sentByChannel = map[string]int{}
		}
		d.sentByChannel[channel]++
	}
}

func (d *decision) addTo(run *models.NotificationRun) {
	run.Decided += d.decided
	if d.first != 0 && (run.FirstLedgerID == 0 || d.first < run.FirstLedgerID) {
		run.FirstLedgerID = d.first
	}
	run.LastLedgerID = max(run.LastLedgerID, d.last)
	for ch, n := range d.sentByChannel {
		addSent(run, ch, n)
	}
}

// addSent counts n notices sent on a channel.
func addSent(run *models.NotificationRun, channel string, n int) {
	run.Sent += n
	switch channel {
	case models.ChannelUI:
		run.SentUI += n
	case models.ChannelEmail:
		run.SentEmail += n
	case models.ChannelWebhook:
		run.SentWebhook += n
	case models.ChannelLog:
		run.SentLog += n
	}
}

// plannedEntry is a decision with the names a dry run prints.
type plannedEntry struct {
	models.LedgerEntry
	// Secret is the due secret, in the page read.
	Secret *models.DueSecret
	// Person is the user told on the console and by e-mail; nil for the
	// webhook and the log.
	Person *models.Recipient
}

// display is the recipient for people: "Name <email>", a URL, "log".
func (e *plannedEntry) display() string {
	if e.Person != nil {
		return e.Person.Name + " <" + e.Person.Email + ">"
	}
	return e.Recipient
}

// eventFor tells which notice a secret expiring at exp is due at now.
func (n *Notifier) eventFor(exp, now time.Time) (event string, threshold int, ok bool) {
	left := exp.Sub(now)
	if left <= 0 {
		return models.NoticeExpired, 0, true
	}
	for _, d := range n.thresholds { // descending: the last match is the smallest
		if left <= time.Duration(d)*24*time.Hour {
			threshold = d
		}
	}
	if threshold == 0 {
		return "", 0, false
	}
	return models.NoticeWillExpire, threshold, true
}

// scan pages through the due secrets and hands each page's new decisions to
// decide; caughtUp, when not nil, is called whenever decide has handled
// every page read so far. scanned counts the secrets looked at.
//
// Reading runs a page ahead of deciding, in a goroutine of its own, so that
// the database reads the next page while it writes this one (SQLite's WAL
// lets a reader go on beside the writer). No page's decisions depend on
// another's: each secret is in exactly one page, and what was decided
// before the run is read per page.
func (n *Notifier) scan(ctx context.Context, now time.Time, decide func([]plannedEntry) error, caughtUp func() error, scanned *int) error {
	g, gctx := errgroup.WithContext(ctx)
	pages := make(chan []plannedEntry, 1)
	g.Go(func() (err error) {
		defer recoverInto(&err)
		defer close(pages)
		return n.read(gctx, now, scanned, func(entries []plannedEntry) error {
			select {
			case pages <- entries:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	g.Go(func() (err error) {
		defer recoverInto(&err)
		for entries := range pages {
			if err := gctx.Err(); err != nil {
				return err
			}
			if err := decide(entries); err != nil {
				return err
			}
			if len(pages) == 0 && caughtUp != nil {
				if err := caughtUp(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return g.Wait()
}

// recoverInto turns a panic of a run's goroutine into its error, as the
// schedule's cron.Recover does for the run itself: a bad notice fails the
// run, not the server.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("notifier panic: %v", r)
	}
}

// read pages through the due secrets and hands each page's new decisions to
// page.
func (n *Notifier) read(ctx context.Context, now time.Time, scanned *int, page func([]plannedEntry) error) error {
	horizon := now.Add(time.Duration(n.thresholds[0]) * 24 * time.Hour)
	owners := map[string][]models.Recipient{} // domain id → enabled owners, for this run
	var cursor *models.DueCursor
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		due, err := n.store.DueSecrets(ctx, horizon, cursor, n.pageSize)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		*scanned += len(due)
		last := due[len(due)-1]
		cursor = &models.DueCursor{ExpiresAt: last.ExpiresAt, ID: last.SecretID}

		var newDomains []string
		for _, s := range due {
			if _, ok := owners[s.DomainID]; !ok {
				newDomains = append(newDomains, s.DomainID)
				owners[s.DomainID] = nil
			}
		}
		if len(newDomains) > 0 {
			found, err := n.store.DomainOwners(ctx, newDomains)
			if err != nil {
				return err
			}
			for id, rs := range found {
				owners[id] = rs
			}
		}
		decided, err := n.store.DecidedNotices(ctx, due)
		if err != nil {
			return err
		}
		// Room for the usual three entries a secret has (two owners on the
		// console, the log) before the slice must grow.
		entries := make([]plannedEntry, 0, 3*len(due))
		for i := range due {
			s := &due[i]
			event, threshold, ok := n.eventFor(s.ExpiresAt, now)
			if !ok {
				continue
			}
			key := models.NoticeKey{SecretID: s.SecretID, ExpiresAt: s.ExpiresAt, Event: event, Threshold: threshold}
			if decided[key.Canonical()] {
				continue
			}
			entries = n.expand(entries, key, s, recipients(owners[s.DomainID], s.Owner), now)
		}
		if len(entries) > 0 {
			if err := page(entries); err != nil {
				return err
			}
		}
		if len(due) < n.pageSize {
			return nil
		}
	}
}

// recipients are the domain's owners and the application's owner, each once.
func recipients(domainOwners []models.Recipient, appOwner *models.Recipient) []models.Recipient {
	out := domainOwners
	if appOwner != nil && !slices.ContainsFunc(out, func(r models.Recipient) bool { return r.ID == appOwner.ID }) {
		out = append(slices.Clip(out), *appOwner)
	}
	return out
}

// expand adds one ledger entry per channel and recipient of a notice.
func (n *Notifier) expand(out []plannedEntry, key models.NoticeKey, s *models.DueSecret, people []models.Recipient, now time.Time) []plannedEntry {
	add := func(channel, recipient string, person *models.Recipient) *plannedEntry {
		out = append(out, plannedEntry{
			LedgerEntry: models.LedgerEntry{NoticeKey: key, Recipient: recipient, Channel: channel},
			Secret:      s, Person: person,
		})
		return &out[len(out)-1]
	}
	for _, name := range allChannels {
		switch ch := n.channels[name]; c := ch.(type) {
		case nil:
		case *uiChannel:
			// Stored with the decision (see models.Decider).
			for i := range people {
				add(name, people[i].ID, &people[i])
			}
		case *emailChannel:
			for i := range people {
				if people[i].Email != "" { // people without an address get console notices only
					add(name, people[i].ID, &people[i])
				}
			}
		case *webhookChannel:
			for _, u := range c.urls {
				add(name, u, nil)
			}
		case *logChannel:
			// Logged as it is decided (see logNotice).
			add(name, models.LogRecipient, nil).Sent = true
		}
	}
	return out
}

// logNotice writes a decided log-channel notice. It runs just before the
// deciding transaction commits, its row inserted as sent: should the
// commit then fail, the run that decides the notice again logs it again
// (at least once).
func (n *Notifier) logNotice(ctx context.Context, e *plannedEntry, now time.Time) {
	lc, _ := n.channels[models.ChannelLog].(*logChannel)
	if lc == nil {
		return
	}
	lc.write(ctx, newNotice(dueDelivery(e.NoticeKey, e.Secret), n.publicURL, now))
}

// dueDelivery describes a notice about a due secret as a delivery.
func dueDelivery(key models.NoticeKey, s *models.DueSecret) models.Delivery {
	return models.Delivery{
		Event: key.Event, Threshold: key.Threshold, ExpiresAt: key.ExpiresAt,
		SecretID: s.SecretID, SecretDescription: s.Description,
		ApplicationID: s.ApplicationID, ApplicationName: s.ApplicationName, ClientID: s.ClientID,
		DomainID: s.DomainID, DomainName: s.DomainName, DomainHRID: s.DomainHRID,
	}
}

// deliver runs every channel's deliveries at once, so a slow or failing
// channel holds up no other, and adds the outcomes to run.
func (n *Notifier) deliver(ctx context.Context, run *models.NotificationRun) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, name := range allChannels {
		wg.Go(func() {
			var o outcome
			err := n.deliverChannel(ctx, run.ID, name, &o)
			mu.Lock()
			defer mu.Unlock()
			addSent(run, name, o.sent)
			run.Failed += o.failed
			n.count(name, o.sent, o.failed)
			run.Obsolete += o.obsolete
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// outcome counts one channel's results in a run.
type outcome struct{ sent, failed, obsolete int }

// deliverChannel delivers the rows of one channel claimed by the run. Rows
// of a channel that is switched off, rows for a secret renewed since the
// decision, and rows for users since disabled or deleted become obsolete.
func (n *Notifier) deliverChannel(ctx context.Context, claim, name string, o *outcome) error {
	ch := n.channels[name]
	var after uint64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := n.store.ClaimedDeliveries(ctx, claim, name, after, n.pageSize)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		after = rows[len(rows)-1].ID
		now := n.store.Now().UTC()
		var live []notice
		var obsolete []uint64
		for _, d := range rows {
			if ch == nil || !current(d) || !ch.accepts(d) {
				obsolete = append(obsolete, d.ID)
				continue
			}
			live = append(live, newNotice(d, n.publicURL, now))
		}
		if len(obsolete) > 0 {
			if err := n.store.ObsoleteDeliveries(ctx, claim, obsolete); err != nil {
				return err
			}
			o.obsolete += len(obsolete)
		}
		if len(live) == 0 {
			continue
		}
		results := ch.deliver(ctx, claim, live)
		var sent []uint64
		for i, err := range results {
			d := live[i]
			switch {
			case err == nil:
				sent = append(sent, d.ID)
			case errors.Is(err, errSkipped):
				if rerr := n.store.ReleaseDelivery(ctx, claim, d.ID); rerr != nil {
					return rerr
				}
			default:
				o.failed++
				status, ferr := n.store.FailDelivery(ctx, claim, d.ID, d.Attempts, err.Error())
				if ferr != nil {
					return ferr
				}
				n.log.Warn("notice not delivered", "channel", name, "notice", d.ID, "secret", d.SecretID,
					"attempt", d.Attempts+1, "gaveUp", status == models.LedgerFailed, "err", err)
			}
		}
		if _, self := ch.(selfCompleting); !self && len(sent) > 0 {
			if err := n.store.CompleteDeliveries(ctx, claim, sent); err != nil {
				return err
			}
		}
		o.sent += len(sent)
	}
}

// current reports whether a row still describes the secret and its
// recipient: the secret was not renewed since, and a user recipient still
// exists and is enabled.
func current(d models.Delivery) bool {
	if d.CurrentExpiresAt == nil || !d.CurrentExpiresAt.Equal(d.ExpiresAt) {
		return false
	}
	if d.Channel == models.ChannelUI || d.Channel == models.ChannelEmail {
		return d.UserEmail != nil && (d.UserDisabled == nil || !*d.UserDisabled)
	}
	return true
}

// Planned is one notice a run would send, as `latchkey notify --dry-run`
// prints it.
type Planned struct {
	Event     string
	Threshold int
	Channel   string
	// Recipient is "Name <email>", a webhook URL or "log".
	Recipient                   string
	Domain, Application, Secret string
	ExpiresAt                   time.Time
	// Retry is true for a notice decided earlier whose delivery is pending.
	Retry bool
}

// DryRun returns what a run now would send, changing nothing: pending
// notices it would retry, then new decisions.
func (n *Notifier) DryRun(ctx context.Context) ([]Planned, error) {
	var out []Planned
	var after uint64
	for {
		// Retryable rows, read in pages by id.
		rows, err := n.store.RetryableDeliveries(ctx, after, n.pageSize)
		if err != nil {
			return nil, err
		}
		for _, d := range rows {
			if n.channels[d.Channel] == nil || !current(d) {
				continue
			}
			who := d.Recipient
			if d.UserEmail != nil {
				who = derefName(d.UserName) + " <" + *d.UserEmail + ">"
			}
			out = append(out, Planned{Event: d.Event, Threshold: d.Threshold, Channel: d.Channel, Recipient: who,
				Domain: d.DomainName, Application: d.ApplicationName, Secret: d.SecretDescription, ExpiresAt: d.ExpiresAt, Retry: true})
		}
		if len(rows) < n.pageSize {
			break
		}
		after = rows[len(rows)-1].ID
	}
	var scanned int
	err := n.scan(ctx, n.store.Now().UTC(), func(entries []plannedEntry) error {
		for _, e := range entries {
			out = append(out, Planned{Event: e.Event, Threshold: e.Threshold, Channel: e.Channel, Recipient: e.display(),
				Domain: e.Secret.DomainName, Application: e.Secret.ApplicationName, Secret: e.Secret.Description, ExpiresAt: e.ExpiresAt})
		}
		return nil
	}, nil, &scanned)
	return out, err
}

func derefName(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// cronLogger sends cron's messages to slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// Enabled reports whether the configuration asks for the expiry job:
// services.notifier.enabled and services.notifier.client-secret.enabled.
func Enabled(cfg *config.Config) bool {
	return cfg.Services.Notifier.Enabled && cfg.Services.Notifier.ClientSecret.Enabled
}
