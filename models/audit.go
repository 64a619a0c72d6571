package models

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
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
	// EventClientAuthFailed summarises a period's failed client
	// authentications at the gateway for one client.
	EventClientAuthFailed = "CLIENT_AUTHENTICATION_FAILED"
	// Policy changes; Detail holds "old → new".
	EventDomainSecretSettingsUpdated = "DOMAIN_CLIENT_SECRET_SETTINGS_UPDATED"
	EventAppSecretSettingsUpdated    = "APPLICATION_CLIENT_SECRET_SETTINGS_UPDATED"
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
	return s.db.WithContext(ctx).Create(s.stamp(ev)).Error
}

// AuditEventTypes lists every event type, for filters.
var AuditEventTypes = []string{
	EventSecretCreated, EventSecretRenewed, EventSecretDeleted,
	EventClientCertificateAdded, EventClientCertificateDeleted,
	EventDomainSecretSettingsUpdated, EventAppSecretSettingsUpdated,
	EventApplicationCreated, EventApplicationUpdated, EventApplicationDeleted,
	EventDomainCreated, EventDomainUpdated, EventDomainDeleted,
	EventClientAuthFailed, EventLogin, EventLoginFailed, EventUserCreated, EventUserUpdated, EventUserDeleted, EventPasswordChanged,
	EventAPITokenCreated, EventAPITokenRevoked, EventSessionsEnded,
	EventCertificateCreated, EventCertificateUpdated, EventCertificateDeleted, EventCertificateRotated,
	EventDomainCertificateSettingsUpdated, EventAppCertificateUpdated,
}

// AuditFilter selects audit events; zero fields match everything. From is
// inclusive and To exclusive.
type AuditFilter struct {
	DomainID, ApplicationID, Type, Actor string
	From, To                             time.Time
	// Page counts from 1; PerPage defaults to 50 and is at most 500.
	Page, PerPage int
}

// AuditPage is one page of events with the total that matched.
type AuditPage struct {
	Events  []AuditEvent
	Total   int64
	Page    int
	PerPage int
}

// auditOrder is the audit log's order: newest first, ties by id (indexes
// of migration 00096 begin with the filter's column and end with these).
var auditOrder = keyset{table: "audit_events", key: "audit_events.created_at", desc: true}

// where applies the filter to a query of audit events.
func (f AuditFilter) where(db *gorm.DB) *gorm.DB {
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
		db = db.Where("lower(actor_email) = lower(?)", strings.TrimSpace(f.Actor))
	}
	if !f.From.IsZero() {
		db = db.Where("created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		db = db.Where("created_at < ?", f.To.UTC())
	}
	return db
}

// AuditEvents lists matching events newest first, one numbered page at a
// time with the total (the Management API's Gravitee-style page and size).
// A deep page costs its offset; the console pages by keyset instead
// (AuditEventsPage).
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter) (*AuditPage, error) {
	db := f.where(s.db.WithContext(ctx).Model(&AuditEvent{}))
	if f.PerPage <= 0 || f.PerPage > 500 {
		f.PerPage = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	p := &AuditPage{Page: f.Page, PerPage: f.PerPage}
	if err := db.Count(&p.Total).Error; err != nil {
		return nil, err
	}
	err := db.Order("created_at DESC, id DESC").Offset((f.Page - 1) * f.PerPage).Limit(f.PerPage).Find(&p.Events).Error
	return p, err
}

// AuditEventsPage lists matching events newest first, one keyset page at
// a time (Page and PerPage of the filter are ignored): each page is one
// index range scan however far back it is, and it counts nothing.
func (s *Store) AuditEventsPage(ctx context.Context, f AuditFilter, req PageRequest) (*Paged[AuditEvent], error) {
	return keysetPage[AuditEvent, time.Time](s.db.WithContext(ctx), f.where, auditOrder, req,
		func(e *AuditEvent) string { return e.ID }, nil)
}

// AuditPageNames returns what the audit page names: every domain (id and
// name only, by name) for its filter, and the names of the events'
// domains (from that same list) and applications. Two statements: the
// domain list already holds every domain an event can name.
func (s *Store) AuditPageNames(ctx context.Context, evs []AuditEvent) (all []Domain, domains, apps map[string]string, err error) {
	if err := s.db.WithContext(ctx).Select("id", "name").Order("lower(name)").Find(&all).Error; err != nil {
		return nil, nil, nil, err
	}
	domains = make(map[string]string, len(all))
	for _, d := range all {
		domains[d.ID] = d.Name
	}
	var aIDs []string
	for _, e := range evs {
		if e.ApplicationID != "" {
			aIDs = append(aIDs, e.ApplicationID)
		}
	}
	apps = map[string]string{}
	if len(aIDs) > 0 {
		var rows []struct{ ID, Name string }
		if err := s.db.WithContext(ctx).Model(&Application{}).Where("id IN ?", uniq(aIDs)).Find(&rows).Error; err != nil {
			return nil, nil, nil, err
		}
		for _, r := range rows {
			apps[r.ID] = r.Name
		}
	}
	return all, domains, apps, nil
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
