package models

import (
	"context"
	"testing"
	"time"

	"latchkey/internal/testdb"
)

// A Decider puts several pages in one transaction on SQLite (one per page
// on PostgreSQL): a stale entry on a later page leaves out only itself,
// the pages before it stay, and what was not committed when it is closed
// is not stored.
func TestDeciderPages(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	var ids []string
	for _, name := range []string{"second", "third", "fourth"} {
		ns, err := s.CreateSecret(ctx, a.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetSecretExpiry(ctx, ns.ID, &exp); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ns.ID)
	}
	entry := func(secretID string, at time.Time) LedgerEntry {
		return LedgerEntry{NoticeKey: NoticeKey{SubjectID: secretID, ExpiresAt: at, Event: NoticeExpired}, Recipient: LogRecipient, Channel: ChannelLog}
	}
	// One connection, so that the Decider's is the one checked at the end,
	// and its checkpointer never gets one (Close must not wait for it).
	sqlDB, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1)
	commits := 0
	d := s.NewDecider(ctx, "run", exp, DeciderHooks{Committed: func() { commits++ }})
	var decided []string
	page := func(entries ...LedgerEntry) {
		t.Helper()
		err := d.Decide(KindClientSecret, entries, func(i int, _ uint64) { decided = append(decided, entries[i].SubjectID) })
		if err != nil {
			t.Fatal(err)
		}
	}
	page(entry(first.ID, exp))
	// The second secret's entry names an expiry it does not have (it was
	// renewed after the run read it).
	page(entry(ids[0], exp.Add(time.Hour)), entry(ids[1], exp))
	wantCommits := 0 // SQLite: both pages wait in one transaction
	if testdb.Postgres() {
		wantCommits = 2
	}
	if commits != wantCommits {
		t.Errorf("%d commits after two pages, want %d", commits, wantCommits)
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	if want := max(wantCommits, 1); commits != want {
		t.Errorf("%d commits after Commit, want %d", commits, want)
	}
	if len(decided) != 2 || decided[0] != first.ID || decided[1] != ids[1] {
		t.Errorf("decided %v, want the first and third secrets", decided)
	}
	// A page left uncommitted is gone once the Decider is closed (on
	// PostgreSQL it was committed at once).
	page(entry(ids[2], exp))
	d.Close()
	last := 0
	if testdb.Postgres() {
		last = 1
	}
	for id, want := range map[string]int{first.ID: 1, ids[0]: 0, ids[1]: 1, ids[2]: last} {
		if rows, err := s.LedgerRows(ctx, id); err != nil || len(rows) != want {
			t.Errorf("secret %s has %d rows (%v), want %d", id, len(rows), err, want)
		}
	}
	// The connection went back to the pool with SQLite's defaults.
	if !testdb.Postgres() {
		for pragma, want := range map[string]int{"cache_size": -2000, "wal_autocheckpoint": 1000} {
			var got int
			if err := s.db.Raw("PRAGMA " + pragma).Row().Scan(&got); err != nil || got != want {
				t.Errorf("%s after the Decider = %d, %v; want %d", pragma, got, err, want)
			}
		}
	}
}
