-- The schema of Latchkey before numbered migrations (what GORM's
-- AutoMigrate made, commit bcbf365), written out. IF NOT EXISTS lets a
-- database made by an earlier version adopt it unchanged: 00001 has set its
-- older tables aside, and 00003 moves their rows into these.

-- +goose Up
CREATE TABLE IF NOT EXISTS settings (
    key   varchar(100) PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    id                  varchar(36) PRIMARY KEY,
    email               varchar(254) NOT NULL,
    name                varchar(64) NOT NULL,
    password_hash       text NOT NULL,
    role                varchar(16) NOT NULL,
    disabled            boolean NOT NULL DEFAULT false,
    password_changed_at timestamptz,
    created_at          timestamptz,
    updated_at          timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_users_email ON users (email);

CREATE TABLE IF NOT EXISTS domains (
    id                     varchar(36) PRIMARY KEY,
    hrid                   varchar(64) NOT NULL,
    name                   varchar(64) NOT NULL,
    description            varchar(500) NOT NULL DEFAULT '',
    enabled                boolean NOT NULL,
    secret_expiry_enabled  boolean NOT NULL,
    secret_expiry_unit     varchar(16) NOT NULL DEFAULT '',
    secret_expiry_duration bigint NOT NULL DEFAULT 0,
    created_at             timestamptz,
    updated_at             timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_domains_name ON domains (name);
CREATE UNIQUE INDEX IF NOT EXISTS idx_domains_hr_id ON domains (hrid);

CREATE TABLE IF NOT EXISTS domain_owners (
    domain_id varchar(36),
    user_id   varchar(36),
    PRIMARY KEY (domain_id, user_id),
    CONSTRAINT fk_domain_owners_domain FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE,
    CONSTRAINT fk_domain_owners_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS applications (
    id                     varchar(36) PRIMARY KEY,
    domain_id              varchar(36) NOT NULL,
    name                   varchar(64) NOT NULL,
    description            varchar(500) NOT NULL DEFAULT '',
    type                   varchar(16) NOT NULL,
    client_id              varchar(64) NOT NULL,
    owner_id               varchar(36),
    access_token_lifetime  bigint NOT NULL DEFAULT 7200,
    disabled               boolean NOT NULL DEFAULT false,
    scopes                 varchar(2000) NOT NULL DEFAULT '',
    secret_expiry_override boolean NOT NULL,
    secret_expiry_unit     varchar(16) NOT NULL DEFAULT '',
    secret_expiry_duration bigint NOT NULL DEFAULT 0,
    created_at             timestamptz,
    updated_at             timestamptz,
    CONSTRAINT fk_applications_domain FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE,
    CONSTRAINT fk_applications_owner FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_applications_client_id ON applications (client_id);
CREATE UNIQUE INDEX IF NOT EXISTS idx_app_domain_name ON applications (domain_id, name);

CREATE TABLE IF NOT EXISTS client_secrets (
    id             varchar(36) PRIMARY KEY,
    application_id varchar(36) NOT NULL,
    description    varchar(64) NOT NULL,
    digest         varchar(64) NOT NULL,
    hint           varchar(8) NOT NULL,
    created_at     timestamptz,
    renewed_at     timestamptz,
    expires_at     timestamptz,
    last_used_at   timestamptz,
    CONSTRAINT fk_client_secrets_application FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_client_secrets_digest ON client_secrets (digest);
CREATE UNIQUE INDEX IF NOT EXISTS idx_secret_app_description ON client_secrets (application_id, description);
-- The notifier's scan walks secrets in expiry order; the ledger's foreign
-- key names (expires_at, id), so renewing a secret clears its ledger rows.
CREATE UNIQUE INDEX IF NOT EXISTS idx_client_secrets_expiry ON client_secrets (expires_at, id);

CREATE TABLE IF NOT EXISTS audit_events (
    id             varchar(36) PRIMARY KEY,
    created_at     timestamptz NOT NULL,
    type           varchar(64) NOT NULL,
    actor_id       varchar(36),
    actor_email    varchar(254),
    client_ip      varchar(64),
    domain_id      varchar(36),
    application_id varchar(36),
    target_id      varchar(36),
    target_name    varchar(254),
    outcome        varchar(16) NOT NULL,
    detail         varchar(1000)
);
CREATE INDEX IF NOT EXISTS idx_audit_events_application_id ON audit_events (application_id);
CREATE INDEX IF NOT EXISTS idx_audit_events_domain_id ON audit_events (domain_id);
CREATE INDEX IF NOT EXISTS idx_audit_events_actor_id ON audit_events (actor_id);
CREATE INDEX IF NOT EXISTS idx_audit_events_type ON audit_events (type);
CREATE INDEX IF NOT EXISTS idx_audit_events_created_at ON audit_events (created_at);

CREATE TABLE IF NOT EXISTS signing_keys (
    id          varchar(36) PRIMARY KEY,
    domain_id   varchar(36) NOT NULL,
    algorithm   varchar(16) NOT NULL,
    private_key text NOT NULL,
    created_at  timestamptz,
    CONSTRAINT fk_signing_keys_domain FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_signing_keys_domain_id ON signing_keys (domain_id);

CREATE TABLE IF NOT EXISTS api_tokens (
    id           varchar(36) PRIMARY KEY,
    user_id      varchar(36) NOT NULL,
    kind         varchar(16) NOT NULL,
    name         varchar(64) NOT NULL,
    read_only    boolean NOT NULL,
    digest       varchar(64) NOT NULL,
    hint         varchar(8) NOT NULL,
    created_at   timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CONSTRAINT fk_api_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_api_tokens_digest ON api_tokens (digest);
CREATE INDEX IF NOT EXISTS idx_api_tokens_kind ON api_tokens (kind);
CREATE INDEX IF NOT EXISTS idx_api_tokens_user_id ON api_tokens (user_id);

CREATE TABLE IF NOT EXISTS notification_ledgers (
    id          bigserial PRIMARY KEY,
    expires_at  timestamptz NOT NULL,
    secret_id   varchar(36) NOT NULL,
    event       varchar(40) NOT NULL,
    threshold   bigint NOT NULL,
    recipient   varchar(512) NOT NULL,
    channel     varchar(16) NOT NULL,
    status      varchar(16) NOT NULL,
    claim       varchar(36) NOT NULL,
    lease_until timestamptz NOT NULL,
    attempts    bigint NOT NULL DEFAULT 0,
    last_error  varchar(500) NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    sent_at     timestamptz,
    CONSTRAINT fk_notification_ledgers_secret FOREIGN KEY (expires_at, secret_id)
        REFERENCES client_secrets (expires_at, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_ledger_lease ON notification_ledgers (lease_until) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS idx_ledger_claim ON notification_ledgers (claim, channel) WHERE status = 'pending';
CREATE UNIQUE INDEX IF NOT EXISTS idx_ledger_key ON notification_ledgers (expires_at, secret_id, event, threshold, recipient, channel);

CREATE TABLE IF NOT EXISTS notifications (
    ledger_id  bigint PRIMARY KEY,
    user_id    varchar(36) NOT NULL,
    created_at timestamptz NOT NULL,
    read_at    timestamptz,
    CONSTRAINT fk_notifications_ledger FOREIGN KEY (ledger_id) REFERENCES notification_ledgers (id) ON DELETE CASCADE,
    CONSTRAINT fk_notifications_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_notification_inbox ON notifications (user_id, ledger_id);

CREATE TABLE IF NOT EXISTS notification_runs (
    id              varchar(36) PRIMARY KEY,
    host            varchar(255) NOT NULL DEFAULT '',
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    scanned         bigint,
    decided         bigint,
    retried         bigint,
    sent            bigint,
    failed          bigint,
    obsolete        bigint,
    sent_ui         bigint,
    sent_email      bigint,
    sent_webhook    bigint,
    sent_log        bigint,
    first_ledger_id bigint,
    last_ledger_id  bigint,
    error           varchar(500) NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS idx_notification_runs_started_at ON notification_runs (started_at);

-- +goose Down
DROP TABLE notification_runs;
DROP TABLE notifications;
DROP TABLE notification_ledgers;
DROP TABLE api_tokens;
DROP TABLE signing_keys;
DROP TABLE audit_events;
DROP TABLE client_secrets;
DROP TABLE applications;
DROP TABLE domain_owners;
DROP TABLE domains;
DROP TABLE users;
DROP TABLE settings;
