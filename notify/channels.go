package notify

import (
	"context"
	"errors"
	"log/slog"

	"latchkey/models"
	"latchkey/models/ledger"
)

// channel delivers notices on one medium.
type channel interface {
	// accepts reports whether a claimed row can still be delivered on this
	// channel as configured now (a webhook URL may have been removed).
	accepts(d ledger.Delivery) bool
	// deliver sends a batch and returns one result per notice: nil when
	// delivered, errSkipped when not tried, or why it failed.
	deliver(ctx context.Context, claim string, ns []notice) []error
}

// selfCompleting is a channel that marks its ledger rows sent itself, in the
// same transaction as the delivery.
type selfCompleting interface{ selfCompleting() }

// errSkipped marks a notice the run did not try (it is released for the next
// run without counting an attempt).
var errSkipped = errors.New("skipped")

// uiChannel stores console notices: the bell and the Notifications page.
type uiChannel struct{ store *models.Store }

func (*uiChannel) selfCompleting()                {}
func (*uiChannel) accepts(d ledger.Delivery) bool { return true }

// deliver stores the notices and marks their rows sent in one transaction:
// a console notice is delivered exactly once. Runs store console notices as
// they decide them; this serves rows left pending by an older version.
func (c *uiChannel) deliver(ctx context.Context, claim string, ns []notice) []error {
	ids := make([]uint64, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	results := make([]error, len(ns))
	delivered, err := c.store.DeliverNotifications(ctx, claim, ids)
	done := make(map[uint64]bool, len(delivered))
	for _, id := range delivered {
		done[id] = true
	}
	for i, id := range ids {
		switch {
		case err != nil:
			results[i] = err
		case !done[id]:
			results[i] = errSkipped // another run took the row over
		}
	}
	return results
}

// logChannel writes one line per notice to the server's log.
type logChannel struct{ log *slog.Logger }

func (*logChannel) accepts(d ledger.Delivery) bool { return true }

// deliver writes pending log rows. Runs insert log rows as sent and write
// them as they decide them (see Notifier.logNotice), so this only serves
// rows left pending by another path; it keeps the log a channel like the
// others.
func (c *logChannel) deliver(ctx context.Context, _ string, ns []notice) []error {
	for _, n := range ns {
		c.write(ctx, n)
	}
	return make([]error, len(ns))
}

// logLevel is the level of a notice's line: a warning once expired.
func logLevel(expired bool) slog.Level {
	if expired {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// write logs a notice: its title, event and threshold, then its source's
// attributes. Nothing is made up for a level the log leaves out.
func (c *logChannel) write(ctx context.Context, n notice) {
	level := logLevel(n.Expired())
	if !c.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 2, 12)
	attrs[0], attrs[1] = slog.String("event", n.Event), slog.Int("thresholdDays", n.Threshold)
	c.log.LogAttrs(ctx, level, n.Title(), n.wording.LogAttrs(attrs, &n)...)
}
