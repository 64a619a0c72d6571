package models

import (
	"context"
	"strconv"
	"time"
)

// Notification events: a secret will expire (a threshold was crossed), or
// has expired. The names are the webhook event types too.
const (
	NoticeWillExpire = "CLIENT_SECRET_WILL_EXPIRE"
	NoticeExpired    = "CLIENT_SECRET_EXPIRED"
)

// Notification channels, as stored in the ledger.
const (
	ChannelUI      = "ui"
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
	ChannelLog     = "log"
)

// Ledger statuses.
const (
	// LedgerPending: decided, not yet delivered (or delivery failed and
	// will be retried by a later run).
	LedgerPending = "pending"
	// LedgerSent: delivered.
	LedgerSent = "sent"
	// LedgerFailed: delivery failed MaxDeliveryAttempts times; given up.
	LedgerFailed = "failed"
	// LedgerObsolete: no longer worth delivering: the secret was renewed
	// since, or the recipient was disabled or removed.
	LedgerObsolete = "obsolete"
)

// MaxDeliveryAttempts is how many runs try to deliver one ledger row before
// it is marked failed. Each run makes one attempt (the webhook channel
// retries a few times within that attempt).
const MaxDeliveryAttempts = 10

// LogRecipient is the recipient of the log channel's ledger rows: the log
// gets one line per notice, whoever the people told are.
const LogRecipient = "log"

// Notification is one console notice for one user: a ledger row of the
// console channel, shown under the bell until they mark it read. It holds
// no text: what a notice says is made up when it is shown, from its ledger
// row and the secret, application and domain as they are now (see
// [Notice]). It goes with its ledger row, so a renewed or deleted secret
// takes its notices off the bell: there is nothing left to do about them.
type Notification struct {
	// LedgerID is the ledger row's id, and the notice's.
	// The inbox index lists a user's notices newest first by the ledger
	// id, which grows with time.
	LedgerID  uint64              `gorm:"primaryKey;autoIncrement:false;index:idx_notification_inbox,priority:2"`
	Ledger    *NotificationLedger `gorm:"constraint:OnDelete:CASCADE"`
	UserID    string              `gorm:"size:36;not null;index:idx_notification_inbox,priority:1"`
	User      *User               `gorm:"constraint:OnDelete:CASCADE"`
	CreatedAt time.Time           `gorm:"not null"`
	// ReadAt is when the user marked it read; nil while unread.
	ReadAt *time.Time
}

// Notice is a console notice as shown: its notification with what it is
// about, as its subject, application and domain are named now. Its link
// is the views' to make (from its kind and ids): models build no URLs.
type Notice struct {
	// ID is the notification's id, in decimal (as the API and forms name
	// it).
	ID     string
	UserID string
	// Kind is the subject's ledger kind (LedgerKind.Name).
	Kind string
	// Event is the event's name (NoticeWillExpire or NoticeExpired for
	// client secrets); Threshold the days of the threshold crossed, 0 for
	// "expired".
	Event     string
	Threshold int
	// Title and Message are the notice's words.
	Title, Message string
	DomainID       string
	ApplicationID  string
	// SubjectID is the id of the secret (of the subject) it is about.
	SubjectID string
	ExpiresAt time.Time
	CreatedAt time.Time
	ReadAt    *time.Time
}

// IsRead reports whether the user has marked the notice read.
func (n *Notice) IsRead() bool { return n.ReadAt != nil }

// NotificationLedger records each decision to tell a recipient on a channel
// about an event of one subject's expiry (a client secret, later a
// certificate), and whether it was delivered. Its unique key makes the
// decision happen once, whichever process takes it first; see package
// notify for the delivery semantics.
//
// Each kind of subject has a column of its own for the subject's id (see
// LedgerKind), NULL in the rows of other kinds, with a foreign key to its
// table and a unique key over the rows of that kind (a partial index).
// A composite foreign key with a NULL column is not checked, so each row
// is checked against its own subject's table only.
type NotificationLedger struct {
	ID uint64 `gorm:"primaryKey"`
	// Kind names the kind of subject (LedgerKind.Name).
	Kind string `gorm:"size:32;not null;default:client_secret"`
	// The unique key leads with the expiry, so that the rows a run decides
	// (which pages through subjects by expiry) land next to each other in
	// the index instead of all over it. The foreign key names the secret's
	// expiry with its id: a deleted secret takes its rows with it, and a
	// secret's expiry cannot change while rows for it exist (renewing
	// deletes them first, which starts its notices again).
	ExpiresAt time.Time `gorm:"not null;uniqueIndex:idx_ledger_key,priority:1"`
	// SecretID is the client secret's id in rows of kind client_secret
	// (KindClientSecret); NULL in the rows of other kinds.
	SecretID string        `gorm:"size:36;default:null;uniqueIndex:idx_ledger_key,priority:2,where:secret_id IS NOT NULL"`
	Secret   *ClientSecret `gorm:"foreignKey:ExpiresAt,SecretID;references:ExpiresAt,ID;constraint:OnDelete:CASCADE"`
	// CertificateID is the certificate's id in rows of kind certificate
	// (KindCertificate); NULL in the rows of other kinds. Its foreign key
	// and partial unique index are migration 00032's.
	CertificateID *string `gorm:"size:36;default:null"`
	// ClientCertificateID is the client certificate's id in rows of kind
	// client_certificate (KindClientCertificate), migration 00092's.
	ClientCertificateID *string `gorm:"size:36;default:null"`
	Event               string  `gorm:"size:40;not null;uniqueIndex:idx_ledger_key,priority:3"`
	// Threshold is the number of days of the "will expire" threshold that
	// was crossed (each threshold is its own notice); 0 for "expired".
	Threshold int `gorm:"not null;uniqueIndex:idx_ledger_key,priority:4"`
	// Recipient is a user id (ui, email), a URL (webhook) or LogRecipient.
	Recipient string `gorm:"size:512;not null;uniqueIndex:idx_ledger_key,priority:5"`
	Channel   string `gorm:"size:16;not null;uniqueIndex:idx_ledger_key,priority:6;index:idx_ledger_claim,priority:2,where:status = 'pending'"`

	Status string `gorm:"size:16;not null"`
	// Claim is the id of the run that may deliver the row now; LeaseUntil
	// is when another run may take it over if it is still pending. Both
	// indexes hold pending rows only: most rows (console, log) are
	// inserted as sent, and so cost one index, the unique key, instead of
	// three.
	Claim      string    `gorm:"size:36;not null;index:idx_ledger_claim,priority:1,where:status = 'pending'"`
	LeaseUntil time.Time `gorm:"not null;index:idx_ledger_lease,where:status = 'pending'"`
	Attempts   int       `gorm:"not null;default:0"`
	LastError  string    `gorm:"size:500;not null;default:''"`
	CreatedAt  time.Time `gorm:"not null"`
	SentAt     *time.Time
}

// NotificationRun records one run of the expiry job, for the Notifications
// page.
type NotificationRun struct {
	// ID is also the Claim of the ledger rows the run delivered.
	ID         string    `gorm:"primaryKey;size:36"`
	Host       string    `gorm:"size:255;not null;default:''"`
	StartedAt  time.Time `gorm:"not null;index"`
	FinishedAt *time.Time
	// Scanned counts the due secrets examined; Decided the ledger rows this
	// run created; Retried the pending rows it took over from earlier runs.
	Scanned, Decided, Retried int
	// Sent, Failed and Obsolete count this run's delivery outcomes; the
	// Sent* fields split Sent by channel.
	Sent, Failed, Obsolete                  int
	SentUI, SentEmail, SentWebhook, SentLog int
	// FirstLedgerID and LastLedgerID bound the ids of the ledger rows the
	// run decided (0 when it decided none), to list them.
	FirstLedgerID, LastLedgerID uint64
	// Error is why the run stopped early, if it did.
	Error string `gorm:"size:500;not null;default:''"`
}

// keepRuns is how many NotificationRun rows are kept.
const keepRuns = 100

// UnreadNotificationCount counts a user's unread notices (the bell's number).
func (s *Store) UnreadNotificationCount(ctx context.Context, userID string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", userID).Count(&n).Error
	return n, err
}

// noticeRow is a notification with its ledger row.
type noticeRow struct {
	LedgerID        uint64
	UserID          string
	CreatedAt       time.Time
	ReadAt          *time.Time
	Kind, SubjectID string
	Event           string
	Threshold       int
	ExpiresAt       time.Time
}

// userNotices lists a user's notices (those matching where too), newest
// first: the inbox index walked backwards. Their words are made up from
// their subjects' names as they are now, and their remaining time as of
// when they were given; a notice whose subject is gone (it goes with it)
// is left out.
func (s *Store) userNotices(ctx context.Context, userID, where string, offset, limit int) ([]Notice, error) {
	var rows []noticeRow
	q := s.db.WithContext(ctx).Table("notifications AS n").
		Select(`n.ledger_id, n.user_id, n.created_at, n.read_at, l.kind, `+s.subjectColumn()+` AS subject_id,
			l.event, l.threshold, l.expires_at`).
		Joins("JOIN notification_ledgers l ON l.id = n.ledger_id").
		Where("n.user_id = ?", userID)
	if where != "" {
		q = q.Where(where)
	}
	if err := q.Order("n.ledger_id DESC").Offset(offset).Limit(limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	refs := make([]SubjectRef, len(rows))
	for i, r := range rows {
		refs[i] = SubjectRef{r.Kind, r.SubjectID}
	}
	subjects, err := s.SubjectsOf(ctx, refs)
	if err != nil {
		return nil, err
	}
	out := make([]Notice, 0, len(rows))
	for _, r := range rows {
		sub, ok := subjects[SubjectRef{r.Kind, r.SubjectID}]
		k, err := s.kind(r.Kind)
		if !ok || err != nil {
			continue
		}
		t := NoticeText{Event: r.Event, Threshold: r.Threshold, ExpiresAt: r.ExpiresAt, At: r.CreatedAt,
			SubjectName: sub.Name, ApplicationName: sub.ApplicationName, DomainName: sub.DomainName}
		out = append(out, Notice{
			ID: strconv.FormatUint(r.LedgerID, 10), UserID: r.UserID, Kind: r.Kind, Event: r.Event, Threshold: r.Threshold,
			Title: k.Title(t), Message: k.Message(t),
			DomainID: sub.DomainID, ApplicationID: sub.ApplicationID, SubjectID: r.SubjectID,
			ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt, ReadAt: r.ReadAt,
		})
	}
	return out, nil
}

// UnreadNotifications returns a user's latest unread notices, newest first,
// at most limit of them.
func (s *Store) UnreadNotifications(ctx context.Context, userID string, limit int) ([]Notice, error) {
	return s.userNotices(ctx, userID, "n.read_at IS NULL", 0, limit)
}

// NotificationPage is one page of a user's notices.
type NotificationPage struct {
	Notifications []Notice
	Total         int64
	Page, PerPage int
}

// Notifications lists a user's notices, read or not, newest first. Page
// counts from 1; perPage defaults to 50.
func (s *Store) Notifications(ctx context.Context, userID string, page, perPage int) (*NotificationPage, error) {
	if perPage <= 0 || perPage > 500 {
		perPage = 50
	}
	if page < 1 {
		page = 1
	}
	p := &NotificationPage{Page: page, PerPage: perPage}
	err := s.db.WithContext(ctx).Model(&Notification{}).Where("user_id = ?", userID).Count(&p.Total).Error
	if err != nil {
		return nil, err
	}
	p.Notifications, err = s.userNotices(ctx, userID, "", (page-1)*perPage, perPage)
	return p, err
}

// MarkNotificationRead marks one of a user's notices read. A notice of
// another user is reported as ErrNotFound, like an unknown one. Marking a
// read notice again changes nothing.
func (s *Store) MarkNotificationRead(ctx context.Context, userID, id string) error {
	ledgerID, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return ErrNotFound
	}
	var n Notification
	db := s.db.WithContext(ctx)
	if err := db.Select("ledger_id", "read_at").First(&n, "ledger_id = ? AND user_id = ?", ledgerID, userID).Error; err != nil {
		return notFound(err)
	}
	if n.ReadAt != nil {
		return nil
	}
	return db.Model(&Notification{}).Where("ledger_id = ? AND read_at IS NULL", ledgerID).Update("read_at", s.now()).Error
}

// MarkAllNotificationsRead marks every unread notice of a user read and
// returns how many there were.
func (s *Store) MarkAllNotificationsRead(ctx context.Context, userID string) (int64, error) {
	res := s.db.WithContext(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", userID).Update("read_at", s.now())
	return res.RowsAffected, res.Error
}

// StartNotificationRun records the start of a run.
func (s *Store) StartNotificationRun(ctx context.Context, run *NotificationRun) error {
	run.StartedAt = s.now()
	return s.db.WithContext(ctx).Create(run).Error
}

// FinishNotificationRun records a run's outcome and forgets all but the
// latest runs.
func (s *Store) FinishNotificationRun(ctx context.Context, run *NotificationRun) error {
	now := s.now()
	run.FinishedAt = &now
	run.Error = truncateRunes(run.Error, 500)
	db := s.db.WithContext(ctx)
	if err := db.Save(run).Error; err != nil {
		return err
	}
	old := db.Model(&NotificationRun{}).Select("id").Order("started_at DESC, id").Offset(keepRuns).Limit(1000)
	return db.Where("id IN (?)", old).Delete(&NotificationRun{}).Error
}

// LastNotificationRun returns the latest run, or nil when none ran yet.
func (s *Store) LastNotificationRun(ctx context.Context) (*NotificationRun, error) {
	var runs []NotificationRun
	if err := s.db.WithContext(ctx).Order("started_at DESC, id").Limit(1).Find(&runs).Error; err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, nil
	}
	return &runs[0], nil
}

// SentNotice is one ledger row a run decided, for the Notifications page.
type SentNotice struct {
	Kind, Channel, Event string
	Threshold            int
	// Recipient is the user's e-mail address, the webhook URL, or "log".
	Recipient                      string
	DomainID, DomainName           string
	ApplicationID, ApplicationName string
	// SubjectID and SubjectName name the secret (the subject).
	SubjectID, SubjectName string
	ExpiresAt              time.Time
	SentAt                 *time.Time
	Status, LastError      string
}

// RunNotices lists (at most limit of) the ledger rows a run decided, with
// their status now. Rows of deleted subjects are gone with them.
func (s *Store) RunNotices(ctx context.Context, run *NotificationRun, limit int) ([]SentNotice, error) {
	if run == nil || run.FirstLedgerID == 0 {
		return nil, nil
	}
	var rows []SentNotice
	err := s.db.WithContext(ctx).Table("notification_ledgers AS l").
		Select(`l.kind, l.channel, l.event, l.threshold, COALESCE(u.email, l.recipient) AS recipient,
			`+s.subjectColumn()+` AS subject_id, l.expires_at, l.sent_at, l.status, l.last_error`).
		Joins("LEFT JOIN users u ON u.id = l.recipient").
		// The id range walks the primary key; the claim drops rows of a
		// run that interleaved, and rows a later run took over.
		Where("l.id BETWEEN ? AND ? AND l.claim = ?", run.FirstLedgerID, run.LastLedgerID, run.ID).
		Order("l.id").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	refs := make([]SubjectRef, len(rows))
	for i, r := range rows {
		refs[i] = SubjectRef{r.Kind, r.SubjectID}
	}
	subjects, err := s.SubjectsOf(ctx, refs)
	if err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, r := range rows {
		sub, ok := subjects[SubjectRef{r.Kind, r.SubjectID}]
		if !ok {
			continue
		}
		r.DomainID, r.DomainName, r.ApplicationID, r.ApplicationName = sub.DomainID, sub.DomainName, sub.ApplicationID, sub.ApplicationName
		r.SubjectName = sub.Name
		out = append(out, r)
	}
	return out, nil
}

// ExpiringSecret is a secret of a domain that expires soon or has expired,
// for the domain page.
type ExpiringSecret struct {
	SecretID, Description          string
	ApplicationID, ApplicationName string
	ExpiresAt                      time.Time
}
