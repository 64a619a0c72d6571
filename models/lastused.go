package models

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"
)

// LastUsedInterval is the least time between two lastUsedAt writes of one
// credential: "last used" is shown to the minute, so finer writes would
// only load the database.
const LastUsedInterval = time.Minute

// LastUsedRecorder records when credentials (client secrets and client
// certificates) authenticate without a database write per request: Touch
// only notes the time in memory (the token endpoint's response never waits
// for a write), and Flush, run in the background and once more at
// shutdown, writes each credential at most once per LastUsedInterval.
type LastUsedRecorder struct {
	store *Store

	mu      sync.Mutex
	pending map[credential]time.Time // newest use not yet written
	written map[credential]time.Time // the use last written
}

// credential names one credential: the table that holds its last_used_at,
// and its id.
type credential struct{ table, id string }

// The tables of the credentials whose use is recorded.
const (
	secretsTable            = "client_secrets"
	clientCertificatesTable = "client_certificates"
)

// NewLastUsedRecorder returns a recorder writing to store.
func NewLastUsedRecorder(store *Store) *LastUsedRecorder {
	return &LastUsedRecorder{store: store, pending: map[credential]time.Time{}, written: map[credential]time.Time{}}
}

// Touch notes that a secret authenticated at t. It never blocks on I/O.
func (r *LastUsedRecorder) Touch(secretID string, t time.Time) {
	r.touch(credential{secretsTable, secretID}, t)
}

// TouchClientCertificate notes that a client certificate authenticated a
// client assertion at t. It never blocks on I/O.
func (r *LastUsedRecorder) TouchClientCertificate(id string, t time.Time) {
	r.touch(credential{clientCertificatesTable, id}, t)
}

func (r *LastUsedRecorder) touch(c credential, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w, ok := r.written[c]; ok && t.Sub(w) < LastUsedInterval {
		return
	}
	if p, ok := r.pending[c]; !ok || t.After(p) {
		r.pending[c] = t
	}
}

// Flush writes the pending times, one UPDATE per credential in one
// transaction. A failed write keeps the times pending for the next flush.
func (r *LastUsedRecorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	batch := r.pending
	r.pending = map[credential]time.Time{}
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := r.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for c, t := range batch {
			// Never move lastUsedAt backwards (another node may have
			// written a later use).
			if err := tx.Table(c.table).
				Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", c.id, t.UTC()).
				Update("last_used_at", t.UTC()).Error; err != nil {
				return err
			}
		}
		return nil
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		for c, t := range batch {
			if p, ok := r.pending[c]; !ok || t.After(p) {
				r.pending[c] = t
			}
		}
		return err
	}
	now := r.store.now()
	for c, t := range batch {
		r.written[c] = t
	}
	// Forget writes old enough not to matter, so memory follows the
	// number of recently used credentials.
	for c, t := range r.written {
		if now.Sub(t) >= LastUsedInterval {
			delete(r.written, c)
		}
	}
	return nil
}

// Run flushes every interval until ctx ends, then flushes once more with a
// fresh context so that nothing noted before shutdown is lost.
func (r *LastUsedRecorder) Run(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := r.Flush(fctx); err != nil {
				onError(err)
			}
			return
		case <-t.C:
			if err := r.Flush(ctx); err != nil {
				onError(err)
			}
		}
	}
}
