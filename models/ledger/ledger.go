// Package ledger is the notice ledger's storage engine: deciding notices
// by the hundred thousand (the Decider, with its SQLite tuning: pages
// sharing transactions, a larger page cache, a WAL checkpointer of its
// own), and the queries that claim, deliver and settle ledger rows. The
// ledger's tables and the console notices are entities of package models
// (models.NotificationLedger, models.Notification); this package imports
// models and reaches the database through models.Store.DB, as models'
// sub-packages may. Package notify is its user.
package ledger

import (
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"latchkey/models"
)

// Ledger is the notice ledger of a store.
type Ledger struct {
	s  *models.Store
	db *gorm.DB
}

// New returns the ledger of a store.
func New(s *models.Store) *Ledger { return &Ledger{s: s, db: s.DB()} }

// now is the store's clock as it stores times.
func (l *Ledger) now() time.Time { return l.s.Timestamp() }

// truncateRunes cuts s to at most n runes (the columns' sizes), as
// models does: the last one an ellipsis.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
