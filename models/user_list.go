package models

import (
	"context"

	"gorm.io/gorm"
)

// userOrder is the Users page's order: by name regardless of case, then id
// (index idx_users_lname, migration 00095).
var userOrder = keyset{table: "users", key: "lower(users.name)"}

// UsersPage returns one page of the console's users by name. A query keeps
// those whose name or e-mail contains it, ignoring case.
func (s *Store) UsersPage(ctx context.Context, query string, req PageRequest) (*Paged[User], error) {
	filter := func(q *gorm.DB) *gorm.DB { return containsAny(q, query, "lower(users.name)", "lower(users.email)") }
	return keysetPage[User, string](s.db.WithContext(ctx), filter, userOrder, req, func(u *User) string { return u.ID }, nil)
}
