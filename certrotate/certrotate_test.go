package certrotate

import (
	"context"
	"sync"
	"testing"
	"time"

	"latchkey/internal/testdb"
	"latchkey/models"
)

// Two workers (two nodes) checking at the same moment rotate a due
// certificate once, report it once, and the new certificate is published
// at once and signs after the refresh delay.
func TestWorkersRotateOnceBeforeExpiry(t *testing.T) {
	ctx := context.Background()
	dsn := testdb.DSN(t)
	clock := testdb.NewClock(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	open := func() *models.Store {
		s, err := models.Open(ctx, dsn, nil, models.WithKeyEncryptionKey(testdb.KEK()), models.WithClock(clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a, b := open(), open()
	d, err := a.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Acme", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.SigningKeyIDs(ctx, d.ID)
	if err != nil || len(first) != 1 {
		t.Fatal(first, err)
	}
	var mu sync.Mutex
	var reported []models.Rotation
	workers := []*Worker{New(a, nil), New(b, nil)}
	for _, w := range workers {
		w.OnRotated = func(_ context.Context, r []models.Rotation) {
			mu.Lock()
			defer mu.Unlock()
			reported = append(reported, r...)
		}
	}
	runBoth := func() {
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.RunOnce(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	// 300 days in: 65 left, not yet due (30 days).
	clock.Set(clock.Now().AddDate(0, 0, 300))
	runBoth()
	if len(reported) != 0 {
		t.Fatalf("rotated %d certificates 65 days before expiry", len(reported))
	}
	// 340 days in: 25 left, due.
	clock.Set(clock.Now().AddDate(0, 0, 40))
	runBoth()
	if len(reported) != 1 || reported[0].Old.ID != first[0] {
		t.Fatalf("reported %+v, want one rotation of %s", reported, first[0])
	}
	ids, err := b.SigningKeyIDs(ctx, d.ID)
	if err != nil || len(ids) != 2 || ids[0] != first[0] || ids[1] != reported[0].New.ID {
		t.Fatalf("published %v, %v: want the old one signing first, the new one published", ids, err)
	}
	clock.Set(clock.Now().Add(10 * time.Minute))
	if ids, _ := b.SigningKeyIDs(ctx, d.ID); ids[0] != reported[0].New.ID {
		t.Errorf("after the refresh delay %v, want %s signing", ids, reported[0].New.ID)
	}
	runBoth()
	if len(reported) != 1 {
		t.Errorf("%d rotations after a second check, want still 1", len(reported))
	}
}

// Start checks at once and Stop waits for the worker to end.
func TestStartChecksAtOnce(t *testing.T) {
	ctx := context.Background()
	clock := testdb.NewClock(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	s, err := models.Open(ctx, testdb.DSN(t), nil, models.WithKeyEncryptionKey(testdb.KEK()), models.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Acme", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	clock.Set(clock.Now().AddDate(0, 0, 364))
	w := New(s, nil)
	w.Interval = time.Hour
	done := make(chan []models.Rotation, 1)
	w.OnRotated = func(_ context.Context, r []models.Rotation) { done <- r }
	w.Start(ctx)
	defer w.Stop()
	select {
	case r := <-done:
		if len(r) != 1 {
			t.Errorf("rotations %v", r)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no rotation at start")
	}
}
