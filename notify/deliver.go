package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"latchkey/models"
	"latchkey/models/ledger"
)

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

// subjectsOf reads the current subjects of delivery rows; rows of a kind
// no source words are left out (they become obsolete).
func (n *Notifier) subjectsOf(ctx context.Context, rows []ledger.Delivery) (map[models.SubjectRef]models.Subject, error) {
	refs := make([]models.SubjectRef, 0, len(rows))
	for _, d := range rows {
		if n.source(d.Kind) != nil {
			refs = append(refs, models.SubjectRef{Kind: d.Kind, ID: d.SubjectID})
		}
	}
	return n.store.SubjectsOf(ctx, refs)
}

// deliverChannel delivers the rows of one channel claimed by the run. Rows
// of a channel that is switched off, rows for a subject renewed since the
// decision, and rows for users since disabled or deleted become obsolete.
func (n *Notifier) deliverChannel(ctx context.Context, claim, name string, o *outcome) error {
	ch := n.channels[name]
	var after uint64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := n.ledger.ClaimedDeliveries(ctx, claim, name, after, n.pageSize)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		after = rows[len(rows)-1].ID
		subjects, err := n.subjectsOf(ctx, rows)
		if err != nil {
			return err
		}
		now := n.store.Now().UTC()
		var live []notice
		var obsolete []uint64
		for _, d := range rows {
			sub, ok := subjects[models.SubjectRef{Kind: d.Kind, ID: d.SubjectID}]
			if ch == nil || !ok || !current(d, sub) || !ch.accepts(d) {
				obsolete = append(obsolete, d.ID)
				continue
			}
			live = append(live, newNotice(d, sub, n.source(d.Kind), n.publicURL, now))
		}
		if len(obsolete) > 0 {
			if err := n.ledger.ObsoleteDeliveries(ctx, claim, obsolete); err != nil {
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
				if rerr := n.ledger.ReleaseDelivery(ctx, claim, d.ID); rerr != nil {
					return rerr
				}
			default:
				o.failed++
				status, ferr := n.ledger.FailDelivery(ctx, claim, d.ID, d.Attempts, err.Error())
				if ferr != nil {
					return ferr
				}
				n.log.Warn("notice not delivered", "channel", name, "notice", d.ID, "kind", d.Kind, "subject", d.SubjectID,
					"attempt", d.Attempts+1, "gaveUp", status == models.LedgerFailed, "err", err)
			}
		}
		if _, self := ch.(selfCompleting); !self && len(sent) > 0 {
			if err := n.ledger.CompleteDeliveries(ctx, claim, sent); err != nil {
				return err
			}
		}
		o.sent += len(sent)
	}
}

// current reports whether a row still describes its subject and its
// recipient: the subject was not renewed since, and a user recipient still
// exists and is enabled.
func current(d ledger.Delivery, sub models.Subject) bool {
	if sub.ExpiresAt.IsZero() || !sub.ExpiresAt.Equal(d.ExpiresAt) {
		return false
	}
	if d.Channel == models.ChannelUI || d.Channel == models.ChannelEmail {
		return d.UserEmail != nil && (d.UserDisabled == nil || !*d.UserDisabled)
	}
	return true
}

func derefName(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
