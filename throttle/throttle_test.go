package throttle

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newTestLimiter(max int) (*Limiter, *time.Time) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	l := New(max, 15*time.Minute)
	l.now = func() time.Time { return now }
	return l, &now
}

func TestLimiterPairAndAddress(t *testing.T) {
	l, now := newTestLimiter(3)
	for i := 0; i < 2; i++ {
		if d := l.Attempt("account:a", "1"); !d.Allowed {
			t.Fatalf("attempt %d refused before the limit", i)
		}
	}
	*now = now.Add(time.Minute)
	if d := l.Attempt("account:a", "1"); !d.Allowed {
		t.Fatal("third attempt refused")
	}
	d := l.Attempt("account:a", "1")
	if d.Allowed || d.RetryAfter != 14*time.Minute {
		t.Fatalf("fourth attempt = %+v; want refused, retry in 14m (counted from the first failure)", d)
	}
	// The address is spent for every account...
	if d := l.Attempt("account:b", "1"); d.Allowed {
		t.Fatal("the address is not limited across accounts")
	}
	// ...but the account is not blocked from another address, only slowed.
	d = l.Attempt("account:a", "2")
	if !d.Allowed || d.Delay != DefaultBaseDelay {
		t.Fatalf("attempt from another address = %+v; want allowed after %v", d, DefaultBaseDelay)
	}
	l.Succeeded("account:a", "2")
	if d := l.Attempt("account:c", "2"); !d.Allowed || d.Delay != 0 {
		t.Fatalf("an unrelated account from an unrelated address = %+v", d)
	}

	// The window ends 15 minutes after the first failure.
	*now = now.Add(14*time.Minute - time.Nanosecond)
	if d := l.Attempt("account:b", "1"); d.Allowed {
		t.Fatal("allowed before the window ended")
	}
	*now = now.Add(time.Nanosecond)
	if d := l.Attempt("account:b", "1"); !d.Allowed {
		t.Fatal("still refused after the window")
	}
}

func TestLimiterSuccessForgetsThePairOnly(t *testing.T) {
	l, _ := newTestLimiter(3)
	l.Attempt("account:x", "1")
	l.Attempt("account:a", "1")
	l.Attempt("account:a", "1") // pair a/1: 2, address 1: 3 reserved
	l.Succeeded("account:a", "1")
	// The success took back its own attempt: the address has 2 failures.
	if d := l.Attempt("account:y", "1"); !d.Allowed {
		t.Fatal("a success did not take back its own attempt")
	}
	// The address's other failures still count.
	if d := l.Attempt("account:a", "1"); d.Allowed {
		t.Fatal("a success wiped out the address's failures at other accounts")
	}
}

func TestLimiterCancel(t *testing.T) {
	l, _ := newTestLimiter(1)
	if d := l.Attempt("account:a", "1"); !d.Allowed {
		t.Fatal("refused")
	}
	if d := l.Attempt("account:a", "1"); d.Allowed {
		t.Fatal("an attempt in flight does not count")
	}
	l.Cancel("account:a", "1")
	if d := l.Attempt("account:a", "1"); !d.Allowed {
		t.Fatal("a cancelled attempt still counts")
	}
}

func TestLimiterProgressiveDelay(t *testing.T) {
	l, _ := newTestLimiter(2)
	l.SetDelay(time.Second, 5*time.Second)
	want := []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for i, w := range want {
		// Each failure from its own address: only the account's count grows.
		d := l.Attempt("account:a", string(rune('a'+i)))
		if !d.Allowed || d.Delay != w {
			t.Fatalf("attempt %d = %+v, want allowed after %v", i, d, w)
		}
	}
	l.SetDelay(0, 0)
	if d := l.Attempt("account:a", "z"); d.Delay != 0 {
		t.Fatalf("delay %v with delays off", d.Delay)
	}
}

// Parallel attempts are reserved atomically: exactly max get through,
// however many race.
func TestLimiterParallelAttempts(t *testing.T) {
	l, _ := newTestLimiter(5)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 300; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if l.Attempt("account:a", "1").Allowed {
				allowed.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := allowed.Load(); n != 5 {
		t.Fatalf("%d of 300 parallel attempts allowed, want 5", n)
	}
}

func TestLimiterEmptySubjectCountsAddressOnly(t *testing.T) {
	l, _ := newTestLimiter(2)
	l.Attempt("", "1")
	l.Attempt("", "1")
	if d := l.Attempt("account:a", "1"); d.Allowed {
		t.Fatal("address-only failures did not count")
	}
	if d := l.Attempt("account:a", "2"); !d.Allowed || d.Delay != 0 {
		t.Fatalf("address-only failures counted against an account: %+v", d)
	}
}

// Successful attempts leave no keys behind, so legitimate traffic does not
// grow the limiter.
func TestLimiterSuccessLeavesNothing(t *testing.T) {
	l, _ := newTestLimiter(3)
	for i := 0; i < 100; i++ {
		addr := string(rune('a' + i%26))
		if !l.Attempt("client:x", addr).Allowed {
			t.Fatal("refused")
		}
		l.Succeeded("client:x", addr)
	}
	if n := len(l.entries); n != 0 {
		t.Fatalf("%d keys left after successes only", n)
	}
}

// Parallel requests of one client that all succeed queue behind the
// budget instead of being refused: each waits for one being checked to
// succeed, and all get through.
func TestAttemptWaitingQueuesBehindAttemptsBeingChecked(t *testing.T) {
	l, _ := newTestLimiter(3)
	var allowed, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 100 {
		wg.Go(func() {
			<-start
			if d := l.AttemptWaiting(context.Background(), "client:a", "1", time.Minute); !d.Allowed {
				refused.Add(1)
				return
			}
			allowed.Add(1)
			l.Succeeded("client:a", "1")
		})
	}
	close(start)
	wg.Wait()
	if allowed.Load() != 100 || refused.Load() != 0 {
		t.Fatalf("%d allowed, %d refused; want all 100 allowed", allowed.Load(), refused.Load())
	}
	if len(l.entries) != 0 {
		t.Fatalf("successes left %v behind", l.entries)
	}
}

// Parallel guesses that fail still stop at max: the waiting ones are not
// woken by failures, and are refused once their patience is over; a
// cancelled context ends the wait at once.
func TestAttemptWaitingRefusesOnceMaxFailed(t *testing.T) {
	l, _ := newTestLimiter(3)
	var allowed, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Go(func() {
			<-start
			// A failure takes nothing back: the attempt stays counted.
			if l.AttemptWaiting(context.Background(), "client:a", "1", 20*time.Millisecond).Allowed {
				allowed.Add(1)
			} else {
				refused.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if allowed.Load() != 3 || refused.Load() != 47 {
		t.Fatalf("%d allowed, %d refused; want 3 and 47", allowed.Load(), refused.Load())
	}
	if d := l.AttemptWaiting(context.Background(), "client:a", "1", 20*time.Millisecond); d.Allowed || d.RetryAfter <= 0 {
		t.Fatalf("after max failures: %+v", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if d := l.AttemptWaiting(ctx, "client:a", "1", time.Hour); d.Allowed {
		t.Fatalf("a cancelled wait was allowed: %+v", d)
	}
}

// A waiting attempt goes ahead when one being checked is cancelled (the
// database could not answer it) as well as when one succeeds.
func TestAttemptWaitingWokenByCancel(t *testing.T) {
	l, _ := newTestLimiter(1)
	if !l.Attempt("client:a", "1").Allowed {
		t.Fatal("first attempt refused")
	}
	done := make(chan Decision)
	go func() { done <- l.AttemptWaiting(context.Background(), "client:a", "1", time.Minute) }()
	// Wait until the second attempt waits.
	for {
		l.mu.Lock()
		waiting := len(l.waiting) > 0
		l.mu.Unlock()
		if waiting {
			break
		}
		time.Sleep(time.Millisecond)
	}
	l.Cancel("client:a", "1")
	if d := <-done; !d.Allowed {
		t.Fatalf("after the cancel: %+v", d)
	}
}
