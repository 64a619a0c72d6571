package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DefaultSecretName names the secret every new application starts with.
const DefaultSecretName = "Default"

// MaxSecretDescription bounds a secret's description, as in Gravitee.
const MaxSecretDescription = 64

// ClientSecret is one of an application's secrets. The value itself is never
// stored: only its digest and a four-character hint (see newSecretValue).
type ClientSecret struct {
	ID            string       `gorm:"primaryKey;size:36;uniqueIndex:idx_client_secrets_expiry,priority:2"`
	ApplicationID string       `gorm:"size:36;not null;uniqueIndex:idx_secret_app_description,priority:1"`
	Application   *Application `gorm:"constraint:OnDelete:CASCADE"`
	// Description is what Gravitee calls the secret's name.
	Description string `gorm:"size:64;not null;uniqueIndex:idx_secret_app_description,priority:2"`
	Digest      string `gorm:"size:64;not null;uniqueIndex"`
	Hint        string `gorm:"size:8;not null"`
	CreatedAt   time.Time
	RenewedAt   *time.Time
	// ExpiresAt is nil for a secret that never expires. The unique index
	// (expires_at, id) is what the notifier pages through, and what the
	// notification ledger's foreign key refers to.
	ExpiresAt  *time.Time `gorm:"uniqueIndex:idx_client_secrets_expiry,priority:1"`
	LastUsedAt *time.Time
}

// Secret statuses.
const (
	SecretActive       = "ACTIVE"
	SecretExpiringSoon = "EXPIRING_SOON"
	SecretExpired      = "EXPIRED"
)

// Status tells whether the secret still authenticates at now, and whether it
// expires within soon (the first notification threshold).
func (cs *ClientSecret) Status(now time.Time, soon time.Duration) string {
	switch {
	case cs.ExpiresAt == nil:
		return SecretActive
	case !cs.ExpiresAt.After(now):
		return SecretExpired
	case cs.ExpiresAt.Sub(now) <= soon:
		return SecretExpiringSoon
	}
	return SecretActive
}

// ExpiryCounts counts secrets expiring within soon and already expired.
type ExpiryCounts struct {
	Expiring, Expired int64
}

// SecretExpiryCounts counts the expiring and expired secrets of one
// application (appID set) or of every application of a domain.
func (s *Store) SecretExpiryCounts(ctx context.Context, domainID, appID string) (ExpiryCounts, error) {
	now := s.now()
	q := func() *gorm.DB {
		db := s.db.WithContext(ctx).Model(&ClientSecret{})
		if appID != "" {
			return db.Where("application_id = ?", appID)
		}
		return db.Where("application_id IN (?)", s.db.Model(&Application{}).Select("id").Where("domain_id = ?", domainID))
	}
	var c ExpiryCounts
	if err := q().Where("expires_at IS NOT NULL AND expires_at <= ?", now).Count(&c.Expired).Error; err != nil {
		return c, err
	}
	err := q().Where("expires_at > ? AND expires_at <= ?", now, now.Add(s.ExpiringSoon)).Count(&c.Expiring).Error
	return c, err
}

// NewSecret is a secret together with its value, as returned once by
// create and renew. The value is never available again.
type NewSecret struct {
	ClientSecret
	Value string
}

// LimitError is returned when an application already holds the maximum
// number of secrets.
type LimitError struct{ Max int }

func (e *LimitError) Error() string {
	return fmt.Sprintf("Too many Client Secrets. Cannot create more than %d secrets", e.Max)
}

// ErrLastSecret is returned when deleting an application's only secret: an
// application must always be able to authenticate. The text is Gravitee's,
// word for word, because API clients match it.
var ErrLastSecret = errors.New("Cannot remove last secret") //lint:ignore ST1005 Gravitee's message

// cleanSecretDescription trims a description and checks it (see
// cleanLabel).
func cleanSecretDescription(s string) (string, string) {
	return cleanLabel(s, "Description", MaxSecretDescription)
}

// secretExpiry computes expiresAt for a secret of app (loaded with its
// Domain) created or renewed at now; see ComputeExpiry.
func secretExpiry(app *Application, now time.Time) *time.Time {
	var domain ExpiryPolicy
	if app.Domain != nil {
		domain = app.Domain.SecretPolicy()
	}
	return ComputeExpiry(now, domain, app.SecretPolicy())
}

// Secrets lists an application's secrets, oldest first.
func (s *Store) Secrets(ctx context.Context, appID string) ([]ClientSecret, error) {
	var out []ClientSecret
	err := s.db.WithContext(ctx).Where("application_id = ?", appID).Order("created_at, id").Find(&out).Error
	return out, err
}

// SecretByID returns a secret of the given application, or ErrNotFound when
// it does not exist or belongs to another application.
func (s *Store) SecretByID(ctx context.Context, appID, id string) (*ClientSecret, error) {
	var cs ClientSecret
	if err := s.db.WithContext(ctx).First(&cs, "id = ? AND application_id = ?", id, appID).Error; err != nil {
		return nil, notFound(err)
	}
	return &cs, nil
}

// lockApplication loads the application and, on PostgreSQL, locks its row
// so that concurrent secret changes of one application run one after the
// other. SQLite needs no lock: its transactions begin IMMEDIATE (see
// openSQLite), which already serialises writers.
func (s *Store) lockApplication(tx *gorm.DB, appID string) (*Application, error) {
	q := tx
	if tx.Dialector.Name() == "postgres" {
		q = tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var a Application
	if err := q.First(&a, "id = ?", appID).Error; err != nil {
		return nil, notFound(err)
	}
	var d Domain
	if err := tx.First(&d, "id = ?", a.DomainID).Error; err != nil {
		return nil, err
	}
	a.Domain = &d
	return &a, nil
}

// CreateSecret adds a secret to an application, enforcing the description
// rules and the per-application limit inside one transaction.
func (s *Store) CreateSecret(ctx context.Context, appID, description string) (*NewSecret, error) {
	var ns *NewSecret
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		ns, err = s.createSecret(tx, appID, description)
		return err
	})
	return ns, err
}

func (s *Store) createSecret(tx *gorm.DB, appID, description string) (*NewSecret, error) {
	description, msg := cleanSecretDescription(description)
	if msg != "" {
		return nil, FieldErrors{"description": msg}
	}
	app, err := s.lockApplication(tx, appID)
	if err != nil {
		return nil, err
	}
	var n int64
	if err := tx.Model(&ClientSecret{}).Where("application_id = ?", appID).Count(&n).Error; err != nil {
		return nil, err
	}
	// >= rather than ==: a limit lowered below the current count still blocks.
	if n >= int64(s.SecretsMax) {
		return nil, &LimitError{Max: s.SecretsMax}
	}
	if err := tx.Model(&ClientSecret{}).Where("application_id = ? AND description = ?", appID, description).Count(&n).Error; err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, duplicateDescription(description)
	}
	now := s.now()
	value := newSecretValue()
	ns := &NewSecret{Value: value, ClientSecret: ClientSecret{
		ID: newID(), ApplicationID: appID, Description: description,
		Digest: SecretDigest(value), Hint: secretHint(value),
		CreatedAt: now, ExpiresAt: secretExpiry(app, now),
	}}
	if err := tx.Omit("Application").Create(&ns.ClientSecret).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, duplicateDescription(description)
		}
		return nil, err
	}
	return ns, nil
}

func duplicateDescription(d string) FieldErrors {
	return FieldErrors{"description": "Secret with description " + d + " already exists"}
}

// RenewSecret replaces a secret's value, keeping its id and description.
// The old value stops working with the commit. Its expiry notices start
// again: what was decided for the old expiry is forgotten.
func (s *Store) RenewSecret(ctx context.Context, appID, id string) (*NewSecret, error) {
	var ns *NewSecret
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		app, err := s.lockApplication(tx, appID)
		if err != nil {
			return err
		}
		var cs ClientSecret
		if err := tx.First(&cs, "id = ? AND application_id = ?", id, appID).Error; err != nil {
			return notFound(err)
		}
		if err := resetNotices(tx, cs.ID); err != nil {
			return err
		}
		now := s.now()
		value := newSecretValue()
		cs.Digest, cs.Hint = SecretDigest(value), secretHint(value)
		cs.RenewedAt, cs.ExpiresAt, cs.LastUsedAt = &now, secretExpiry(app, now), nil
		if err := tx.Model(&cs).Select("digest", "hint", "renewed_at", "expires_at", "last_used_at").Updates(&cs).Error; err != nil {
			return err
		}
		ns = &NewSecret{ClientSecret: cs, Value: value}
		return nil
	})
	return ns, err
}

// DeleteSecret removes a secret. When confirm is not nil it must equal the
// description exactly (the console's typed confirmation; the API passes
// nil). An application's last secret cannot be deleted.
func (s *Store) DeleteSecret(ctx context.Context, appID, id string, confirm *string) (*ClientSecret, error) {
	var cs ClientSecret
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := s.lockApplication(tx, appID); err != nil {
			return err
		}
		if err := tx.First(&cs, "id = ? AND application_id = ?", id, appID).Error; err != nil {
			return notFound(err)
		}
		if confirm != nil && *confirm != cs.Description {
			return FieldErrors{"confirm": "Type the secret's description exactly to confirm."}
		}
		var n int64
		if err := tx.Model(&ClientSecret{}).Where("application_id = ?", appID).Count(&n).Error; err != nil {
			return err
		}
		if n <= 1 {
			return ErrLastSecret
		}
		return tx.Delete(&cs).Error
	})
	if err != nil {
		return nil, err
	}
	return &cs, nil
}
