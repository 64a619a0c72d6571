package models

import (
	"context"
	"crypto/x509"
	"time"

	"github.com/go-jose/go-jose/v4"

	"latchkey/pki"
)

// Certificate types: system certificates Latchkey generates (and rotates),
// own certificates uploaded by a person.
const (
	CertTypeSystem = "system"
	CertTypeOwn    = "own"
)

// CertificateStatus is how a certificate stands at a given time, as the
// Certificates page shows it.
type CertificateStatus string

// The statuses, in the order they take precedence.
const (
	// CertRetired: a superseded system certificate whose tokens have all
	// expired; no longer published, may be deleted.
	CertRetired CertificateStatus = "RETIRED"
	// CertExpired: past its expiry date; it no longer signs.
	CertExpired CertificateStatus = "EXPIRED"
	// CertRenewed: a system certificate superseded by a newer one; still
	// published while the tokens it signed may be valid.
	CertRenewed CertificateStatus = "RENEWED"
	// CertWillExpire: expires within the first notification threshold.
	CertWillExpire CertificateStatus = "WILL_EXPIRE"
	// CertValid: none of the above.
	CertValid CertificateStatus = "VALID"
)

// Certificate is a domain's token-signing certificate. Its key never
// changes once created (a rotation makes a new certificate), so it may be
// cached by id. PrivateKey is sealed under the key-encryption key and is
// never shown or returned by any page or API.
type Certificate struct {
	ID        string `gorm:"primaryKey;size:36"`
	DomainID  string `gorm:"size:36;not null"`
	Name      string `gorm:"size:64;not null"`
	Type      string `gorm:"size:16;not null"`
	Algorithm string `gorm:"size:16;not null"`
	// Chain is the certificate chain in PEM, leaf first (x5c).
	Chain string `gorm:"not null"`
	// PrivateKey is the PKCS#8 key sealed by pki.Seal.
	PrivateKey string    `gorm:"not null" json:"-"`
	NotBefore  time.Time `gorm:"not null"`
	ExpiresAt  time.Time `gorm:"not null"`
	// SigningFrom is when a system certificate starts signing for the
	// applications on the domain's default (its creation plus the
	// refresh delay after a rotation), so resource servers caching the
	// JWKS see it first.
	SigningFrom time.Time `gorm:"not null"`
	// SupersededAt is when a newer system certificate takes over (nil
	// while it is the current one).
	SupersededAt *time.Time
	// RetiredAt is when a superseded certificate leaves the JWKS: its
	// last tokens have expired by then.
	RetiredAt *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Retired reports whether the certificate has left the JWKS at t.
func (c *Certificate) Retired(t time.Time) bool { return c.RetiredAt != nil && !c.RetiredAt.After(t) }

// Expired reports whether the certificate has expired at t.
func (c *Certificate) Expired(t time.Time) bool { return !c.ExpiresAt.After(t) }

// Usable reports whether the certificate may sign at t: not expired and
// not retired.
func (c *Certificate) Usable(t time.Time) bool { return !c.Expired(t) && !c.Retired(t) }

// Current reports whether it is its domain's current system certificate:
// the newest, the one applications on the default sign with (once its
// SigningFrom has come).
func (c *Certificate) Current() bool { return c.Type == CertTypeSystem && c.SupersededAt == nil }

// Status is the certificate's status at t; willExpire is the first
// notification threshold.
func (c *Certificate) Status(t time.Time, willExpire time.Duration) CertificateStatus {
	switch {
	case c.Retired(t):
		return CertRetired
	case c.Expired(t):
		return CertExpired
	case c.Type == CertTypeSystem && c.SupersededAt != nil:
		return CertRenewed
	case !c.ExpiresAt.After(t.Add(willExpire)):
		return CertWillExpire
	}
	return CertValid
}

// ParsedChain returns the certificate chain, leaf first.
func (c *Certificate) ParsedChain() ([]*x509.Certificate, error) { return pki.ParseChainPEM(c.Chain) }

// PublicKeyPEM is the certificate's public key as a PEM "PUBLIC KEY" block.
func (c *Certificate) PublicKeyPEM() (string, error) {
	chain, err := c.ParsedChain()
	if err != nil {
		return "", err
	}
	return pki.PublicKeyPEM(chain[0])
}

// JWK is the certificate's public key as a JWK: kid (the certificate id),
// alg, use "sig", x5c and x5t#S256.
func (c *Certificate) JWK() (jose.JSONWebKey, error) {
	chain, err := c.ParsedChain()
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	return pki.JWK(chain, c.ID, c.Algorithm), nil
}

// CertificateInfo is a certificate as the domain's list shows it.
type CertificateInfo struct {
	Certificate
	Status CertificateStatus
	// Fallback marks the domain's fallback certificate.
	Fallback bool
	// UsedBy counts the applications that chose it.
	UsedBy int64
}

// Certificates lists a domain's certificates, newest first, with their
// status at the store's time and how many applications chose each
// (PrivateKey left empty).
func (s *Store) Certificates(ctx context.Context, domainID string) ([]CertificateInfo, error) {
	var d Domain
	if err := s.db.WithContext(ctx).Select("id", "fallback_certificate_id").First(&d, "id = ?", domainID).Error; err != nil {
		return nil, notFound(err)
	}
	return s.CertificatesOf(ctx, &d)
}

// CertificatesOf is Certificates for a domain the caller has just read
// (its fallback certificate as this request saw it).
func (s *Store) CertificatesOf(ctx context.Context, d *Domain) ([]CertificateInfo, error) {
	domainID := d.ID
	var certs []Certificate
	if err := s.db.WithContext(ctx).Omit("private_key").Where("domain_id = ?", domainID).Order("created_at DESC, id DESC").Find(&certs).Error; err != nil {
		return nil, err
	}
	var counts []struct {
		CertificateID string
		N             int64
	}
	err := s.db.WithContext(ctx).Model(&Application{}).Select("certificate_id, COUNT(*) AS n").
		Where("domain_id = ? AND certificate_id IS NOT NULL", domainID).Group("certificate_id").Scan(&counts).Error
	if err != nil {
		return nil, err
	}
	used := map[string]int64{}
	for _, c := range counts {
		used[c.CertificateID] = c.N
	}
	now := s.now()
	out := make([]CertificateInfo, len(certs))
	for i, c := range certs {
		out[i] = CertificateInfo{Certificate: c, Status: c.Status(now, s.ExpiringSoon), UsedBy: used[c.ID],
			Fallback: d.FallbackCertificateID != nil && *d.FallbackCertificateID == c.ID}
	}
	return out, nil
}

// CertificateByID returns the domain's certificate with this id, or
// ErrNotFound. Like every read of certificates for display it leaves
// PrivateKey empty: not even the sealed key leaves the store.
func (s *Store) CertificateByID(ctx context.Context, domainID, id string) (*Certificate, error) {
	if !storableText(id) {
		return nil, ErrNotFound
	}
	var c Certificate
	if err := s.db.WithContext(ctx).Omit("private_key").First(&c, "id = ? AND domain_id = ?", id, domainID).Error; err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// PublicKeys are a certificate's public key in the forms the Management
// API's `…/keys` lists (Gravitee's fmt values).
type PublicKeys struct {
	PEM string
	JWK jose.JSONWebKey
}

// CertificatePublicKeys returns the public key of the domain's
// certificate id as PEM and as JWK. The private key never leaves the store.
func (s *Store) CertificatePublicKeys(ctx context.Context, domainID, id string) (*PublicKeys, error) {
	c, err := s.CertificateByID(ctx, domainID, id)
	if err != nil {
		return nil, err
	}
	p, err := c.PublicKeyPEM()
	if err != nil {
		return nil, err
	}
	j, err := c.JWK()
	if err != nil {
		return nil, err
	}
	return &PublicKeys{PEM: p, JWK: j}, nil
}

// certificateSigner opens a certificate's sealed private key. Only the
// signing path calls it; nothing returns the key to a caller outside the
// process.
func (s *Store) certificateSigner(c *Certificate) (*pki.Certificate, error) {
	der, err := pki.Open(s.kek, c.PrivateKey, certificateAAD(c.ID))
	if err != nil {
		return nil, err
	}
	return pki.Load(c.Chain, der, c.Algorithm)
}

// certificateAAD binds a sealed key to its certificate's row.
func certificateAAD(id string) string { return "certificate:" + id }
