// Package storeopts turns the configuration into the store's options, so
// every command, the load tests and the benchmarks open their store as
// `latchkey serve` does.
package storeopts

import (
	"time"

	"latchkey/config"
	"latchkey/models"
)

// FromConfig returns the settings of cfg that the store applies: the
// connection pool (database.*), applications.secretsMax, the "expiring
// soon" window (the first of services.notifier.client-secret.expiryThresholds),
// the key-encryption key (security.keyEncryptionKey) and the system
// certificates' settings (domains.certificates.default.*).
// Every command opens its store with them, so `latchkey notify` judges
// secrets as `latchkey serve` does.
func FromConfig(cfg *config.Config) []models.Option {
	d := cfg.Database
	opts := []models.Option{
		models.WithPool(models.Pool{MaxOpenConns: d.MaxOpenConns, MaxIdleConns: d.MaxIdleConns,
			ConnMaxLifetime: d.ConnMaxLifetime.Duration, StatementTimeout: d.StatementTimeout.Duration}),
		models.WithSecretsMax(cfg.Applications.SecretsMax),
		models.WithClientCertificatesMax(cfg.Applications.ClientCertificatesMax),
	}
	if days := cfg.ExpiryThresholdDays(); len(days) > 0 {
		opts = append(opts, models.WithExpiringSoon(time.Duration(days[0])*24*time.Hour))
	}
	if k := cfg.Security.KeyEncryptionKey; k != "" {
		// Validated by config.Load: base64 of 32 bytes. Without it the store
		// uses the key file beside a SQLite database, and refuses PostgreSQL.
		opts = append(opts, models.WithKeyEncryptionKey(cfg.KeyEncryptionKey()))
	}
	cd := cfg.Domains.Certificates.Default
	opts = append(opts, models.WithCertificateDefaults(models.CertificateDefaults{
		Algorithm: cd.Algorithm, RSABits: cd.KeySize, ValidityDays: cd.Validity, Subject: cd.Subject,
		RefreshDelay: cd.Refresh.Delay.Duration, AutoRotateBefore: time.Duration(cd.AutoRotateDays) * 24 * time.Hour,
	}))
	return opts
}
