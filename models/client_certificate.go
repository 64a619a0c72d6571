package models

import (
	"context"
	"time"
)

// DefaultClientCertificatesMax is the default for
// applications.clientCertificatesMax.
const DefaultClientCertificatesMax = 10

// ClientCertificate is a public key an application authenticates with at
// the token endpoint (private_key_jwt, RFC 7523): an X.509 certificate or a
// public JWK. Only public material is stored, so nothing is sealed. A row
// never changes once added (no renew, no edit): delete it and add another.
type ClientCertificate struct {
	ID            string `gorm:"primaryKey;size:36"`
	ApplicationID string `gorm:"size:36;not null"`
	// Description follows the rules of a secret's description: required,
	// trimmed, at most 64 characters, unique in the application.
	Description string `gorm:"size:64;not null"`
	// Thumbprint is x5t#S256, base64url(SHA-256 of the certificate's DER),
	// for a certificate; for a JWK it is the RFC 7638 JWK thumbprint
	// (SHA-256, base64url). Unique in the application.
	Thumbprint string `gorm:"not null"`
	// KeyID is the JWK's kid, else the thumbprint: what an assertion's kid
	// header names.
	KeyID string `gorm:"not null"`
	// Algorithm is RS256, PS256, ES256 or EdDSA, as derived from the key:
	// RSA signs RS256 unless its JWK says PS256.
	Algorithm string `gorm:"not null"`
	// Format is pki.FormatX509 (PublicKey holds the PEM certificate) or
	// pki.FormatJWK (PublicKey holds the JWK's JSON).
	Format    string `gorm:"not null"`
	PublicKey string `gorm:"not null"`
	// NotBefore is the certificate's; nil for a JWK without one.
	NotBefore *time.Time
	// ExpiresAt is the certificate's notAfter; for a JWK the expiry the
	// policy gives a new secret (ComputeExpiry with the domain's policy
	// and the application's override), nil when none does.
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	CreatedAt  time.Time
}

// Status tells whether the client certificate still authenticates at now,
// and whether it expires within soon, as a secret's Status does.
func (cc *ClientCertificate) Status(now time.Time, soon time.Duration) string {
	cs := ClientSecret{ExpiresAt: cc.ExpiresAt}
	return cs.Status(now, soon)
}

// ClientCertificates lists an application's client certificates, oldest
// first.
func (s *Store) ClientCertificates(ctx context.Context, appID string) ([]ClientCertificate, error) {
	var out []ClientCertificate
	err := s.db.WithContext(ctx).Where("application_id = ?", appID).Order("created_at, id").Find(&out).Error
	return out, err
}

// ClientCertificateByID returns a client certificate of the given
// application, or ErrNotFound when it does not exist or belongs to another
// application.
func (s *Store) ClientCertificateByID(ctx context.Context, appID, id string) (*ClientCertificate, error) {
	var cc ClientCertificate
	if err := s.db.WithContext(ctx).First(&cc, "id = ? AND application_id = ?", id, appID).Error; err != nil {
		return nil, notFound(err)
	}
	return &cc, nil
}
