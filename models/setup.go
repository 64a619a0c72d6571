package models

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"

	"gorm.io/gorm"
)

const setupTokenKey = "setup.tokenDigest"

// bootstrapLockID is the PostgreSQL advisory lock around BootstrapAdmin.
const bootstrapLockID = 7_364_502_114

// StartSetup prepares the one-time setup link when no user exists yet. It
// returns the token to put in the link, or "" when setup is not needed. Only
// the token's SHA-256 digest is stored; each start replaces the previous
// token, so a link from an earlier run stops working.
func (s *Store) StartSetup(ctx context.Context) (string, error) {
	n, err := s.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	token := randomHex(32)
	st := Setting{Key: setupTokenKey, Value: digestHex(token)}
	if err := s.db.WithContext(ctx).Save(&st).Error; err != nil {
		return "", err
	}
	return token, nil
}

// SetupPending reports whether the first administrator still has to be
// created.
func (s *Store) SetupPending(ctx context.Context) (bool, error) {
	n, err := s.CountUsers(ctx)
	return n == 0, err
}

// CheckSetupToken reports whether token is the pending setup token.
func (s *Store) CheckSetupToken(ctx context.Context, token string) (bool, error) {
	var st Setting
	err := s.db.WithContext(ctx).Where("key = ?", setupTokenKey).Limit(1).Find(&st).Error
	if err != nil || st.Value == "" || token == "" {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(st.Value), []byte(digestHex(token))) == 1, nil
}

// CompleteSetup creates the first administrator with the one-time token.
// The token is consumed in the same transaction, so it works once; a second
// attempt gets ErrSetupDone or ErrInvalidSetupToken.
// The new administrator is the actor of its own creation's event.
func (s *Store) CompleteSetup(ctx context.Context, actor Actor, token string, in NewUser) (*User, error) {
	in.Role = RoleAdmin
	var u *User
	err := s.write(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&User{}).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrSetupDone
		}
		res := tx.Where("key = ? AND value = ?", setupTokenKey, digestHex(token)).Delete(&Setting{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 || token == "" {
			return ErrInvalidSetupToken
		}
		var err error
		if u, err = s.createUser(tx, in); err != nil {
			return err
		}
		if actor.audited() {
			actor.UserID, actor.Email = u.ID, u.Email
		}
		return s.audit(tx, actor, AuditEvent{Type: EventUserCreated, TargetID: u.ID, TargetName: u.Email, Detail: "first administrator, via setup link"})
	})
	return u, err
}

// BootstrapAdmin creates an administrator from configuration when no user
// exists yet; it does nothing otherwise, so it is safe on every start.
func (s *Store) BootstrapAdmin(ctx context.Context, in NewUser) (*User, error) {
	in.Role = RoleAdmin
	var u *User
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Nodes starting together on PostgreSQL take turns here, so only
		// one creates the administrator (SQLite transactions are already
		// serialised).
		if tx.Dialector.Name() == "postgres" {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", bootstrapLockID).Error; err != nil {
				return err
			}
		}
		var n int64
		if err := tx.Model(&User{}).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		var err error
		if u, err = s.createUser(tx, in); err != nil {
			return err
		}
		return tx.Where("key = ?", setupTokenKey).Delete(&Setting{}).Error
	})
	return u, err
}

func digestHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
