-- The console's keyset-paged lists (issue 18 item 14): applications of a
-- domain and users, by name regardless of case, then id. Each page is one
-- range scan of these indexes, the thousandth as cheap as the first.

-- +goose Up
CREATE INDEX IF NOT EXISTS idx_applications_domain_lname ON applications (domain_id, lower(name), id);
CREATE INDEX IF NOT EXISTS idx_users_lname ON users (lower(name), id);

-- +goose Down
DROP INDEX IF EXISTS idx_users_lname;
DROP INDEX IF EXISTS idx_applications_domain_lname;
