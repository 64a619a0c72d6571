package models

import (
	"fmt"
	"slices"

	"gorm.io/gorm"
)

// PageRequest asks for one page of a keyset-paged list: the Limit rows
// after the row whose id is After, or before the one whose id is Before
// (After wins when both are set), or the first Limit rows.
//
// A cursor is the id of the row at the page's edge rather than an offset,
// so every page, the thousandth too, is one index range scan, and a row
// added or deleted meanwhile neither repeats nor skips a row. A cursor
// naming a row that no longer exists starts again from the first page.
type PageRequest struct {
	After, Before string
	// Limit defaults to DefaultPageSize and is at most MaxPageSize.
	Limit int
}

// Page sizes of keyset-paged lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Paged is one page of a keyset-paged list.
type Paged[T any] struct {
	Items []T
	// Prev and Next are the cursors of the neighbouring pages (pass them
	// as Before and After); "" when there is none.
	Prev, Next string
}

// keyset describes the order of a keyset-paged table: by key (a column
// or an expression over one row, the same one an index holds), then by
// id, both ascending or both descending.
type keyset struct {
	table string // qualifies id, e.g. "applications"
	key   string // e.g. "lower(applications.name)"
	desc  bool
}

// pageReader reads a page's rows from its query (filtered, bounded,
// ordered and limited) into items, for a list that selects and scans
// them itself; nil reads every column of T with GORM.
type pageReader[T any] func(q *gorm.DB, items []T) ([]T, error)

// keysetPage returns the page that req asks for of the rows of T that
// filter keeps. K is the key's Go type; id reads a row's id. On SQLite the
// row the cursor names is read first (by primary key, through the same
// filter: a cursor from another list starts this one over) so the page's
// condition is a plain row-value comparison the index answers. On
// PostgreSQL, where each statement is a round trip, the cursor's row is a
// subquery of the page's statement (an InitPlan, so still one index range
// scan); only a page that comes back empty asks whether the cursor's row
// exists.
func keysetPage[T any, K any](db *gorm.DB, filter func(*gorm.DB) *gorm.DB, ks keyset, req PageRequest, id func(*T) string, read pageReader[T]) (*Paged[T], error) {
	limit := req.Limit
	if limit <= 0 || limit > MaxPageSize {
		limit = DefaultPageSize
	}
	cursor, forward := req.After, true
	if cursor == "" && req.Before != "" {
		cursor, forward = req.Before, false
	}
	cursorRow := func() *gorm.DB {
		return filter(db.Model(new(T))).Where(ks.table+".id = ?", cursor).Limit(1)
	}
	found := false
	var edge K
	inline := cursor != "" && db.Dialector.Name() == "postgres"
	if cursor != "" && !inline {
		var keys []K
		if err := cursorRow().Pluck(ks.key, &keys).Error; err != nil {
			return nil, err
		}
		if found = len(keys) == 1; found {
			edge = keys[0]
		} else {
			forward = true
		}
	}
	page := func(found, forward bool) ([]T, error) {
		// Going back over a list is going forward over it in reverse order.
		op, dir := ">", "ASC"
		if forward == ks.desc {
			op, dir = "<", "DESC"
		}
		q := filter(db.Model(new(T)))
		switch {
		case inline && found:
			q = q.Where(fmt.Sprintf("(%s, %s.id) %s (?)", ks.key, ks.table, op),
				cursorRow().Select(ks.key+", "+ks.table+".id"))
		case found:
			// The key's own bound repeats the row value's first term:
			// SQLite ranges an expression index by it, where the row value
			// alone made it read the list from its start (page 100 of
			// 10,000 read 5,000 index entries, 2 ms).
			q = q.Where(fmt.Sprintf("%s %s= ? AND (%s, %s.id) %s (?, ?)", ks.key, op, ks.key, ks.table, op), edge, edge, cursor)
		}
		q = q.Order(fmt.Sprintf("%s %s, %s.id %s", ks.key, dir, ks.table, dir)).Limit(limit + 1)
		// Room for the whole page up front: GORM fills a slice with
		// capacity in place, where it grows one of 20 by reflection.
		items := make([]T, 0, limit+1)
		if read != nil {
			return read(q, items)
		}
		err := q.Find(&items).Error
		return items, err
	}
	items, err := page(found || inline, forward)
	if err != nil {
		return nil, err
	}
	if inline {
		found = len(items) > 0
		if !found {
			// No row beyond the cursor, or no such row: only the latter
			// starts the list over.
			var n int64
			if err := cursorRow().Count(&n).Error; err != nil {
				return nil, err
			}
			if n == 0 {
				forward = true
				if items, err = page(false, true); err != nil {
					return nil, err
				}
			}
		}
	}
	more := len(items) > limit
	if more {
		items = items[:limit]
	}
	if !forward {
		slices.Reverse(items)
	}
	p := &Paged[T]{Items: items}
	if len(items) == 0 {
		// Past the end (the rows after the cursor were deleted): the
		// list's pager offers its first page.
		return p, nil
	}
	first, last := id(&items[0]), id(&items[len(items)-1])
	// The row the cursor names lies on the far side, so there is a page
	// there; on the near side there is one when more rows came back.
	switch {
	case forward:
		if more {
			p.Next = last
		}
		if found {
			p.Prev = first
		}
	default:
		if more {
			p.Prev = first
		}
		p.Next = last
	}
	return p, nil
}
