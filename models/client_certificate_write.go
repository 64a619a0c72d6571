package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"latchkey/pki"
)

// Client certificate audit events.
const (
	EventClientCertificateAdded   = "APPLICATION_CLIENT_CERTIFICATE_ADDED"
	EventClientCertificateDeleted = "APPLICATION_CLIENT_CERTIFICATE_DELETED"
)

// ClientCertificateInput is one client certificate to add: its description
// and the uploaded bytes (see pki.ParseClientKey: a PEM or DER X.509
// certificate, or a public JWK or a JWK Set of one key).
type ClientCertificateInput struct {
	Description string
	Data        []byte
}

// ClientCertificateLimitError is returned when an application already
// holds applications.clientCertificatesMax client certificates.
type ClientCertificateLimitError struct{ Max int }

// Error words the rule as the secrets' limit does.
func (e *ClientCertificateLimitError) Error() string {
	return fmt.Sprintf("Too many client certificates. Cannot add more than %d client certificates", e.Max)
}

// ErrorCode is CodeLimit.
func (e *ClientCertificateLimitError) ErrorCode() Code { return CodeLimit }

// clientCertificateEvent is the audit event of a change to one client
// certificate.
func clientCertificateEvent(typ string, app *Application, cc *ClientCertificate) AuditEvent {
	return AuditEvent{Type: typ, DomainID: app.DomainID, ApplicationID: app.ID, TargetID: cc.ID, TargetName: cc.Description}
}

// AddClientCertificate adds a client certificate to an application: the
// upload is parsed and checked (ParseClientKey's refusals), the description
// follows the secrets' rules, the thumbprint must be new to the
// application, and the limit (ClientCertificatesMax) is checked and the row
// inserted in one transaction, with its audit event. A refused add is
// recorded as a FAILURE.
func (s *Store) AddClientCertificate(ctx context.Context, actor Actor, appID string, in ClientCertificateInput) (*ClientCertificate, error) {
	var cc *ClientCertificate
	var app *Application
	err := s.write(ctx, func(tx *gorm.DB) error {
		var err error
		if app, err = s.lockApplication(tx, appID); err != nil {
			return err
		}
		if cc, err = s.addClientCertificate(tx, app, in); err != nil {
			return err
		}
		return s.audit(tx, actor, clientCertificateEvent(EventClientCertificateAdded, app, cc))
	})
	if err != nil {
		if app != nil {
			return nil, s.refused(ctx, actor, AuditEvent{Type: EventClientCertificateAdded, DomainID: app.DomainID,
				ApplicationID: app.ID, TargetName: in.Description}, err)
		}
		return nil, err
	}
	return cc, nil
}

// addClientCertificate checks and inserts, in the caller's transaction,
// with app locked.
func (s *Store) addClientCertificate(tx *gorm.DB, app *Application, in ClientCertificateInput) (*ClientCertificate, error) {
	description, err := cleanSecretDescription(in.Description)
	if err != nil {
		// The same rules, worded for a field the API calls description too.
		fe, _ := AsFieldErrors(err)
		return nil, fe
	}
	now := s.now()
	key, err := pki.ParseClientKey(in.Data, now)
	if err != nil {
		return nil, clientKeyFieldError(err)
	}
	// Unique ignoring case, as secrets' descriptions are.
	if stored, err := descriptionTaken(tx, &ClientCertificate{}, app.ID, description); err != nil {
		return nil, err
	} else if stored != "" {
		return nil, duplicateClientCertificate(stored)
	}
	var n int64
	if err := tx.Model(&ClientCertificate{}).Where("application_id = ? AND thumbprint = ?", app.ID, key.Thumbprint).Count(&n).Error; err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, FieldErrors{"certificate": "This certificate or key is already registered on this application."}
	}
	if err := tx.Model(&ClientCertificate{}).Where("application_id = ?", app.ID).Count(&n).Error; err != nil {
		return nil, err
	}
	// >= rather than ==: a limit lowered below the current count still blocks.
	if n >= int64(s.ClientCertificatesMax) {
		return nil, &ClientCertificateLimitError{Max: s.ClientCertificatesMax}
	}
	cc := &ClientCertificate{ID: newID(), ApplicationID: app.ID, Description: description,
		Thumbprint: key.Thumbprint, KeyID: key.KeyID, Algorithm: key.Algorithm, Format: key.Format,
		PublicKey: key.Stored, CreatedAt: now}
	if !key.NotAfter.IsZero() {
		nb, na := key.NotBefore.UTC().Truncate(time.Microsecond), key.NotAfter.UTC().Truncate(time.Microsecond)
		cc.NotBefore, cc.ExpiresAt = &nb, &na
	} else if cc.ExpiresAt, err = chosenExpiry(app, now, ExpiryChoice{}); err != nil {
		return nil, err
	}
	if err := tx.Create(cc).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, duplicateClientCertificate(description)
		}
		return nil, err
	}
	return cc, nil
}

// clientKeyFieldError turns pki's refusal into the form's field error.
func clientKeyFieldError(err error) error {
	var fe *pki.FieldError
	if errors.As(err, &fe) {
		return FieldErrors{"certificate": fe.Err.Error()}
	}
	return err
}

func duplicateClientCertificate(d string) error {
	msg := "Client certificate with description " + d + " already exists"
	return &Error{Code: CodeConflict, Message: msg, Fields: map[string]string{"description": msg}}
}

// DeleteClientCertificate removes a client certificate of an application
// of the domain, with its audit event; it stops authenticating with the
// commit (the gateway reads the active client certificates on every
// assertion). Unlike secrets, the last one may go: the application may
// still have secrets, and without any the client simply cannot
// authenticate by private_key_jwt.
func (s *Store) DeleteClientCertificate(ctx context.Context, actor Actor, domainID, appID, id string) (*ClientCertificate, error) {
	var cc ClientCertificate
	err := s.write(ctx, func(tx *gorm.DB) error {
		app, err := s.lockApplication(tx, appID)
		if err != nil {
			return err
		}
		if app.DomainID != domainID {
			return ErrNotFound
		}
		if err := tx.First(&cc, "id = ? AND application_id = ?", id, appID).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Delete(&cc).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, clientCertificateEvent(EventClientCertificateDeleted, app, &cc))
	})
	if err != nil {
		return nil, err
	}
	return &cc, nil
}
