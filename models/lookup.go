package models

import (
	"context"
	"errors"
)

// DomainByRef returns a domain, with its owners, by its id or else by its
// hrid: Management API paths accept either, as Gravitee's do. An id wins
// over an equal hrid, so a domain cannot shadow another by choosing the
// other's id as its hrid.
func (s *Store) DomainByRef(ctx context.Context, ref string) (*Domain, error) {
	d, err := s.DomainByID(ctx, ref)
	if !errors.Is(err, ErrNotFound) {
		return d, err
	}
	var byHRID Domain
	if err := s.db.WithContext(ctx).Preload("Owners").First(&byHRID, "hrid = ?", ref).Error; err != nil {
		return nil, notFound(err)
	}
	return &byHRID, nil
}
