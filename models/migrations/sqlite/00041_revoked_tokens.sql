-- The gateway's revocation list (issue 15, item 5): access tokens revoked
-- through RFC 7009 before their expiry, by jti, shared by every node. A row
-- is only needed until its token expires; expires_at lets it be purged.

-- +goose Up
CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti        text,
    client_id  text NOT NULL,
    expires_at datetime NOT NULL,
    revoked_at datetime NOT NULL,
    PRIMARY KEY (jti)
);
CREATE INDEX IF NOT EXISTS idx_revoked_tokens_expires_at ON revoked_tokens (expires_at);

-- +goose Down
DROP TABLE IF EXISTS revoked_tokens;
