package models

import (
	"context"
	"database/sql"
	"time"
)

// clientByAssertionBatchSQL is clientByAssertionSQL for many clients at
// once (batcher.go), each reading at most limit client certificates (the
// Store's, written in as clientByAssertionSQL's is): ?2 and ?3 are arrays
// of client ids and hrids, one lookup per index; each row says by q.n
// (from 1) which lookup it answers, and each lookup's client certificates
// come in clientByAssertionSQL's order.
func clientByAssertionBatchSQL(limit string) string {
	return `SELECT q.n, cc.id, cc.key_id, cc.thumbprint, cc.algorithm, cc.format, cc.public_key,
  ` + clientColumnsSQL + `
FROM unnest(CAST(?2 AS text[]), CAST(?3 AS text[])) WITH ORDINALITY AS q(client_id, hrid, n)
JOIN applications a ON a.client_id = q.client_id
JOIN domains d ON d.id = a.domain_id
CROSS JOIN LATERAL (SELECT * FROM client_certificates c
    WHERE c.application_id = a.id
      AND (c.expires_at IS NULL OR c.expires_at > ?1) AND (c.not_before IS NULL OR c.not_before <= ?1)
    ORDER BY c.created_at, c.id
    LIMIT ` + limit + `) cc
WHERE d.hrid = q.hrid AND d.enabled = TRUE AND a.disabled = FALSE AND a.private_key_jwt_enabled = TRUE
ORDER BY q.n, cc.created_at, cc.id`
}

// assertionLookup is one client assertion's lookup and its answer.
type assertionLookup struct {
	batchSlot[assertionLookup]
	clientID, hrid string
	client         *AuthenticatedClient
	keys           []ClientKeyRow
}

// clientForAssertionBatched is clientForAssertionOne through the Store's
// batcher.
func (s *Store) clientForAssertionBatched(ctx context.Context, hrid, clientID string) (*AuthenticatedClient, []ClientKeyRow, error) {
	l := s.assertionBatch.get()
	l.clientID, l.hrid = clientID, hrid
	s.assertionBatch.do(ctx, l, s.answerAssertionLookups)
	client, keys, err := l.client, l.keys, l.err
	s.assertionBatch.put(l)
	return client, keys, err
}

// answerAssertionLookups answers a batch of client assertion lookups
// (answerReads).
func (s *Store) answerAssertionLookups(ctx context.Context, batch []*assertionLookup) {
	answerReads(ctx, batch, func(ctx context.Context, l *assertionLookup) {
		l.client, l.keys, l.err = s.clientForAssertionOne(ctx, l.hrid, l.clientID)
	}, s.queryAssertionBatch, func(l *assertionLookup, err error) { l.client, l.keys, l.err = nil, nil, err })
}

// queryAssertionBatch runs clientByAssertionBatchSQL for batch.
func (s *Store) queryAssertionBatch(ctx context.Context, batch []*assertionLookup) error {
	stmt, err := s.prepared(&s.assertionBatchStmt, func() string { return clientByAssertionBatchSQL(s.assertionLimit()) })
	if err != nil {
		return err
	}
	clientIDs, hrids := make([]string, len(batch)), make([]string, len(batch))
	for i, l := range batch {
		clientIDs[i], hrids[i] = l.clientID, l.hrid
		l.client, l.keys, l.err = nil, nil, nil
	}
	rows, err := stmt.QueryContext(ctx, s.now(), clientIDs, hrids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var n int
		var k ClientKeyRow
		var cl AuthenticatedClient
		var kid sql.NullString
		if err := rows.Scan(cl.scanTargets(&kid, &n, &k.ID, &k.KeyID, &k.Thumbprint, &k.Algorithm, &k.Format, &k.PublicKey)...); err != nil {
			return err
		}
		if n < 1 || n > len(batch) {
			continue
		}
		l := batch[n-1]
		if l.client == nil {
			cl.ClientID, cl.SigningKeyID = l.clientID, kid.String
			l.client = &cl
		}
		l.keys = append(l.keys, k)
	}
	return rows.Err()
}

// useJTIBatchSQL is useJTISQL for many jtis at once: ?1, ?2 and ?3 are
// arrays of client ids, jtis and expiry times, no pair twice (PostgreSQL
// refuses to touch one row twice in a statement); the rows returned are
// the pairs inserted or taken over, that is used for the first time.
const useJTIBatchSQL = `INSERT INTO client_assertion_jtis (client_id, jti, expires_at)
SELECT * FROM unnest(CAST(?1 AS text[]), CAST(?2 AS text[]), CAST(?3 AS timestamptz[]))
ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
WHERE client_assertion_jtis.expires_at <= ?4
RETURNING client_id, jti`

// jtiUse is one jti's first-use check and its answer.
type jtiUse struct {
	batchSlot[jtiUse]
	clientID, jti string
	expiresAt     time.Time
	first         bool
}

// useJTIBatched is useJTIOne through the Store's batcher.
func (s *Store) useJTIBatched(ctx context.Context, clientID, jti string, expiresAt time.Time) (bool, error) {
	u := s.jtiBatch.get()
	u.clientID, u.jti, u.expiresAt = clientID, jti, expiresAt
	s.jtiBatch.do(ctx, u, s.answerJTIUses)
	first, err := u.first, u.err
	s.jtiBatch.put(u)
	return first, err
}

// jtiKey is a jti of a client, as the replay store keys it.
type jtiKey struct{ clientID, jti string }

// answerJTIUses answers a batch: one jti by useJTISQL, several by
// useJTIBatchSQL. A pair that comes twice in one batch is a replay: its
// first use is its first in the batch, and the others are not. A write, so
// detached from the request (see write) and never tried again: the
// statement may have been applied.
func (s *Store) answerJTIUses(ctx context.Context, batch []*jtiUse) {
	if len(batch) == 1 {
		u := batch[0]
		u.first, u.err = s.useJTIOne(ctx, u.clientID, u.jti, u.expiresAt)
		return
	}
	err := s.insertJTIBatch(ctx, batch)
	for _, u := range batch {
		if err != nil {
			u.first = false
		}
		u.err = err
	}
}

// insertJTIBatch runs useJTIBatchSQL for batch, setting each use's first.
func (s *Store) insertJTIBatch(ctx context.Context, batch []*jtiUse) error {
	stmt, err := s.prepared(&s.jtiBatchStmt, func() string { return useJTIBatchSQL })
	if err != nil {
		return err
	}
	byKey := make(map[jtiKey]*jtiUse, len(batch))
	clientIDs, jtis, expiries := make([]string, 0, len(batch)), make([]string, 0, len(batch)), make([]time.Time, 0, len(batch))
	for _, u := range batch {
		u.first = false
		k := jtiKey{u.clientID, u.jti}
		if _, dup := byKey[k]; dup {
			continue
		}
		byKey[k] = u
		clientIDs, jtis, expiries = append(clientIDs, u.clientID), append(jtis, u.jti), append(expiries, u.expiresAt.UTC())
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	rows, err := stmt.QueryContext(wctx, clientIDs, jtis, expiries, s.now())
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k jtiKey
		if err := rows.Scan(&k.clientID, &k.jti); err != nil {
			return err
		}
		if u := byKey[k]; u != nil {
			u.first = true
		}
	}
	return rows.Err()
}
