package handlers

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

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

// Add counts one failure (throttled: refused by the rate limit).
func (f *FailureSummary) Add(hrid, clientID, addr string, throttled bool) {
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
		if err := f.store.Record(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

func addrList(m map[string]bool) string {
	out := make([]string, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
