package models

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"
)

// forgetMigrations drops goose's version table, so the database looks like
// one made by a Latchkey from before numbered migrations: the next
// migrate finds its tables and adopts them.
func forgetMigrations(t *testing.T, s *Store) {
	t.Helper()
	if err := s.db.Migrator().DropTable("goose_db_version"); err != nil {
		t.Fatal(err)
	}
}

// oldNotifications is the table the first schema's console notices are
// set aside in while they move (models/migrations).
const oldNotifications = "notifications_v1"

// firstIndexColumn returns the first column of an index of the current
// schema.
func firstIndexColumn(db *gorm.DB, index string) (string, error) {
	var col string
	var err error
	if db.Dialector.Name() == "postgres" {
		err = db.Raw(`SELECT a.attname FROM pg_index i
			JOIN pg_class c ON c.oid = i.indexrelid
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			WHERE c.relname = ? AND pg_table_is_visible(c.oid)`, index).Row().Scan(&col)
	} else {
		err = db.Raw("SELECT name FROM pragma_index_info(?) WHERE seqno = 0", index).Row().Scan(&col)
	}
	return col, err
}

// notificationLedgerV1 is the ledger of Latchkey's first schema: its key
// and foreign key led with the secret's id.
type notificationLedgerV1 struct {
	ID         uint64        `gorm:"primaryKey"`
	SecretID   string        `gorm:"size:36;not null;uniqueIndex:idx_ledger_key,priority:1"`
	Secret     *ClientSecret `gorm:"foreignKey:SecretID;constraint:OnDelete:CASCADE"`
	ExpiresAt  time.Time     `gorm:"not null;uniqueIndex:idx_ledger_key,priority:2"`
	Event      string        `gorm:"size:40;not null;uniqueIndex:idx_ledger_key,priority:3"`
	Threshold  int           `gorm:"not null;uniqueIndex:idx_ledger_key,priority:4"`
	Recipient  string        `gorm:"size:512;not null;uniqueIndex:idx_ledger_key,priority:5"`
	Channel    string        `gorm:"size:16;not null;uniqueIndex:idx_ledger_key,priority:6"`
	Status     string        `gorm:"size:16;not null"`
	Claim      string        `gorm:"size:36;not null"`
	LeaseUntil time.Time     `gorm:"not null"`
	Attempts   int           `gorm:"not null;default:0"`
	LastError  string        `gorm:"size:500;not null;default:''"`
	CreatedAt  time.Time     `gorm:"not null"`
	SentAt     *time.Time
}

func (notificationLedgerV1) TableName() string { return "notification_ledgers" }

// A database made by the first schema gets the current ledger key and
// foreign key when it is opened, keeping the rows that still apply.
func TestUpgradeLedgerKey(t *testing.T) {
	t.Run("whole", func(t *testing.T) { testUpgradeLedgerKey(t, false) })
	// An upgrade stopped after dropping the old key (a PostgreSQL
	// migration now runs in one transaction, but one may have stopped
	// before it did), with a row an old node went on writing meanwhile.
	t.Run("stopped half way", func(t *testing.T) { testUpgradeLedgerKey(t, true) })
}

func testUpgradeLedgerKey(t *testing.T, halfDone bool) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := s.db.Migrator().DropTable(&NotificationLedger{}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Migrator().CreateTable(&notificationLedgerV1{}); err != nil {
		t.Fatal(err)
	}
	if col, err := firstIndexColumn(s.db, "idx_ledger_key"); err != nil || col != "secret_id" {
		t.Fatalf("the old key leads with %q, %v", col, err)
	}
	row := func(at time.Time, threshold int) *notificationLedgerV1 {
		return &notificationLedgerV1{SecretID: first.ID, ExpiresAt: at, Event: NoticeWillExpire, Threshold: threshold,
			Recipient: LogRecipient, Channel: ChannelLog, Status: LedgerSent, Claim: "run", LeaseUntil: at, CreatedAt: at}
	}
	// One row for the secret's expiry, one for an expiry it was renewed
	// away from.
	for _, r := range []*notificationLedgerV1{row(exp, 5), row(exp.Add(-time.Hour), 1)} {
		if err := s.db.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	if halfDone {
		if err := s.db.Migrator().DropIndex(&notificationLedgerV1{}, "idx_ledger_key"); err != nil {
			t.Fatal(err)
		}
		if err := s.db.Create(row(exp.Add(-2*time.Hour), 10)).Error; err != nil {
			t.Fatal(err)
		}
	}
	forgetMigrations(t, s)
	if err := s.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if col, err := firstIndexColumn(s.db, "idx_ledger_key"); err != nil || col != "expires_at" {
		t.Errorf("after the upgrade the key leads with %q, %v", col, err)
	}
	rows, err := s.LedgerRows(ctx, first.ID)
	if err != nil || len(rows) != 1 || rows[0].Threshold != 5 {
		t.Fatalf("rows after the upgrade = %+v, %v; want the one for the current expiry", rows, err)
	}
	// The new foreign key: a row must name the secret's current expiry,
	// and deleting the secret deletes its rows.
	bad := NotificationLedger{SecretID: first.ID, ExpiresAt: exp.Add(time.Hour), Event: NoticeExpired, Recipient: LogRecipient,
		Channel: ChannelLog, Status: LedgerSent, Claim: "run", LeaseUntil: exp, CreatedAt: exp}
	if err := s.db.Omit("Secret").Create(&bad).Error; err == nil {
		t.Error("a row for another expiry was accepted after the upgrade")
	}
	if err := s.migrate(ctx); err != nil {
		t.Fatalf("migrating again: %v", err)
	}
	var n int64
	if err := s.db.Model(&NotificationLedger{}).Count(&n).Error; err != nil || n != 1 {
		t.Errorf("rows after migrating again = %d, %v", n, err)
	}
	if err := s.db.Delete(&ClientSecret{ID: first.ID}).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Model(&NotificationLedger{}).Count(&n).Error; err != nil || n != 0 {
		t.Errorf("rows after deleting the secret = %d, %v; want none", n, err)
	}
}

// notificationV1 is a console notice of Latchkey's first schema: its words
// were stored with it, under a random id.
type notificationV1 struct {
	ID            string `gorm:"primaryKey;size:36"`
	UserID        string `gorm:"size:36;not null;index:idx_notification_user,priority:1"`
	User          *User  `gorm:"constraint:OnDelete:CASCADE"`
	Event         string `gorm:"size:40;not null"`
	Title         string `gorm:"size:300;not null"`
	Message       string `gorm:"size:1000;not null"`
	Link          string `gorm:"size:300;not null"`
	DomainID      string `gorm:"size:36;not null"`
	ApplicationID string `gorm:"size:36;not null"`
	SecretID      string `gorm:"size:36;not null"`
	ExpiresAt     time.Time
	CreatedAt     time.Time `gorm:"not null;index:idx_notification_user,priority:2"`
	ReadAt        *time.Time
}

func (notificationV1) TableName() string { return "notifications" }

// Console notices of the first schema move to their ledger rows when the
// database is opened, read or not; those whose row is gone go too.
func TestUpgradeNotifications(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	ann, ben := newTestUser(t, s, "ann@example.com"), newTestUser(t, s, "ben@example.com")
	if err := s.db.Migrator().DropTable(&Notification{}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Migrator().CreateTable(&notificationV1{}); err != nil {
		t.Fatal(err)
	}
	decided := exp.Add(-20 * 24 * time.Hour)
	read := decided.Add(time.Hour)
	ledger := func(u *User, threshold int, status string) uint64 {
		r := NotificationLedger{SecretID: first.ID, ExpiresAt: exp, Event: NoticeWillExpire, Threshold: threshold, Recipient: u.ID,
			Channel: ChannelUI, Status: status, Claim: "run", LeaseUntil: decided, CreatedAt: decided.Add(time.Duration(threshold) * time.Minute)}
		if err := s.db.Omit("Secret").Create(&r).Error; err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	old := func(id string, u *User, at time.Time, readAt *time.Time) {
		n := notificationV1{ID: id, UserID: u.ID, Event: NoticeWillExpire, Title: "t", Message: "m", Link: "/l",
			DomainID: a.DomainID, ApplicationID: a.ID, SecretID: first.ID, ExpiresAt: exp, CreatedAt: at, ReadAt: readAt}
		if err := s.db.Create(&n).Error; err != nil {
			t.Fatal(err)
		}
	}
	ann20, ann10, ann5, ben20 := ledger(ann, 20, LedgerSent), ledger(ann, 10, LedgerSent), ledger(ann, 5, LedgerSent), ledger(ben, 20, LedgerSent)
	ann1 := ledger(ann, 1, LedgerPending)                  // decided, not delivered yet: no notice
	old("ann-20", ann, decided.Add(20*time.Minute), &read) // decided with its row: the same time
	old("ann-10", ann, decided.Add(time.Hour), nil)        // delivered after its row was decided, unread
	old("ann-5", ann, decided.Add(5*time.Minute), nil)     // unread
	old("ben-20", ben, decided.Add(time.Hour), nil)        // delivered after its row was decided
	old("ann-renewed", ann, decided.Add(-time.Hour), nil)  // matched by no row: its expiry was renewed away
	if err := s.db.Model(&notificationV1{}).Where("id = ?", "ann-renewed").Update("expires_at", exp.Add(-time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
	forgetMigrations(t, s)
	if err := s.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.migrate(ctx); err != nil {
		t.Fatalf("migrating again: %v", err)
	}
	if s.db.Migrator().HasTable(oldNotifications) {
		t.Error("the old table is still there")
	}
	var got []Notification
	if err := s.db.Order("ledger_id").Find(&got).Error; err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id     uint64
		user   string
		isRead bool
	}{{ann20, ann.ID, true}, {ann10, ann.ID, false}, {ann5, ann.ID, false}, {ben20, ben.ID, false}}
	if len(got) != len(want) {
		t.Fatalf("notices after the upgrade = %+v, want %d", got, len(want))
	}
	for i, w := range want {
		if g := got[i]; g.LedgerID != w.id || g.UserID != w.user || (g.ReadAt != nil) != w.isRead {
			t.Errorf("notice %d = %+v, want ledger %d of %s, read %v", i, g, w.id, w.user, w.isRead)
		}
	}
	if n, err := s.UnreadNotificationCount(ctx, ann.ID); err != nil || n != 2 {
		t.Errorf("ann's unread = %d, %v; want 2", n, err)
	}
	// The pending row gets its notice when it is delivered.
	if got, err := s.DeliverNotifications(ctx, "run", []uint64{ann1}); err != nil || len(got) != 1 {
		t.Errorf("delivering the pending row = %v, %v", got, err)
	}
	if n, err := s.UnreadNotificationCount(ctx, ann.ID); err != nil || n != 3 {
		t.Errorf("ann's unread after the delivery = %d, %v; want 3", n, err)
	}
	// The new table works as a fresh one does.
	if err := s.MarkNotificationRead(ctx, ben.ID, fmt.Sprint(ben20)); err != nil {
		t.Error(err)
	}
}
