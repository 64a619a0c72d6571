package models

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"
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
// waits for the reader while it holds the write lock). The transactions
// run on one connection with a larger page cache. On PostgreSQL, where
// the write lock is not global but a transaction holds locks on the
// secrets it names, each page commits at once.
//
// A Decider is not safe for concurrent use. Close it when done: it rolls
// back what was not committed.
type Decider struct {
	s           *Store
	ctx         context.Context
	claim       string
	lease       time.Time
	conn        *sql.Conn // SQLite: the connection it decides on
	db          *gorm.DB  // on conn
	tx          *gorm.DB  // the transaction open, if any
	waiting     int       // entries in tx
	cacheWas    int
	committed   func()
	postgres    bool
	cacheRaised bool
}

// NewDecider starts deciding for the run claim, whose rows are claimed
// until leaseUntil. committed, when not nil, is called after each commit:
// every row reported to onDecided before it is then stored.
func (s *Store) NewDecider(ctx context.Context, claim string, leaseUntil time.Time, committed func()) *Decider {
	return &Decider{s: s, ctx: ctx, claim: claim, lease: leaseUntil.UTC(), committed: committed,
		postgres: s.db.Dialector.Name() == "postgres"}
}

// Decide inserts the entries' ledger rows. Entries for an expiry their
// secret no longer has (renewed or deleted since the caller read it) are
// left out.
//
// Console rows are inserted as sent together with their notice (for a user
// who still exists); rows marked Sent are inserted as sent; the others are
// pending, for the caller to deliver. onDecided, when not nil, is called
// inside the transaction with the index of every entry this call inserted
// and its row's id; the rows are stored once the transaction commits.
func (d *Decider) Decide(entries []LedgerEntry, onDecided func(i int, id uint64)) error {
	if len(entries) == 0 {
		return nil
	}
	dec := &decision{entries: entries, claim: d.claim, lease: d.lease, now: d.s.now()}
	if d.postgres {
		err := d.s.decideAlone(d.ctx, dec, onDecided)
		if isForeignKeyViolation(err) {
			// A secret was renewed or deleted after the insert read it
			// and before its foreign-key check; once more, the insert
			// leaves that secret out (see postgresLedger).
			err = d.s.decideAlone(d.ctx, dec, onDecided)
		}
		if err == nil && d.committed != nil {
			d.committed()
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

// begin opens a transaction on the Decider's connection, taking one from
// the pool (and raising its page cache) the first time.
func (d *Decider) begin() error {
	if d.conn == nil {
		sqlDB, err := d.s.db.DB()
		if err != nil {
			return err
		}
		if d.conn, err = sqlDB.Conn(d.ctx); err != nil {
			return err
		}
		d.db = d.s.db.WithContext(d.ctx).Session(&gorm.Session{NewDB: true})
		d.db.Statement.ConnPool = d.conn
		if err := d.db.Raw("PRAGMA cache_size").Row().Scan(&d.cacheWas); err != nil {
			return err
		}
		if err := d.db.Exec(fmt.Sprintf("PRAGMA cache_size = %d", -deciderCacheKiB)).Error; err != nil {
			return err
		}
		d.cacheRaised = true
	}
	d.tx = d.db.Begin()
	return d.tx.Error
}

// Commit commits the entries decided so far, if any.
func (d *Decider) Commit() error {
	if d.tx == nil {
		return nil
	}
	err := d.tx.Commit().Error
	d.tx, d.waiting = nil, 0
	if err == nil && d.committed != nil {
		d.committed()
	}
	return err
}

func (d *Decider) rollback() {
	if d.tx != nil {
		d.tx.Rollback()
		d.tx, d.waiting = nil, 0
	}
}

// Close rolls back what was not committed and gives the connection back
// to the pool with its page cache as it was.
func (d *Decider) Close() {
	d.rollback()
	if d.conn == nil {
		return
	}
	if d.cacheRaised {
		// A new context: the run's may be cancelled, and the connection
		// must not go back to the pool with the larger cache.
		d.db.WithContext(context.Background()).Exec(fmt.Sprintf("PRAGMA cache_size = %d", d.cacheWas))
	}
	_ = d.conn.Close()
	d.conn = nil
}
