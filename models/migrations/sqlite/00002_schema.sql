-- The schema of Latchkey before numbered migrations (what GORM's
-- AutoMigrate made, commit bcbf365), written out. IF NOT EXISTS lets a
-- database made by an earlier version adopt it unchanged: 00001 has set its
-- older tables aside, and 00003 moves their rows into these.

-- +goose Up
CREATE TABLE IF NOT EXISTS settings (
    key   text,
    value text NOT NULL,
    PRIMARY KEY (key)
);

CREATE TABLE IF NOT EXISTS users (
    id                  text,
    email               text NOT NULL,
    name                text NOT NULL,
    password_hash       text NOT NULL,
    role                text NOT NULL,
    disabled            numeric NOT NULL DEFAULT false,
    password_changed_at datetime,
    created_at          datetime,
    updated_at          datetime,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_users_email ON users (email);

CREATE TABLE IF NOT EXISTS domains (
    id                     text,
    hrid                   text NOT NULL,
    name                   text NOT NULL,
    description            text NOT NULL DEFAULT '',
    enabled                numeric NOT NULL,
    secret_expiry_enabled  numeric NOT NULL,
    secret_expiry_unit     text NOT NULL DEFAULT '',
    secret_expiry_duration integer NOT NULL DEFAULT 0,
    created_at             datetime,
    updated_at             datetime,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_domains_name ON domains (name);
CREATE UNIQUE INDEX IF NOT EXISTS idx_domains_hr_id ON domains (hrid);

CREATE TABLE IF NOT EXISTS domain_owners (
    domain_id text,
    user_id   text,
    PRIMARY KEY (domain_id, user_id),
    CONSTRAINT fk_domain_owners_domain FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE,
    CONSTRAINT fk_domain_owners_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS applications (
    id                     text,
    domain_id              text NOT NULL,
    name                   text NOT NULL,
    description            text NOT NULL DEFAULT '',
    type                   text NOT NULL,
    client_id              text NOT NULL,
    owner_id               text,
    access_token_lifetime  integer NOT NULL DEFAULT 7200,
    disabled               numeric NOT NULL DEFAULT false,
    scopes                 text NOT NULL DEFAULT '',
    secret_expiry_override numeric NOT NULL,
    secret_expiry_unit     text NOT NULL DEFAULT '',
    secret_expiry_duration integer NOT NULL DEFAULT 0,
    created_at             datetime,
    updated_at             datetime,
    PRIMARY KEY (id),
    CONSTRAINT fk_applications_domain FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE,
    CONSTRAINT fk_applications_owner FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_applications_client_id ON applications (client_id);
CREATE UNIQUE INDEX IF NOT EXISTS idx_app_domain_name ON applications (domain_id, name);

CREATE TABLE IF NOT EXISTS client_secrets (
    id             text,
    application_id text NOT NULL,
    description    text NOT NULL,
    digest         text NOT NULL,
    hint           text NOT NULL,
    created_at     datetime,
    renewed_at     datetime,
    expires_at     datetime,
    last_used_at   datetime,
    PRIMARY KEY (id),
    CONSTRAINT fk_client_secrets_application FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_client_secrets_digest ON client_secrets (digest);
CREATE UNIQUE INDEX IF NOT EXISTS idx_secret_app_description ON client_secrets (application_id, description);
-- The notifier's scan walks secrets in expiry order; the ledger's foreign
-- key names (expires_at, id), so renewing a secret clears its ledger rows.
CREATE UNIQUE INDEX IF NOT EXISTS idx_client_secrets_expiry ON client_secrets (expires_at, id);

CREATE TABLE IF NOT EXISTS audit_events (
    id             text,
    created_at     datetime NOT NULL,
    type           text NOT NULL,
    actor_id       text,
    actor_email    text,
    client_ip      text,
    domain_id      text,
    application_id text,
    target_id      text,
    target_name    text,
    outcome        text NOT NULL,
    detail         text,
    PRIMARY KEY (id)
);
CREATE INDEX IF NOT EXISTS idx_audit_events_application_id ON audit_events (application_id);
CREATE INDEX IF NOT EXISTS idx_audit_events_domain_id ON audit_events (domain_id);
CREATE INDEX IF NOT EXISTS idx_audit_events_actor_id ON audit_events (actor_id);
CREATE INDEX IF NOT EXISTS idx_audit_events_type ON audit_events (type);
CREATE INDEX IF NOT EXISTS idx_audit_events_created_at ON audit_events (created_at);

CREATE TABLE IF NOT EXISTS signing_keys (
    id          text,
    domain_id   text NOT NULL,
    algorithm   text NOT NULL,
    private_key text NOT NULL,
    created_at  datetime,
    PRIMARY KEY (id),
    CONSTRAINT fk_signing_keys_domain FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_signing_keys_domain_id ON signing_keys (domain_id);

CREATE TABLE IF NOT EXISTS api_tokens (
    id           text,
    user_id      text NOT NULL,
    kind         text NOT NULL,
    name         text NOT NULL,
    read_only    numeric NOT NULL,
    digest       text NOT NULL,
    hint         text NOT NULL,
    created_at   datetime,
    expires_at   datetime,
    revoked_at   datetime,
    last_used_at datetime,
    PRIMARY KEY (id),
    CONSTRAINT fk_api_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_api_tokens_digest ON api_tokens (digest);
CREATE INDEX IF NOT EXISTS idx_api_tokens_kind ON api_tokens (kind);
CREATE INDEX IF NOT EXISTS idx_api_tokens_user_id ON api_tokens (user_id);

CREATE TABLE IF NOT EXISTS notification_ledgers (
    id          integer PRIMARY KEY AUTOINCREMENT,
    expires_at  datetime NOT NULL,
    secret_id   text NOT NULL,
    event       text NOT NULL,
    threshold   integer NOT NULL,
    recipient   text NOT NULL,
    channel     text NOT NULL,
    status      text NOT NULL,
    claim       text NOT NULL,
    lease_until datetime NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT '',
    created_at  datetime NOT NULL,
    sent_at     datetime,
    CONSTRAINT fk_notification_ledgers_secret FOREIGN KEY (expires_at, secret_id)
        REFERENCES client_secrets (expires_at, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_ledger_lease ON notification_ledgers (lease_until) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS idx_ledger_claim ON notification_ledgers (claim, channel) WHERE status = 'pending';
CREATE UNIQUE INDEX IF NOT EXISTS idx_ledger_key ON notification_ledgers (expires_at, secret_id, event, threshold, recipient, channel);

CREATE TABLE IF NOT EXISTS notifications (
    ledger_id  integer,
    user_id    text NOT NULL,
    created_at datetime NOT NULL,
    read_at    datetime,
    PRIMARY KEY (ledger_id),
    CONSTRAINT fk_notifications_ledger FOREIGN KEY (ledger_id) REFERENCES notification_ledgers (id) ON DELETE CASCADE,
    CONSTRAINT fk_notifications_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_notification_inbox ON notifications (user_id, ledger_id);

CREATE TABLE IF NOT EXISTS notification_runs (
    id              text,
    host            text NOT NULL DEFAULT '',
    started_at      datetime NOT NULL,
    finished_at     datetime,
    scanned         integer,
    decided         integer,
    retried         integer,
    sent            integer,
    failed          integer,
    obsolete        integer,
    sent_ui         integer,
    sent_email      integer,
    sent_webhook    integer,
    sent_log        integer,
    first_ledger_id integer,
    last_ledger_id  integer,
    error           text NOT NULL DEFAULT '',
    PRIMARY KEY (id)
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
