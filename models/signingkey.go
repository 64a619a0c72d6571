package models

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// AlgES256 is the default token signing algorithm: ECDSA P-256, compact
// keys and fast signatures.
const AlgES256 = "ES256"

// SigningKey is a certificate's key pair as the gateway signs with it.
// The private key is opened from its sealed form in memory only; it is
// never returned by any endpoint (JWKS publishes only the public half).
type SigningKey struct {
	// ID is the key id (the JWT header's kid): the certificate's id.
	ID        string
	DomainID  string
	Algorithm string
	// Signer is the private key.
	Signer crypto.Signer
	// Certificate is the certificate, without its sealed key.
	Certificate *Certificate
}

// SigningKeyIDs returns the ids of the domain's published certificates at
// the store's time (PublishedCertificates), the one that signs for
// applications on the default first, creating the domain's first system
// certificate if it has none. It reads the database every time:
// certificates come and go (rotation, deletion, another node), and only
// their material, which never changes for an id, may be cached (see
// SigningKeyByID).
func (s *Store) SigningKeyIDs(ctx context.Context, domainID string) ([]string, error) {
	certs, err := s.PublishedCertificates(ctx, domainID, s.now())
	if err != nil || len(certs) > 0 {
		return certIDs(certs), err
	}
	// A domain whose certificates were all removed behind the store's
	// back signs again at once with a new one.
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Certificate{}).Where("domain_id = ? AND type = ? AND superseded_at IS NULL", domainID, CertTypeSystem).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		if err := domainExists(tx, domainID); err != nil {
			return err
		}
		c, err := s.newSystemCertificate(domainID, defaultCertificateName, "", 0, s.now())
		if err != nil {
			return err
		}
		return tx.Create(c).Error
	})
	if err != nil {
		return nil, err
	}
	certs, err = s.PublishedCertificates(ctx, domainID, s.now())
	return certIDs(certs), err
}

func certIDs(certs []Certificate) []string {
	ids := make([]string, len(certs))
	for i, c := range certs {
		ids[i] = c.ID
	}
	return ids
}

// SigningKeyByID returns the key of the certificate with this id, opened
// from its sealed form, or ErrNotFound. A certificate's key and domain
// never change once created, so callers may keep what it returns for as
// long as the id is among its domain's SigningKeyIDs.
func (s *Store) SigningKeyByID(ctx context.Context, id string) (*SigningKey, error) {
	if !storableText(id) {
		return nil, ErrNotFound
	}
	var c Certificate
	if err := s.db.WithContext(ctx).First(&c, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	pc, err := s.certificateSigner(&c)
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", c.ID, err)
	}
	c.PrivateKey = ""
	return &SigningKey{ID: c.ID, DomainID: c.DomainID, Algorithm: c.Algorithm, Signer: pc.Key, Certificate: &c}, nil
}

// PublishedCertificates returns the certificates the domain's JWKS lists
// at t: every certificate not retired by then, so a new system
// certificate is published before it signs and a superseded one stays
// while its tokens may be valid. The one that signs for
// applications on the default comes first, then the others by when they
// started signing, newest first.
func (s *Store) PublishedCertificates(ctx context.Context, domainID string, t time.Time) ([]Certificate, error) {
	var certs []Certificate
	err := s.db.WithContext(ctx).Omit("private_key").
		Where("domain_id = ? AND (retired_at IS NULL OR retired_at > ?)", domainID, t).
		Order("signing_from DESC, id DESC").Find(&certs).Error
	if err != nil {
		return nil, err
	}
	if i := systemSigner(certs, t); i > 0 {
		c := certs[i]
		copy(certs[1:i+1], certs[:i])
		certs[0] = c
	}
	return certs, nil
}

// systemSigner is the index in certs (ordered by signing_from, newest
// first) of the system certificate that signs at t for the default: the
// newest one whose signing has begun and that has not retired, or, when
// none has begun (t before the domain's first certificate: a clock set
// back), the first to begin; -1 when there is none.
func systemSigner(certs []Certificate, t time.Time) int {
	first := -1
	for i, c := range certs {
		if c.Type != CertTypeSystem || c.Retired(t) {
			continue
		}
		if !c.SigningFrom.After(t) {
			return i
		}
		first = i
	}
	return first
}

// Reasons SigningCertificate gives when the certificate that signs is not
// the one chosen.
const (
	// SigningAsChosen: the chosen certificate (or, for Default, the
	// current system one) signs.
	SigningAsChosen = ""
	// SigningChosenExpired, SigningChosenRetired and SigningChosenGone:
	// the chosen certificate cannot sign, the fallback or the current
	// system certificate does.
	SigningChosenExpired = "expired"
	SigningChosenRetired = "retired"
	SigningChosenGone    = "deleted"
)

// SigningChoice is which certificate actually signs an application's
// tokens, and why, for the Secrets & Certificates tab's warning.
type SigningChoice struct {
	// Certificate signs (nil only when the domain has no certificate at
	// all).
	Certificate *Certificate
	// Chosen is the application's choice (nil: Default).
	Chosen *string
	// Reason is SigningAsChosen or why the choice was passed over.
	Reason string
	// Fallback says the domain's fallback certificate signs.
	Fallback bool
}

// SigningCertificate returns the certificate that signs the application's
// tokens at t: the chosen one if usable (not expired, not retired, not
// deleted), else the domain's fallback if usable, else the current system
// certificate. The gateway reaches the same answer in its authentication
// query (AuthenticatedClient.SigningKeyID).
func (s *Store) SigningCertificate(ctx context.Context, appID string, t time.Time) (*SigningChoice, error) {
	var a Application
	if err := s.db.WithContext(ctx).First(&a, "id = ?", appID).Error; err != nil {
		return nil, notFound(err)
	}
	var d Domain
	if err := s.db.WithContext(ctx).First(&d, "id = ?", a.DomainID).Error; err != nil {
		return nil, notFound(err)
	}
	return s.signingCertificateOf(ctx, &a, &d, t)
}

// signingCertificateOf is SigningCertificate for an application and its
// domain the caller has just read (in this request: nothing is kept).
func (s *Store) signingCertificateOf(ctx context.Context, a *Application, d *Domain, t time.Time) (*SigningChoice, error) {
	load := func(id string) (*Certificate, error) {
		var c Certificate
		err := s.db.WithContext(ctx).Omit("private_key").First(&c, "id = ? AND domain_id = ?", id, d.ID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil
		}
		return &c, err
	}
	out := &SigningChoice{Chosen: a.CertificateID}
	if a.CertificateID != nil {
		c, err := load(*a.CertificateID)
		if err != nil {
			return nil, err
		}
		switch {
		case c == nil:
			out.Reason = SigningChosenGone
		case c.Retired(t):
			out.Reason = SigningChosenRetired
		case c.Expired(t):
			out.Reason = SigningChosenExpired
		default:
			out.Certificate = c
			return out, nil
		}
		if d.FallbackCertificateID != nil {
			f, err := load(*d.FallbackCertificateID)
			if err != nil {
				return nil, err
			}
			if f != nil && f.Usable(t) {
				out.Certificate, out.Fallback = f, true
				return out, nil
			}
		}
	}
	certs, err := s.PublishedCertificates(ctx, d.ID, t)
	if err != nil {
		return nil, err
	}
	if i := systemSigner(certs, t); i >= 0 {
		out.Certificate = &certs[i]
	}
	return out, nil
}
