-- RFC 8707 resource indicators (issue 17, item 4): the absolute URIs a
-- client may name as the audience of its access tokens, space-separated;
-- empty means none, and the audience stays the client id.

-- +goose Up
ALTER TABLE applications ADD COLUMN resources text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE applications DROP COLUMN resources;
