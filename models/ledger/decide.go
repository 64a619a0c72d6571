package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"

	"latchkey/models"
)

// Deciding notices: the notifier's writes, which a first run makes by the
// hundred thousand. Each database gets the way it writes many rows fastest:
//
//   - SQLite runs in the process, so a statement costs no round trip, but
//     every value crossing from Go to C costs a call of its own (around a
//     microsecond with the driver's conversions). A page of rows therefore
//     goes in as one JSON document, unpacked by jsonb_each inside SQLite:
//     one statement and one value per page instead of a dozen values per
//     row. (jsonb_each, unlike json_each, hands each row over in SQLite's
//     binary JSON, so taking its fields apart does not parse text again.
//     It needs SQLite 3.51.)
//   - PostgreSQL is a round trip away: rows go insertBatch at a time in
//     multi-row INSERTs.

// LedgerEntry is one decision to insert: a notice for one recipient on one
// channel.
type LedgerEntry struct {
	NoticeKey
	Recipient, Channel string
	// Sent inserts the row as sent: the caller delivers it before the
	// deciding transaction commits (the log). Console rows are always
	// inserted as sent, with their notice (none for a user deleted since
	// the caller read the recipients, whose row still counts as sent): a
	// console notice is delivered exactly once, and costs no second pass.
	Sent bool
}

// sent reports whether the entry's row is inserted as sent.
func (e *LedgerEntry) sent() bool { return e.Channel == models.ChannelUI || e.Sent }

// isForeignKeyViolation reports a foreign-key violation, as either driver
// says it or as GORM translates it.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	var sqliteErr sqlite3.Error
	return errors.Is(err, gorm.ErrForeignKeyViolated) || (errors.As(err, &pgErr) && pgErr.Code == "23503") ||
		(errors.As(err, &sqliteErr) && sqliteErr.ExtendedCode == sqlite3.ErrConstraintForeignKey)
}

// postgresDecide decides one page in a transaction of its own (see
// Decider); beforeCommit, when not nil, is called just before it commits.
func (l *Ledger) postgresDecide(ctx context.Context, d *decision, onDecided func(i int, id uint64), beforeCommit func()) error {
	return l.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := d.insert(tx, postgresLedger, onDecided); err != nil {
			return err
		}
		if beforeCommit != nil {
			beforeCommit()
		}
		return nil
	})
}

// insert inserts the decision's rows with ledger and reports them to
// onDecided.
func (d *decision) insert(tx *gorm.DB, ledger func(*gorm.DB, *decision) ([]insertedRow, error), onDecided func(i int, id uint64)) error {
	inserted, err := ledger(tx, d)
	if err != nil {
		return err
	}
	if onDecided != nil {
		for _, r := range inserted {
			onDecided(r.i, r.id)
		}
	}
	return nil
}

// decision is one page of entries to decide, all of one kind.
type decision struct {
	kind       models.LedgerKind
	entries    []LedgerEntry
	claim      string
	lease, now time.Time
}

// console reports whether any entry is of the console channel.
func (d *decision) console() bool {
	for i := range d.entries {
		if d.entries[i].Channel == models.ChannelUI {
			return true
		}
	}
	return false
}

// insertedRow is an entry whose ledger row was inserted (not a conflict),
// with the row's id.
type insertedRow struct {
	i  int
	id uint64
}

// sqliteTime is a time as the SQLite driver writes it (in UTC, as the
// store keeps every time): values put in through JSON must be the same
// text, or they would not match the ones it bound itself (the ledger's
// foreign key compares expires_at as stored).
func sqliteTime(t time.Time) string {
	return t.UTC().Format(sqlite3.SQLiteTimestampFormats[0])
}

// sqliteLedger inserts the ledger rows with one statement, then reads back
// which entries it inserted: the rows whose ids are above the highest
// before it (this transaction holds SQLite's write lock, so no one else
// inserts meanwhile), joined to their entries by the unique key.
func sqliteLedger(tx *gorm.DB, d *decision) ([]insertedRow, error) {
	doc := ledgerDoc(d.entries)
	var before uint64
	if err := tx.Raw("SELECT COALESCE(MAX(id), 0) FROM notification_ledgers").Row().Scan(&before); err != nil {
		return nil, err
	}
	// "WHERE true" keeps ON CONFLICT from being read as part of the
	// SELECT.
	col := d.kind.Column
	insert := func(join string) *gorm.DB {
		return tx.Exec(`INSERT INTO notification_ledgers (`+ledgerColumns(col)+`)
			SELECT ?, j.value->>0, j.value->>1, j.value->>2, CAST(j.value->>3 AS INTEGER), j.value->>4, j.value->>5,
				CASE j.value->>6 WHEN '1' THEN ? ELSE ? END, ?, ?, ?, CASE j.value->>6 WHEN '1' THEN ? END
			FROM jsonb_each(?) AS j `+join+`
			WHERE true
			ON CONFLICT DO NOTHING`,
			d.kind.Name, models.LedgerSent, models.LedgerPending, d.claim, sqliteTime(d.lease), sqliteTime(d.now), sqliteTime(d.now), string(doc))
	}
	// The foreign key checks each row's subject and expiry. Should one
	// have been renewed or deleted since it was read, the statement fails
	// and is undone on its own (the transaction goes on), and it is made
	// again with a join that finds a subject only with the expiry its
	// entry names: the entries of that subject are left out. Checking
	// every row that way from the start would cost a second lookup per
	// row.
	res := insert("")
	if isForeignKeyViolation(res.Error) && d.kind.Table != "" {
		res = insert("CROSS JOIN " + d.kind.Table + " AS s ON s.expires_at = j.value->>1 AND s.id = j.value->>0")
	}
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, nil
	}
	if d.console() {
		// The console rows this statement inserted are those above
		// before (this transaction holds the write lock).
		if err := models.InsertNotices(tx, d.now, "l.id > ? AND l.claim = ?", before, d.claim); err != nil {
			return nil, err
		}
	}
	if int(res.RowsAffected) == len(d.entries) {
		// Every entry went in (the usual case: DecidedNotices left out
		// what was decided before), in the document's order, which is
		// how jsonb_each yields it and the INSERT takes it.
		return sqliteInsertedAll(tx, d, before)
	}
	// Some were decided meanwhile by another process, or their secret
	// changed: "index id" of each row inserted here, in one value. CROSS
	// JOIN keeps SQLite from walking the new rows and searching the
	// document for each.
	var pairs sql.NullString
	err := tx.Raw(`SELECT group_concat(j.key || ' ' || l.id) FROM jsonb_each(?) AS j
		CROSS JOIN notification_ledgers AS l ON l.expires_at = j.value->>1 AND l.`+col+` = j.value->>0
			AND l.event = j.value->>2 AND l.threshold = CAST(j.value->>3 AS INTEGER)
			AND l.recipient = j.value->>4 AND l.channel = j.value->>5
		WHERE l.id > ?`, string(doc), before).Row().Scan(&pairs)
	if err != nil || !pairs.Valid {
		return nil, err
	}
	out := make([]insertedRow, 0, len(d.entries))
	seen := map[uint64]bool{} // an entry given twice is one row, told once
	for _, p := range strings.Split(pairs.String, ",") {
		i, id, _ := strings.Cut(p, " ")
		r, err1 := strconv.Atoi(i)
		n, err2 := strconv.ParseUint(id, 10, 64)
		if err1 != nil || err2 != nil || r < 0 || r >= len(d.entries) {
			return nil, fmt.Errorf("reading the inserted ledger rows: %q", p)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, insertedRow{r, n})
		}
	}
	return out, nil
}

// ledgerDoc is the JSON document sqliteLedger unpacks: an array of seven
// strings per entry (subject, expiry, event, threshold, recipient, channel,
// sent). Written by hand: encoding/json's reflection cost more than the
// insert's own parsing, and a page's document is written in one buffer.
func ledgerDoc(entries []LedgerEntry) []byte {
	buf := make([]byte, 0, 2+len(entries)*180)
	buf = append(buf, '[')
	var exp time.Time
	var expText string
	for i := range entries {
		e := &entries[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		if i == 0 || !e.ExpiresAt.Equal(exp) { // a secret's entries share it
			exp, expText = e.ExpiresAt, sqliteTime(e.ExpiresAt)
		}
		sent := "0"
		if e.sent() {
			sent = "1"
		}
		for j, v := range [...]string{e.SubjectID, expText, e.Event, strconv.Itoa(e.Threshold), e.Recipient, e.Channel, sent} {
			if j == 0 {
				buf = append(buf, '[')
			} else {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, v)
		}
		buf = append(buf, ']')
	}
	return append(buf, ']')
}

// appendJSONString appends s as a JSON string. Ids, times and names need
// no escapes; anything else (a webhook URL may hold anything) goes through
// encoding/json.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			b, _ := json.Marshal(s) // a string always marshals
			return append(buf, b...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// sqliteInsertedAll pairs every entry with its new row when all of them
// were inserted: ids above before, in insertion order. It checks that the
// rows are as many and in the entries' order, so that an order SQLite did
// not keep is an error rather than a wrong pairing.
func sqliteInsertedAll(tx *gorm.DB, d *decision, before uint64) ([]insertedRow, error) {
	var first, last, n uint64
	err := tx.Raw("SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0), COUNT(*) FROM notification_ledgers WHERE id > ?", before).
		Row().Scan(&first, &last, &n)
	if err != nil {
		return nil, err
	}
	if int(n) != len(d.entries) || last-first+1 != n {
		return nil, fmt.Errorf("inserted ledger rows %d..%d (%d) for %d entries", first, last, n, len(d.entries))
	}
	e0, en := &d.entries[0], &d.entries[len(d.entries)-1]
	var ends []string
	err = tx.Raw("SELECT "+d.kind.Column+" || recipient || channel FROM notification_ledgers WHERE id IN (?, ?) ORDER BY id", first, last).
		Scan(&ends).Error
	if err != nil {
		return nil, err
	}
	if len(ends) == 0 || ends[0] != e0.SubjectID+e0.Recipient+e0.Channel || ends[len(ends)-1] != en.SubjectID+en.Recipient+en.Channel {
		return nil, errors.New("ledger rows were not inserted in the entries' order")
	}
	out := make([]insertedRow, len(d.entries))
	for i := range out {
		out[i] = insertedRow{i, first + uint64(i)}
	}
	return out, nil
}

// ledgerColumns are the columns the inserts write, in this order, for a
// kind whose subject ids go in column.
func ledgerColumns(column string) string {
	return "kind, " + column + ", expires_at, event, threshold, recipient, channel, status, claim, lease_until, created_at, sent_at"
}

// insertBatch rows per INSERT on PostgreSQL keeps statements within the
// bound-parameter limit while saving round trips.
const insertBatch = 100

// postgresLedger inserts the ledger rows insertBatch at a time; RETURNING
// lists the rows inserted, not those skipped as conflicts.
func postgresLedger(tx *gorm.DB, d *decision) ([]insertedRow, error) {
	col := d.kind.Column
	type key struct {
		subject, event, recipient, channel string
		threshold                          int
	}
	var out []insertedRow
	var console []uint64 // ids of the console rows inserted
	for start := 0; start < len(d.entries); start += insertBatch {
		end := min(start+insertBatch, len(d.entries))
		args := make([]any, 0, (end-start)*13)
		index := make(map[key]int, end-start)
		for i := start; i < end; i++ {
			e := &d.entries[i]
			index[key{e.SubjectID, e.Event, e.Recipient, e.Channel, e.Threshold}] = i
			status, sentAt := models.LedgerPending, any(nil)
			if e.sent() {
				status, sentAt = models.LedgerSent, d.now
			}
			args = append(args, i, d.kind.Name, e.SubjectID, e.ExpiresAt.UTC(), e.Event, e.Threshold, e.Recipient, e.Channel,
				status, d.claim, d.lease, d.now, sentAt)
		}
		// Entries of a subject renewed or deleted since it was read are
		// left out. A subject has one expiry, so the key returned needs
		// no expires_at.
		// The rows go in in the entries' order (ord), next to each other
		// in the key.
		cols := ledgerColumns(col)
		exists := ""
		if d.kind.Table != "" {
			exists = " WHERE EXISTS (SELECT 1 FROM " + d.kind.Table + " s WHERE s.id = v." + col + " AND s.expires_at = v.expires_at)"
		}
		rows, err := tx.Raw("INSERT INTO notification_ledgers ("+cols+") SELECT "+cols+" FROM (VALUES "+
			strings.TrimSuffix(strings.Repeat(postgresLedgerRow+",", end-start), ",")+") AS v (ord, "+cols+")"+
			exists+" ORDER BY ord ON CONFLICT DO NOTHING RETURNING id, "+col+", event, threshold, recipient, channel", args...).Rows()
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k key
			var id uint64
			if err := rows.Scan(&id, &k.subject, &k.event, &k.threshold, &k.recipient, &k.channel); err != nil {
				rows.Close()
				return nil, err
			}
			if i, ok := index[k]; ok {
				out = append(out, insertedRow{i, id})
				if k.channel == models.ChannelUI {
					console = append(console, id)
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for start := 0; start < len(console); start += 1000 {
		if err := models.InsertNotices(tx, d.now, "l.id IN ?", console[start:min(start+1000, len(console))]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// postgresLedgerRow is one row of a VALUES list: its ordinal, then
// ledgerColumns, typed, since VALUES in a SELECT takes no types from the
// insert's columns.
const postgresLedgerRow = "(CAST(? AS integer), ?, ?, CAST(? AS timestamptz), ?, CAST(? AS integer), ?, ?, ?, ?, " +
	"CAST(? AS timestamptz), CAST(? AS timestamptz), CAST(? AS timestamptz))"
