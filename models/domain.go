package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Domain is a security domain: a set of applications sharing an OAuth issuer
// (its hrid is the gateway path segment) and a client-secret expiry policy.
type Domain struct {
	ID          string `gorm:"primaryKey;size:36"`
	HRID        string `gorm:"column:hrid;uniqueIndex;size:64;not null"`
	Name        string `gorm:"uniqueIndex;size:64;not null"`
	Description string `gorm:"size:500;not null;default:''"`
	// Enabled has no database default on purpose: GORM would write the
	// default instead of an explicit false.
	Enabled bool   `gorm:"not null"`
	Owners  []User `gorm:"many2many:domain_owners;constraint:OnDelete:CASCADE"`
	// The client-secret expiry policy ("Client Secrets Policies"), stored
	// as chosen so the form shows exactly what was saved.
	SecretExpiryEnabled  bool   `gorm:"not null"`
	SecretExpiryUnit     string `gorm:"size:16;not null;default:''"`
	SecretExpiryDuration int    `gorm:"not null;default:0"`
	// FallbackCertificateID is the certificate that signs when an
	// application's chosen one cannot (expired, retired, gone); nil: the
	// current system certificate does.
	FallbackCertificateID *string `gorm:"size:36"`
	// DataPlaneID is Gravitee's data plane, stored as sent (Latchkey has
	// one gateway, so it routes nothing): DefaultDataPlane unless given.
	DataPlaneID string `gorm:"column:data_plane_id;not null;default:'default'"`
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// AppCount counts the domain's applications: kept by the database's
	// triggers (migration 00112), never written by the models (nor altered
	// by an AutoMigrate, which on SQLite rebuilds a table and so trips
	// over the triggers that name it).
	AppCount int64 `gorm:"->;-:migration"`
}

// DomainInput is what a person submits to create or edit a domain.
type DomainInput struct {
	Name, HRID, Description string
	Enabled                 bool
	OwnerIDs                []string
	// DataPlaneID "" keeps the stored one (DefaultDataPlane on create).
	DataPlaneID string
}

// DefaultDataPlane is Gravitee's default data plane id.
const DefaultDataPlane = "default"

var dataPlanePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// SecretPolicy returns the domain's client-secret expiry policy.
func (d *Domain) SecretPolicy() ExpiryPolicy {
	return ExpiryPolicy{Enabled: d.SecretExpiryEnabled, Unit: d.SecretExpiryUnit, Duration: d.SecretExpiryDuration}
}

// UpdateDomainSecretPolicy validates and stores the domain's expiry policy,
// returning the old and new policies for the audit log. Existing secrets keep
// their expiry.
func (s *Store) UpdateDomainSecretPolicy(ctx context.Context, actor Actor, id string, in ExpiryInput) (old, updated ExpiryPolicy, err error) {
	p, errs := in.Parse(false)
	if errs != nil {
		return old, old, errs
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		var d Domain
		if err := tx.First(&d, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		old = d.SecretPolicy()
		err := tx.Model(&d).Select("secret_expiry_enabled", "secret_expiry_unit", "secret_expiry_duration").Updates(&Domain{
			SecretExpiryEnabled: p.Enabled, SecretExpiryUnit: p.Unit, SecretExpiryDuration: p.Duration,
		}).Error
		if err != nil {
			return err
		}
		ev := domainEvent(EventDomainSecretSettingsUpdated, &d)
		ev.Detail = old.String() + " → " + p.String()
		return s.audit(tx, actor, ev)
	})
	return old, p, err
}

func (in *DomainInput) validate() FieldErrors {
	errs := FieldErrors{}
	var msg string
	if in.Name, msg = cleanName(in.Name); msg != "" {
		errs["name"] = msg
	}
	in.HRID = strings.TrimSpace(in.HRID)
	if in.HRID == "" {
		in.HRID = DeriveHRID(in.Name)
		if in.HRID == "" && errs["name"] == "" {
			errs["hrid"] = "Enter a URL identifier: the name has no letters or digits to derive one from."
		}
	}
	if _, bad := errs["hrid"]; !bad && in.HRID != "" {
		if msg = ValidateHRID(in.HRID); msg != "" {
			errs["hrid"] = msg
		}
	}
	if in.Description, msg = cleanDescription(in.Description); msg != "" {
		errs["description"] = msg
	}
	if in.DataPlaneID = strings.TrimSpace(in.DataPlaneID); in.DataPlaneID != "" && !dataPlanePattern.MatchString(in.DataPlaneID) {
		errs["dataPlaneId"] = "A data plane id is 1 to 64 letters, digits, dots, hyphens or underscores, starting with a letter or digit."
	}
	return errs
}

// Domains lists domains whose name, hrid or description contains query
// (case-insensitive), by name, with their application counts.
func (s *Store) Domains(ctx context.Context, query string) ([]Domain, error) {
	db := s.db.WithContext(ctx).Model(&Domain{})
	if q := strings.ToLower(strings.TrimSpace(query)); q != "" {
		like := "%" + escapeLike(q) + "%"
		db = db.Where("lower(name) LIKE ? ESCAPE '\\' OR hrid LIKE ? ESCAPE '\\' OR lower(description) LIKE ? ESCAPE '\\'", like, like, like)
	}
	var ds []Domain
	err := db.Order("lower(name)").Find(&ds).Error
	return ds, err
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// DomainWithoutOwners returns a domain with Owners left empty, or
// ErrNotFound: for the pages that do not show them (an application's),
// one statement fewer.
func (s *Store) DomainWithoutOwners(ctx context.Context, id string) (*Domain, error) {
	var d Domain
	if err := s.db.WithContext(ctx).First(&d, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	return &d, nil
}

// DomainByID returns a domain with its owners, or ErrNotFound.
func (s *Store) DomainByID(ctx context.Context, id string) (*Domain, error) {
	var d Domain
	db := s.db.WithContext(ctx)
	if err := db.First(&d, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	// One JOIN rather than Preload's two statements (the join table, then
	// the users): every page of a domain starts here.
	err := db.Joins("JOIN domain_owners ON domain_owners.user_id = users.id").
		Where("domain_owners.domain_id = ?", d.ID).Find(&d.Owners).Error
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// CreateDomain validates and stores a new domain.
func (s *Store) CreateDomain(ctx context.Context, actor Actor, in DomainInput) (*Domain, error) {
	d := &Domain{ID: newID()}
	return d, s.saveDomain(ctx, actor, d, in, true)
}

// domainEvent is the audit event of a change to a domain.
func domainEvent(typ string, d *Domain) AuditEvent {
	return AuditEvent{Type: typ, DomainID: d.ID, TargetID: d.ID, TargetName: d.Name}
}

// UpdateDomain validates and applies changes to a domain.
func (s *Store) UpdateDomain(ctx context.Context, actor Actor, id string, in DomainInput) (*Domain, error) {
	d, err := s.DomainByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return d, s.saveDomain(ctx, actor, d, in, false)
}

func (s *Store) saveDomain(ctx context.Context, actor Actor, d *Domain, in DomainInput, create bool) error {
	if errs := in.validate(); len(errs) > 0 {
		return errs
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		errs := FieldErrors{}
		var n int64
		if err := tx.Model(&Domain{}).Where("hrid = ? AND id <> ?", in.HRID, d.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			// Name the id: left empty, it was derived from the name, and
			// the person has not seen it.
			errs["hrid"] = fmt.Sprintf("Another domain already uses this URL identifier: “%s”.", in.HRID)
		}
		if err := tx.Model(&Domain{}).Where("lower(name) = lower(?) AND id <> ?", in.Name, d.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			errs["name"] = "Another domain already has this name."
		}
		owners, err := usersByIDs(tx, in.OwnerIDs)
		if err != nil {
			return err
		}
		if len(owners) != len(uniq(in.OwnerIDs)) {
			errs["owners"] = "One of the chosen owners no longer exists."
		}
		if len(errs) > 0 {
			return errs
		}
		d.Name, d.HRID, d.Description, d.Enabled = in.Name, in.HRID, in.Description, in.Enabled
		if in.DataPlaneID != "" {
			d.DataPlaneID = in.DataPlaneID
		} else if d.DataPlaneID == "" {
			d.DataPlaneID = DefaultDataPlane
		}
		if create {
			// A domain is created with its first system certificate.
			err = tx.Omit("Owners").Create(d).Error
			if err == nil {
				var c *Certificate
				if c, err = s.newSystemCertificate(d.ID, defaultCertificateName, s.CertDefaults.Algorithm, s.CertDefaults.RSABits, s.now()); err == nil {
					err = tx.Create(c).Error
				}
			}
		} else {
			// Only the form's columns: the whole row read before the
			// transaction would put back a secret policy saved meanwhile.
			d.UpdatedAt = tx.NowFunc()
			err = tx.Model(d).Omit("Owners").Select("name", "hrid", "description", "enabled", "updated_at").Updates(d).Error
		}
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return FieldErrors{"hrid": "Another domain already uses this URL identifier or name."}
		}
		if err != nil {
			return err
		}
		d.Owners = owners
		if err := tx.Model(d).Association("Owners").Replace(owners); err != nil {
			return err
		}
		typ := EventDomainUpdated
		if create {
			typ = EventDomainCreated
		}
		return s.audit(tx, actor, domainEvent(typ, d))
	})
}

func uniq(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func usersByIDs(tx *gorm.DB, ids []string) ([]User, error) {
	ids = uniq(ids)
	if len(ids) == 0 {
		return []User{}, nil
	}
	var us []User
	err := tx.Where("id IN ?", ids).Order("lower(name)").Find(&us).Error
	return us, err
}

// DeleteDomain removes a domain and, by cascade, its applications.
func (s *Store) DeleteDomain(ctx context.Context, actor Actor, id string) (*Domain, error) {
	var d Domain
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&d, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Model(&d).Association("Owners").Clear(); err != nil {
			return err
		}
		if err := tx.Delete(&d).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, domainEvent(EventDomainDeleted, &d))
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
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
