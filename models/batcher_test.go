package models

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

// gatedRun is an authBatcher's run that answers each lookup with a client
// whose SecretID is its digest, records the batches' sizes, and holds
// every batch until release is closed.
type gatedRun struct {
	mu      sync.Mutex
	sizes   []int
	release chan struct{}
	fail    error
}

func (g *gatedRun) run(_ context.Context, batch []*secretLookup) {
	g.mu.Lock()
	g.sizes = append(g.sizes, len(batch))
	g.mu.Unlock()
	<-g.release
	for _, l := range batch {
		if g.fail != nil {
			l.client, l.err = nil, g.fail
			continue
		}
		l.client, l.err = &AuthenticatedClient{SecretID: l.digest, ClientID: l.clientID}, nil
	}
}

// waitFor waits until b holds n waiting lookups and every slot is taken.
func waitFor(t *testing.T, b *authBatcher, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		w, f := len(b.waiting), b.inFlight
		b.mu.Unlock()
		if w == n && f == b.slots {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting %d with %d in flight, want %d with %d", w, f, n, b.slots)
		}
		time.Sleep(time.Millisecond)
	}
}

// lookupThrough answers one lookup through b (whose run the test set).
func lookupThrough(b *authBatcher, digest, clientID string) (*AuthenticatedClient, error) {
	l := b.get()
	l.digest, l.clientID, l.hrid = digest, clientID, "h"
	b.do(context.Background(), l, nil)
	client, err := l.client, l.err
	b.put(l)
	return client, err
}

// lookups starts n lookups through b, the i-th of digest "d<first+i>",
// and returns a function that waits for them and reports their answers.
func lookups(b *authBatcher, first, n int) func() ([]*AuthenticatedClient, []error) {
	clients, errs := make([]*AuthenticatedClient, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			clients[i], errs[i] = lookupThrough(b, fmt.Sprint("d", first+i), fmt.Sprint("c", first+i))
		})
	}
	return func() ([]*AuthenticatedClient, []error) { wg.Wait(); return clients, errs }
}

// While every slot is taken, arriving lookups wait; the slot freed first
// takes them all as one batch, each gets its own answer, and the slots are
// free afterwards.
func TestAuthBatcherGathersWaitingLookups(t *testing.T) {
	g := &gatedRun{release: make(chan struct{})}
	b := &authBatcher{slots: 2, run: g.run}
	running := lookups(b, 0, 2)
	waitFor(t, b, 0)
	waiting := lookups(b, 2, 10)
	waitFor(t, b, 10)
	close(g.release)
	c1, e1 := running()
	c2, e2 := waiting()
	for i, c := range append(c1, c2...) {
		if err := append(e1, e2...)[i]; err != nil || c == nil || c.SecretID != fmt.Sprint("d", i) || c.ClientID != fmt.Sprint("c", i) {
			t.Errorf("lookup %d: %+v, %v", i, c, err)
		}
	}
	if want := []int{1, 1, 10}; !reflect.DeepEqual(g.sizes, want) {
		t.Errorf("batch sizes %v, want %v", g.sizes, want)
	}
	if b.inFlight != 0 || len(b.waiting) != 0 {
		t.Errorf("after: %d in flight, %d waiting", b.inFlight, len(b.waiting))
	}
}

// No batch holds more than maxBatch lookups: the rest wait for the
// next free slot.
func TestAuthBatcherBoundsBatches(t *testing.T) {
	g := &gatedRun{release: make(chan struct{})}
	b := &authBatcher{slots: 1, run: g.run}
	running := lookups(b, 0, 1)
	waitFor(t, b, 0)
	n := maxBatch + 5
	waiting := lookups(b, 1, n)
	waitFor(t, b, n)
	close(g.release)
	running()
	clients, errs := waiting()
	for i, c := range clients {
		if errs[i] != nil || c == nil || c.SecretID != fmt.Sprint("d", i+1) {
			t.Errorf("lookup %d: %+v, %v", i+1, c, errs[i])
		}
	}
	if want := []int{1, maxBatch, 5}; !reflect.DeepEqual(g.sizes, want) {
		t.Errorf("batch sizes %v, want %v", g.sizes, want)
	}
}

// A failed batch fails each of its lookups with the error.
func TestAuthBatcherFailsEveryLookupOfAFailedBatch(t *testing.T) {
	boom := errors.New("connection lost")
	g := &gatedRun{release: make(chan struct{}), fail: boom}
	b := &authBatcher{slots: 1, run: g.run}
	running := lookups(b, 0, 1)
	waitFor(t, b, 0)
	waiting := lookups(b, 1, 3)
	waitFor(t, b, 3)
	close(g.release)
	running()
	clients, errs := waiting()
	for i := range clients {
		if clients[i] != nil || !errors.Is(errs[i], boom) {
			t.Errorf("lookup %d: %+v, %v; want the batch's error", i, clients[i], errs[i])
		}
	}
}

// A run that panics still frees its slot and answers its batch's others
// with an error, so no lookup waits for ever; the panic reaches the
// leading lookup's caller.
func TestAuthBatcherSurvivesAPanickingRun(t *testing.T) {
	release := make(chan struct{})
	var calls sync.Mutex
	n := 0
	b := &authBatcher{slots: 1}
	b.run = func(ctx context.Context, batch []*secretLookup) {
		calls.Lock()
		n++
		first := n == 2
		calls.Unlock()
		<-release
		if first {
			panic("boom")
		}
		for _, l := range batch {
			l.client, l.err = &AuthenticatedClient{SecretID: l.digest}, nil
		}
	}
	running := lookups(b, 0, 1)
	waitFor(t, b, 0)
	// The waiting batch's leader panics when its batch runs.
	var panicked any
	var errs [3]error
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					panicked = r
				}
			}()
			_, errs[i] = lookupThrough(b, fmt.Sprint("w", i), "c")
		})
	}
	waitFor(t, b, 3)
	close(release)
	running()
	wg.Wait()
	if panicked != "boom" {
		t.Fatalf("the leader's panic: %v", panicked)
	}
	aborted := 0
	for _, err := range errs {
		if errors.Is(err, errBatchAborted) {
			aborted++
		}
	}
	if aborted != 2 {
		t.Errorf("errors %v: want the two others aborted", errs)
	}
	if b.inFlight != 0 || len(b.waiting) != 0 {
		t.Fatalf("after the panic: %d in flight, %d waiting", b.inFlight, len(b.waiting))
	}
	if c, err := lookupThrough(b, "after", "c"); err != nil || c == nil || c.SecretID != "after" {
		t.Errorf("the next lookup: %+v, %v", c, err)
	}
}
