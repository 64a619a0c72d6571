// Package throttle counts failures per key (an account, a client, an
// address) and blocks a key after too many within a window. The console's
// login and the gateway's client authentication both use it. It imports
// only the standard library.
package throttle

import (
	"sync"
	"time"
)

// Limiter blocks a key (an account, a client address) after max
// failures within window, counted from the first failure. It lives in memory:
// each node throttles on its own, which bounds guessing per node without a
// database write per failure.
type Limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]*failures
}

type failures struct {
	count int
	first time.Time
}

// New returns a Limiter that blocks a key after max failures within window.
func New(max int, window time.Duration) *Limiter {
	return &Limiter{max: max, window: window, now: time.Now, entries: map[string]*failures{}}
}

// Blocked reports whether any of the keys is blocked, and for how long.
func (l *Limiter) Blocked(keys ...string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		f := l.entries[k]
		if f == nil || now.Sub(f.first) >= l.window {
			continue
		}
		if f.count >= l.max {
			if w := f.first.Add(l.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait > 0, wait
}

// Fail counts one failure for each key.
func (l *Limiter) Fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.entries) > 10000 {
		l.prune(now)
	}
	for _, k := range keys {
		f := l.entries[k]
		if f == nil || now.Sub(f.first) >= l.window {
			f = &failures{first: now}
			l.entries[k] = f
		}
		f.count++
	}
}

// Reset forgets the failures of each key.
func (l *Limiter) Reset(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.entries, k)
	}
}

func (l *Limiter) prune(now time.Time) {
	for k, f := range l.entries {
		if now.Sub(f.first) >= l.window {
			delete(l.entries, k)
		}
	}
}
