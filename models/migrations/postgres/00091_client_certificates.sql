-- Client certificates (issue 16): the public certificates or JWKs an
-- application authenticates with at the token endpoint (private_key_jwt,
-- RFC 7523). Public material only: nothing is sealed. (expires_at, id) is
-- unique for the notice ledger's foreign key (00092).
--
-- client_assertion_jtis is the replay store of client assertions, shared
-- by every node: a jti is inserted once per client while its assertion
-- is valid, and purged once it has expired.

-- +goose Up
CREATE TABLE IF NOT EXISTS client_certificates (
    id             varchar(36),
    application_id varchar(36) NOT NULL,
    description    varchar(64) NOT NULL,
    thumbprint     text NOT NULL,
    key_id         text NOT NULL,
    algorithm      text NOT NULL,
    format         text NOT NULL,
    public_key     text NOT NULL,
    not_before     timestamptz,
    expires_at     timestamptz,
    last_used_at   timestamptz,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_client_certificates_application FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_client_cert_app_description ON client_certificates (application_id, description);
CREATE UNIQUE INDEX IF NOT EXISTS idx_client_cert_app_thumbprint ON client_certificates (application_id, thumbprint);
CREATE UNIQUE INDEX IF NOT EXISTS idx_client_certificates_expiry ON client_certificates (expires_at, id);

CREATE TABLE IF NOT EXISTS client_assertion_jtis (
    client_id  varchar(64) NOT NULL,
    jti        varchar(256) NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX IF NOT EXISTS idx_client_assertion_jtis_expires_at ON client_assertion_jtis (expires_at);

-- +goose Down
DROP TABLE IF EXISTS client_assertion_jtis;
DROP TABLE IF EXISTS client_certificates;
