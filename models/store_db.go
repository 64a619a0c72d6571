package models

import (
	"time"

	"gorm.io/gorm"
)

// DB returns the store's database handle, for the sub-packages of models
// (models/ledger) and the benchmark fixture (internal/benchfixture) only:
// everything else reaches the database through the store's methods.
func (s *Store) DB() *gorm.DB { return s.db }

// Timestamp is the store's clock as the store writes times (UTC, to the
// microsecond), for the sub-packages of models.
func (s *Store) Timestamp() time.Time { return s.now() }

// SubjectColumn is an SQL expression for the subject id of a notice ledger
// row aliased l, whatever its kind (see LedgerKind), for models/ledger.
func (s *Store) SubjectColumn() string { return s.subjectColumn() }
