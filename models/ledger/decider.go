package ledger

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"

	"gorm.io/gorm"

	"latchkey/models"
)

// decideBatch is how many entries a Decider puts in one SQLite transaction
// at most. Larger transactions write each page of the indexes once for
// many pages of entries (the console notices' per-user index takes rows
// all over), but hold the write lock longer: this many take a few hundred
// milliseconds.
const decideBatch = 20_000

// deciderCacheKiB is the page cache of a Decider's SQLite connection while
// it decides: enough to keep a whole batch's changed pages in memory
// until the commit writes them once. SQLite's default is 2 MiB.
const deciderCacheKiB = 16 << 10

// A Decider inserts the ledger rows of a run, page after page (see
// Decide). A row whose key exists already is left alone (ON CONFLICT DO
// NOTHING): whichever process inserts a key first owns its delivery, so
// concurrent runs never decide the same notice twice.
//
// On SQLite the pages share transactions: Decide commits once decideBatch
// entries are waiting, and Commit commits what is waiting sooner (the
// notifier does when its reader has no next page ready, so a batch never
// waits for the reader while it holds the write lock). Each transaction
// runs on a connection taken from the pool for it, with a larger page
// cache, and the WAL is checkpointed by another connection after each
// commit, while the next batch is decided, instead of by the committing
// one (SQLite's automatic checkpoint), which would copy the batch into the
// database file before going on. On PostgreSQL, where the write lock is not global but a
// transaction holds locks on the secrets it names, each page commits at
// once.
//
// A Decider is not safe for concurrent use. Close it when done: it rolls
// back what was not committed.
type Decider struct {
	l        *Ledger
	ctx      context.Context
	claim    string
	lease    time.Time
	hooks    DeciderHooks
	postgres bool

	// SQLite, while a transaction is open.
	conn    *sql.Conn // the connection it decides on
	db      *gorm.DB  // on conn
	tx      *gorm.DB  // the transaction
	waiting int       // entries in tx
	// restore undoes the connection's settings before it goes back to
	// the pool.
	restore []string
	// checkpoint asks the checkpointer for a checkpoint; checkpointed is
	// closed when it has stopped.
	checkpoint      chan struct{}
	checkpointed    chan struct{}
	stopCheckpoints context.CancelFunc
}

// DeciderHooks are called around each commit of a Decider; either may be
// nil.
type DeciderHooks struct {
	// BeforeCommit is called just before a transaction commits: every row
	// reported to onDecided since the last commit is about to be stored.
	BeforeCommit func()
	// Committed is called once it has: those rows are stored.
	Committed func()
}

// NewDecider starts deciding for the run claim, whose rows are claimed
// until leaseUntil. Cancelling ctx does not interrupt a page being decided
// nor roll back what is waiting to be committed: the caller stops between
// pages and commits (see Commit) what it decided.
func (l *Ledger) NewDecider(ctx context.Context, claim string, leaseUntil time.Time, hooks DeciderHooks) *Decider {
	return &Decider{l: l, ctx: context.WithoutCancel(ctx), claim: claim, lease: leaseUntil.UTC(), hooks: hooks,
		postgres: l.db.Dialector.Name() == "postgres"}
}

// Decide inserts the ledger rows of entries about subjects of one kind.
// Entries for an expiry their subject no longer has (renewed or deleted
// since the caller read it) are left out.
//
// Console rows are inserted as sent together with their notice (for a user
// who still exists); rows marked Sent are inserted as sent; the others are
// pending, for the caller to deliver. onDecided, when not nil, is called
// inside the transaction with the index of every entry this call inserted
// and its row's id; the rows are stored once the transaction commits.
func (d *Decider) Decide(kind models.LedgerKind, entries []LedgerEntry, onDecided func(i int, id uint64)) error {
	if len(entries) == 0 {
		return nil
	}
	dec := &decision{kind: kind, entries: entries, claim: d.claim, lease: d.lease, now: d.l.now()}
	if d.postgres {
		err := d.l.postgresDecide(d.ctx, dec, onDecided, d.hooks.BeforeCommit)
		if isForeignKeyViolation(err) {
			// A secret was renewed or deleted after the insert read it
			// and before its foreign-key check; once more, the insert
			// leaves that secret out (see postgresLedger).
			err = d.l.postgresDecide(d.ctx, dec, onDecided, d.hooks.BeforeCommit)
		}
		if err == nil && d.hooks.Committed != nil {
			d.hooks.Committed()
		}
		return err
	}
	if d.tx == nil {
		if err := d.begin(); err != nil {
			return err
		}
	}
	if err := dec.insert(d.tx, sqliteLedger, onDecided); err != nil {
		d.rollback()
		return err
	}
	d.waiting += len(entries)
	if d.waiting >= decideBatch {
		return d.Commit()
	}
	return nil
}

// begin takes a connection from the pool, raises its page cache, turns off
// its automatic checkpoints (starting the checkpointer the first time), and
// opens a transaction on it.
func (d *Decider) begin() error {
	sqlDB, err := d.l.db.DB()
	if err != nil {
		return err
	}
	if d.conn, err = sqlDB.Conn(d.ctx); err != nil {
		return err
	}
	d.db = d.l.db.WithContext(d.ctx).Session(&gorm.Session{NewDB: true})
	d.db.Statement.ConnPool = d.conn
	for pragma, value := range map[string]int{"cache_size": -deciderCacheKiB, "wal_autocheckpoint": 0} {
		var was int
		if err := d.db.Raw("PRAGMA " + pragma).Row().Scan(&was); err != nil {
			d.release()
			return err
		}
		d.restore = append(d.restore, fmt.Sprintf("PRAGMA %s = %d", pragma, was))
		if err := d.db.Exec(fmt.Sprintf("PRAGMA %s = %d", pragma, value)).Error; err != nil {
			d.release()
			return err
		}
	}
	if d.checkpoint == nil {
		d.startCheckpointer(sqlDB)
	}
	d.tx = d.db.Begin()
	if err := d.tx.Error; err != nil {
		d.tx = nil
		d.release()
		return err
	}
	return nil
}

// release gives the connection back to the pool with its settings as they
// were: between transactions the Decider holds none, so that it never
// waits for the reader, which may need one, while holding one.
func (d *Decider) release() {
	if d.conn == nil {
		return
	}
	// The connection must not go back to the pool with the Decider's
	// settings: should restoring them fail, it is closed instead.
	var failed error
	for _, pragma := range d.restore {
		if err := d.db.Exec(pragma).Error; err != nil {
			failed = err
		}
	}
	if failed != nil {
		_ = d.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	d.restore = nil
	_ = d.conn.Close()
	d.conn, d.db = nil, nil
}

// startCheckpointer starts the goroutine that checkpoints the WAL after
// each commit.
func (d *Decider) startCheckpointer(sqlDB *sql.DB) {
	d.checkpoint, d.checkpointed = make(chan struct{}, 1), make(chan struct{})
	// Its own context, cancelled by Close if the last checkpoint takes
	// long (waiting for a connection of an exhausted pool, say).
	ctx, cancel := context.WithCancel(context.Background())
	d.stopCheckpoints = cancel
	go func() {
		defer close(d.checkpointed)
		for range d.checkpoint {
			// PASSIVE: copies what no reader still needs, waits for no
			// one. Failing (or being cancelled) is harmless and not worth
			// a log line: the next automatic checkpoint of any connection
			// copies what this one did not.
			_, _ = sqlDB.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}()
}

// Commit commits the entries decided so far, if any.
func (d *Decider) Commit() error {
	if d.tx == nil {
		return nil
	}
	if d.hooks.BeforeCommit != nil {
		d.hooks.BeforeCommit()
	}
	err := d.tx.Commit().Error
	d.tx, d.waiting = nil, 0
	d.release()
	if err != nil {
		return err
	}
	select {
	case d.checkpoint <- struct{}{}:
	default: // one is asked for already
	}
	if d.hooks.Committed != nil {
		d.hooks.Committed()
	}
	return nil
}

func (d *Decider) rollback() {
	if d.tx != nil {
		d.tx.Rollback()
		d.tx, d.waiting = nil, 0
		d.release()
	}
}

// checkpointWait is how long Close waits for the checkpoint of the last
// commit before giving up on it (the next automatic checkpoint of any
// connection makes it then).
const checkpointWait = 5 * time.Second

// Close rolls back what was not committed and stops the checkpointer once
// it has checkpointed the last commit.
func (d *Decider) Close() {
	d.rollback()
	if d.checkpoint == nil {
		return
	}
	close(d.checkpoint)
	select {
	case <-d.checkpointed:
	case <-time.After(checkpointWait):
		d.stopCheckpoints()
		<-d.checkpointed
	}
	d.stopCheckpoints()
	d.checkpoint = nil
}
