-- The audit log pages by keyset, newest first (issue 19): by created_at,
-- then id, after an equality filter on domain, application, event type or
-- actor. Each index begins with the filter's column and ends with the
-- order, so a page is one range scan of one index; they replace the
-- single-column indexes they begin with.

-- +goose Up
CREATE INDEX IF NOT EXISTS idx_audit_events_created_id ON audit_events (created_at, id);
CREATE INDEX IF NOT EXISTS idx_audit_events_domain_created ON audit_events (domain_id, created_at, id);
CREATE INDEX IF NOT EXISTS idx_audit_events_app_created ON audit_events (application_id, created_at, id);
CREATE INDEX IF NOT EXISTS idx_audit_events_type_created ON audit_events (type, created_at, id);
CREATE INDEX IF NOT EXISTS idx_audit_events_actor_created ON audit_events (lower(actor_email), created_at, id);
DROP INDEX IF EXISTS idx_audit_events_created_at;
DROP INDEX IF EXISTS idx_audit_events_domain_id;
DROP INDEX IF EXISTS idx_audit_events_application_id;
DROP INDEX IF EXISTS idx_audit_events_type;

-- +goose Down
CREATE INDEX IF NOT EXISTS idx_audit_events_type ON audit_events (type);
CREATE INDEX IF NOT EXISTS idx_audit_events_application_id ON audit_events (application_id);
CREATE INDEX IF NOT EXISTS idx_audit_events_domain_id ON audit_events (domain_id);
CREATE INDEX IF NOT EXISTS idx_audit_events_created_at ON audit_events (created_at);
DROP INDEX IF EXISTS idx_audit_events_actor_created;
DROP INDEX IF EXISTS idx_audit_events_type_created;
DROP INDEX IF EXISTS idx_audit_events_app_created;
DROP INDEX IF EXISTS idx_audit_events_domain_created;
DROP INDEX IF EXISTS idx_audit_events_created_id;
