package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"latchkey/internal/storeopts"
	"latchkey/models"
)

// migrateCommand runs `latchkey migrate status` (every migration with the
// time it was applied, or "pending") and `latchkey migrate up` (apply the
// pending ones, under the same lock `latchkey serve` takes, then print the
// status). Serving nodes may run meanwhile: they migrate on start anyway.
func migrateCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "status" && args[0] != "up") {
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown migrate command")
	}
	fs := flag.NewFlagSet("migrate "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args[1:])
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate: unexpected argument %q", fs.Arg(0))
	}
	log := newLogger(cfg, stderr)
	store, err := models.Open(ctx, cfg.Database.DSN, log, append(storeopts.FromConfig(cfg), models.WithoutMigrating())...)
	if err != nil {
		return err
	}
	defer store.Close()
	if args[0] == "up" {
		applied, err := store.Migrate(ctx)
		for _, m := range applied {
			fmt.Fprintf(stdout, "applied %05d %s (%s)\n", m.Version, m.Name, m.Duration.Round(time.Millisecond))
		}
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "the database is up to date")
		}
	}
	status, err := store.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	printMigrations(stdout, status)
	return nil
}

// printMigrations writes the migrations as a table: version, name, and
// when each was applied or "pending".
func printMigrations(w io.Writer, status []models.Migration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED")
	for _, m := range status {
		applied := "pending"
		if !m.AppliedAt.IsZero() {
			applied = m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%05d\t%s\t%s\n", m.Version, m.Name, applied)
	}
	tw.Flush()
}

// schemaCurrent fails unless every migration this binary knows is applied:
// `serve --no-migrate` must not serve a schema that is behind, and says
// which version it needs (run `latchkey migrate up` first).
func schemaCurrent(ctx context.Context, store *models.Store) error {
	status, err := store.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	current, want, pending := models.SchemaVersions(status)
	if pending > 0 {
		return fmt.Errorf("serve --no-migrate: the database schema is at version %d, this binary needs version %d (%d pending migrations): run `latchkey migrate up` first", current, want, pending)
	}
	return nil
}
