package models

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// EventSessionsEnded records console sessions ended before their expiry:
// a sign-out, "sign out everywhere else", an administrator ending a user's
// sessions, or a change to the user that ends them (disabled, role
// changed, password changed). Detail says why and how many.
const EventSessionsEnded = "USER_SESSIONS_ENDED"

// Session is one signed-in browser. The cookie holds only a random token;
// the table holds its digest, so neither a database dump nor a log can be
// replayed as a session, and ending a session here ends it on every node.
type Session struct {
	// ID names the session in pages and forms; it is not the token.
	ID         string `gorm:"primaryKey;size:36"`
	Digest     string `gorm:"size:64;uniqueIndex;not null"`
	UserID     string `gorm:"size:36;index;not null"`
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	ClientIP   string `gorm:"size:64"`
	UserAgent  string `gorm:"size:512"`
}

// sessionNow is the sessions' clock: the wall clock, not Store.Now. A
// session's lifetime is the cookie's (whose timestamp gorilla/securecookie
// checks against the wall clock), and tests that move the store's clock
// by days must not sign everyone out.
func (s *Store) sessionNow() time.Time {
	now := time.Now
	if s.sessionClock != nil {
		now = s.sessionClock
	}
	return now().UTC().Truncate(time.Microsecond)
}

// sessionTouchEvery is how stale LastSeenAt may get: a session is written
// to at most once a minute, not on every request.
const sessionTouchEvery = time.Minute

// sessionPurgeBatch bounds how many expired sessions one sign-in deletes,
// so a backlog never makes a sign-in slow.
const sessionPurgeBatch = 500

// Ending reasons, the Detail of EventSessionsEnded.
const (
	SessionEndSignOut        = "signed out"
	SessionEndOne            = "signed out one session"
	SessionEndOthers         = "signed out everywhere else"
	SessionEndByAdmin        = "ended by an administrator"
	sessionEndDisabled       = "user disabled"
	sessionEndRoleChanged    = "role changed"
	sessionEndPasswordChange = "password changed"
)

// StartSession stores a new session for u that lasts maxAge, and returns
// it with the token for the cookie (the only time the token exists in
// clear). Expired sessions are purged on the way, a bounded batch at a
// time.
func (s *Store) StartSession(ctx context.Context, u *User, maxAge time.Duration, clientIP, userAgent string) (*Session, string, error) {
	token := randomHex(32)
	now := s.sessionNow()
	sess := &Session{
		ID: newID(), Digest: SecretDigest(token), UserID: u.ID,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(maxAge),
		ClientIP: truncateRunes(clientIP, 64), UserAgent: truncateRunes(userAgent, 512),
	}
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(sess).Error; err != nil {
			return err
		}
		return tx.Where("id IN (?)", tx.Model(&Session{}).Select("id").
			Where("expires_at <= ?", now).Limit(sessionPurgeBatch)).Delete(&Session{}).Error
	})
	if err != nil {
		return nil, "", err
	}
	return sess, token, nil
}

// SessionByToken returns the live session a cookie's token names and its
// user, or nil, nil when there is none: unknown, ended or expired, or its
// user is gone or disabled (whose sessions are then ended). It brings
// LastSeenAt and the address up to date at most once a minute, so a busy
// page costs no write per request.
func (s *Store) SessionByToken(ctx context.Context, token, clientIP string) (*Session, *User, error) {
	in, err := s.SignedInByToken(ctx, token, clientIP)
	if in == nil || err != nil {
		return nil, nil, err
	}
	return in.Session, in.User, nil
}

// SignedIn is what a console request reads of its session at the start:
// the session, its user and the user's unread notices (the bell's number,
// as of that moment).
type SignedIn struct {
	Session *Session
	User    *User
	Unread  int64
}

// sessionUserRow is one row of the session lookup: the session, its user
// (empty when gone: a LEFT JOIN) and the unread count.
type sessionUserRow struct {
	Session
	User   User `gorm:"embedded;embeddedPrefix:u__"`
	Unread int64
}

// sessionLookupSQL is the statement behind SignedInByToken, built once from
// the User schema so that a new column of users is never left out.
var sessionLookupSQL struct {
	once sync.Once
	sql  string
	err  error
}

func (s *Store) sessionLookup() (string, error) {
	sessionLookupSQL.once.Do(func() {
		cols, err := prefixedColumns(s.db, &User{}, "u", "u__")
		if err != nil {
			sessionLookupSQL.err = err
			return
		}
		var sb strings.Builder
		sb.WriteString("SELECT s.*" + cols)
		sb.WriteString(`, (SELECT count(*) FROM notifications n WHERE n.user_id = s.user_id AND n.read_at IS NULL) AS unread
FROM sessions s LEFT JOIN users u ON u.id = s.user_id
WHERE s.digest = ? AND s.expires_at > ? LIMIT 1`)
		sessionLookupSQL.sql = sb.String()
	})
	return sessionLookupSQL.sql, sessionLookupSQL.err
}

// prefixedColumns lists model's columns as ", alias.col AS prefixcol, ...",
// for a statement that scans a joined row into an embedded struct.
func prefixedColumns(db *gorm.DB, model any, alias, prefix string) (string, error) {
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(model); err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, col := range stmt.Schema.DBNames {
		sb.WriteString(", " + alias + "." + col + " AS " + prefix + col)
	}
	return sb.String(), nil
}

// SignedInByToken is SessionByToken with the user's unread count, all in
// one statement: every console page starts with it, and on PostgreSQL each
// statement is a round trip. Nothing is kept between requests.
func (s *Store) SignedInByToken(ctx context.Context, token, clientIP string) (*SignedIn, error) {
	if token == "" {
		return nil, nil
	}
	q, err := s.sessionLookup()
	if err != nil {
		return nil, err
	}
	now := s.sessionNow()
	var rows []sessionUserRow
	if err := s.db.WithContext(ctx).Raw(q, SecretDigest(token), now).Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 || rows[0].User.ID == "" {
		return nil, nil
	}
	sess, u := rows[0].Session, rows[0].User
	if u.Disabled {
		// Disabling ends sessions in the same transaction; this only
		// catches a session started while it committed.
		err := s.db.WithContext(context.WithoutCancel(ctx)).Where("user_id = ?", u.ID).Delete(&Session{}).Error
		return nil, err
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		sess.LastSeenAt, sess.ClientIP = now, truncateRunes(clientIP, 64)
		// A lost update only makes "last seen" a minute staler.
		err := s.db.WithContext(context.WithoutCancel(ctx)).Model(&Session{}).Where("id = ?", sess.ID).
			Updates(map[string]any{"last_seen_at": sess.LastSeenAt, "client_ip": sess.ClientIP}).Error
		if err != nil {
			return nil, err
		}
	}
	return &SignedIn{Session: &sess, User: &u, Unread: rows[0].Unread}, nil
}

// Sessions lists a user's live sessions, the most recently seen first.
func (s *Store) Sessions(ctx context.Context, userID string) ([]Session, error) {
	var out []Session
	err := s.db.WithContext(ctx).Where("user_id = ? AND expires_at > ?", userID, s.sessionNow()).
		Order("last_seen_at DESC, created_at DESC, id").Find(&out).Error
	return out, err
}

// SessionCounts returns how many live sessions each user has, by user id.
func (s *Store) SessionCounts(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		UserID string
		N      int64
	}
	err := s.db.WithContext(ctx).Model(&Session{}).Select("user_id, count(*) AS n").
		Where("expires_at > ?", s.sessionNow()).Group("user_id").Scan(&rows).Error
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.UserID] = r.N
	}
	return out, err
}

// EndSession ends one of userID's sessions, and records why (reason is
// SessionEndSignOut or SessionEndOne). A session that is already gone, or
// belongs to someone else, is ErrNotFound.
func (s *Store) EndSession(ctx context.Context, actor Actor, userID, sessionID, reason string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		var sess Session
		if err := tx.Where("id = ? AND user_id = ?", sessionID, userID).Take(&sess).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Delete(&sess).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, AuditEvent{Type: EventSessionsEnded, TargetID: userID, TargetName: actor.Email,
			Detail: reason + " (started " + sess.CreatedAt.UTC().Format(time.RFC3339) + ", from " + sess.ClientIP + ")"})
	})
}

// EndOtherSessions ends every session of userID but keepID: "sign out
// everywhere else". It returns how many ended.
func (s *Store) EndOtherSessions(ctx context.Context, actor Actor, userID, keepID string) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *gorm.DB) error {
		var err error
		n, err = s.endSessions(tx, actor, userID, actor.Email, keepID, SessionEndOthers)
		return err
	})
	return n, err
}

// EndUserSessions ends every session of a user (an administrator's action
// from the Users page), except keepID, the administrator's own current
// session when they end their own. It returns how many ended.
func (s *Store) EndUserSessions(ctx context.Context, actor Actor, userID, keepID string) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.First(&u, "id = ?", userID).Error; err != nil {
			return notFound(err)
		}
		var err error
		n, err = s.endSessions(tx, actor, u.ID, u.Email, keepID, SessionEndByAdmin)
		return err
	})
	return n, err
}

// endSessions deletes a user's sessions but keepID inside tx and records
// it when any ended.
func (s *Store) endSessions(tx *gorm.DB, actor Actor, userID, email, keepID, reason string) (int64, error) {
	q := tx.Where("user_id = ?", userID)
	if keepID != "" {
		q = q.Where("id <> ?", keepID)
	}
	res := q.Delete(&Session{})
	if res.Error != nil || res.RowsAffected == 0 {
		return 0, res.Error
	}
	return res.RowsAffected, s.audit(tx, actor, AuditEvent{Type: EventSessionsEnded, TargetID: userID, TargetName: email,
		Detail: fmt.Sprintf("%s (%s)", reason, plural(res.RowsAffected, "session"))})
}

// endSessionsOnUpdate ends the sessions of a user who was just disabled or
// demoted, inside the change's transaction: nobody keeps rights they lost.
func (s *Store) endSessionsOnUpdate(tx *gorm.DB, actor Actor, old, updated User) error {
	reason := ""
	switch {
	case updated.Disabled && !old.Disabled:
		reason = sessionEndDisabled
	case old.Role == RoleAdmin && updated.Role != RoleAdmin:
		reason = sessionEndRoleChanged
	default:
		return nil
	}
	_, err := s.endSessions(tx, actor, updated.ID, updated.Email, "", reason)
	return err
}
