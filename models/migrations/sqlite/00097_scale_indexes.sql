-- A domain of 10,000 applications (issue 19). The domain page's counts of
-- expired and expiring secrets read, for each application, this index's
-- entries up to the end of the window, never a secret's row; the
-- Secrets & Certificates tab's "used by N applications" reads only the
-- applications that chose a certificate.

-- +goose Up
CREATE INDEX IF NOT EXISTS idx_secret_app_expiry ON client_secrets (application_id, expires_at);
CREATE INDEX IF NOT EXISTS idx_applications_domain_cert ON applications (domain_id, certificate_id);

-- +goose Down
DROP INDEX IF EXISTS idx_applications_domain_cert;
DROP INDEX IF EXISTS idx_secret_app_expiry;
