package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/mattn/go-sqlite3" // the driver models uses; registered as "sqlite3"

	"latchkey/config"
	"latchkey/models"
)

// sqliteFile returns the file of a SQLite DSN (without "file:" and query).
func sqliteFile(dsn string) (string, error) {
	file := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(file, '?'); i >= 0 {
		file = file[:i]
	}
	if file == "" || file == ":memory:" || strings.Contains(dsn, "mode=memory") {
		return "", fmt.Errorf("database.dsn %q is an in-memory database: nothing to back up or restore", dsn)
	}
	return file, nil
}

// errPostgresBackup is the answer of backup and restore on PostgreSQL.
var errPostgresBackup = errors.New("the database is PostgreSQL: back it up with pg_dump (e.g. pg_dump -Fc -f latchkey.dump \"$DSN\") and restore with pg_restore; keep security.keyEncryptionKey with the dump, without it the private keys in it cannot be decrypted")

// kekLocation says where the key-encryption key of cfg's database is.
func kekLocation(cfg *config.Config, file string) string {
	if cfg.Security.KeyEncryptionKey != "" {
		return "from security.keyEncryptionKey (the configuration or LATCHKEY_SECURITY_KEYENCRYPTIONKEY)"
	}
	return "in the key file " + file + models.KEKFileSuffix
}

// openSQLiteFile opens a SQLite file with database/sql alone: backup and
// restore read and check files that must not become stores (a store would
// make a key file beside them).
func openSQLiteFile(file string) (*sql.DB, error) {
	db, err := sql.Open("sqlite3", "file:"+file+"?_busy_timeout=10000")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// integrityCheck runs PRAGMA integrity_check on file.
func integrityCheck(ctx context.Context, file string) error {
	db, err := openSQLiteFile(file)
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("integrity check of %s: %w", file, err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity check of %s failed: %s", file, res)
	}
	return nil
}

// backupCommand runs `latchkey backup FILE`: a consistent copy of the
// SQLite database taken while serve runs and writes. VACUUM INTO reads one
// snapshot (a read transaction: writers go on in WAL mode) into a temporary
// file in FILE's folder; the copy is checked (PRAGMA integrity_check),
// made mode 0600 and renamed over FILE, so FILE is either the old backup or
// a complete new one.
func backupCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("backup: give the backup file: latchkey backup FILE")
	}
	target := fs.Arg(0)
	if cfg.DatabaseDriver() == "postgres" {
		return errPostgresBackup
	}
	file, err := sqliteFile(cfg.Database.DSN)
	if err != nil {
		return err
	}
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("backup: database %s: %w", file, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), ".latchkey-backup-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	tmp.Close()
	// VACUUM INTO wants a file that does not exist (or is empty); the
	// temp name is ours, in the target folder, so the rename is atomic.
	if err := os.Remove(tmpName); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			os.Remove(tmpName)
		}
	}()
	db, err := openSQLiteFile(file)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "VACUUM INTO ?", tmpName)
	db.Close()
	if err != nil {
		return fmt.Errorf("backup: copy %s: %w", file, err)
	}
	if err := os.Chmod(tmpName, 0o600); err != nil {
		return err
	}
	if err := integrityCheck(ctx, tmpName); err != nil {
		return err
	}
	if err := os.Rename(tmpName, target); err != nil {
		return err
	}
	done = true
	fmt.Fprintf(stdout, "backed up %s to %s (integrity check ok)\n", file, target)
	fmt.Fprintf(stdout, "The key-encryption key is not in the backup: it is %s.\nKeep it with the backup, safely: without it the private keys in the backup cannot be decrypted.\n", kekLocation(cfg, file))
	return nil
}
