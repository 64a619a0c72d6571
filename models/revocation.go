package models

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RevokedToken is an access token its client revoked before its expiry
// (RFC 7009), by its jti. The list lives in the database, so every gateway
// node's introspection sees a revocation at once; a row is kept only until
// the token would have expired anyway.
type RevokedToken struct {
	JTI       string `gorm:"column:jti;primaryKey;size:64"`
	ClientID  string `gorm:"size:64;not null"`
	ExpiresAt time.Time
	RevokedAt time.Time
}

// revokedPurgeBatch bounds how many expired rows one revocation deletes.
const revokedPurgeBatch = 500

// RevokeToken puts an access token on the revocation list until expiresAt.
// Revoking it again changes nothing. Rows of tokens that have expired are
// purged on the way, a bounded batch at a time.
func (s *Store) RevokeToken(ctx context.Context, jti, clientID string, expiresAt time.Time) error {
	now := s.now()
	if !storableText(jti) || len(jti) > 64 || !expiresAt.After(now) {
		return nil // nothing a row could hold, or nothing left to revoke
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		row := RevokedToken{JTI: jti, ClientID: clientID, ExpiresAt: expiresAt.UTC(), RevokedAt: now}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return err
		}
		return tx.Where("jti IN (?)", tx.Model(&RevokedToken{}).Select("jti").
			Where("expires_at <= ?", now).Limit(revokedPurgeBatch)).Delete(&RevokedToken{}).Error
	})
}

// TokenUsable reports whether an access token that verified (signature,
// issuer, expiry) may still be honoured: its client's application exists
// in the domain and is enabled, the domain is enabled, and the token, by
// its jti, has not been revoked. Introspection asks on every call, so a
// change made on any node shows at once.
func (s *Store) TokenUsable(ctx context.Context, domainID, clientID, jti string) (bool, error) {
	if !storableText(clientID) || !storableText(jti) {
		return false, nil
	}
	var n int64
	err := s.db.WithContext(ctx).Table("applications AS a").Joins("JOIN domains AS d ON d.id = a.domain_id").
		Where("a.client_id = ? AND a.domain_id = ? AND a.disabled = ? AND d.enabled = ?", clientID, domainID, false, true).
		Where("NOT EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = ?)", jti).
		Count(&n).Error
	return n > 0, err
}

// ClientOfDisabledDomain is AuthenticateClient for a domain that is
// disabled: the client when secret is an active secret of the enabled
// application clientID of the disabled domain hrid, nil otherwise (and for
// every enabled domain). Introspection on a disabled domain still needs its
// caller to authenticate, and then answers that every token is inactive;
// the token endpoint never asks. Only the ids are set, and DomainDisabled.
func (s *Store) ClientOfDisabledDomain(ctx context.Context, hrid, clientID, secret string) (*AuthenticatedClient, error) {
	if !plausibleSecret(secret) || !storableText(hrid) || !storableText(clientID) {
		return nil, nil
	}
	var rows []struct{ SecretID, ApplicationID, ClientID, DomainID string }
	err := s.db.WithContext(ctx).Table("client_secrets AS s").
		Select("s.id AS secret_id, a.id AS application_id, a.client_id AS client_id, d.id AS domain_id").
		Joins("JOIN applications AS a ON a.id = s.application_id").Joins("JOIN domains AS d ON d.id = a.domain_id").
		Where("s.digest = ? AND a.client_id = ? AND d.hrid = ? AND a.disabled = ? AND d.enabled = ? AND a.client_secret_auth_disabled = ?", SecretDigest(secret), clientID, hrid, false, false, false).
		Where("s.expires_at IS NULL OR s.expires_at > ?", s.now()).
		Limit(1).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	r := rows[0]
	return &AuthenticatedClient{SecretID: r.SecretID, ApplicationID: r.ApplicationID, ClientID: r.ClientID, DomainID: r.DomainID, DomainDisabled: true}, nil
}
