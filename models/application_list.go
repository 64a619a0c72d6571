package models

import (
	"context"
	"database/sql"
	"strings"

	"gorm.io/gorm"

	"latchkey/models/migrations"
)

// appOrder is the applications list's order: by name regardless of case,
// then id (index idx_applications_domain_lname, migration 00095).
var appOrder = keyset{table: "applications", key: "lower(applications.name)"}

// readAppRows reads a page of the applications list: what the list shows
// of each application and of its owner, joined in the page's statement
// and scanned by hand. GORM's Preload took a second statement (on
// PostgreSQL a round trip) and its reflection was most of the page's
// allocations.
func readAppRows(q *gorm.DB, items []Application) ([]Application, error) {
	rows, err := q.Select("applications.id, applications.domain_id, applications.name, applications.type, applications.client_id, " +
		"u.id, u.name, u.email").Joins("LEFT JOIN users u ON u.id = applications.owner_id").Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a Application
		var ownerID, ownerName, ownerEmail sql.NullString
		if err := rows.Scan(&a.ID, &a.DomainID, &a.Name, &a.Type, &a.ClientID, &ownerID, &ownerName, &ownerEmail); err != nil {
			return nil, err
		}
		if ownerID.Valid {
			a.OwnerID = &ownerID.String
			a.Owner = &User{ID: ownerID.String, Name: ownerName.String, Email: ownerEmail.String}
		}
		items = append(items, a)
	}
	return items, rows.Err()
}

// ApplicationsPage returns one page of a domain's applications by name,
// with their owners, for the list: of each application only its id,
// domain, name, type, client id and owner are read, and of the owner its
// name and e-mail address. A query keeps those whose name contains it, ignoring
// case (a substring, as the domains search: people remember part of a
// name), and the one whose client id it is exactly (a client id is pasted
// whole; matching it by index keeps a search of 10,000 applications to one
// pass over their names, or on PostgreSQL with pg_trgm to a trigram index
// lookup: migration 00111).
func (s *Store) ApplicationsPage(ctx context.Context, domainID, query string, req PageRequest) (*Paged[Application], error) {
	query = strings.TrimSpace(query)
	filter := func(q *gorm.DB) *gorm.DB {
		q = q.Where("applications.domain_id = ?", domainID)
		if query == "" {
			return q
		}
		lower := strings.ToLower(query)
		if s.dialect == migrations.SQLite {
			// The client id by its own index, once, rather than read from
			// each row: the name's test then runs on the list's index
			// alone (a search of 10,000 applications 4.4-5.1 -> 3.1-3.8 ms).
			// The name's test is instr, a plain substring search, rather
			// than LIKE, whose pattern matcher costs more per character
			// (the same rows: LIKE's % and _ are escaped). PostgreSQL
			// keeps the plain OR with LIKE, which its trigram and client
			// id indexes answer together.
			return q.Where(`(instr(lower(applications.name), ?) > 0 OR applications.id IN (SELECT c.id FROM applications c WHERE c.client_id = ?))`, lower, query)
		}
		return q.Where(`(lower(applications.name) LIKE ? ESCAPE '\' OR applications.client_id = ?)`, "%"+escapeLike(lower)+"%", query)
	}
	return keysetPage[Application, string](s.db.WithContext(ctx), filter, appOrder, req, func(a *Application) string { return a.ID }, readAppRows)
}

// ApplicationCount counts a domain's applications.
func (s *Store) ApplicationCount(ctx context.Context, domainID string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Application{}).Where("domain_id = ?", domainID).Count(&n).Error
	return n, err
}

// containsAny keeps the rows where one of the lower-case expressions
// contains query, ignoring case; an empty query keeps every row.
func containsAny(q *gorm.DB, query string, exprs ...string) *gorm.DB {
	query = strings.ToLower(strings.TrimSpace(query))
	if query == "" {
		return q
	}
	like := "%" + escapeLike(query) + "%"
	conds := make([]string, len(exprs))
	args := make([]any, len(exprs))
	for i, e := range exprs {
		conds[i] = e + ` LIKE ? ESCAPE '\'`
		args[i] = like
	}
	return q.Where("("+strings.Join(conds, " OR ")+")", args...)
}
