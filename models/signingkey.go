package models

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"time"

	"gorm.io/gorm"
)

// AlgES256 is the default (and for now only) token signing algorithm:
// ECDSA P-256, compact keys and fast signatures.
const AlgES256 = "ES256"

// SigningKey is a domain's access-token signing key pair. The private key
// is kept in the database so every gateway node can sign; it is never
// returned by any endpoint (JWKS publishes only the public half).
type SigningKey struct {
	// ID is the key id (the JWT header's kid).
	ID        string  `gorm:"primaryKey;size:36"`
	DomainID  string  `gorm:"size:36;not null;index"`
	Domain    *Domain `gorm:"constraint:OnDelete:CASCADE"`
	Algorithm string  `gorm:"size:16;not null"`
	// PrivateKey is the PKCS#8 DER encoding, base64.
	PrivateKey string `gorm:"not null"`
	CreatedAt  time.Time
}

// ECDSA returns the parsed private key.
func (k *SigningKey) ECDSA() (*ecdsa.PrivateKey, error) {
	der, err := base64.StdEncoding.DecodeString(k.PrivateKey)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("signing key is not ECDSA")
	}
	return ec, nil
}

func newSigningKey(domainID string) (*SigningKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	return &SigningKey{ID: newID(), DomainID: domainID, Algorithm: AlgES256, PrivateKey: base64.StdEncoding.EncodeToString(der)}, nil
}

// signingKeyOrder puts a domain's newest key first: the newest key signs.
// The id breaks ties between keys created in the same instant, so every
// node picks the same one.
const signingKeyOrder = "created_at DESC, id DESC"

// SigningKeyIDs returns the ids of a domain's signing keys, newest first,
// creating the first key if the domain has none (domains created before
// keys existed). It reads the database every time: keys come and go
// (rotation), and only their material, which never changes for an id, may
// be cached (see SigningKeyByID).
func (s *Store) SigningKeyIDs(ctx context.Context, domainID string) ([]string, error) {
	var ids []string
	// The common case, a domain with keys, is one indexed read without a
	// transaction.
	err := s.db.WithContext(ctx).Model(&SigningKey{}).Where("domain_id = ?", domainID).Order(signingKeyOrder).Pluck("id", &ids).Error
	if err != nil || len(ids) > 0 {
		return ids, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&SigningKey{}).Where("domain_id = ?", domainID).Order(signingKeyOrder).Pluck("id", &ids).Error; err != nil || len(ids) > 0 {
			return err
		}
		k, err := newSigningKey(domainID)
		if err != nil {
			return err
		}
		if err := tx.Omit("Domain").Create(k).Error; err != nil {
			return err
		}
		ids = []string{k.ID}
		return nil
	})
	return ids, err
}

// SigningKeyByID returns the signing key with this id, or ErrNotFound. A
// key's material and domain never change once created, so callers may keep
// what it returns for as long as the key is among its domain's
// SigningKeyIDs.
func (s *Store) SigningKeyByID(ctx context.Context, id string) (*SigningKey, error) {
	if !storableText(id) {
		return nil, ErrNotFound
	}
	var k SigningKey
	if err := s.db.WithContext(ctx).Omit("Domain").First(&k, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	return &k, nil
}

// DomainByHRID returns the domain with this URL identifier, or ErrNotFound.
func (s *Store) DomainByHRID(ctx context.Context, hrid string) (*Domain, error) {
	if !storableText(hrid) {
		return nil, ErrNotFound
	}
	var d Domain
	if err := s.db.WithContext(ctx).First(&d, "hrid = ?", hrid).Error; err != nil {
		return nil, notFound(err)
	}
	return &d, nil
}
