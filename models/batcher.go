package models

import (
	"context"
	"errors"
	"runtime"
	"sync"
)

// On PostgreSQL every statement of the token endpoint is a round trip to
// another process, whose fixed cost (the protocol, the executor's start,
// two context switches) is most of the statement's: under load the
// endpoint spent more CPU in the server's round trips than in the rest of
// its work. So its statements (the secret lookup, the client assertion
// lookup, the assertion's jti) go through a batcher: one that arrives
// while earlier ones are in flight waits for a free slot and then goes
// together with the others waiting, as one statement. Nothing is cached
// or reused: every item is answered by a statement that started after it
// arrived, so a deleted, expired or renewed credential fails on the next
// request as before, and a replayed jti is refused. An idle endpoint's
// statement goes alone, at once, as the one-row statement it always was:
// the batching costs no waiting and no timer.

// maxBatch bounds the items one statement answers.
const maxBatch = 64

// batchSlot is what a batcher keeps of each item: embedded in it.
type batchSlot[T any] struct {
	// done receives once, when the item waited: nil when its answer is
	// ready, or the batch it is to run (itself first).
	done chan []*T
	// self is the batch of an item that runs alone.
	self [1]*T
	// err is the item's error, set by the batch's run.
	err error
}

func (s *batchSlot[T]) slot() *batchSlot[T] { return s }

// batchItem is a pointer to an item that embeds its batchSlot.
type batchItem[T any] interface {
	*T
	slot() *batchSlot[T]
}

// batcher gathers a Store's waiting items of one kind. At most slots
// statements run at once; an item that finds them all taken waits, and
// the item whose batch frees a slot hands it, with every waiting item (up
// to maxBatch) as one batch, to the first of them.
type batcher[T any, P batchItem[T]] struct {
	mu       sync.Mutex
	waiting  []*T
	inFlight int
	// slots is the most statements in flight (0: one per CPU, at least 2).
	slots int
	// run answers a batch: it sets each item's answer and err. Tests set
	// it; else do sets it on first use.
	run  func(ctx context.Context, batch []*T)
	pool sync.Pool
}

// get returns an empty item for do; put gives it back once read.
func (b *batcher[T, P]) get() *T {
	if t, ok := b.pool.Get().(*T); ok {
		return t
	}
	t := new(T)
	P(t).slot().done = make(chan []*T, 1)
	return t
}

func (b *batcher[T, P]) put(t *T) {
	done := P(t).slot().done
	var zero T
	*t = zero
	P(t).slot().done = done
	b.pool.Put(t)
}

// do answers item, alone at once when a slot is free, else in a batch
// with the items waiting with it, by b's run (run unless a test set one).
func (b *batcher[T, P]) do(ctx context.Context, item *T, run func(ctx context.Context, batch []*T)) {
	b.mu.Lock()
	if b.run == nil {
		b.run = run
	}
	if b.slots == 0 {
		b.slots = max(runtime.GOMAXPROCS(0), 2)
	}
	if b.inFlight < b.slots {
		b.inFlight++
		b.mu.Unlock()
		s := P(item).slot()
		s.self[0] = item
		b.lead(ctx, s.self[:])
		return
	}
	b.waiting = append(b.waiting, item)
	b.mu.Unlock()
	if batch := <-P(item).slot().done; batch != nil {
		// Its own request's context: the runs detach a batch's statement
		// from it, so the others' are not cancelled with it.
		b.lead(ctx, batch)
	}
}

// errBatchAborted is the answer of an item whose batch's run did not
// finish (it panicked).
var errBatchAborted = errors.New("models: the statement's batch was aborted")

// lead runs batch (whose first item is the caller's), then passes the slot
// on to the waiting items or frees it, and wakes the batch's others.
func (b *batcher[T, P]) lead(ctx context.Context, batch []*T) {
	for _, t := range batch {
		P(t).slot().err = errBatchAborted
	}
	// Deferred, so that a panic in run cannot leave the slot taken and the
	// batch's others waiting for ever.
	defer b.handOff(batch)
	b.run(ctx, batch)
}

// handOff passes the slot of the finished batch on, or frees it, and wakes
// the batch's others.
func (b *batcher[T, P]) handOff(batch []*T) {
	b.mu.Lock()
	var next []*T
	if n := min(len(b.waiting), maxBatch); n > 0 {
		next = make([]*T, n)
		copy(next, b.waiting)
		rest := copy(b.waiting, b.waiting[n:])
		clear(b.waiting[rest:])
		b.waiting = b.waiting[:rest]
	} else {
		b.inFlight--
	}
	b.mu.Unlock()
	if next != nil {
		P(next[0]).slot().done <- next
	}
	for _, t := range batch[1:] {
		P(t).slot().done <- nil
	}
}

// answerReads answers a batch of reads: one alone by one, with its own
// request's context; several by query, detached from the leading
// request's cancellation (the others' requests are not its) and tried up
// to three times, as a read is safe to repeat (retries ride over pooled
// connections that died under us); if it still fails, fail gives each
// item the error.
func answerReads[T any](ctx context.Context, batch []*T, one func(context.Context, *T), query func(context.Context, []*T) error, fail func(*T, error)) {
	if len(batch) == 1 {
		one(ctx, batch[0])
		return
	}
	ctx = context.WithoutCancel(ctx)
	err := query(ctx, batch)
	for attempt := 1; attempt < 3 && err != nil; attempt++ {
		err = query(ctx, batch)
	}
	if err != nil {
		for _, t := range batch {
			fail(t, err)
		}
	}
}
