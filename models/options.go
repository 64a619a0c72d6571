package models

import "time"

// Option configures the store Open returns. Settings reach the store only
// this way, so every command that opens it (serve, notify, user, migrate)
// applies the same configuration.
type Option func(*options)

type options struct {
	pool       Pool
	secretsMax int
	// clientCertificatesMax is applications.clientCertificatesMax.
	clientCertificatesMax int
	expiringSoon          time.Duration
	now                   func() time.Time
	migrate               bool
	kek                   []byte
	certificates          CertificateDefaults
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

// WithKeyEncryptionKey sets the key-encryption key (32 bytes,
// security.keyEncryptionKey) that seals private keys and session keys in
// the database. Without it a SQLite store uses the key file beside its
// database (KEKFileSuffix; made on first use, mode 0600, refused when
// others may read it), an in-memory one a key of its own, and a
// PostgreSQL store does not open.
func WithKeyEncryptionKey(kek []byte) Option { return func(o *options) { o.kek = kek } }

// WithCertificateDefaults sets how system certificates are made and
// rotated (domains.certificates.default.*); zero fields keep
// DefaultCertificateDefaults' values.
func WithCertificateDefaults(d CertificateDefaults) Option {
	return func(o *options) { o.certificates = d.withDefaults() }
}

// WithClientCertificatesMax sets the most client certificates one
// application may hold (applications.clientCertificatesMax);
// DefaultClientCertificatesMax without it.
func WithClientCertificatesMax(n int) Option {
	return func(o *options) { o.clientCertificatesMax = n }
}
