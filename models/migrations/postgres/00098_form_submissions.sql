-- One-time tokens of forms that created something (issue 18, item 5): a
-- reload of the create-application form after success is answered with
-- the application it created, not "already has this name". A token is
-- bound to its session and stored as a digest; rows older than a day are
-- purged, and go with their session or application.

-- +goose Up
CREATE TABLE IF NOT EXISTS form_submissions (
    session_id     varchar(36) NOT NULL,
    digest         varchar(64) NOT NULL,
    application_id varchar(36) NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (session_id, digest),
    CONSTRAINT fk_form_submissions_session FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
    CONSTRAINT fk_form_submissions_application FOREIGN KEY (application_id) REFERENCES applications (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_form_submissions_created_at ON form_submissions (created_at);
CREATE INDEX IF NOT EXISTS idx_form_submissions_application_id ON form_submissions (application_id);

-- +goose Down
DROP TABLE IF EXISTS form_submissions;
