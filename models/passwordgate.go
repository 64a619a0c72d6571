package models

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
)

// ErrPasswordBusy is returned when too many password hashes are being
// computed at once: the caller should answer 503 (or 429) with Retry-After
// rather than queue without bound.
var ErrPasswordBusy = &Error{Code: CodeUnavailable,
	Message: "Too many sign-ins are being checked right now. Try again in a few seconds."}

// PasswordBusyRetryAfter is what a caller refused with ErrPasswordBusy is
// told to wait.
const PasswordBusyRetryAfter = 2 * time.Second

// passwordGate bounds the argon2id computations running at once. Each one
// takes a core and 19 MiB for tens of milliseconds; unbounded, a burst of
// parallel logins takes all memory (300 at once once took the process from
// 48 MiB to 1.9 GiB). A few may wait for a slot, for a bounded time; the
// rest are refused at once.
type passwordGate struct {
	slots   chan struct{} // one per computation running
	queue   chan struct{} // one per computation waiting for a slot
	maxWait time.Duration
}

func newPasswordGate(running, waiting int, maxWait time.Duration) *passwordGate {
	return &passwordGate{slots: make(chan struct{}, running), queue: make(chan struct{}, waiting), maxWait: maxWait}
}

// passwords is the process's gate: the memory and cores it protects are
// the process's, shared by every Store. It is sized to the cores the Go
// scheduler uses.
var passwords = newPasswordGate(runtime.GOMAXPROCS(0), 4*runtime.GOMAXPROCS(0), time.Second)

// passwordVerifications counts the verifications computed since the
// process started.
var passwordVerifications atomic.Uint64

// PasswordVerifications returns how many password verifications have been
// computed since the process started (those refused by the gate are not
// counted). Tests and load scripts use it to see which attempts reached the
// hash.
func PasswordVerifications() uint64 { return passwordVerifications.Load() }

// run calls f when a slot is free, waiting at most maxWait in the queue;
// it returns ErrPasswordBusy when the queue is full or the wait ran out,
// and the context's error when the caller went away.
func (g *passwordGate) run(ctx context.Context, f func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		select {
		case g.queue <- struct{}{}:
		default:
			return ErrPasswordBusy
		}
		timer := time.NewTimer(g.maxWait)
		var err error
		select {
		case g.slots <- struct{}{}:
		case <-timer.C:
			err = ErrPasswordBusy
		case <-ctx.Done():
			err = ctx.Err()
		}
		timer.Stop()
		<-g.queue
		if err != nil {
			return err
		}
	}
	defer func() { <-g.slots }()
	f()
	return nil
}
