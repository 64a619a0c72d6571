package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// API token values look like client secrets (see newSecretValue) with their
// own prefix:
//
//	lkp_<43 base62 characters: 256 random bits><6 base62 characters: CRC-32>
//
// "lkp_" (Latchkey personal token) lets secret scanners tell a leaked
// Management API token from a leaked client secret ("lks_"), and the
// checksum lets them, and the API itself, reject a mistyped or made-up value
// without a database lookup. As with secrets only the SHA-256 digest is
// stored, with the last four characters as a hint.
// APITokenPrefix starts every API token value.
const APITokenPrefix = "lkp_"

// API token kinds.
const (
	// TokenPersonal is created on the Account page: named, revocable, shown
	// once, valid for up to MaxAPITokenDays.
	TokenPersonal = "personal"
	// TokenIssued is returned by POST /management/auth/token for a user's
	// email and password, and lives for IssuedTokenLifetime. It is not
	// listed on the Account page.
	TokenIssued = "issued"
)

// Lifetimes of API tokens.
const (
	// DefaultAPITokenDays is the expiry offered by the create form.
	DefaultAPITokenDays = 90
	// MaxAPITokenDays bounds a personal token's lifetime. There is
	// deliberately no "never expires": Latchkey exists to make credentials
	// expire and rotate, and a bearer token that can change every client
	// secret is the last credential that should live forever. A year keeps
	// rotation rare enough for automation while bounding the damage of a
	// token forgotten in an old CI configuration.
	MaxAPITokenDays = 365
	// IssuedTokenLifetime is the lifetime of tokens from /management/auth/token.
	IssuedTokenLifetime = time.Hour
	// issuedTokenRetention is how long expired issued tokens are kept before
	// they are deleted (they are not shown anywhere).
	issuedTokenRetention = 24 * time.Hour
	// apiTokenLastUsedInterval is the least time between two lastUsedAt
	// writes of one token: the Account page shows it to the minute.
	apiTokenLastUsedInterval = time.Minute
)

// ErrInvalidToken is returned for an API token that is unknown, malformed,
// expired, revoked, or whose owner is disabled. The reasons are not told
// apart, so a caller learns nothing about tokens it does not hold.
var ErrInvalidToken = &Error{Code: CodeForbidden, Message: "the API token is invalid, expired or revoked"}

// APIToken is a bearer credential for the Management API, owned by a user.
// It acts with its owner's current role, and never writes when ReadOnly.
type APIToken struct {
	ID     string `gorm:"primaryKey;size:36"`
	UserID string `gorm:"size:36;not null;index"`
	User   *User  `gorm:"constraint:OnDelete:CASCADE"`
	Kind   string `gorm:"size:16;not null;index"`
	Name   string `gorm:"size:64;not null"`
	// ReadOnly tokens can only read, whatever their owner's role. Tokens a
	// viewer creates are always read-only, so promoting the viewer later
	// does not widen a token handed out while they could only read.
	ReadOnly   bool   `gorm:"not null"`
	Digest     string `gorm:"size:64;not null;uniqueIndex"`
	Hint       string `gorm:"size:8;not null"`
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// TableName keeps the table the migrations create (the type was called
// ApiToken once).
func (APIToken) TableName() string { return "api_tokens" }

// Audit event types of personal API tokens; TargetName is the token's name.
const (
	EventAPITokenCreated = "USER_API_TOKEN_CREATED"
	EventAPITokenRevoked = "USER_API_TOKEN_REVOKED"
)

// API token statuses.
const (
	APITokenActive  = "active"
	APITokenExpired = "expired"
	APITokenRevoked = "revoked"
)

// Status tells whether the token still authenticates at now.
func (t *APIToken) Status(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return APITokenRevoked
	case t.ExpiresAt != nil && !t.ExpiresAt.After(now):
		return APITokenExpired
	}
	return APITokenActive
}

// CanWrite reports whether requests made with the token may change things:
// its owner must be an enabled administrator and the token not read-only.
func (t *APIToken) CanWrite() bool { return !t.ReadOnly && t.User.IsAdmin() }

// NewAPIToken is a token together with its value, returned once by
// CreateAPIToken and IssueAPIToken.
type NewAPIToken struct {
	APIToken
	Value string
}

// APITokenInput is the Account page's "New API token" form.
type APITokenInput struct {
	Name string
	// ExpiresInDays is the lifetime in days as typed; empty means
	// DefaultAPITokenDays.
	ExpiresInDays string
	ReadOnly      bool
}

// newAPITokenValue returns a fresh token value (the client-secret format
// with its own prefix).
func newAPITokenValue() string { return newCheckedValue(APITokenPrefix) }

// LooksLikeAPIToken reports whether s has the shape and a valid checksum of
// an API token value. It says nothing about whether the token exists.
func LooksLikeAPIToken(s string) bool { return looksLikeCheckedValue(s, APITokenPrefix) }

func (in *APITokenInput) validate() (days int, errs FieldErrors) {
	errs = FieldErrors{}
	var msg string
	if in.Name, msg = cleanName(in.Name); msg != "" {
		errs["name"] = msg
	}
	raw := strings.TrimSpace(in.ExpiresInDays)
	if raw == "" {
		return DefaultAPITokenDays, errs
	}
	n, err := strconv.Atoi(raw)
	switch {
	case err != nil:
		errs["expires"] = "Enter a whole number of days, such as 90."
	case n < 1 || n > MaxAPITokenDays:
		errs["expires"] = "Enter between 1 and 365 days."
	}
	return n, errs
}

// CreateAPIToken creates a personal API token for an enabled user. A
// viewer's token is always read-only.
func (s *Store) CreateAPIToken(ctx context.Context, actor Actor, userID string, in APITokenInput) (*NewAPIToken, error) {
	days, errs := in.validate()
	if len(errs) > 0 {
		return nil, errs
	}
	var nt *NewAPIToken
	err := s.write(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.First(&u, "id = ?", userID).Error; err != nil {
			return notFound(err)
		}
		if u.Disabled {
			return ErrNotFound
		}
		now := s.now()
		exp := now.AddDate(0, 0, days)
		nt = newAPIToken(&u, TokenPersonal, in.Name, in.ReadOnly || !u.IsAdmin(), now, exp)
		if err := tx.Omit("User").Create(&nt.APIToken).Error; err != nil {
			return err
		}
		access := "read-write"
		if nt.ReadOnly {
			access = "read-only"
		}
		return s.audit(tx, actor, AuditEvent{Type: EventAPITokenCreated, TargetID: nt.ID, TargetName: nt.Name,
			Detail: fmt.Sprintf("%s, expires %s", access, nt.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))})
	})
	if err != nil {
		return nil, err
	}
	return nt, nil
}

func newAPIToken(u *User, kind, name string, readOnly bool, now, exp time.Time) *NewAPIToken {
	value := newAPITokenValue()
	return &NewAPIToken{Value: value, APIToken: APIToken{
		ID: newID(), UserID: u.ID, User: u, Kind: kind, Name: name, ReadOnly: readOnly,
		Digest: SecretDigest(value), Hint: secretHint(value), CreatedAt: now, ExpiresAt: &exp,
	}}
}

// IssueAPIToken returns a short-lived token (IssuedTokenLifetime) for a user
// who has just authenticated with email and password. Expired issued tokens
// are cleaned up on the way, so the table does not grow with every call.
// The sign-in's event is recorded with the token.
func (s *Store) IssueAPIToken(ctx context.Context, actor Actor, u *User) (*NewAPIToken, error) {
	now := s.now()
	nt := newAPIToken(u, TokenIssued, "Management API sign-in", false, now, now.Add(IssuedTokenLifetime))
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("kind = ? AND expires_at < ?", TokenIssued, now.Add(-issuedTokenRetention)).Delete(&APIToken{}).Error; err != nil {
			return err
		}
		if err := tx.Omit("User").Create(&nt.APIToken).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, AuditEvent{Type: EventLogin, ActorID: u.ID, ActorEmail: u.Email, Detail: "Management API token"})
	})
	if err != nil {
		return nil, err
	}
	return nt, nil
}

// APITokens lists a user's personal tokens, newest first, including expired
// and revoked ones (so the person sees what happened to them).
func (s *Store) APITokens(ctx context.Context, userID string) ([]APIToken, error) {
	var out []APIToken
	err := s.db.WithContext(ctx).Where("user_id = ? AND kind = ?", userID, TokenPersonal).
		Order("created_at DESC, id").Find(&out).Error
	return out, err
}

// APITokenByID returns one of a user's personal tokens, or ErrNotFound
// (also for another user's token).
func (s *Store) APITokenByID(ctx context.Context, userID, id string) (*APIToken, error) {
	var t APIToken
	err := s.db.WithContext(ctx).First(&t, "id = ? AND user_id = ? AND kind = ?", id, userID, TokenPersonal).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// RevokeAPIToken revokes one of a user's personal tokens; it stops working
// at once. Revoking a revoked token changes nothing.
func (s *Store) RevokeAPIToken(ctx context.Context, actor Actor, userID, id string) (*APIToken, error) {
	var t APIToken
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&t, "id = ? AND user_id = ? AND kind = ?", id, userID, TokenPersonal).Error; err != nil {
			return notFound(err)
		}
		ev := AuditEvent{Type: EventAPITokenRevoked, TargetID: t.ID, TargetName: t.Name}
		if t.RevokedAt != nil {
			// Nothing changes, but the request is still on the record, as
			// it always was.
			return s.audit(tx, actor, ev)
		}
		now := s.now()
		t.RevokedAt = &now
		if err := tx.Model(&t).UpdateColumn("revoked_at", now).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, ev)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// AuthenticateAPIToken returns the token with this value, with its owner,
// or ErrInvalidToken when it is unknown, revoked or expired, or its owner is
// disabled. An issued token also stops working when its owner's password
// changes, as console sessions do. lastUsedAt is written at most once a
// minute per token, so polling clients do not turn every read into a write.
func (s *Store) AuthenticateAPIToken(ctx context.Context, value string) (*APIToken, error) {
	if !LooksLikeAPIToken(value) {
		return nil, ErrInvalidToken
	}
	db := s.db.WithContext(ctx)
	var t APIToken
	if err := db.Preload("User").First(&t, "digest = ?", SecretDigest(value)).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrInvalidToken
		}
		return nil, err
	}
	now := s.now()
	if t.Status(now) != APITokenActive || t.User == nil || t.User.Disabled ||
		t.Kind == TokenIssued && t.CreatedAt.Before(t.User.PasswordChangedAt) {
		return nil, ErrInvalidToken
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= apiTokenLastUsedInterval {
		// The condition makes concurrent requests (or nodes) write once.
		err := db.Model(&APIToken{}).
			Where("id = ? AND (last_used_at IS NULL OR last_used_at <= ?)", t.ID, now.Add(-apiTokenLastUsedInterval)).
			UpdateColumn("last_used_at", now).Error
		if err != nil {
			return nil, err
		}
		t.LastUsedAt = &now
	}
	return &t, nil
}
