package models

import (
	"context"
	"database/sql"
)

// clientBatchSQL is clientBySecretSQL for many lookups at once (see
// batcher.go for why): ?2, ?3 and ?4 are arrays of digests, client ids and
// hrids, one lookup per index, and each row says by q.n (from 1) which
// lookup it answers.
const clientBatchSQL = `SELECT q.n, s.id, ` + clientColumnsSQL + `
FROM unnest(CAST(?2 AS text[]), CAST(?3 AS text[]), CAST(?4 AS text[])) WITH ORDINALITY AS q(digest, client_id, hrid, n)
JOIN client_secrets s ON s.digest = q.digest
JOIN applications a ON a.id = s.application_id
JOIN domains d ON d.id = a.domain_id
WHERE a.client_id = q.client_id AND d.hrid = q.hrid
  AND d.enabled = TRUE AND a.disabled = FALSE AND a.client_secret_auth_disabled = FALSE
  AND (s.expires_at IS NULL OR s.expires_at > ?1)`

// secretLookup is one secret lookup, waiting or running, and its answer.
type secretLookup struct {
	batchSlot[secretLookup]
	digest, clientID, hrid string
	client                 *AuthenticatedClient
}

// authBatcher gathers a Store's secret lookups.
type authBatcher = batcher[secretLookup, *secretLookup]

// authenticateBatched is authenticateOne through the Store's batcher.
func (s *Store) authenticateBatched(ctx context.Context, digest, clientID, hrid string) (*AuthenticatedClient, error) {
	l := s.authBatch.get()
	l.digest, l.clientID, l.hrid = digest, clientID, hrid
	s.authBatch.do(ctx, l, s.answerLookups)
	client, err := l.client, l.err
	s.authBatch.put(l)
	return client, err
}

// answerLookups answers a batch of secret lookups (answerReads).
func (s *Store) answerLookups(ctx context.Context, batch []*secretLookup) {
	answerReads(ctx, batch, func(ctx context.Context, l *secretLookup) {
		l.client, l.err = s.authenticateOne(ctx, l.digest, l.clientID, l.hrid)
	}, s.queryBatch, func(l *secretLookup, err error) { l.client, l.err = nil, err })
}

// queryBatch runs clientBatchSQL for batch, setting each lookup's client
// (nil when nothing matched).
func (s *Store) queryBatch(ctx context.Context, batch []*secretLookup) error {
	stmt, err := s.prepared(&s.authBatchStmt, func() string { return clientBatchSQL })
	if err != nil {
		return err
	}
	digests, clientIDs, hrids := make([]string, len(batch)), make([]string, len(batch)), make([]string, len(batch))
	for i, l := range batch {
		digests[i], clientIDs[i], hrids[i] = l.digest, l.clientID, l.hrid
		l.client, l.err = nil, nil
	}
	rows, err := stmt.QueryContext(ctx, s.now(), digests, clientIDs, hrids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var n int
		var c AuthenticatedClient
		var kid sql.NullString
		if err := rows.Scan(c.scanTargets(&kid, &n, &c.SecretID)...); err != nil {
			return err
		}
		if n < 1 || n > len(batch) {
			continue
		}
		l := batch[n-1]
		c.ClientID, c.SigningKeyID = l.clientID, kid.String
		l.client = &c
	}
	return rows.Err()
}
