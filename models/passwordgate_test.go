package models

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// The gate runs at most its slots at once, lets a few wait, refuses the
// rest at once, and refuses a waiter whose wait ran out or whose caller
// went away, none of them running.
func TestPasswordGate(t *testing.T) {
	g := newPasswordGate(1, 1, 20*time.Millisecond)
	running, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- g.run(context.Background(), func() { close(running); <-release })
	}()
	<-running

	// The slot is taken: one caller may wait, and its wait runs out.
	ran := false
	if err := g.run(context.Background(), func() { ran = true }); !errors.Is(err, ErrPasswordBusy) || ran {
		t.Fatalf("waiter: err %v, ran %v; want ErrPasswordBusy without running", err, ran)
	}

	// A waiter whose caller goes away gets the context's error; while it
	// waits, the queue is full and the next caller is refused at once.
	ctx, cancel := context.WithCancel(context.Background())
	g.maxWait = time.Hour
	waiting := make(chan error)
	go func() { waiting <- g.run(ctx, func() { ran = true }) }()
	for len(g.queue) == 0 {
		runtime.Gosched() // until the waiter is queued
	}
	if err := g.run(context.Background(), func() { ran = true }); !errors.Is(err, ErrPasswordBusy) {
		t.Fatalf("with the queue full: %v, want ErrPasswordBusy", err)
	}
	cancel()
	if err := <-waiting; !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("cancelled waiter: err %v, ran %v", err, ran)
	}

	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Free again: a caller runs at once.
	if err := g.run(context.Background(), func() { ran = true }); err != nil || !ran {
		t.Fatalf("free gate: err %v, ran %v", err, ran)
	}
}

// A verification refused by the gate is not computed (nor counted).
func TestVerifyPasswordBusyVerifiesNothing(t *testing.T) {
	saved := passwords
	t.Cleanup(func() { passwords = saved })
	passwords = newPasswordGate(1, 0, time.Millisecond)
	hash, err := HashPassword(context.Background(), "a-long-password-123")
	if err != nil {
		t.Fatal(err)
	}
	passwords.slots <- struct{}{} // every slot taken
	before := PasswordVerifications()
	if ok, err := VerifyPassword(context.Background(), hash, "a-long-password-123"); ok || !errors.Is(err, ErrPasswordBusy) {
		t.Fatalf("VerifyPassword with the gate full = %v, %v", ok, err)
	}
	if PasswordVerifications() != before {
		t.Fatal("a refused verification was counted")
	}
	<-passwords.slots
	if ok, err := VerifyPassword(context.Background(), hash, "a-long-password-123"); !ok || err != nil {
		t.Fatalf("VerifyPassword = %v, %v", ok, err)
	}
	if PasswordVerifications() != before+1 {
		t.Fatal("a verification was not counted")
	}
}
