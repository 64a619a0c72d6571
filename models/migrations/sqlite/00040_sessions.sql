-- Console sessions live in the database (issue 15, item 2): the cookie
-- holds only a random id, stored here as its SHA-256 digest, so a session
-- can be ended on the server and every node sees it ended.

-- +goose Up
CREATE TABLE IF NOT EXISTS sessions (
    id           text,
    digest       text NOT NULL,
    user_id      text NOT NULL,
    created_at   datetime NOT NULL,
    last_seen_at datetime NOT NULL,
    expires_at   datetime NOT NULL,
    client_ip    text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX IF NOT EXISTS idx_sessions_digest ON sessions (digest);
CREATE INDEX IF NOT EXISTS idx_sessions_user_id ON sessions (user_id);
CREATE INDEX IF NOT EXISTS idx_sessions_expires_at ON sessions (expires_at);

-- +goose Down
DROP TABLE IF EXISTS sessions;
