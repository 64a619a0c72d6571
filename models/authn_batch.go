package models

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"sync"
)

// On PostgreSQL every secret lookup is a round trip to another process,
// whose fixed cost (the protocol, the executor's start, two context
// switches) is most of the lookup's: a token endpoint under load spent
// more CPU in the server's round trips than in the rest of its work. So
// lookups that arrive while earlier ones are in flight wait for a free
// slot and then go together, in one query (clientBatchSQL). Nothing is
// cached or reused: every lookup is answered by a query that started after
// it arrived, so a deleted, expired or renewed secret fails on the next
// request as before. An idle endpoint's lookup goes alone, at once, by
// the one-row statement; the batching costs no waiting and no timer.

// maxAuthBatch bounds the lookups one query answers.
const maxAuthBatch = 64

// clientBatchSQL is clientBySecretSQL for many lookups at once: ?2, ?3 and
// ?4 are arrays of digests, client ids and hrids, one lookup per index,
// and each row says by q.n (from 1) which lookup it answers.
const clientBatchSQL = `SELECT q.n, s.id, ` + clientColumnsSQL + `
FROM unnest(CAST(?2 AS text[]), CAST(?3 AS text[]), CAST(?4 AS text[])) WITH ORDINALITY AS q(digest, client_id, hrid, n)
JOIN client_secrets s ON s.digest = q.digest
JOIN applications a ON a.id = s.application_id
JOIN domains d ON d.id = a.domain_id
WHERE a.client_id = q.client_id AND d.hrid = q.hrid
  AND d.enabled = TRUE AND a.disabled = FALSE AND a.client_secret_auth_disabled = FALSE
  AND (s.expires_at IS NULL OR s.expires_at > ?1)`

// secretLookup is one lookup, waiting or running, and its answer.
type secretLookup struct {
	digest, clientID, hrid string
	client                 *AuthenticatedClient
	err                    error
	// done receives once, when the lookup waited: nil when its answer is
	// ready, or the batch it is to run (itself first).
	done chan []*secretLookup
	// self is the batch of a lookup that runs alone.
	self [1]*secretLookup
}

var lookupPool = sync.Pool{New: func() any { return &secretLookup{done: make(chan []*secretLookup, 1)} }}

// authBatcher gathers a Store's waiting secret lookups. At most slots
// queries run at once; a lookup that finds them all taken waits, and the
// lookup that frees a slot hands it, with every waiting lookup (up to
// maxAuthBatch) as one batch, to the first of them.
type authBatcher struct {
	mu       sync.Mutex
	waiting  []*secretLookup
	inFlight int
	// slots is the most queries in flight (0: one per CPU, at least 2).
	slots int
	// run answers a batch: it sets each lookup's client and err.
	run func(ctx context.Context, batch []*secretLookup)
}

// lookup answers one lookup through b, whose run is s's batch query unless
// a test set another.
func (b *authBatcher) lookup(ctx context.Context, s *Store, digest, clientID, hrid string) (*AuthenticatedClient, error) {
	l := lookupPool.Get().(*secretLookup)
	l.digest, l.clientID, l.hrid = digest, clientID, hrid
	b.mu.Lock()
	if b.run == nil {
		b.run = s.answerLookups
	}
	if b.slots == 0 {
		b.slots = max(runtime.GOMAXPROCS(0), 2)
	}
	if b.inFlight < b.slots {
		b.inFlight++
		b.mu.Unlock()
		l.self[0] = l
		b.lead(ctx, l.self[:])
	} else {
		b.waiting = append(b.waiting, l)
		b.mu.Unlock()
		if batch := <-l.done; batch != nil {
			// Its own request's context: a batch's other lookups are not
			// cancelled with it (answerLookups detaches them).
			b.lead(ctx, batch)
		}
	}
	client, err := l.client, l.err
	*l = secretLookup{done: l.done}
	lookupPool.Put(l)
	return client, err
}

// lead runs batch (whose first lookup is the caller's), then passes the
// slot on to the waiting lookups or frees it, and wakes the batch's others.
func (b *authBatcher) lead(ctx context.Context, batch []*secretLookup) {
	for _, l := range batch {
		l.err = errLookupAborted
	}
	// Deferred, so that a panic in run cannot leave the slot taken and the
	// batch's others waiting for ever.
	defer b.handOff(batch)
	b.run(ctx, batch)
}

// errLookupAborted is the answer of a lookup whose batch's run did not
// finish (it panicked).
var errLookupAborted = errors.New("models: the secret lookup's batch was aborted")

// handOff passes the slot of the finished batch on, or frees it, and wakes
// the batch's others.
func (b *authBatcher) handOff(batch []*secretLookup) {
	b.mu.Lock()
	var next []*secretLookup
	if n := min(len(b.waiting), maxAuthBatch); n > 0 {
		next = make([]*secretLookup, n)
		copy(next, b.waiting)
		rest := copy(b.waiting, b.waiting[n:])
		clear(b.waiting[rest:])
		b.waiting = b.waiting[:rest]
	} else {
		b.inFlight--
	}
	b.mu.Unlock()
	if next != nil {
		next[0].done <- next
	}
	for _, l := range batch[1:] {
		l.done <- nil
	}
}

// answerLookups answers a batch: one lookup by clientBySecretSQL, with its
// own request's context; several by clientBatchSQL, detached from the
// leading request's cancellation (the others' requests are not its).
func (s *Store) answerLookups(ctx context.Context, batch []*secretLookup) {
	if len(batch) == 1 {
		l := batch[0]
		l.client, l.err = s.authenticateOne(ctx, l.digest, l.clientID, l.hrid)
		return
	}
	ctx = context.WithoutCancel(ctx)
	err := s.queryBatch(ctx, batch)
	for attempt := 1; attempt < 3 && err != nil; attempt++ {
		// Read-only, so safe to repeat, as authenticateOne does.
		err = s.queryBatch(ctx, batch)
	}
	if err != nil {
		for _, l := range batch {
			l.client, l.err = nil, err
		}
	}
}

// queryBatch runs clientBatchSQL for batch, setting each lookup's client
// (nil when nothing matched).
func (s *Store) queryBatch(ctx context.Context, batch []*secretLookup) error {
	stmt, err := s.prepared(&s.authBatchStmt, clientBatchSQL)
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
