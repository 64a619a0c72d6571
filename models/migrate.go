package models

import (
	"context"

	"latchkey/models/migrations"
)

// Migration is one migration and whether it was applied (AppliedAt is zero
// while it is pending).
type Migration = migrations.Status

// AppliedMigration is one migration that Migrate applied.
type AppliedMigration = migrations.Applied

// Migrate applies the pending migrations (models/migrations) and returns
// those it applied. Nodes sharing the database take turns (PostgreSQL: an
// advisory lock; SQLite: a lock file beside the database), so two nodes
// starting together never race on the same CREATE or ALTER TABLE; a node
// that finds the work done by another applies nothing.
func (s *Store) Migrate(ctx context.Context) ([]AppliedMigration, error) {
	r, err := s.migrations()
	if err != nil {
		return nil, err
	}
	return r.Up(ctx)
}

// MigrationStatus lists every migration by version, applied or pending.
func (s *Store) MigrationStatus(ctx context.Context) ([]Migration, error) {
	r, err := s.migrations()
	if err != nil {
		return nil, err
	}
	return r.Status(ctx)
}

// migrate applies the pending migrations, as Open does.
func (s *Store) migrate(ctx context.Context) error {
	_, err := s.Migrate(ctx)
	return err
}

func (s *Store) migrations() (*migrations.Runner, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	return migrations.New(sqlDB, s.dialect, s.lockFile, s.log, s.kek)
}

// SchemaVersions returns the newest applied migration, the newest this
// binary knows, and how many are pending (for `serve --no-migrate` and
// /readyz).
func SchemaVersions(status []Migration) (current, want int64, pending int) {
	for _, m := range status {
		want = max(want, m.Version)
		if m.AppliedAt.IsZero() {
			pending++
		} else {
			current = max(current, m.Version)
		}
	}
	return current, want, pending
}
