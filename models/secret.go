package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
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
	// DomainID is the application's, copied so the domain page counts a
	// domain's expiring secrets by one index range (migration 00110).
	DomainID string `gorm:"size:36;not null"`
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
// application (appID set) or of every application of a domain. It is one
// query that reads only an index range of the secrets that expire by the
// end of the window, never their rows: (application_id, expires_at)
// (migration 00097) for an application, (domain_id, expires_at) (00110)
// for a domain.
func (s *Store) SecretExpiryCounts(ctx context.Context, domainID, appID string) (ExpiryCounts, error) {
	now := s.now()
	soon := now.Add(s.ExpiringSoon)
	db := s.db.WithContext(ctx).Table("client_secrets AS s").
		Select("COALESCE(SUM(CASE WHEN s.expires_at > ? THEN 1 ELSE 0 END), 0) AS expiring, "+
			"COALESCE(SUM(CASE WHEN s.expires_at <= ? THEN 1 ELSE 0 END), 0) AS expired", now, now).
		Where("s.expires_at IS NOT NULL AND s.expires_at <= ?", soon)
	if appID != "" {
		db = db.Where("s.application_id = ?", appID)
	} else {
		// A range of the index on (domain_id, expires_at): no join over
		// the domain's applications (migration 00110).
		db = db.Where("s.domain_id = ?", domainID)
	}
	var c ExpiryCounts
	err := db.Scan(&c).Error
	return c, err
}

// NewSecret is a secret together with its value, as returned once by
// create and renew. The value is never available again.
type NewSecret struct {
	ClientSecret
	Value string
	// Imported is true when Value was brought by the caller rather than
	// generated.
	Imported bool
}

// LimitError is returned when an application already holds the maximum
// number of secrets.
type LimitError struct{ Max int }

// Error is Gravitee's message, word for word: API clients match it.
func (e *LimitError) Error() string {
	return fmt.Sprintf("Too many Client Secrets. Cannot create more than %d secrets", e.Max)
}

// ErrorCode is CodeLimit.
func (e *LimitError) ErrorCode() Code { return CodeLimit }

// ConsoleText is the console's sentence for the same rule.
func (e *LimitError) ConsoleText() string { return e.Error() + "." }

// ErrLastSecret is returned when deleting an application's only secret: an
// application must always be able to authenticate. The API's text is
// Gravitee's, word for word, because API clients match it; the console
// says what to do instead.
var ErrLastSecret = &Error{Code: CodeLimit, Message: "Cannot remove last secret",
	Console: "Cannot remove the last secret: an application needs at least one. Create another secret first."}

// cleanSecretDescription trims a description and checks it (see
// cleanLabel). The console calls it the description, the API (as Gravitee)
// the name: the error words each.
func cleanSecretDescription(s string) (string, error) {
	s, msg := cleanLabel(s, "Description", MaxSecretDescription)
	if msg == "" {
		return s, nil
	}
	_, apiMsg := cleanLabel(s, "Name", MaxSecretDescription)
	return s, &Error{Code: CodeInvalid, Message: apiMsg,
		Fields: map[string]string{"description": msg}, APIFields: map[string]string{"name": apiMsg}}
}

// secretEvent is the audit event of a change to one secret.
func secretEvent(typ string, app *Application, cs *ClientSecret) AuditEvent {
	return AuditEvent{Type: typ, DomainID: app.DomainID, ApplicationID: app.ID, TargetID: cs.ID, TargetName: cs.Description}
}

// chosenExpiry computes expiresAt for a secret of app (loaded with its
// Domain) created or renewed at now, as chosen within the bound (see
// ChooseExpiry; the zero choice is ComputeExpiry's).
func chosenExpiry(app *Application, now time.Time, c ExpiryChoice) (*time.Time, error) {
	var domain ExpiryPolicy
	if app.Domain != nil {
		domain = app.Domain.SecretPolicy()
	}
	return ChooseExpiry(now, domain, app.SecretPolicy(), c)
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

// ImportedDetail is the audit Detail of a secret created with a value
// brought from elsewhere: the event stays APPLICATION_CLIENT_SECRET_CREATED,
// so whatever follows creations still sees it, and says where the value came
// from.
const ImportedDetail = "imported"

// newSecretEvent is the audit event of a created secret, imported or not.
func newSecretEvent(app *Application, ns *NewSecret) AuditEvent {
	ev := secretEvent(EventSecretCreated, app, &ns.ClientSecret)
	if ns.Imported {
		ev.Detail = ImportedDetail
	}
	return ev
}

// CreateSecret adds a secret to an application, enforcing the description
// rules and the per-application limit, and records its event, inside one
// transaction. A refused create is recorded as a FAILURE.
func (s *Store) CreateSecret(ctx context.Context, actor Actor, appID, description string) (*NewSecret, error) {
	return s.CreateSecretWith(ctx, actor, appID, SecretInput{Description: description})
}

// SecretInput is one secret to add: its description, a value brought from
// elsewhere (Value "" generates one; an imported value must pass
// CheckImportedSecret, is stored as a digest like any other and audited with
// Detail ImportedDetail) and the expiry chosen for it (see ChooseExpiry;
// the zero value is the policy's).
type SecretInput struct {
	Description, Value string
	Expiry             ExpiryChoice
}

// CreateSecretWith is CreateSecret with a value or an expiry of the
// caller's choosing.
func (s *Store) CreateSecretWith(ctx context.Context, actor Actor, appID string, in SecretInput) (*NewSecret, error) {
	description := in.Description
	var ns *NewSecret
	var app *Application
	err := s.write(ctx, func(tx *gorm.DB) error {
		var err error
		if app, err = s.lockApplication(tx, appID); err != nil {
			return err
		}
		if ns, err = s.createSecret(tx, app, description, in.Value, in.Expiry); err != nil {
			return err
		}
		return s.audit(tx, actor, newSecretEvent(app, ns))
	})
	if err != nil {
		if app != nil {
			return nil, s.refused(ctx, actor, AuditEvent{Type: EventSecretCreated, DomainID: app.DomainID, ApplicationID: app.ID, TargetName: description}, err)
		}
		return nil, err
	}
	return ns, nil
}

// createSecret adds a secret to app, locked by the caller's transaction,
// with a fresh value, or with imported when not "", expiring as chosen.
func (s *Store) createSecret(tx *gorm.DB, app *Application, description, imported string, choice ExpiryChoice) (*NewSecret, error) {
	description, err := cleanSecretDescription(description)
	if err != nil {
		return nil, err
	}
	if imported != "" {
		if msg := CheckImportedSecret(imported, app.ClientID); msg != "" {
			return nil, &Error{Code: CodeInvalid, Message: msg, Fields: map[string]string{"secret": msg}}
		}
	}
	// The duplicate is checked before the limit, as Gravitee does: a full
	// application asked for an existing name answers with the duplicate.
	if err := descriptionFree(tx, app.ID, description); err != nil {
		return nil, err
	}
	var n int64
	if err := tx.Model(&ClientSecret{}).Where("application_id = ?", app.ID).Count(&n).Error; err != nil {
		return nil, err
	}
	// >= rather than ==: a limit lowered below the current count still blocks.
	if n >= int64(s.SecretsMax) {
		return nil, &LimitError{Max: s.SecretsMax}
	}
	now := s.now()
	expires, err := chosenExpiry(app, now, choice)
	if err != nil {
		return nil, err
	}
	value := imported
	if value == "" {
		value = newSecretValue()
	}
	ns := &NewSecret{Value: value, Imported: imported != "", ClientSecret: ClientSecret{
		ID: newID(), ApplicationID: app.ID, DomainID: app.DomainID, Description: description,
		Digest: SecretDigest(value), Hint: secretHint(value),
		CreatedAt: now, ExpiresAt: expires,
	}}
	if imported != "" {
		// The digest is unique: a value already in use anywhere is refused
		// without saying where.
		var n int64
		if err := tx.Model(&ClientSecret{}).Where("digest = ?", ns.Digest).Count(&n).Error; err != nil {
			return nil, err
		}
		if n > 0 {
			msg := "This secret value is already in use; choose another."
			return nil, &Error{Code: CodeInvalid, Message: msg, Fields: map[string]string{"secret": msg}}
		}
	}
	if err := tx.Omit("Application").Create(&ns.ClientSecret).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, duplicateDescription(description, description)
		}
		return nil, err
	}
	return ns, nil
}

// descriptionFree refuses a description already used by another secret of
// the application, ignoring case: "default" next to "Default" would be two
// secrets nobody can tell apart in a list or a notice. (Gravitee compares
// exactly, after trimming.) The caller has locked the application, so no
// other secret change of it runs meanwhile; comparing in Go with Unicode
// case folding gives the same answer on SQLite and PostgreSQL, whose
// lower() differ beyond ASCII. An application holds a handful of secrets.
func descriptionFree(tx *gorm.DB, appID, description string) error {
	stored, err := descriptionTaken(tx, &ClientSecret{}, appID, description)
	if err != nil || stored == "" {
		return err
	}
	return duplicateDescription(description, stored)
}

// descriptionTaken returns the description of one of the application's
// rows of model (client secrets, client certificates) that equals
// description ignoring case, "" when none does; descriptionFree says why
// the comparison is made in Go.
func descriptionTaken(tx *gorm.DB, model any, appID, description string) (string, error) {
	var taken []string
	if err := tx.Model(model).Where("application_id = ?", appID).Pluck("description", &taken).Error; err != nil {
		return "", err
	}
	for _, d := range taken {
		if strings.EqualFold(d, description) {
			return d, nil
		}
	}
	return "", nil
}

// duplicateDescription refuses description, which clashes with the stored
// one: the API's message is Gravitee's, word for word (clients match it);
// the console names both, quoted.
func duplicateDescription(description, stored string) error {
	msg := "Secret with description " + description + " already exists"
	console := "A secret described “" + stored + "” already exists in this application."
	if stored != description {
		console = "A secret described “" + stored + "” already exists in this application; descriptions are compared ignoring case."
	}
	return &Error{Code: CodeConflict, Message: msg, Console: console,
		Fields: map[string]string{"description": msg}, APIFields: map[string]string{"name": msg}}
}

// Version names the secret's current value without revealing anything
// about it (not even its digest): it changes with every renewal. A renew
// says which version it replaces, so that of two renews started from the
// same state only one wins.
func (cs *ClientSecret) Version() string {
	sum := sha256.Sum256([]byte("latchkey secret version\x00" + cs.Digest))
	return hex.EncodeToString(sum[:8])
}

// ErrSecretChanged is returned by RenewSecret when the secret was renewed
// by another change after the caller saw it: nothing was changed.
var ErrSecretChanged = &Error{Code: CodeStale,
	Message: "The client secret was renewed by another request meanwhile, so this renew changed nothing: its value is not the one this request started from. Renew again if you still need a new value.",
	Console: "Someone renewed this secret while you were confirming, so nothing was changed: the value you saw is no longer current. Renew again if you still need a new value."}

// RenewSecret replaces a secret's value, keeping its id and description,
// whatever its current value is. The old value stops working with the
// commit. Its expiry notices start again: what was decided for the old
// expiry is forgotten. Requests use RenewSecretFrom.
func (s *Store) RenewSecret(ctx context.Context, actor Actor, appID, id string) (*NewSecret, error) {
	return s.RenewSecretFrom(ctx, actor, appID, id, "")
}

// RenewSecretFrom is RenewSecret for a caller that saw the secret at
// version seen (its Version); when that is no longer the secret's version
// (another renew committed meanwhile), the renew is refused with
// ErrSecretChanged and nothing changes. The check runs on the locked row,
// so of any number of renews started from one version exactly one wins; a
// renew started after another finished sees the new version and succeeds.
// An empty seen renews whatever the current value is.
func (s *Store) RenewSecretFrom(ctx context.Context, actor Actor, appID, id, seen string) (*NewSecret, error) {
	return s.RenewSecretExpiring(ctx, actor, appID, id, seen, ExpiryChoice{})
}

// RenewSecretExpiring is RenewSecretFrom with an expiry chosen for the
// renewed secret, within the policy's bound (see ChooseExpiry).
func (s *Store) RenewSecretExpiring(ctx context.Context, actor Actor, appID, id, seen string, choice ExpiryChoice) (*NewSecret, error) {
	var ns *NewSecret
	err := s.write(ctx, func(tx *gorm.DB) error {
		app, err := s.lockApplication(tx, appID)
		if err != nil {
			return err
		}
		var cs ClientSecret
		if err := tx.First(&cs, "id = ? AND application_id = ?", id, appID).Error; err != nil {
			return notFound(err)
		}
		if seen != "" && cs.Version() != seen {
			return ErrSecretChanged
		}
		if err := resetNotices(tx, cs.ID); err != nil {
			return err
		}
		now := s.now()
		expires, err := chosenExpiry(app, now, choice)
		if err != nil {
			return err
		}
		value := newSecretValue()
		cs.Digest, cs.Hint = SecretDigest(value), secretHint(value)
		cs.RenewedAt, cs.ExpiresAt, cs.LastUsedAt = &now, expires, nil
		if err := tx.Model(&cs).Select("digest", "hint", "renewed_at", "expires_at", "last_used_at").Updates(&cs).Error; err != nil {
			return err
		}
		ns = &NewSecret{ClientSecret: cs, Value: value}
		return s.audit(tx, actor, secretEvent(EventSecretRenewed, app, &cs))
	})
	return ns, err
}

// DeleteSecret removes a secret. When confirm is not nil it must equal the
// description exactly (the console's typed confirmation; the API passes
// nil). An application's last secret cannot be deleted; a refused delete
// is recorded as a FAILURE.
func (s *Store) DeleteSecret(ctx context.Context, actor Actor, appID, id string, confirm *string) (*ClientSecret, error) {
	var cs ClientSecret
	var app *Application
	err := s.write(ctx, func(tx *gorm.DB) error {
		a, err := s.lockApplication(tx, appID)
		if err != nil {
			return err
		}
		if err := tx.First(&cs, "id = ? AND application_id = ?", id, appID).Error; err != nil {
			return notFound(err)
		}
		app = a
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
		if err := tx.Delete(&cs).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, secretEvent(EventSecretDeleted, a, &cs))
	})
	if err != nil {
		if app != nil {
			return nil, s.refused(ctx, actor, secretEvent(EventSecretDeleted, app, &cs), err)
		}
		return nil, err
	}
	return &cs, nil
}
