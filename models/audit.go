package models

import (
	"context"
	"time"
)

// Audit event types. Secret events keep Gravitee's names so existing log
// searches carry over.
const (
	EventLogin              = "USER_LOGIN"
	EventLoginFailed        = "USER_LOGIN_FAILED"
	EventUserCreated        = "USER_CREATED"
	EventUserUpdated        = "USER_UPDATED"
	EventPasswordChanged    = "USER_PASSWORD_CHANGED"
	EventDomainCreated      = "DOMAIN_CREATED"
	EventDomainUpdated      = "DOMAIN_UPDATED"
	EventDomainDeleted      = "DOMAIN_DELETED"
	EventApplicationCreated = "APPLICATION_CREATED"
	EventApplicationUpdated = "APPLICATION_UPDATED"
	EventApplicationDeleted = "APPLICATION_DELETED"
	EventSecretCreated      = "APPLICATION_CLIENT_SECRET_CREATED"
	EventSecretRenewed      = "APPLICATION_CLIENT_SECRET_RENEWED"
	EventSecretDeleted      = "APPLICATION_CLIENT_SECRET_DELETED"
)

// Outcomes of an audited action.
const (
	OutcomeSuccess = "SUCCESS"
	OutcomeFailure = "FAILURE"
)

// AuditEvent records who did what to which object, and how it ended. It
// never holds a secret value.
type AuditEvent struct {
	ID            string    `gorm:"primaryKey;size:36"`
	CreatedAt     time.Time `gorm:"index;not null"`
	Type          string    `gorm:"size:64;index;not null"`
	ActorID       string    `gorm:"size:36;index"`
	ActorEmail    string    `gorm:"size:254"`
	ClientIP      string    `gorm:"size:64"`
	DomainID      string    `gorm:"size:36;index"`
	ApplicationID string    `gorm:"size:36;index"`
	TargetID      string    `gorm:"size:36"`
	TargetName    string    `gorm:"size:254"`
	Outcome       string    `gorm:"size:16;not null"`
	Detail        string    `gorm:"size:1000"`
}

// Record stores an audit event, filling its id and time.
func (s *Store) Record(ctx context.Context, ev AuditEvent) error {
	ev.ID = newID()
	ev.CreatedAt = s.now()
	if ev.Outcome == "" {
		ev.Outcome = OutcomeSuccess
	}
	return s.db.WithContext(ctx).Create(&ev).Error
}

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	DomainID, ApplicationID, Type, Actor string
	Limit                                int
}

// AuditEvents lists events newest first.
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	db := s.db.WithContext(ctx).Model(&AuditEvent{})
	if f.DomainID != "" {
		db = db.Where("domain_id = ?", f.DomainID)
	}
	if f.ApplicationID != "" {
		db = db.Where("application_id = ?", f.ApplicationID)
	}
	if f.Type != "" {
		db = db.Where("type = ?", f.Type)
	}
	if f.Actor != "" {
		db = db.Where("actor_email = ?", f.Actor)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var evs []AuditEvent
	err := db.Order("created_at DESC, id").Limit(f.Limit).Find(&evs).Error
	return evs, err
}
