package models

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"
)

// DomainView is what the domain page shows: the domain with its owners,
// one page of its applications and its secrets' expiry.
type DomainView struct {
	Domain *Domain
	Apps   *Paged[Application]
	Expiry *DomainExpiry
}

// DomainView reads the domain page's three parts at once, each on its own
// connections: they do not depend on each other, so the page waits for
// the slowest rather than for their sum (on PostgreSQL each statement is
// a round trip; at 10,000 applications the expiry's two statements alone
// took as long as the other parts together). No part holds a connection
// while it waits for another, so a pool of one connection serves them in
// turn. A domain that does not exist is ErrNotFound, whatever the other
// two found (nothing: they filter by its id).
func (s *Store) DomainView(ctx context.Context, id, query string, req PageRequest, within time.Duration, limit int) (*DomainView, error) {
	var v DomainView
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		v.Domain, err = s.DomainByID(ctx, id)
		return err
	})
	g.Go(func() (err error) {
		v.Apps, err = s.ApplicationsPage(ctx, id, query, req)
		return err
	})
	g.Go(func() (err error) {
		v.Expiry, err = s.DomainExpiryOverview(ctx, id, within, limit)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return &v, nil
}
