// Package certrotate rotates system certificates automatically before
// they expire (domains.certificates.default.autoRotateDays): a background
// worker that `latchkey serve` starts on every node. The rotation itself,
// exactly once across nodes, is models.Store.RotateExpiringCertificates.
//
// It may import models only.
package certrotate

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"latchkey/models"
)

// DefaultInterval is how often the worker looks for certificates due: far
// shorter than the days of notice a rotation has, and one indexed query.
const DefaultInterval = 5 * time.Minute

// Worker rotates due system certificates every Interval.
type Worker struct {
	store *models.Store
	log   *slog.Logger
	// Interval is the time between two checks (DefaultInterval).
	Interval time.Duration
	// OnRotated, when set, is told of the rotations each check made (on
	// this node only: each rotation is reported once across nodes). It is
	// the hook for the owners' notice.
	OnRotated func(context.Context, []models.Rotation)

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New returns a worker on store; a nil log discards its messages.
func New(store *models.Store, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{store: store, log: log, Interval: DefaultInterval}
}

// RunOnce rotates the certificates due now and returns the rotations it
// made.
func (w *Worker) RunOnce(ctx context.Context) ([]models.Rotation, error) {
	rotated, err := w.store.RotateExpiringCertificates(ctx)
	for _, r := range rotated {
		w.log.Info("certificate rotated before expiry", "domain", r.New.DomainID, "old", r.Old.ID, "old_expires_at", r.Old.ExpiresAt,
			"new", r.New.ID, "signing_from", r.New.SigningFrom)
	}
	if len(rotated) > 0 && w.OnRotated != nil {
		w.OnRotated(ctx, rotated)
	}
	return rotated, err
}

// Start checks at once and then every Interval until ctx ends or Stop.
func (w *Worker) Start(ctx context.Context) {
	ctx, w.stop = context.WithCancel(ctx)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(w.Interval)
		defer t.Stop()
		for {
			if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
				w.log.Error("automatic certificate rotation", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends the worker and waits for a check in progress.
func (w *Worker) Stop() {
	if w.stop != nil {
		w.stop()
	}
	w.wg.Wait()
}
