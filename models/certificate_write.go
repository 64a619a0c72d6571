package models

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"latchkey/pki"
)

// Certificate audit events.
const (
	EventCertificateCreated = "CERTIFICATE_CREATED"
	EventCertificateUpdated = "CERTIFICATE_UPDATED"
	EventCertificateDeleted = "CERTIFICATE_DELETED"
	EventCertificateRotated = "CERTIFICATE_ROTATED"
	// EventDomainCertificateSettingsUpdated records a new fallback
	// certificate; Detail holds "old → new".
	EventDomainCertificateSettingsUpdated = "DOMAIN_CERTIFICATE_SETTINGS_UPDATED"
	// EventAppCertificateUpdated records an application's new choice of
	// certificate; Detail holds "old → new" ("Default" for none).
	EventAppCertificateUpdated = "APPLICATION_CERTIFICATE_UPDATED"
)

// defaultCertificateName is the name of a domain's first system
// certificate (Gravitee's).
const defaultCertificateName = "Default"

// CertificateDefaults says how system certificates are made and rotated
// (domains.certificates.default.*).
type CertificateDefaults struct {
	// Algorithm of new system certificates (pki.Algorithms); RSABits for
	// RS256 and PS256.
	Algorithm string
	RSABits   int
	// ValidityDays is how long a system certificate is valid.
	ValidityDays int
	// Subject is its distinguished name (pki.ParseSubject).
	Subject string
	// RefreshDelay is how long after a rotation the new certificate
	// starts signing (published at once).
	RefreshDelay time.Duration
	// AutoRotateBefore is how long before its expiry a current system
	// certificate is rotated automatically.
	AutoRotateBefore time.Duration
}

// DefaultCertificateDefaults are the built-in certificate settings: ES256,
// 365 days, a 10-minute refresh delay (Gravitee's) and rotation 30 days
// before expiry.
var DefaultCertificateDefaults = CertificateDefaults{
	Algorithm: pki.ES256, RSABits: 2048, ValidityDays: 365, Subject: "CN=Latchkey",
	RefreshDelay: 10 * time.Minute, AutoRotateBefore: 30 * 24 * time.Hour,
}

func (d CertificateDefaults) withDefaults() CertificateDefaults {
	def := DefaultCertificateDefaults
	if d.Algorithm == "" {
		d.Algorithm = def.Algorithm
	}
	if d.RSABits == 0 {
		d.RSABits = def.RSABits
	}
	if d.ValidityDays == 0 {
		d.ValidityDays = def.ValidityDays
	}
	if d.Subject == "" {
		d.Subject = def.Subject
	}
	if d.RefreshDelay == 0 {
		d.RefreshDelay = def.RefreshDelay
	}
	if d.AutoRotateBefore == 0 {
		d.AutoRotateBefore = def.AutoRotateBefore
	}
	return d
}

func certificateEvent(typ string, c *Certificate) AuditEvent {
	return AuditEvent{Type: typ, DomainID: c.DomainID, TargetID: c.ID, TargetName: c.Name}
}

// certificateFieldErrors turns a pki refusal into the form's field error.
func certificateFieldErrors(err error) error {
	var fe *pki.FieldError
	if errors.As(err, &fe) {
		return FieldErrors{fe.Field: fe.Error()}
	}
	return err
}

// newSystemCertificate generates a system certificate for the domain,
// signing from now, its key sealed.
func (s *Store) newSystemCertificate(domainID, name, alg string, rsaBits int, now time.Time) (*Certificate, error) {
	if alg == "" {
		alg = s.CertDefaults.Algorithm
	}
	if rsaBits == 0 {
		rsaBits = s.CertDefaults.RSABits
	}
	pc, err := pki.Generate(pki.GenerateOptions{Algorithm: alg, RSABits: rsaBits, Subject: s.CertDefaults.Subject,
		NotBefore: now, ValidityDays: s.CertDefaults.ValidityDays})
	if err != nil {
		return nil, certificateFieldErrors(err)
	}
	return s.sealCertificate(domainID, name, CertTypeSystem, pc, now)
}

// sealCertificate makes the row of a parsed certificate, its private key
// sealed under the key-encryption key (bound to the row's id).
func (s *Store) sealCertificate(domainID, name, typ string, pc *pki.Certificate, now time.Time) (*Certificate, error) {
	der, err := pc.PrivateKeyDER()
	if err != nil {
		return nil, err
	}
	id := newID()
	sealed, err := pki.Seal(s.kek, der, certificateAAD(id))
	clear(der)
	if err != nil {
		return nil, err
	}
	return &Certificate{ID: id, DomainID: domainID, Name: name, Type: typ, Algorithm: pc.Algorithm, Chain: pc.ChainPEM(),
		PrivateKey: sealed, NotBefore: pc.NotBefore().UTC(), ExpiresAt: pc.NotAfter().UTC(), SigningFrom: now, CreatedAt: now, UpdatedAt: now}, nil
}

// cleanCertificateName trims a certificate name and checks it.
func cleanCertificateName(name string) (string, FieldErrors) {
	n, msg := cleanName(name)
	if msg != "" {
		return n, FieldErrors{"name": msg}
	}
	return n, nil
}

// OwnCertificateInput is an uploaded certificate: either a PKCS#12 file
// with its password, or a PEM certificate (chain allowed) with a PEM
// private key.
type OwnCertificateInput struct {
	Name string
	// PKCS12 and Password: a .p12/.pfx file.
	PKCS12   []byte
	Password string
	// CertificatePEM and PrivateKeyPEM: the PEM form.
	CertificatePEM, PrivateKeyPEM []byte
	// PSS makes an RSA key sign PS256 rather than RS256.
	PSS bool
}

// CreateOwnCertificate checks and stores an uploaded certificate. Each
// refusal is a field error saying what is wrong (pki's reasons); its
// private key is sealed and never returned.
func (s *Store) CreateOwnCertificate(ctx context.Context, actor Actor, domainID string, in OwnCertificateInput) (*Certificate, error) {
	name, errs := cleanCertificateName(in.Name)
	if errs != nil {
		return nil, errs
	}
	now := s.now()
	opts := pki.UploadOptions{Now: now, PSS: in.PSS}
	var pc *pki.Certificate
	var err error
	switch {
	case len(in.PKCS12) > 0:
		pc, err = pki.ParsePKCS12(in.PKCS12, in.Password, opts)
	case len(in.CertificatePEM) > 0 || len(in.PrivateKeyPEM) > 0:
		pc, err = pki.ParsePEM(in.CertificatePEM, in.PrivateKeyPEM, opts)
	default:
		return nil, FieldErrors{pki.FieldFile: "Choose a PKCS#12 file, or paste a PEM certificate and its private key."}
	}
	if err != nil {
		return nil, certificateFieldErrors(err)
	}
	c, err := s.sealCertificate(domainID, name, CertTypeOwn, pc, now)
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := domainExists(tx, domainID); err != nil {
			return err
		}
		if err := tx.Create(c).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, certificateEvent(EventCertificateCreated, c))
	})
	if err != nil {
		return nil, err
	}
	c.PrivateKey = ""
	return c, nil
}

func domainExists(tx *gorm.DB, domainID string) error {
	var d Domain
	return notFound(tx.Select("id").First(&d, "id = ?", domainID).Error)
}

// SystemCertificateInput chooses a new system certificate's name (a
// rotation names it "Default <date time>" when empty) and algorithm (the
// configured default, or for a rotation the current one's, when empty).
type SystemCertificateInput struct {
	Name      string
	Algorithm string
	RSABits   int
}

// ErrRotationRace is returned when another rotation of the same
// certificate won (two nodes, two people): nothing was changed.
var ErrRotationRace = &Error{Code: CodeConflict, Message: "The system certificate was rotated at the same time by someone else; reload to see the new one."}

// CreateSystemCertificate generates a new system certificate for the
// domain. Every system certificate belongs to the domain's rotation
// chain, so a new one is a rotation: it is published at once, and signs
// for the applications on the default after the refresh delay. It is
// audited as CERTIFICATE_CREATED.
func (s *Store) CreateSystemCertificate(ctx context.Context, actor Actor, domainID string, in SystemCertificateInput) (*Certificate, error) {
	return s.rotate(ctx, actor, domainID, in, "", EventCertificateCreated)
}

// RotateCertificate rotates the domain's system certificate: a new one
// (of the current one's algorithm unless in chooses one), published in
// the JWKS at once and signing after the refresh delay; the superseded
// one stays published while the tokens it signed may be valid (the
// domain's longest access-token lifetime after it stops signing), then
// retires. Audited as CERTIFICATE_ROTATED.
func (s *Store) RotateCertificate(ctx context.Context, actor Actor, domainID string, in SystemCertificateInput) (*Certificate, error) {
	return s.rotate(ctx, actor, domainID, in, "", EventCertificateRotated)
}

// rotate makes a new system certificate that supersedes the current one.
// When expectID is set, it does so only while expectID is still the
// current one (automatic rotation), and returns (nil, nil) otherwise.
func (s *Store) rotate(ctx context.Context, actor Actor, domainID string, in SystemCertificateInput, expectID, event string) (*Certificate, error) {
	now := s.now()
	var cur Certificate
	err := s.db.WithContext(ctx).Where("domain_id = ? AND type = ? AND superseded_at IS NULL", domainID, CertTypeSystem).First(&cur).Error
	hasCurrent := err == nil
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	if expectID != "" && (!hasCurrent || cur.ID != expectID) {
		return nil, nil
	}
	if !hasCurrent {
		if err := domainExists(s.db.WithContext(ctx), domainID); err != nil {
			return nil, err
		}
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = defaultCertificateName + " " + now.Format("2006-01-02 15:04:05")
	}
	name, errs := cleanCertificateName(name)
	if errs != nil {
		return nil, errs
	}
	alg := in.Algorithm
	if alg == "" && hasCurrent && event == EventCertificateRotated {
		alg = cur.Algorithm
	}
	bits := in.RSABits
	if bits == 0 && hasCurrent && alg == cur.Algorithm {
		// The same RSA size as the key it replaces.
		if chain, err := cur.ParsedChain(); err == nil {
			if k, ok := chain[0].PublicKey.(*rsa.PublicKey); ok {
				bits = k.N.BitLen()
			}
		}
	}
	// Generated before the transaction: an RSA key can take a while.
	c, err := s.newSystemCertificate(domainID, name, alg, bits, now)
	if err != nil {
		return nil, err
	}
	won := true
	err = s.write(ctx, func(tx *gorm.DB) error {
		if hasCurrent {
			c.SigningFrom = now.Add(s.CertDefaults.RefreshDelay)
			lifetime, err := longestTokenLifetime(tx, domainID)
			if err != nil {
				return err
			}
			retire := c.SigningFrom.Add(lifetime)
			// Conditional: of two rotations of the same certificate at
			// once, one updates it and the other finds it superseded.
			res := tx.Model(&Certificate{}).Where("id = ? AND superseded_at IS NULL", cur.ID).
				Updates(map[string]any{"superseded_at": c.SigningFrom, "retired_at": retire, "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				won = false
				return ErrRotationRace
			}
			// The superseded certificate's notices stop: a newer one
			// signs (see clearCertificateNotices).
			if err := clearCertificateNotices(tx, cur.ID); err != nil {
				return err
			}
		}
		if err := tx.Create(c).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				won = false
				return ErrRotationRace
			}
			return err
		}
		ev := certificateEvent(event, c)
		if hasCurrent {
			ev.Detail = fmt.Sprintf("%s (%s) → %s (%s), signing from %s", cur.Name, cur.ID, c.Name, c.ID, c.SigningFrom.Format(time.RFC3339))
		}
		return s.audit(tx, actor, ev)
	})
	if !won && expectID != "" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.PrivateKey = ""
	return c, nil
}

// longestTokenLifetime is the longest access-token lifetime among the
// domain's applications: how long a token signed now may stay valid.
func longestTokenLifetime(tx *gorm.DB, domainID string) (time.Duration, error) {
	var secs int64
	err := tx.Model(&Application{}).Where("domain_id = ?", domainID).Select("COALESCE(MAX(access_token_lifetime), 0)").Scan(&secs).Error
	return time.Duration(secs) * time.Second, err
}

// RenameCertificate changes a certificate's name (all that may change:
// its key and chain never do). Audited as CERTIFICATE_UPDATED.
func (s *Store) RenameCertificate(ctx context.Context, actor Actor, domainID, id, name string) (*Certificate, error) {
	name, errs := cleanCertificateName(name)
	if errs != nil {
		return nil, errs
	}
	var c Certificate
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&c, "id = ? AND domain_id = ?", id, domainID).Error; err != nil {
			return notFound(err)
		}
		old := c.Name
		c.Name, c.UpdatedAt = name, s.now()
		if err := tx.Model(&c).Select("name", "updated_at").Updates(&c).Error; err != nil {
			return err
		}
		ev := certificateEvent(EventCertificateUpdated, &c)
		ev.Detail = old + " → " + name
		return s.audit(tx, actor, ev)
	})
	if err != nil {
		return nil, err
	}
	c.PrivateKey = "" // sealed, but it stays in the store all the same
	return &c, nil
}

// DeleteCertificate removes a certificate. It is refused (CodeInvalid,
// naming what uses it) while an application chose it, while it is the
// domain's fallback, and while it is the current system certificate or
// still signs until a rotation takes effect. When confirm is not nil it
// must equal the name exactly (the console's typed confirmation).
func (s *Store) DeleteCertificate(ctx context.Context, actor Actor, domainID, id string, confirm *string) (*Certificate, error) {
	var c Certificate
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&c, "id = ? AND domain_id = ?", id, domainID).Error; err != nil {
			return notFound(err)
		}
		if confirm != nil && *confirm != c.Name {
			return FieldErrors{"confirm": "Type the certificate's name exactly to confirm."}
		}
		var apps []string
		if err := tx.Model(&Application{}).Where("certificate_id = ?", c.ID).Order("name").Limit(4).Pluck("name", &apps).Error; err != nil {
			return err
		}
		if len(apps) > 0 {
			quoted := make([]string, 0, 3)
			for _, a := range apps[:min(len(apps), 3)] {
				quoted = append(quoted, "“"+a+"”")
			}
			names := strings.Join(quoted, ", ")
			if len(apps) > 3 {
				names += ", …"
			}
			return &Error{Code: CodeInvalid, Message: "The certificate “" + c.Name + "” is used by the application(s) " + names + "; choose another certificate for them first."}
		}
		var n int64
		if err := tx.Model(&Domain{}).Where("id = ? AND fallback_certificate_id = ?", domainID, c.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return &Error{Code: CodeInvalid, Message: "The certificate “" + c.Name + "” is the domain's fallback certificate; choose another fallback first."}
		}
		if c.Current() {
			return &Error{Code: CodeInvalid, Message: "The certificate “" + c.Name + "” is the domain's current system certificate; rotate the system key first."}
		}
		if c.Type == CertTypeSystem && c.SupersededAt.After(s.now()) {
			return &Error{Code: CodeInvalid, Message: "The certificate “" + c.Name + "” still signs for the domain's applications until " +
				c.SupersededAt.Format("2006-01-02 15:04:05 MST") + ", when the rotation takes effect."}
		}
		if err := tx.Delete(&c).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, certificateEvent(EventCertificateDeleted, &c))
	})
	if err != nil {
		return nil, s.refused(ctx, actor, AuditEvent{Type: EventCertificateDeleted, DomainID: domainID, TargetID: id, TargetName: c.Name}, err)
	}
	c.PrivateKey = ""
	return &c, nil
}

// SetFallbackCertificate sets the domain's fallback certificate (nil: none,
// the current system certificate is the last resort). Audited as
// DOMAIN_CERTIFICATE_SETTINGS_UPDATED.
func (s *Store) SetFallbackCertificate(ctx context.Context, actor Actor, domainID string, certID *string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		var d Domain
		if err := tx.First(&d, "id = ?", domainID).Error; err != nil {
			return notFound(err)
		}
		newName, err := certificateChoice(tx, domainID, certID, "fallbackCertificate")
		if err != nil {
			return err
		}
		oldName, _ := certificateChoice(tx, domainID, d.FallbackCertificateID, "")
		if err := tx.Model(&d).Update("fallback_certificate_id", certID).Error; err != nil {
			return err
		}
		ev := domainEvent(EventDomainCertificateSettingsUpdated, &d)
		ev.Detail = oldName + " → " + newName
		return s.audit(tx, actor, ev)
	})
}

// SetApplicationCertificate sets the certificate that signs the
// application's tokens (nil: Default, the domain's current system
// certificate). Audited as APPLICATION_CERTIFICATE_UPDATED.
func (s *Store) SetApplicationCertificate(ctx context.Context, actor Actor, appID string, certID *string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		var a Application
		if err := tx.First(&a, "id = ?", appID).Error; err != nil {
			return notFound(err)
		}
		newName, err := certificateChoice(tx, a.DomainID, certID, "certificate")
		if err != nil {
			return err
		}
		oldName, _ := certificateChoice(tx, a.DomainID, a.CertificateID, "")
		if err := tx.Model(&a).Update("certificate_id", certID).Error; err != nil {
			return err
		}
		ev := appEvent(EventAppCertificateUpdated, &a)
		ev.Detail = oldName + " → " + newName
		return s.audit(tx, actor, ev)
	})
}

// certificateChoice checks that id (nil: Default) names a certificate of
// the domain and returns its name for the audit trail.
func certificateChoice(tx *gorm.DB, domainID string, id *string, field string) (string, error) {
	if id == nil {
		return "Default", nil
	}
	var c Certificate
	if err := tx.Select("id", "name").First(&c, "id = ? AND domain_id = ?", *id, domainID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return *id, FieldErrors{field: "Choose one of the domain's certificates."}
		}
		return "", err
	}
	return c.Name, nil
}
