package models

import "context"

// SecretsOfApplications lists the secrets of several applications at once,
// each application's oldest first, keyed by application id: one query for
// a page of applications rather than one per application.
func (s *Store) SecretsOfApplications(ctx context.Context, appIDs []string) (map[string][]ClientSecret, error) {
	out := make(map[string][]ClientSecret, len(appIDs))
	if len(appIDs) == 0 {
		return out, nil
	}
	var all []ClientSecret
	err := s.db.WithContext(ctx).Where("application_id IN ?", appIDs).Order("created_at, id").Find(&all).Error
	for _, cs := range all {
		out[cs.ApplicationID] = append(out[cs.ApplicationID], cs)
	}
	return out, err
}
