package models

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"gorm.io/gorm"

	"latchkey/models/migrations"
)

// ClientKeyRow is one active client certificate of a client, as the
// gateway verifies an assertion with it. Its content never changes for an
// id (client certificates are immutable), so the parsed key may be cached
// by id and thumbprint.
type ClientKeyRow struct {
	ID, KeyID, Thumbprint, Algorithm, Format, PublicKey string
}

// clientByAssertionSQL finds the client of an assertion and its active
// client certificates, one row each, in one query: the application must
// accept private_key_jwt and be enabled in an enabled domain; a client
// certificate must have started and not expired. Deleted rows are gone, so
// a deletion on any node counts from the next request. The signing
// certificate comes with every row, as in clientBySecretSQL (whose
// comment says why values are compared as CAST(? AS TEXT) and why the
// parameters are numbered).
const clientByAssertionSQL = `SELECT cc.id, cc.key_id, cc.thumbprint, cc.algorithm, cc.format, cc.public_key,
  ` + clientColumnsSQL + `
FROM client_certificates cc
JOIN applications a ON a.id = cc.application_id
JOIN domains d ON d.id = a.domain_id
WHERE a.client_id = CAST(?2 AS TEXT) AND d.hrid = CAST(?3 AS TEXT)
  AND d.enabled = TRUE AND a.disabled = FALSE AND a.private_key_jwt_enabled = TRUE
  AND (cc.expires_at IS NULL OR cc.expires_at > ?1) AND (cc.not_before IS NULL OR cc.not_before <= ?1)
ORDER BY cc.created_at, cc.id
LIMIT `

// ClientForAssertion returns the client clientID of the domain hrid when it
// may authenticate with a client assertion (private_key_jwt), with its
// active client certificates (at most ClientCertificatesMax), or a nil
// client when it may not, for whatever reason (unknown client, method not
// accepted, disabled, no active client certificate).
func (s *Store) ClientForAssertion(ctx context.Context, hrid, clientID string) (*AuthenticatedClient, []ClientKeyRow, error) {
	if !storableText(hrid) || !storableText(clientID) || len(clientID) > 256 {
		return nil, nil, nil
	}
	if s.dialect == migrations.Postgres {
		// Lookups that arrive while others are in flight share one round
		// trip (batcher.go).
		return s.clientForAssertionBatched(ctx, hrid, clientID)
	}
	return s.clientForAssertionOne(ctx, hrid, clientID)
}

// assertionLimit is the most client certificates an assertion's lookup
// reads: the Store's fixed limit, written into the statements (bound as a
// parameter it cost 45 more allocations a request,
// BenchmarkTokenPrivateKeyJWT: 268 against 223).
func (s *Store) assertionLimit() string { return strconv.Itoa(max(s.ClientCertificatesMax, 1)) }

// clientForAssertionOne runs clientByAssertionSQL for one client.
func (s *Store) clientForAssertionOne(ctx context.Context, hrid, clientID string) (*AuthenticatedClient, []ClientKeyRow, error) {
	now := s.now()
	// Prepared once per Store, as the secrets' lookup is (authStatement):
	// preparing it anew cost more than running it.
	stmt, err := s.prepared(&s.assertion, func() string { return clientByAssertionSQL + s.assertionLimit() })
	if err != nil {
		return nil, nil, err
	}
	rows, err := stmt.QueryContext(s.lookupContext(ctx), now, clientID, hrid)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var c *AuthenticatedClient
	var keys []ClientKeyRow
	for rows.Next() {
		var k ClientKeyRow
		var cl AuthenticatedClient
		var kid sql.NullString
		if err := rows.Scan(cl.scanTargets(&kid, &k.ID, &k.KeyID, &k.Thumbprint, &k.Algorithm, &k.Format, &k.PublicKey)...); err != nil {
			return nil, nil, err
		}
		if c == nil {
			cl.ClientID, cl.SigningKeyID = clientID, kid.String
			c = &cl
		}
		keys = append(keys, k)
	}
	return c, keys, rows.Err()
}

// MaxAssertionJTI bounds a client assertion's jti: longer ones are
// refused rather than stored.
const MaxAssertionJTI = 256

// ClientAssertionJTI is one jti of a client assertion that was accepted:
// the replay store, shared by every node through the database. A row is
// kept until its assertion can no longer be accepted (ExpiresAt).
type ClientAssertionJTI struct {
	ClientID  string `gorm:"primaryKey"`
	JTI       string `gorm:"column:jti;primaryKey"`
	ExpiresAt time.Time
}

// UseAssertionJTI records that the client's assertion with this jti, which
// can be accepted until expiresAt, is being used, and reports whether it
// is the first use: false when the jti was seen before and its row has not
// expired. One statement, insert or take over an expired row, so that of
// two nodes presented the same assertion at once only one succeeds.
func (s *Store) UseAssertionJTI(ctx context.Context, clientID, jti string, expiresAt time.Time) (bool, error) {
	if jti == "" || len(jti) > MaxAssertionJTI || !storableText(jti) || !storableText(clientID) {
		return false, nil
	}
	if s.dialect == migrations.Postgres {
		// Inserts that arrive while others are in flight share one round
		// trip (batcher.go).
		return s.useJTIBatched(ctx, clientID, jti, expiresAt)
	}
	return s.useJTIOne(ctx, clientID, jti, expiresAt)
}

// useJTIOne runs useJTISQL for one jti.
func (s *Store) useJTIOne(ctx context.Context, clientID, jti string, expiresAt time.Time) (bool, error) {
	// One statement, so no transaction around it: the insert is atomic by
	// itself, and BEGIN/COMMIT would only add round trips to every token
	// request. Detached from the request like every write (see write).
	// Prepared once per Store like the lookup: compiling the upsert on
	// every request cost as much as running it.
	stmt, err := s.prepared(&s.jti, func() string { return useJTISQL })
	if err != nil {
		return false, err
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	if s.dialect == migrations.SQLite {
		// SQLite has one writer at a time, and a writer that finds the
		// lock taken sleeps in the busy handler for milliseconds: queue
		// this process's inserts here instead, which costs microseconds.
		s.jtiMu.Lock()
		defer s.jtiMu.Unlock()
	}
	res, err := stmt.ExecContext(wctx, clientID, jti, expiresAt.UTC(), s.now())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// useJTISQL inserts a jti or takes over its expired row, in one statement.
const useJTISQL = `INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES (?, ?, ?)
ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at
WHERE client_assertion_jtis.expires_at <= ?`

// assertionPurgeBatch bounds how many expired jtis one purge deletes.
const assertionPurgeBatch = 1000

// PurgeAssertionJTIs deletes a batch of jtis whose assertions have expired
// and returns how many went; the gateway's background work calls it until
// it returns less than a batch.
func (s *Store) PurgeAssertionJTIs(ctx context.Context) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Where("(client_id, jti) IN (?)", tx.Model(&ClientAssertionJTI{}).Select("client_id, jti").
			Where("expires_at <= ?", s.now()).Limit(assertionPurgeBatch)).Delete(&ClientAssertionJTI{})
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}

// TableName is the replay store's table.
func (ClientAssertionJTI) TableName() string { return "client_assertion_jtis" }
