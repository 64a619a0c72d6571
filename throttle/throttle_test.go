package throttle

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	l := New(3, 15*time.Minute)
	l.now = func() time.Time { return now }

	for i := 0; i < 2; i++ {
		l.Fail("account:a", "ip:1")
	}
	if blocked, _ := l.Blocked("account:a", "ip:1"); blocked {
		t.Fatal("blocked before the limit")
	}
	now = now.Add(time.Minute)
	l.Fail("account:a", "ip:1")
	blocked, wait := l.Blocked("account:a")
	if !blocked || wait != 15*time.Minute-time.Minute {
		t.Fatalf("Blocked = %v, %v; want true, 14m (counted from the first failure)", blocked, wait)
	}
	if blocked, _ := l.Blocked("account:b", "ip:1"); !blocked {
		t.Fatal("address not blocked for another account")
	}
	if blocked, _ := l.Blocked("account:b", "ip:2"); blocked {
		t.Fatal("an unrelated account and address are blocked")
	}

	l.Reset("account:a")
	if blocked, _ := l.Blocked("account:a"); blocked {
		t.Fatal("Reset did not clear the account")
	}
	if blocked, _ := l.Blocked("ip:1"); !blocked {
		t.Fatal("Reset of the account cleared the address")
	}

	// The window ends 15 minutes after the first failure.
	now = now.Add(14*time.Minute - time.Nanosecond)
	if blocked, _ := l.Blocked("ip:1"); !blocked {
		t.Fatal("unblocked before the window ended")
	}
	now = now.Add(time.Nanosecond)
	if blocked, _ := l.Blocked("ip:1"); blocked {
		t.Fatal("still blocked after the window")
	}
	// A failure after the window starts a new count.
	l.Fail("ip:1")
	if blocked, _ := l.Blocked("ip:1"); blocked {
		t.Fatal("old failures counted in a new window")
	}
}
