package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"latchkey/config"
	"latchkey/internal/storeopts"
	"latchkey/models"
)

// serverRunning reports whether a listener of cfg answers on this machine:
// restore refuses then, since a running serve would keep writing to the
// file it replaces. (A node on another machine sharing the file cannot be
// seen; SQLite is single-machine anyway.)
func serverRunning(cfg *config.Config) bool {
	for _, l := range []config.Listener{cfg.Server.Console, cfg.Server.Gateway} {
		if !l.Enabled {
			continue
		}
		host, port, err := net.SplitHostPort(l.Addr)
		if err != nil {
			continue
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, port), time.Second)
		if err == nil {
			c.Close()
			return true
		}
	}
	return false
}

// schemaVersionOf returns the newest migration applied to a SQLite file.
func schemaVersionOf(ctx context.Context, file string) (int64, error) {
	db, err := openSQLiteFile(file)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var v int64
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&v); err != nil {
		return 0, fmt.Errorf("%s is not a Latchkey database: %w", file, err)
	}
	return v, nil
}

// restoreCommand runs `latchkey restore FILE`, with serve stopped: it
// checks FILE (integrity, and a schema no newer than this binary's
// migrations), copies it beside the database, renames it over the database
// (removing the old WAL files), and migrates it up.
func restoreCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("restore: give the backup file: latchkey restore FILE")
	}
	src := fs.Arg(0)
	if cfg.DatabaseDriver() == "postgres" {
		return errPostgresBackup
	}
	file, err := sqliteFile(cfg.Database.DSN)
	if err != nil {
		return err
	}
	if serverRunning(cfg) {
		return fmt.Errorf("restore: latchkey serve is running (a listener answers): stop it first")
	}
	if err := integrityCheck(ctx, src); err != nil {
		return err
	}
	have, err := schemaVersionOf(ctx, src)
	if err != nil {
		return err
	}
	want, err := newestMigration(ctx)
	if err != nil {
		return err
	}
	if have > want {
		return fmt.Errorf("restore: %s has schema version %d, newer than this binary's %d: restore it with the newer latchkey", src, have, want)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".latchkey-restore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	in, err := os.Open(src)
	if err != nil {
		tmp.Close()
		return err
	}
	_, err = io.Copy(tmp, in)
	in.Close()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o600)
	}
	if err != nil {
		return err
	}
	// The old database's WAL belongs to the old file: left behind, SQLite
	// would replay it into the restored one.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(file + suffix); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return err
	}
	store, err := models.Open(ctx, cfg.Database.DSN, newLogger(cfg, stderr), storeopts.FromConfig(cfg)...)
	if err != nil {
		return fmt.Errorf("restore: open the restored database: %w", err)
	}
	defer store.Close()
	fmt.Fprintf(stdout, "restored %s from %s (schema version %d, migrated to %d)\n", file, src, have, want)
	fmt.Fprintf(stdout, "The private keys in it need the key-encryption key it was backed up with, %s.\n", kekLocation(cfg, file))
	return nil
}

// newestMigration returns the newest migration this binary knows, from a
// throwaway in-memory database.
func newestMigration(ctx context.Context) (int64, error) {
	s, err := models.Open(ctx, ":memory:", nil, models.WithoutMigrating())
	if err != nil {
		return 0, err
	}
	defer s.Close()
	status, err := s.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	var v int64
	for _, m := range status {
		v = max(v, m.Version)
	}
	return v, nil
}
