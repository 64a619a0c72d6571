package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"
)

// Start runs each enabled source on its own schedule until Stop is called.
// Runs use ctx, so cancelling it interrupts a run in progress; a source's
// run still going when its next is due makes that one skip. Runs of two
// sources may overlap: the ledger keeps each decision once.
func (n *Notifier) Start(ctx context.Context) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cron != nil {
		return
	}
	logger := cronLogger{n.log}
	n.cron = cron.New(cron.WithLogger(logger), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	for _, s := range n.enabled() {
		n.cron.Schedule(s.schedule, cron.FuncJob(func() {
			if ctx.Err() != nil {
				return
			}
			if _, err := n.runSources(ctx, []*configured{s}); err != nil && ctx.Err() == nil {
				n.log.Error("notifier run failed", "source", s.key, "err", err)
			}
		}))
		n.log.Info("notifier started", "source", s.key, "next", s.schedule.Next(time.Now()).Format(time.RFC3339),
			"channels", n.Channels())
	}
	n.cron.Start()
}

// Stop stops the schedules and waits for runs in progress to finish
// (cancel the context given to Start to make them finish early).
func (n *Notifier) Stop() {
	n.mu.Lock()
	c := n.cron
	n.cron = nil
	n.mu.Unlock()
	if c != nil {
		<-c.Stop().Done()
	}
}

// Next returns when a job runs next after t: the soonest of the enabled
// sources' schedules (zero when none is enabled).
func (n *Notifier) Next(t time.Time) time.Time {
	var next time.Time
	for _, s := range n.enabled() {
		if at := s.schedule.Next(t); next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}

// cronLogger sends cron's messages to slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
