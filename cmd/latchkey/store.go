package main

import (
	"time"

	"latchkey/config"
	"latchkey/models"
)

// storeOptions are the settings of cfg that the store applies: the
// connection pool (database.*), applications.secretsMax and the "expiring
// soon" window (the first of services.notifier.client-secret.expiryThresholds).
// Every command opens its store with them, so `latchkey notify` judges
// secrets as `latchkey serve` does.
func storeOptions(cfg *config.Config) []models.Option {
	d := cfg.Database
	opts := []models.Option{
		models.WithPool(models.Pool{MaxOpenConns: d.MaxOpenConns, MaxIdleConns: d.MaxIdleConns,
			ConnMaxLifetime: d.ConnMaxLifetime.Duration, StatementTimeout: d.StatementTimeout.Duration}),
		models.WithSecretsMax(cfg.Applications.SecretsMax),
	}
	if days := cfg.ExpiryThresholdDays(); len(days) > 0 {
		opts = append(opts, models.WithExpiringSoon(time.Duration(days[0])*24*time.Hour))
	}
	return opts
}
