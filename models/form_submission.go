package models

import (
	"errors"
	"time"

	"gorm.io/gorm"
)

// FormSubmission remembers a one-time form token that created something,
// so that the same form sent again (a reload after success) is answered
// with what it created instead of failing as a duplicate. The token is
// bound to the session that sent it and stored as a digest; a row lives
// formSubmissionTTL, and goes with its session or application.
type FormSubmission struct {
	SessionID     string `gorm:"primaryKey;size:36"`
	Digest        string `gorm:"primaryKey;size:64"`
	ApplicationID string `gorm:"size:36;not null"`
	CreatedAt     time.Time
}

// formSubmissionTTL is how long a repeated form is recognised: long after
// any reload or back-and-resubmit.
const formSubmissionTTL = 24 * time.Hour

// FormOnce names a form's one-time token and the session that sent it.
type FormOnce struct {
	SessionID, Token string
}

func (o FormOnce) valid() bool { return o.SessionID != "" && o.Token != "" }

// NewFormToken returns a fresh one-time token for a form.
func NewFormToken() string { return randomHex(16) }

// submittedApplication returns the application a recent submission of once
// created, or "".
func submittedApplication(tx *gorm.DB, once FormOnce) (string, error) {
	now := time.Now().UTC()
	var fs FormSubmission
	err := tx.Where("session_id = ? AND digest = ? AND created_at > ?",
		once.SessionID, SecretDigest(once.Token), now.Add(-formSubmissionTTL)).Take(&fs).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", nil
	}
	return fs.ApplicationID, err
}

// rememberSubmission records that once created the application appID, and
// forgets expired submissions on the way (a day's worth of created
// applications at most, found by the created_at index).
func (s *Store) rememberSubmission(tx *gorm.DB, once FormOnce, appID string) error {
	now := s.sessionNow()
	if err := tx.Where("created_at <= ?", now.Add(-formSubmissionTTL)).Delete(&FormSubmission{}).Error; err != nil {
		return err
	}
	return tx.Create(&FormSubmission{SessionID: once.SessionID, Digest: SecretDigest(once.Token), ApplicationID: appID, CreatedAt: now}).Error
}
