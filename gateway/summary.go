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
// the audit log as a bounded number of summary events per period (one per
// flush): one per client for the clients with the most failures, and one
// for all the others. A brute-force attempt, even with random client ids,
// must not be able to flood the database.
type FailureSummary struct {
	store *models.Store

	mu      sync.Mutex
	entries map[failureKey]*failureEntry
	// overflow counts the failures of clients beyond maxSummaryKeys,
	// which are counted but not named.
	overflow int
}

type failureKey struct{ hrid, clientID string }

type failureEntry struct {
	failures, throttled int
	addrs               map[string]bool
	first, last         time.Time
}

// maxSummaryKeys and maxSummaryAddrs bound the summary's memory under
// attack with random client ids and addresses; summaryTop bounds the rows
// one flush writes (summaryTop, plus one for the others).
const (
	maxSummaryKeys  = 10000
	maxSummaryAddrs = 20
	summaryTop      = 10
)

// NewFailureSummary returns an empty summary writing to store.
func NewFailureSummary(store *models.Store) *FailureSummary {
	return &FailureSummary{store: store, entries: map[failureKey]*failureEntry{}}
}

// Add counts one failure (throttled: refused by the rate limit, without
// its secret being checked). The client id is whatever the caller sent, so
// it is made safe to store first. A throttled attempt only adds to the
// count of a client that already failed in this period: it never makes a
// row of its own.
func (f *FailureSummary) Add(hrid, clientID, addr string, throttled bool) {
	hrid, clientID = storable(hrid), summaryClientID(clientID)
	now := f.store.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	k := failureKey{hrid, clientID}
	e := f.entries[k]
	if e == nil {
		if throttled {
			return
		}
		if len(f.entries) >= maxSummaryKeys {
			f.overflow++
			return
		}
		e = &failureEntry{addrs: map[string]bool{}, first: now}
		f.entries[k] = e
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

// Flush writes the failures since the last flush: one audit event for
// each of the summaryTop clients with the most failures, and one event
// "and N others" for the rest.
func (f *FailureSummary) Flush(ctx context.Context) error {
	f.mu.Lock()
	entries, overflow := f.entries, f.overflow
	f.entries, f.overflow = map[failureKey]*failureEntry{}, 0
	f.mu.Unlock()
	keys := make([]failureKey, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := entries[keys[i]], entries[keys[j]]
		if a.failures != b.failures {
			return a.failures > b.failures
		}
		if keys[i].hrid != keys[j].hrid {
			return keys[i].hrid < keys[j].hrid
		}
		return keys[i].clientID < keys[j].clientID
	})
	var errs []error
	record := func(hrid string, ev models.AuditEvent) {
		ev.Type, ev.Outcome = models.EventClientAuthFailed, models.OutcomeFailure
		if hrid != "" {
			if d, err := f.store.DomainByHRID(ctx, hrid); err == nil {
				ev.DomainID = d.ID
			}
		}
		// One summary that cannot be written must not lose the others.
		if err := f.store.Record(ctx, ev); err != nil {
			errs = append(errs, err)
		}
	}
	for _, k := range keys[:min(len(keys), summaryTop)] {
		e := entries[k]
		record(k.hrid, models.AuditEvent{
			ActorEmail: "client " + k.clientID, TargetName: k.clientID,
			Detail: fmt.Sprintf("%d failed client authentications, %d refused by the rate limit, from %s, between %s and %s",
				e.failures, e.throttled, addrList(e.addrs), e.first.UTC().Format(time.RFC3339), e.last.UTC().Format(time.RFC3339)),
		})
	}
	if rest := keys[min(len(keys), summaryTop):]; len(rest) > 0 || overflow > 0 {
		failures, refused, hrid := overflow, 0, ""
		for i, k := range rest {
			failures += entries[k].failures
			refused += entries[k].throttled
			if i == 0 {
				hrid = k.hrid
			} else if k.hrid != hrid {
				hrid = "" // several domains: the event belongs to none
			}
		}
		if overflow > 0 {
			hrid = ""
		}
		detail := fmt.Sprintf("and %d other client ids: %d failed client authentications, %d refused by the rate limit", len(rest), failures, refused)
		if overflow > 0 {
			detail += fmt.Sprintf(" (%d of the failures were for client ids beyond the %d the summary tracks)", overflow, maxSummaryKeys)
		}
		record(hrid, models.AuditEvent{ActorEmail: "other clients", TargetName: "(other clients)", Detail: detail})
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
