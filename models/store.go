// Package models holds Latchkey's data: GORM models, every query
// and the domain rules that belong to the data. Nothing here knows about HTTP.
// The schema is not made from the models: models/migrations holds it, and
// Open applies it.
//
// It may import models/migrations and pki; never HTTP, handlers, gateway, web
// or notify.
package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"latchkey/models/migrations"
)

// Store is the handle on the database that every query hangs off.
type Store struct {
	db *gorm.DB
	// Now is the clock (WithClock); tests may replace it to make
	// time-dependent rules exact.
	Now func() time.Time
	// SecretsMax is the most secrets one application may hold
	// (applications.secretsMax; WithSecretsMax).
	SecretsMax int
	// ClientCertificatesMax is the most client certificates one
	// application may hold (applications.clientCertificatesMax;
	// WithClientCertificatesMax).
	ClientCertificatesMax int
	auth                  authStatement
	// authBatch gathers PostgreSQL's concurrent secret lookups, run by
	// authBatchStmt (authn_batch.go).
	authBatch     authBatcher
	authBatchStmt authStatement
	// assertion is the client assertion lookup's statement and jti the
	// replay store's insert (assertion.go); on PostgreSQL their batchers
	// and batch statements (assertion_batch.go).
	assertion, jti                   authStatement
	assertionBatch                   batcher[assertionLookup, *assertionLookup]
	jtiBatch                         batcher[jtiUse, *jtiUse]
	assertionBatchStmt, jtiBatchStmt authStatement
	// ExpiringSoon is how long before expiry a secret counts as "expiring
	// soon": the first notification threshold (WithExpiringSoon).
	ExpiringSoon time.Duration
	// dialect and lockFile say how the migrations run (see Migrate).
	dialect  migrations.Dialect
	lockFile string
	log      *slog.Logger
	// ledgerKinds are the notice ledger's kinds besides client secrets.
	ledgerKinds []LedgerKind
	// sessionClock replaces the sessions' wall clock in tests (session.go).
	sessionClock func() time.Time
	// kek seals private keys and session keys (WithKeyEncryptionKey).
	kek []byte
	// CertDefaults says how system certificates are made and rotated
	// (WithCertificateDefaults).
	CertDefaults CertificateDefaults
	// jtiMu queues a SQLite store's client assertion jti inserts
	// (UseAssertionJTI).
	jtiMu sync.Mutex
}

// DefaultExpiringSoon is the default first notification threshold.
const DefaultExpiringSoon = 20 * 24 * time.Hour

// DefaultSecretsMax is Gravitee's default for applications.secretsMax.
const DefaultSecretsMax = 10

// IsPostgres reports whether a DSN names a PostgreSQL database rather than a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database named by dsn (a postgres:// URL or a SQLite
// file path), configured by opts, and applies the pending migrations
// (unless WithoutMigrating). A nil log discards GORM's and the migrations'
// messages. A SQLite file's folder is created when missing.
func Open(ctx context.Context, dsn string, log *slog.Logger, opts ...Option) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := options{secretsMax: DefaultSecretsMax, clientCertificatesMax: DefaultClientCertificatesMax, expiringSoon: DefaultExpiringSoon, now: time.Now, migrate: true,
		certificates: DefaultCertificateDefaults}
	for _, opt := range opts {
		opt(&o)
	}
	p := o.pool
	if IsPostgres(dsn) && p.StatementTimeout > 0 {
		dsn = withStatementTimeout(dsn, p.StatementTimeout)
	}
	gcfg := &gorm.Config{
		Logger:         newGormLogger(log),
		TranslateError: true,
		NowFunc:        func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
	s := &Store{Now: o.now, SecretsMax: o.secretsMax, ClientCertificatesMax: o.clientCertificatesMax, ExpiringSoon: o.expiringSoon, log: log, CertDefaults: o.certificates}
	var err error
	if IsPostgres(dsn) {
		s.dialect = migrations.Postgres
		s.db, err = gorm.Open(postgres.Open(dsn), gcfg)
	} else {
		s.dialect = migrations.SQLite
		s.db, s.lockFile, err = openSQLite(dsn, gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if s.kek, err = resolveKEK(o.kek, s.dialect == migrations.Postgres, strings.TrimSuffix(s.lockFile, migrateLockSuffix)); err != nil {
		_ = s.Close()
		return nil, err
	}
	if sqlDB, err := s.db.DB(); err == nil {
		if p.MaxOpenConns > 0 {
			sqlDB.SetMaxOpenConns(p.MaxOpenConns)
		}
		if p.MaxIdleConns > 0 {
			sqlDB.SetMaxIdleConns(p.MaxIdleConns)
		}
		if p.ConnMaxLifetime > 0 {
			sqlDB.SetConnMaxLifetime(p.ConnMaxLifetime)
		}
	}
	if o.migrate {
		if err := s.migrate(ctx); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("migrate database: %w", err)
		}
	}
	return s, nil
}

// openSQLite opens a SQLite file in WAL mode with a busy timeout and foreign
// keys enforced. WAL lets the gateway read while the console writes; the busy
// timeout turns brief lock contention into waiting instead of errors.
//
// It also returns the file beside the database that makes processes
// sharing it migrate in turn ("" for an in-memory database).
func openSQLite(path string, gcfg *gorm.Config) (*gorm.DB, string, error) {
	file := strings.TrimPrefix(path, "file:")
	query := ""
	if i := strings.IndexByte(file, '?'); i >= 0 {
		file, query = file[:i], file[i:]
	}
	memory := file == ":memory:" || file == "" || strings.Contains(query, "mode=memory")
	if dir := filepath.Dir(file); dir != "" && dir != "." && !memory {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, "", err
		}
	}
	lockFile := ""
	if !memory {
		lockFile = file + migrateLockSuffix
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	dsn := path + sep + "_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=on&_txlock=immediate&_synchronous=NORMAL"
	if !strings.HasPrefix(dsn, "file:") {
		dsn = "file:" + dsn
	}
	// Switching a new file to WAL needs it to itself, and SQLite says
	// "locked" at once, without waiting out the busy timeout, when other
	// processes open it at that moment: try again for a while.
	var db *gorm.DB
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; {
		db, err = gorm.Open(sqlite.Open(dsn), gcfg)
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || (se.Code != sqlite3.ErrBusy && se.Code != sqlite3.ErrLocked) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return nil, "", err
	}
	var fk int
	if err := db.Raw("PRAGMA foreign_keys").Scan(&fk).Error; err != nil {
		return nil, "", err
	}
	if fk != 1 {
		return nil, "", errors.New("sqlite: foreign keys could not be enabled")
	}
	return db, lockFile, nil
}

// migrateLockSuffix names the lock file beside a SQLite database.
const migrateLockSuffix = ".migrate-lock"

// Close closes the database connections.
func (s *Store) Close() error {
	for _, st := range []*authStatement{&s.auth, &s.assertion, &s.jti} {
		if st.stmt != nil {
			_ = st.stmt.Close()
		}
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers; used by /healthz.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// now is the store's clock in UTC at microsecond precision: what
// PostgreSQL keeps, so a time read back equals the time written on both
// databases.
func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// Pool tunes the database connection pool; zero values keep the driver's
// defaults.
type Pool struct {
	MaxOpenConns, MaxIdleConns int
	ConnMaxLifetime            time.Duration
	// StatementTimeout bounds every statement on PostgreSQL, so a stuck
	// query cannot hold a connection (and a gateway request) forever.
	StatementTimeout time.Duration
}

// withStatementTimeout adds PostgreSQL's statement_timeout run-time
// parameter to a postgres:// URL unless it already sets one.
func withStatementTimeout(dsn string, d time.Duration) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	if q.Get("statement_timeout") == "" {
		q.Set("statement_timeout", strconv.FormatInt(d.Milliseconds(), 10))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// newGormLogger routes GORM's own messages to slog at warn level and above,
// and never logs SQL with its parameters (they may hold secrets' digests).
func newGormLogger(log *slog.Logger) logger.Interface {
	return quietWhenGone{logger.NewSlogLogger(log, logger.Config{
		SlowThreshold:             500 * time.Millisecond,
		LogLevel:                  logger.Warn,
		IgnoreRecordNotFoundError: true,
		ParameterizedQueries:      true,
	})}
}

// SQLDB returns the underlying connection pool, for its statistics.
func (s *Store) SQLDB() (*sql.DB, error) { return s.db.DB() }
