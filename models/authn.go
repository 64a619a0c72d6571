package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"latchkey/models/migrations"
)

// AuthenticatedClient is what the token endpoint needs to know about a
// client whose secret matched.
type AuthenticatedClient struct {
	SecretID      string
	ApplicationID string
	// GrantTypes are the application's grants, space-separated.
	GrantTypes string
	ClientID   string
	Scopes     string
	// Resources are the RFC 8707 resource indicators the client may name
	// as its tokens' audience, space-separated.
	Resources           string
	AccessTokenLifetime int
	DomainID            string
	// SigningKeyID is the id of the certificate that signs the client's
	// tokens (see Store.SigningCertificate: the chosen one if usable, else
	// the domain's fallback if usable, else the current system one), read
	// by the same query; empty when the domain has no certificate.
	SigningKeyID string
	// DomainDisabled marks a client of a disabled domain, which only
	// ClientOfDisabledDomain returns: it may learn that its tokens are
	// inactive, nothing more.
	DomainDisabled bool
}

// clientBySecretSQL finds the one active secret with this digest, of this
// client, in this enabled domain. The digest column has a unique index, so
// the cost is one index probe whatever the number of secrets; expiry,
// deletion (the row is gone) and renewal (the digest changed) are all
// decided by this same query, with no cache in between.
//
// No column is compared with a bare parameter ("column = ?"): SQLite
// (3.5x) plans such a term by the value bound and marks the statement to
// be prepared again when the parameter is bound anew, and go-sqlite3
// (v1.14.5x) clears the bindings before every execution, so the statement
// would be parsed and planned again on every request. The values are
// compared as CAST(? AS TEXT), which still uses the digest's index, and
// the flags as literals.
//
// The id of the certificate that signs comes with the same row, so the
// token endpoint learns which key signs without a second query, and a
// rotation, a new choice or a deletion made by another node is seen on
// the next request. Its rule is Store.SigningCertificate's.
//
// The parameters are numbered (?1 is the time now, ?2 the digest, ?3 the
// client id, ?4 the hrid; rebind makes them $1..$4 for PostgreSQL), so the
// time is bound once instead of at each of its eight uses: the drivers
// convert every bound value anew on each execution.
//
// It reads only what the caller does not know already (the client id is
// the one it asked for): every column read costs the drivers an allocation
// or two on each request. clientBatchSQL reads the same columns.
const clientBySecretSQL = `SELECT s.id, ` + clientColumnsSQL + `
FROM client_secrets s
JOIN applications a ON a.id = s.application_id
JOIN domains d ON d.id = a.domain_id
WHERE s.digest = CAST(?2 AS TEXT) AND a.client_id = CAST(?3 AS TEXT) AND d.hrid = CAST(?4 AS TEXT)
  AND d.enabled = TRUE AND a.disabled = FALSE AND a.client_secret_auth_disabled = FALSE
  AND (s.expires_at IS NULL OR s.expires_at > ?1)`

// clientColumnsSQL are the client's columns the lookups read, in
// scanTargets' order.
const clientColumnsSQL = `a.id, a.grant_types, a.scopes, a.resources, a.access_token_lifetime, d.id,
  ` + signingCertificateIDSQL

// signingCertificateIDSQL is the id of the certificate that signs for the
// application a of the domain d (Store.SigningCertificate's rule), for the
// queries that authenticate a client; the time now is their parameter ?1.
const signingCertificateIDSQL = `COALESCE(
    (SELECT c.id FROM certificates c WHERE c.id = a.certificate_id AND c.domain_id = d.id
       AND c.expires_at > ?1 AND (c.retired_at IS NULL OR c.retired_at > ?1)),
    (SELECT c.id FROM certificates c WHERE a.certificate_id IS NOT NULL AND c.id = d.fallback_certificate_id AND c.domain_id = d.id
       AND c.expires_at > ?1 AND (c.retired_at IS NULL OR c.retired_at > ?1)),
    (SELECT c.id FROM certificates c WHERE c.domain_id = d.id AND c.type = 'system'
       AND c.signing_from <= ?1 AND (c.retired_at IS NULL OR c.retired_at > ?1)
       ORDER BY c.signing_from DESC, c.id DESC LIMIT 1),
    (SELECT c.id FROM certificates c WHERE c.domain_id = d.id AND c.type = 'system'
       AND (c.retired_at IS NULL OR c.retired_at > ?1)
       ORDER BY c.signing_from, c.id LIMIT 1))`

// authStatement is prepared once per Store: the token endpoint runs it on
// every request.
type authStatement struct {
	once sync.Once
	stmt *sql.Stmt
	err  error
}

// prepared returns st's statement, preparing query's statement (rebound
// for the dialect) on first use: query runs only then, so a statement
// built from the Store's settings is not built again on every request.
func (s *Store) prepared(st *authStatement, query func() string) (*sql.Stmt, error) {
	st.once.Do(func() {
		sqlDB, err := s.db.DB()
		if err != nil {
			st.err = err
			return
		}
		st.stmt, st.err = sqlDB.Prepare(rebind(s.db.Dialector.Name(), query()))
	})
	return st.stmt, st.err
}

// rebind turns ? placeholders into PostgreSQL's $1, $2, ..., and numbered
// ones (?1) into $1.
func rebind(dialect, query string) string {
	if dialect != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for i, r := range query {
		if r == '?' {
			if i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9' {
				b.WriteByte('$')
				continue
			}
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// AuthenticateClient returns the client when secret is an active secret of
// clientID in the domain hrid, or nil when it is not, for whatever reason
// (unknown client or domain, wrong, renewed-away, deleted or expired secret,
// disabled domain or application). The reasons are not told apart, so
// callers cannot leak them.
func (s *Store) AuthenticateClient(ctx context.Context, hrid, clientID, secret string) (*AuthenticatedClient, error) {
	if !plausibleSecret(secret) || !storableText(hrid) || !storableText(clientID) {
		// Neither a Latchkey secret (prefix, length, checksum) nor the shape
		// of an imported one, or ids no row can hold: no database work for
		// noise.
		return nil, nil
	}
	if s.dialect == migrations.Postgres {
		// Lookups that arrive while others are in flight share one round
		// trip (batcher.go).
		return s.authenticateBatched(ctx, SecretDigest(secret), clientID, hrid)
	}
	return s.authenticateOne(ctx, SecretDigest(secret), clientID, hrid)
}

// authenticateOne runs clientBySecretSQL for one digest.
func (s *Store) authenticateOne(ctx context.Context, digest, clientID, hrid string) (*AuthenticatedClient, error) {
	stmt, err := s.prepared(&s.auth, func() string { return clientBySecretSQL })
	if err != nil {
		return nil, err
	}
	// The client and the signing certificate's id in one allocation.
	row := new(struct {
		c   AuthenticatedClient
		kid sql.NullString
	})
	c, kid := &row.c, &row.kid
	now := s.now()
	qctx := s.lookupContext(ctx)
	// A read-only lookup is safe to repeat: retries ride over pooled
	// connections that died under us (a database restart or failover), which
	// the driver reports as an error once before the pool drops it.
	for attempt := 0; attempt < 3; attempt++ {
		err = stmt.QueryRowContext(qctx, now, digest, clientID, hrid).Scan(c.scanTargets(kid, &c.SecretID)...)
		if err == nil || errors.Is(err, sql.ErrNoRows) || ctx.Err() != nil {
			break
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.ClientID, c.SigningKeyID = clientID, kid.String
	return c, nil
}

// lookupContext is the context of the gateway's reads of a client (its
// secret's lookup, and its assertion's with the client's few
// certificates): on SQLite, ctx without its cancellation. Such a read is
// an index probe of a few microseconds, which no cancellation would cut
// short, but a
// context that can be cancelled costs database/sql a goroutine per query
// (Rows.awaitDone) and go-sqlite3 a callback registered and removed around
// every step (context.AfterFunc): measured with wrk on the SQLite token
// endpoint, 0.3 of its 1.2 s of lookups in 5 s (tokenload -cpuprofile), 9
// allocations a request (BenchmarkTokenEndpoint). The caller still sees
// ctx's end after the statement, and a lookup waiting for a pooled
// connection waits for one to come back, as every statement returns its
// connection within the busy timeout. PostgreSQL keeps ctx: a statement
// there crosses a network that can stall, and the client leaving should
// end its wait (a batch of several is detached already, answerReads).
func (s *Store) lookupContext(ctx context.Context) context.Context {
	if s.dialect == migrations.SQLite {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// scanTargets are the destinations of a row's columns: first's, then
// clientColumnsSQL's, the signing certificate's id into kid.
func (c *AuthenticatedClient) scanTargets(kid *sql.NullString, first ...any) []any {
	return append(first, &c.ApplicationID, &c.GrantTypes, &c.Scopes, &c.Resources, &c.AccessTokenLifetime, &c.DomainID, kid)
}

// storableText reports whether s can be a stored value: valid UTF-8 without
// NUL (PostgreSQL refuses both with an error rather than finding nothing).
func storableText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
