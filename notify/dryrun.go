package notify

import (
	"context"
	"time"

	"latchkey/models"
)

// Planned is one notice a run would send, as `latchkey notify --dry-run`
// prints it.
type Planned struct {
	// Source is the settings key of the notice's source: "client-secret".
	Source    string
	Event     string
	Threshold int
	Channel   string
	// Recipient is "Name <email>", a webhook URL or "log".
	Recipient string
	// Secret is the subject's name (a secret's description).
	Domain, Application, Secret string
	ExpiresAt                   time.Time
	// Retry is true for a notice decided earlier whose delivery is pending.
	Retry bool
}

// Expired reports whether the notice says its subject has expired.
func (p Planned) Expired() bool { return p.Threshold == 0 }

// DryRun returns what a run of every source now would send, changing
// nothing: pending notices it would retry, then new decisions. Sources
// switched off are listed too, so that the command shows what switching
// them on would do.
func (n *Notifier) DryRun(ctx context.Context) ([]Planned, error) {
	var out []Planned
	var after uint64
	for {
		// Retryable rows, read in pages by id.
		rows, err := n.ledger.RetryableDeliveries(ctx, after, n.pageSize)
		if err != nil {
			return nil, err
		}
		subjects, err := n.subjectsOf(ctx, rows)
		if err != nil {
			return nil, err
		}
		for _, d := range rows {
			sub, ok := subjects[models.SubjectRef{Kind: d.Kind, ID: d.SubjectID}]
			if n.channels[d.Channel] == nil || !ok || !current(d, sub) {
				continue
			}
			who := d.Recipient
			if d.UserEmail != nil {
				who = derefName(d.UserName) + " <" + *d.UserEmail + ">"
			}
			out = append(out, Planned{Source: n.source(d.Kind).key, Event: d.Event, Threshold: d.Threshold, Channel: d.Channel,
				Recipient: who, Domain: sub.DomainName, Application: sub.ApplicationName, Secret: sub.Name,
				ExpiresAt: d.ExpiresAt, Retry: true})
		}
		if len(rows) < n.pageSize {
			break
		}
		after = rows[len(rows)-1].ID
	}
	now := n.store.Now().UTC()
	for _, src := range n.sources {
		var scanned int
		err := n.scan(ctx, src, now, func(entries []plannedEntry) error {
			for _, e := range entries {
				out = append(out, Planned{Source: src.key, Event: e.Event, Threshold: e.Threshold, Channel: e.Channel,
					Recipient: e.display(), Domain: e.Subject.DomainName, Application: e.Subject.ApplicationName,
					Secret: e.Subject.Name, ExpiresAt: e.ExpiresAt})
			}
			return nil
		}, nil, &scanned)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
