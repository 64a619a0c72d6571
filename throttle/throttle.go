// Package throttle limits guessing at a credential (an account's password,
// a client's secret). The console's login, the Management API's token
// exchange and the gateway's client authentication all use it. It imports
// only the standard library.
//
// Attempts are counted when they start, before the credential is checked,
// under one lock: parallel requests cannot all pass a check made before any
// of them has failed. Failures are counted per (subject, address) and per
// address, and those are the counts that refuse attempts; failures of a
// subject from every address only slow its attempts down (Delay), so that
// anyone who knows an account's e-mail or a client's id (which is public)
// cannot lock its owner out from elsewhere.
//
// It imports no other Latchkey package.
package throttle

import (
	"context"
	"sync"
	"time"
)

// Limiter throttles attempts at credentials. It lives in memory: each node
// throttles on its own, which bounds guessing per node without a database
// write per attempt.
type Limiter struct {
	max    int
	window time.Duration
	now    func() time.Time
	// baseDelay and maxDelay shape the progressive delay of a subject with
	// max or more failures from any address: baseDelay, doubling with each
	// further failure, never more than maxDelay.
	baseDelay, maxDelay time.Duration

	mu      sync.Mutex
	entries map[key]counter
	// waiting are the attempts waiting for a count to go down
	// (AttemptWaiting), first come first, by the count that refused them.
	waiting map[key][]*waiter
	// nextPrune spaces the scans for expired keys out: under attack from
	// many addresses they would otherwise run on every attempt.
	nextPrune time.Time
}

// counter is the attempts of one key within its window: failures plus the
// attempts still being checked.
type counter struct {
	count int
	first time.Time
}

// Default progressive delay of a subject under attack: half a second after
// max failures, doubling per failure, at most eight seconds.
const (
	DefaultBaseDelay = 500 * time.Millisecond
	DefaultMaxDelay  = 8 * time.Second
)

// pruneAbove is the number of keys above which expired ones are dropped.
const pruneAbove = 10000

// New returns a Limiter that refuses attempts by a subject from an address
// once max of them failed within window, and attempts from an address once
// max attempts of any subject from there failed within window (counted
// from the first failure).
func New(max int, window time.Duration) *Limiter {
	return &Limiter{max: max, window: window, now: time.Now,
		baseDelay: DefaultBaseDelay, maxDelay: DefaultMaxDelay, entries: map[key]counter{}}
}

// SetDelay changes the progressive delay (see Decision.Delay); zero
// base turns it off.
func (l *Limiter) SetDelay(base, max time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.baseDelay, l.maxDelay = base, max
}

// Decision is the answer to an attempt.
type Decision struct {
	// Allowed is true when the attempt may go ahead: it is then counted as
	// a failure until Succeeded or Cancel says otherwise.
	Allowed bool
	// RetryAfter is how long until a refused attempt may be made again.
	RetryAfter time.Duration
	// Delay is how long an allowed attempt should wait before its
	// credential is checked: the subject failed max times or more from
	// all addresses together.
	Delay time.Duration
}

// key is one count's key: a structure rather than a joined string, so
// that looking a count up or adding one costs no allocation (the token
// endpoint makes an attempt on every request).
type key struct {
	kind          keyKind
	subject, addr string
}

type keyKind uint8

const (
	addrCount keyKind = iota
	pairCount
	subjectCount
)

func pairKey(subject, addr string) key { return key{pairCount, subject, addr} }
func addrKey(addr string) key          { return key{kind: addrCount, addr: addr} }
func subjectKey(subject string) key    { return key{kind: subjectCount, subject: subject} }

// keysOf are the counts an attempt by subject from addr touches: the
// address's, and given a subject the pair's and (last) the subject's.
func keysOf(subject, addr string) ([3]key, int) {
	if subject == "" {
		return [3]key{addrKey(addr)}, 1
	}
	return [3]key{addrKey(addr), pairKey(subject, addr), subjectKey(subject)}, 3
}

// Attempt reserves one attempt by subject (an account, a client) from
// addr. It is refused, and nothing is counted, when the pair or the
// address already has max attempts in its window; otherwise the attempt
// counts as a failure of the pair, the address and the subject at once.
// An empty subject counts against the address alone.
func (l *Limiter) Attempt(subject, addr string) Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, _ := l.attempt(subject, addr)
	return d
}

// AttemptWaiting is Attempt for a caller that can wait: an attempt it
// would refuse waits, up to patience or until ctx is done, for an attempt
// of the same counts to be taken back (one that succeeded or was
// cancelled), and is tried again. Attempts are counted when they start,
// so a client that sends more requests at once than max, from one
// address, would otherwise see the ones beyond max refused though none
// failed; this way they queue behind the ones being checked. Parallel
// guesses still cannot pass a check made before any failed: failures are
// never taken back, so once max have failed nothing wakes the waiting
// ones, and after patience they are refused as Attempt refuses.
func (l *Limiter) AttemptWaiting(ctx context.Context, subject, addr string, patience time.Duration) Decision {
	var timeout *time.Timer
	defer func() {
		if timeout != nil {
			timeout.Stop()
		}
	}()
	for {
		l.mu.Lock()
		d, refusedBy := l.attempt(subject, addr)
		if d.Allowed {
			l.mu.Unlock()
			return d
		}
		// Woken, one at a time, when that count goes down: a burst of a
		// thousand costs one wake-up per attempt taken back, not a
		// thousand.
		w := &waiter{woken: make(chan struct{})}
		if l.waiting == nil {
			l.waiting = map[key][]*waiter{}
		}
		l.waiting[refusedBy] = append(l.waiting[refusedBy], w)
		l.mu.Unlock()
		if timeout == nil {
			timeout = time.NewTimer(patience)
		}
		select {
		case <-w.woken:
			continue
		case <-ctx.Done():
			l.leave(refusedBy, w)
			return d
		case <-timeout.C:
		}
		l.leave(refusedBy, w)
		// Once more: a window may have closed meanwhile, which wakes no
		// one.
		return l.Attempt(subject, addr)
	}
}

// waiter is an attempt waiting in AttemptWaiting.
type waiter struct{ woken chan struct{} }

// wake wakes the first attempt waiting on k, l.mu held.
func (l *Limiter) wake(k key) {
	q := l.waiting[k]
	if len(q) == 0 {
		return
	}
	close(q[0].woken)
	q[0] = nil
	if q = q[1:]; len(q) == 0 {
		delete(l.waiting, k)
	} else {
		l.waiting[k] = q
	}
}

// leave takes a waiter that gave up off k's queue; one that was woken as
// it gave up passes the wake-up on, so that no attempt waits for a count
// that went down already.
func (l *Limiter) leave(k key, w *waiter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.waiting[k]
	for i, o := range q {
		if o == w {
			q = append(q[:i], q[i+1:]...)
			if len(q) == 0 {
				delete(l.waiting, k)
			} else {
				l.waiting[k] = q
			}
			return
		}
	}
	l.wake(k)
}

// attempt is Attempt, l.mu held; a refused one also says which count
// refused it.
func (l *Limiter) attempt(subject, addr string) (Decision, key) {
	now := l.now()
	if len(l.entries) > pruneAbove && !now.Before(l.nextPrune) {
		l.prune(now)
		l.nextPrune = now.Add(time.Second)
	}
	all, n := keysOf(subject, addr)
	// The subject's own count only delays; the others refuse.
	refusing := all[:min(n, 2)]
	var wait time.Duration
	var refusedBy key
	for _, k := range refusing {
		if c, ok := l.live(k, now); ok && c.count >= l.max {
			if w := c.first.Add(l.window).Sub(now); w > wait {
				wait, refusedBy = w, k
			}
		}
	}
	if wait > 0 {
		return Decision{RetryAfter: wait}, refusedBy
	}
	var d Decision
	d.Allowed = true
	if subject != "" {
		if c, ok := l.live(subjectKey(subject), now); ok && c.count >= l.max && l.baseDelay > 0 {
			d.Delay = l.baseDelay
			for i := l.max; i < c.count && d.Delay < l.maxDelay; i++ {
				d.Delay *= 2
			}
			d.Delay = min(d.Delay, l.maxDelay)
		}
	}
	for _, k := range all[:n] {
		c, ok := l.live(k, now)
		if !ok {
			c = counter{first: now}
		}
		c.count++
		l.entries[k] = c
	}
	return d, key{}
}

// Succeeded records that an allowed attempt's credential was right: the
// pair's failures are forgotten, and the attempt no longer counts against
// the address or the subject (their other failures still do, so one known
// account cannot wipe out an address's guesses at others).
func (l *Limiter) Succeeded(subject, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.uncount(subject, addr)
	delete(l.entries, pairKey(subject, addr))
}

// Cancel takes back an allowed attempt that was never decided (the check
// could not run: too busy, or the database failed).
func (l *Limiter) Cancel(subject, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.uncount(subject, addr)
}

func (l *Limiter) uncount(subject, addr string) {
	now := l.now()
	all, n := keysOf(subject, addr)
	for _, k := range all[:n] {
		if c, ok := l.live(k, now); ok && c.count > 0 {
			l.wake(k)
			// A key back at zero is forgotten: successful attempts leave
			// nothing behind.
			if c.count--; c.count == 0 {
				delete(l.entries, k)
			} else {
				l.entries[k] = c
			}
		}
	}
}

// live returns the key's counter when its window is still open.
func (l *Limiter) live(k key, now time.Time) (counter, bool) {
	c, ok := l.entries[k]
	if !ok || now.Sub(c.first) >= l.window {
		return counter{}, false
	}
	return c, true
}

func (l *Limiter) prune(now time.Time) {
	for k, c := range l.entries {
		if now.Sub(c.first) >= l.window {
			delete(l.entries, k)
		}
	}
}
