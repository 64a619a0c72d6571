package gateway

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"latchkey/models"
)

// FailureSummary counts failed client authentications and writes them to
// the audit log as one summary event per client and period, not one row per
// failure: a brute-force attempt must not be able to flood the database.
type FailureSummary struct {
	store *models.Store

	mu      sync.Mutex
	entries map[failureKey]*failureEntry
}

type failureKey struct{ hrid, clientID string }

type failureEntry struct {
	failures, throttled int
	addrs               map[string]bool
	first, last         time.Time
}

// maxSummaryKeys and maxSummaryAddrs bound the summary's memory under
// attack with random client ids and addresses.
const (
	maxSummaryKeys  = 10000
	maxSummaryAddrs = 20
)

// NewFailureSummary returns an empty summary writing to store.
func NewFailureSummary(store *models.Store) *FailureSummary {
	return &FailureSummary{store: store, entries: map[failureKey]*failureEntry{}}
}

// Add counts one failure (throttled: refused by the rate limit). The
// client id is whatever the caller sent, so it is made safe to store first.
func (f *FailureSummary) Add(hrid, clientID, addr string, throttled bool) {
	hrid, clientID = storable(hrid), summaryClientID(clientID)
	now := f.store.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	k := failureKey{hrid, clientID}
	e := f.entries[k]
	if e == nil {
		if len(f.entries) >= maxSummaryKeys {
			k = failureKey{hrid, "(other clients)"}
			e = f.entries[k]
		}
		if e == nil {
			e = &failureEntry{addrs: map[string]bool{}, first: now}
			f.entries[k] = e
		}
	}
	if throttled {
		e.throttled++
	} else {
		e.failures++
	}
	if len(e.addrs) < maxSummaryAddrs {
		e.addrs[addr] = true
	}
	e.last = now
}

// Flush writes one audit event per client with failures since the last
// flush.
func (f *FailureSummary) Flush(ctx context.Context) error {
	f.mu.Lock()
	entries := f.entries
	f.entries = map[failureKey]*failureEntry{}
	f.mu.Unlock()
	var errs []error
	for k, e := range entries {
		ev := models.AuditEvent{
			Type: models.EventClientAuthFailed, Outcome: models.OutcomeFailure,
			ActorEmail: "client " + k.clientID, TargetName: k.clientID,
			Detail: fmt.Sprintf("%d failed client authentications, %d refused by the rate limit, from %s, between %s and %s",
				e.failures, e.throttled, addrList(e.addrs), e.first.UTC().Format(time.RFC3339), e.last.UTC().Format(time.RFC3339)),
		}
		if d, err := f.store.DomainByHRID(ctx, k.hrid); err == nil {
			ev.DomainID = d.ID
		}
		// One summary that cannot be written must not lose the others.
		if err := f.store.Record(ctx, ev); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// summaryClientID is what the audit log may say about a presented client
// id: never a secret value (clients that swap id and secret send one), and
// only text the database can hold.
func summaryClientID(id string) string {
	if models.LooksLikeSecret(id) || strings.HasPrefix(id, models.SecretPrefix) {
		return "(a client secret sent as client_id)"
	}
	id = storable(id)
	if utf8.RuneCountInString(id) > 64 {
		id = string([]rune(id)[:64]) + "…"
	}
	return id
}

// storable replaces invalid UTF-8 and NUL characters, which PostgreSQL
// refuses.
func storable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func addrList(m map[string]bool) string {
	out := make([]string, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
