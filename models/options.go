package models

import "time"

// Option configures the store Open returns. Settings reach the store only
// this way, so every command that opens it (serve, notify, user, migrate)
// applies the same configuration.
type Option func(*options)

type options struct {
	pool         Pool
	secretsMax   int
	expiringSoon time.Duration
	now          func() time.Time
	migrate      bool
}

// WithPool tunes the connection pool (database.*).
func WithPool(p Pool) Option { return func(o *options) { o.pool = p } }

// WithSecretsMax sets the most secrets one application may hold
// (applications.secretsMax); DefaultSecretsMax without it.
func WithSecretsMax(n int) Option { return func(o *options) { o.secretsMax = n } }

// WithExpiringSoon sets how long before expiry a secret counts as
// "expiring soon" (the first notification threshold); DefaultExpiringSoon
// without it.
func WithExpiringSoon(d time.Duration) Option { return func(o *options) { o.expiringSoon = d } }

// WithClock replaces the store's clock (time.Now without it).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithoutMigrating opens the database as it is, for `latchkey migrate`,
// which reports the migrations or applies them itself (see Migrate).
func WithoutMigrating() Option { return func(o *options) { o.migrate = false } }
