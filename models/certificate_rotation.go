package models

import (
	"context"
)

// SystemActor is the actor of changes Latchkey makes on its own (the
// automatic rotation): audited, with no user.
var SystemActor = Actor{Email: "system"}

// Rotation is one automatic rotation: the certificate that was due and
// the one that replaces it.
type Rotation struct {
	Old, New *Certificate
}

// RotateExpiringCertificates rotates every current system certificate
// that expires within CertDefaults.AutoRotateBefore of the store's time,
// each with the algorithm it had, audited as CERTIFICATE_ROTATED by
// SystemActor. Several nodes may run it at once: each certificate is
// rotated exactly once (the rotation is a conditional update of the old
// certificate, and one current system certificate per domain is a unique
// index), and a node that lost the race skips it. It returns the
// rotations this call made, for the owners' notice.
func (s *Store) RotateExpiringCertificates(ctx context.Context) ([]Rotation, error) {
	due := s.now().Add(s.CertDefaults.AutoRotateBefore)
	var certs []Certificate
	err := s.db.WithContext(ctx).Omit("private_key").
		Where("type = ? AND superseded_at IS NULL AND expires_at <= ?", CertTypeSystem, due).
		Order("expires_at, id").Find(&certs).Error
	if err != nil {
		return nil, err
	}
	var out []Rotation
	for i := range certs {
		old := &certs[i]
		c, err := s.rotate(ctx, SystemActor, old.DomainID, SystemCertificateInput{}, old.ID, EventCertificateRotated)
		if err != nil {
			return out, err
		}
		if c != nil {
			out = append(out, Rotation{Old: old, New: c})
		}
	}
	return out, nil
}
