-- Console sessions live in the database (issue 15, item 2): the cookie
-- holds only a random id, stored here as its SHA-256 digest, so a session
-- can be ended on the server and every node sees it ended.

-- +goose Up
CREATE TABLE IF NOT EXISTS sessions (
    id           varchar(36) PRIMARY KEY,
    digest       varchar(64) NOT NULL,
    user_id      varchar(36) NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    client_ip    varchar(64) NOT NULL DEFAULT '',
    user_agent   varchar(512) NOT NULL DEFAULT '',
    CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_sessions_digest ON sessions (digest);
CREATE INDEX IF NOT EXISTS idx_sessions_user_id ON sessions (user_id);
CREATE INDEX IF NOT EXISTS idx_sessions_expires_at ON sessions (expires_at);

-- +goose Down
DROP TABLE IF EXISTS sessions;
