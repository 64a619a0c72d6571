package config

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const examplePath = "../latchkey.example.yml"

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "latchkey.yml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func b64(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }

func TestDefaults(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default() does not validate: %v", err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"server.console", c.Server.Console, Listener{Enabled: true, Addr: ":8093", MaxConnections: 10_000}},
		{"server.gateway", c.Server.Gateway, Listener{Enabled: true, Addr: ":8092", MaxConnections: 10_000}},
		{"metrics.addr", c.Metrics.Addr, ""},
		{"metrics.bearerToken", c.Metrics.BearerToken, ""},
		{"server.publicURL", c.Server.PublicURL, "http://localhost:8093"},
		{"server.readHeaderTimeout", c.Server.ReadHeaderTimeout.Duration, 5 * time.Second},
		{"server.readTimeout", c.Server.ReadTimeout.Duration, 15 * time.Second},
		{"server.writeTimeout", c.Server.WriteTimeout.Duration, 30 * time.Second},
		{"server.idleTimeout", c.Server.IdleTimeout.Duration, 120 * time.Second},
		{"server.shutdownTimeout", c.Server.ShutdownTimeout.Duration, 20 * time.Second},
		{"database.dsn", c.Database.DSN, "data/latchkey.db"},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
		{"session.hashKey", c.Session.HashKey, ""},
		{"session.blockKey", c.Session.BlockKey, ""},
		{"session.maxAge", c.Session.MaxAge.Duration, 12 * time.Hour},
		{"session.secureCookie", c.Session.SecureCookie, "auto"},
		{"security.login.maxAttempts", c.Security.Login.MaxAttempts, 5},
		{"security.login.window", c.Security.Login.Window.Duration, 15 * time.Minute},
		{"bootstrap.admin.email", c.Bootstrap.Admin.Email, ""},
		{"bootstrap.admin.name", c.Bootstrap.Admin.Name, "Administrator"},
		{"applications.secretsMax", c.Applications.SecretsMax, 10},
		{"services.notifier.enabled", c.Services.Notifier.Enabled, true},
		{"client-secret.enabled", c.Services.Notifier.ClientSecret.Enabled, true},
		{"client-secret.cronExpression", c.Services.Notifier.ClientSecret.CronExpression, "0 0 5 * * *"},
		{"client-secret.expiryThresholds", c.Services.Notifier.ClientSecret.ExpiryThresholds, "20,15,10,5,1"},
		{"client-secret.expiryEmailSubject", c.Services.Notifier.ClientSecret.ExpiryEmailSubject,
			"Client secret of application ${applicationName} will expire on ${expiryDate}"},
		{"notifiers.email.enabled", c.Notifiers.Email.Enabled, false},
		{"notifiers.email.port", c.Notifiers.Email.Port, 587},
		{"notifiers.email.startTLSRequired", c.Notifiers.Email.StartTLSRequired, true},
		{"ExpiryThresholdDays", c.ExpiryThresholdDays(), []int{20, 15, 10, 5, 1}},
		{"DatabaseDriver", c.DatabaseDriver(), "sqlite"},
	}
	for _, tc := range checks {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
}

func TestLoadNoFile(t *testing.T) {
	t.Chdir(t.TempDir()) // no latchkey.yml here
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("Load(\"\") without a file = %+v, want defaults", c)
	}
}

func TestLoadImplicitFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, DefaultFile), []byte("applications:\n  secretsMax: 42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Applications.SecretsMax != 42 {
		t.Errorf("secretsMax = %d, want 42 from ./latchkey.yml", c.Applications.SecretsMax)
	}
}

func TestLoadExplicitMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.yml")
	_, err := Load(p, nil)
	if err == nil {
		t.Fatal("want an error for a missing explicit file")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	if want := "config: " + p + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func TestLoadFileOverrides(t *testing.T) {
	p := writeFile(t, `
server:
  console:
    addr: "127.0.0.1:9000"
  gateway:
    enabled: false
  publicURL: https://keys.example.com/latchkey
  writeTimeout: 1m
database:
  dsn: postgres://u:p@db/latchkey?sslmode=disable
log:
  level: debug
  format: json
session:
  maxAge: 30m
  secureCookie: always
security:
  login:
    maxAttempts: 3
    window: 1h
bootstrap:
  admin:
    email: admin@example.com
    password: s3cret-s3cret
applications:
  secretsMax: 25
services:
  notifier:
    client-secret:
      cronExpression: "0 30 6 * * MON-FRI"
      expiryThresholds: "1, 7,30,7"
notifiers:
  email:
    enabled: true
    host: smtp.example.com
    port: 25
    from: "Latchkey <latchkey@example.com>"
    startTLSRequired: false
`)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Server.Console.Addr = "127.0.0.1:9000"
	want.Server.Gateway.Enabled = false
	want.Server.PublicURL = "https://keys.example.com/latchkey"
	want.Server.WriteTimeout = Duration{time.Minute}
	want.Database.DSN = "postgres://u:p@db/latchkey?sslmode=disable"
	want.Log.Level, want.Log.Format = "debug", "json"
	want.Session.MaxAge = Duration{30 * time.Minute}
	want.Session.SecureCookie = "always"
	want.Security.Login.MaxAttempts = 3
	want.Security.Login.Window = Duration{time.Hour}
	want.Bootstrap.Admin.Email, want.Bootstrap.Admin.Password = "admin@example.com", "s3cret-s3cret"
	want.Applications.SecretsMax = 25
	want.Services.Notifier.ClientSecret.CronExpression = "0 30 6 * * MON-FRI"
	want.Services.Notifier.ClientSecret.ExpiryThresholds = "1, 7,30,7"
	want.Notifiers.Email.Enabled = true
	want.Notifiers.Email.Host = "smtp.example.com"
	want.Notifiers.Email.Port = 25
	want.Notifiers.Email.From = "Latchkey <latchkey@example.com>"
	want.Notifiers.Email.StartTLSRequired = false
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", c, want)
	}
	if got := c.ExpiryThresholdDays(); !slices.Equal(got, []int{30, 7, 1}) {
		t.Errorf("ExpiryThresholdDays = %v, want [30 7 1]", got)
	}
	if got := c.DatabaseDriver(); got != "postgres" {
		t.Errorf("DatabaseDriver = %q, want postgres", got)
	}
}

func TestLoadEmptyAndNullFile(t *testing.T) {
	for _, content := range []string{"", "# only a comment\n", "server:\n", "server:\n  console:\n    addr: ~\n"} {
		c, err := Load(writeFile(t, content), nil)
		if err != nil {
			t.Errorf("%q: %v", content, err)
			continue
		}
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("%q: got %+v, want defaults", content, c)
		}
	}
}

func TestEnvOverridesFile(t *testing.T) {
	p := writeFile(t, "applications:\n  secretsMax: 25\nlog:\n  level: debug\n")
	env := []string{
		"PATH=/usr/bin",
		"LATCHKEY_APPLICATIONS_SECRETSMAX=30",
		"LATCHKEY_SERVER_GATEWAY_ENABLED=false",
		"LATCHKEY_SESSION_MAXAGE=2h",
		"LATCHKEY_SERVICES_NOTIFIER_CLIENT_SECRET_CRONEXPRESSION=0 0 6 * * *",
		"LATCHKEY_DATABASE_DSN=file:test.db?cache=shared",
		"LATCHKEY_NO_SUCH_KEY=whatever", // unknown: ignored
		"LATCHKEY_CONFIG=/etc/latchkey.yml",
		"LATCHKEY_LOG_FORMAT=text",
		"LATCHKEY_LOG_FORMAT=json", // last one wins
		"latchkey_log_level=error", // names are case-sensitive
		"LATCHKEY_SERVER_GATEWAY_MAXCONNECTIONS=2500",
		"LATCHKEY_METRICS_BEARERTOKEN=scrape-token-0123456789",
	}
	c, err := Load(p, env)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Applications.SecretsMax = 30
	want.Log.Level = "debug"
	want.Log.Format = "json"
	want.Server.Gateway.Enabled = false
	want.Session.MaxAge = Duration{2 * time.Hour}
	want.Services.Notifier.ClientSecret.CronExpression = "0 0 6 * * *"
	want.Database.DSN = "file:test.db?cache=shared"
	want.Server.Gateway.MaxConnections = 2500
	want.Metrics.BearerToken = "scrape-token-0123456789"
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", c, want)
	}
}

func TestBadEnvValues(t *testing.T) {
	tests := []struct {
		env, key string
	}{
		{"LATCHKEY_APPLICATIONS_SECRETSMAX=abc", "applications.secretsMax"},
		{"LATCHKEY_APPLICATIONS_SECRETSMAX=", "applications.secretsMax"},
		{"LATCHKEY_SERVER_CONSOLE_ENABLED=maybe", "server.console.enabled"},
		{"LATCHKEY_SESSION_MAXAGE=12", "session.maxAge"},
		{"LATCHKEY_SECURITY_LOGIN_WINDOW=soon", "security.login.window"},
		{"LATCHKEY_NOTIFIERS_EMAIL_PORT=25.5", "notifiers.email.port"},
	}
	for _, tc := range tests {
		t.Run(tc.env, func(t *testing.T) {
			t.Chdir(t.TempDir())
			_, err := Load("", []string{tc.env})
			if err == nil {
				t.Fatal("want an error")
			}
			name, _, _ := strings.Cut(tc.env, "=")
			var ce *Error
			if !errors.As(err, &ce) || ce.Key != tc.key {
				t.Fatalf("error %v: want *Error for key %s", err, tc.key)
			}
			if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %q should name %s and %s", err, name, tc.key)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown top-level key", "servre:\n  publicURL: x\n", []string{`unknown key "servre"`, "line 1"}},
		{"unknown nested key", "server:\n  console:\n    adress: \":1\"\n", []string{`unknown key "server.console.adress"`, "line 3"}},
		{"gravitee key with wrong case", "applications:\n  secretsmax: 5\n", []string{`unknown key "applications.secretsmax"`}},
		{"int type error", "applications:\n  secretsMax: many\n", []string{"applications.secretsMax", "must be an integer", `"many"`}},
		{"bool type error", "server:\n  console:\n    enabled: perhaps\n", []string{"server.console.enabled", "true or false"}},
		{"duration type error", "session:\n  maxAge: 12\n", []string{"session.maxAge", "duration"}},
		{"mapping where string expected", "database:\n  dsn:\n    a: b\n", []string{"database.dsn", "must be a string"}},
		{"scalar where mapping expected", "server: 8093\n", []string{"server must be a mapping"}},
		{"repeated key", "log:\n  level: info\n  level: debug\n", []string{"log.level", "repeated"}},
		{"syntax error", "server:\n  console: [\n", []string{"config: "}},
		{"two documents", "log:\n  level: info\n---\nlog:\n  level: debug\n", []string{"one YAML document"}},
		{"top level not a mapping", "- a\n- b\n", []string{"top level must be a mapping"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.yaml)
			_, err := Load(p, nil)
			if err == nil {
				t.Fatal("want an error")
			}
			if prefix := "config: " + p + ": "; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestMergeKeys(t *testing.T) {
	p := writeFile(t, `
base: &l
  enabled: true
`)
	if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), `unknown key "base"`) {
		t.Errorf("got %v, want unknown key base", err)
	}
	p = writeFile(t, `
server:
  console: &l
    enabled: true
    addr: ":9001"
  gateway:
    <<: *l
    addr: ":9002"
`)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Gateway != (Listener{Enabled: true, Addr: ":9002", MaxConnections: 10_000}) || c.Server.Console.Addr != ":9001" {
		t.Errorf("merge: got %+v", c.Server)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(c *Config)
		key     string // "" = valid
		problem string // substring of the problem
	}{
		{"defaults", func(c *Config) {}, "", ""},
		{"secretsMax 0", func(c *Config) { c.Applications.SecretsMax = 0 }, "applications.secretsMax", "must be between 1 and 1000 (got 0)"},
		{"secretsMax 1001", func(c *Config) { c.Applications.SecretsMax = 1001 }, "applications.secretsMax", "must be between 1 and 1000 (got 1001)"},
		{"secretsMax 1", func(c *Config) { c.Applications.SecretsMax = 1 }, "", ""},
		{"secretsMax 1000", func(c *Config) { c.Applications.SecretsMax = 1000 }, "", ""},
		{"addr without port", func(c *Config) { c.Server.Console.Addr = "localhost" }, "server.console.addr", "host:port"},
		{"addr empty", func(c *Config) { c.Server.Gateway.Addr = "" }, "server.gateway.addr", "host:port"},
		{"addr named port", func(c *Config) { c.Server.Console.Addr = ":http" }, "server.console.addr", "port must be a number"},
		{"addr port too big", func(c *Config) { c.Server.Console.Addr = ":65536" }, "server.console.addr", "port must be a number"},
		{"addr port 0", func(c *Config) { c.Server.Console.Addr = "127.0.0.1:0" }, "", ""},
		{"addr ipv6", func(c *Config) { c.Server.Console.Addr = "[::1]:8093" }, "", ""},
		{"bad addr on disabled listener", func(c *Config) { c.Server.Gateway = Listener{Addr: "junk"} }, "", ""},
		{"maxConnections 0", func(c *Config) { c.Server.Console.MaxConnections = 0 }, "server.console.maxConnections", "between 1 and 1000000 (got 0)"},
		{"maxConnections too many", func(c *Config) { c.Server.Gateway.MaxConnections = 1_000_001 }, "server.gateway.maxConnections", "between 1 and 1000000"},
		{"maxConnections 1", func(c *Config) { c.Server.Gateway.MaxConnections = 1 }, "", ""},
		{"metrics bearerToken short", func(c *Config) { c.Metrics.BearerToken = "0123456789abcde" }, "metrics.bearerToken", "at least 16 characters (got 15)"},
		{"metrics bearerToken space", func(c *Config) { c.Metrics.BearerToken = "0123456789 abcdef" }, "metrics.bearerToken", "without spaces"},
		{"metrics bearerToken", func(c *Config) { c.Metrics.BearerToken = "0123456789abcdef" }, "", ""},
		{"both listeners disabled", func(c *Config) { c.Server.Console.Enabled, c.Server.Gateway.Enabled = false, false },
			"server", "at least one of server.console.enabled and server.gateway.enabled must be true"},
		{"gateway only", func(c *Config) { c.Server.Console.Enabled = false }, "", ""},
		{"publicURL relative", func(c *Config) { c.Server.PublicURL = "/latchkey" }, "server.publicURL", "absolute http or https URL"},
		{"publicURL no scheme", func(c *Config) { c.Server.PublicURL = "localhost:8093" }, "server.publicURL", "absolute"},
		{"publicURL ftp", func(c *Config) { c.Server.PublicURL = "ftp://example.com" }, "server.publicURL", "absolute"},
		{"publicURL empty", func(c *Config) { c.Server.PublicURL = "" }, "server.publicURL", "absolute"},
		{"publicURL with query", func(c *Config) { c.Server.PublicURL = "https://example.com/?a=b" }, "server.publicURL", "query"},
		{"publicURL https path", func(c *Config) { c.Server.PublicURL = "https://example.com/keys/" }, "", ""},
		{"readTimeout 0", func(c *Config) { c.Server.ReadTimeout = Duration{} }, "server.readTimeout", "greater than 0"},
		{"shutdownTimeout negative", func(c *Config) { c.Server.ShutdownTimeout = Duration{-time.Second} }, "server.shutdownTimeout", "greater than 0"},
		{"dsn empty", func(c *Config) { c.Database.DSN = " " }, "database.dsn", "must not be empty"},
		{"kek short", func(c *Config) { c.Security.KeyEncryptionKey = "c2hvcnQ=" }, "security.keyEncryptionKey", "exactly 32 bytes"},
		{"kek not base64", func(c *Config) { c.Security.KeyEncryptionKey = "not base64!" }, "security.keyEncryptionKey", "base64"},
		{"kek ok", func(c *Config) { c.Security.KeyEncryptionKey = "bGF0Y2hrZXktdGVzdC1rZXktZW5jcnlwdGlvbi0zMmI=" }, "", ""},
		{"certificate algorithm", func(c *Config) { c.Domains.Certificates.Default.Algorithm = "HS256" }, "domains.certificates.default.algorithm", "ES256, RS256, PS256 or EdDSA"},
		{"certificate key size", func(c *Config) { c.Domains.Certificates.Default.KeySize = 1024 }, "domains.certificates.default.keySize", "2048, 3072 or 4096"},
		{"certificate validity", func(c *Config) { c.Domains.Certificates.Default.Validity = 0 }, "domains.certificates.default.validity", "between 2 and 3650"},
		{"certificate subject", func(c *Config) { c.Domains.Certificates.Default.Subject = " " }, "domains.certificates.default.subject", "must not be empty"},
		{"refresh delay negative", func(c *Config) { c.Domains.Certificates.Default.Refresh.Delay = Duration{-time.Second} }, "domains.certificates.default.refresh.delay", "negative"},
		{"auto-rotation past validity", func(c *Config) { c.Domains.Certificates.Default.AutoRotateDays = 365 }, "domains.certificates.default.autoRotateDays", "less than the validity"},
		{"log level", func(c *Config) { c.Log.Level = "verbose" }, "log.level", "debug, info, warn, error"},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, "log.format", "text or json"},
		{"hashKey not base64", func(c *Config) { c.Session.HashKey = "not base64!" }, "session.hashKey", "base64"},
		{"hashKey too short", func(c *Config) { c.Session.HashKey = b64(31) }, "session.hashKey", "at least 32 bytes (got 31 bytes)"},
		{"hashKey 64 bytes", func(c *Config) { c.Session.HashKey = b64(64) }, "", ""},
		{"hashKey url alphabet unpadded", func(c *Config) {
			c.Session.HashKey = base64.RawURLEncoding.EncodeToString([]byte("\xff\xfe\xfd0123456789012345678901234567890"))
		}, "", ""},
		{"blockKey not base64", func(c *Config) { c.Session.BlockKey = "%%%%" }, "session.blockKey", "base64"},
		{"blockKey 20 bytes", func(c *Config) { c.Session.BlockKey = b64(20) }, "session.blockKey", "exactly 16, 24 or 32 bytes (got 20 bytes)"},
		{"blockKey 24 bytes", func(c *Config) { c.Session.BlockKey = b64(24) }, "", ""},
		{"maxAge 0", func(c *Config) { c.Session.MaxAge = Duration{} }, "session.maxAge", "greater than 0 (got 0s)"},
		{"secureCookie", func(c *Config) { c.Session.SecureCookie = "yes" }, "session.secureCookie", "auto, always or never"},
		{"maxAttempts 0", func(c *Config) { c.Security.Login.MaxAttempts = 0 }, "security.login.maxAttempts", "at least 1"},
		{"window 0", func(c *Config) { c.Security.Login.Window = Duration{} }, "security.login.window", "greater than 0"},
		{"bootstrap email without password", func(c *Config) { c.Bootstrap.Admin.Email = "a@example.com" },
			"bootstrap.admin.password", "must be set when bootstrap.admin.email is set"},
		{"bootstrap password without email", func(c *Config) { c.Bootstrap.Admin.Password = "pw" },
			"bootstrap.admin.email", "must be set when bootstrap.admin.password is set"},
		{"bootstrap bad email", func(c *Config) { c.Bootstrap.Admin.Email, c.Bootstrap.Admin.Password = "admin", "pw" },
			"bootstrap.admin.email", "e-mail address"},
		{"bootstrap empty name", func(c *Config) {
			c.Bootstrap.Admin.Email, c.Bootstrap.Admin.Password, c.Bootstrap.Admin.Name = "a@example.com", "pw", ""
		}, "bootstrap.admin.name", "must not be empty"},
		{"bootstrap complete", func(c *Config) { c.Bootstrap.Admin.Email, c.Bootstrap.Admin.Password = "a@example.com", "pw" }, "", ""},
		{"cron 5 fields", func(c *Config) { c.Services.Notifier.ClientSecret.CronExpression = "0 5 * * *" },
			"services.notifier.client-secret.cronExpression", "6 space-separated fields"},
		{"cron 7 fields", func(c *Config) { c.Services.Notifier.ClientSecret.CronExpression = "0 0 5 * * * 2030" },
			"services.notifier.client-secret.cronExpression", "got 7"},
		{"cron empty", func(c *Config) { c.Services.Notifier.ClientSecret.CronExpression = "" },
			"services.notifier.client-secret.cronExpression", "got 0"},
		{"thresholds 20,x", func(c *Config) { c.Services.Notifier.ClientSecret.ExpiryThresholds = "20,x" },
			"services.notifier.client-secret.expiryThresholds", `"x"`},
		{"thresholds 0", func(c *Config) { c.Services.Notifier.ClientSecret.ExpiryThresholds = "0" },
			"services.notifier.client-secret.expiryThresholds", "positive"},
		{"thresholds negative", func(c *Config) { c.Services.Notifier.ClientSecret.ExpiryThresholds = "5,-1" },
			"services.notifier.client-secret.expiryThresholds", "positive"},
		{"thresholds empty", func(c *Config) { c.Services.Notifier.ClientSecret.ExpiryThresholds = "" },
			"services.notifier.client-secret.expiryThresholds", "at least one"},
		{"thresholds empty item", func(c *Config) { c.Services.Notifier.ClientSecret.ExpiryThresholds = "20,,5" },
			"services.notifier.client-secret.expiryThresholds", "positive"},
		{"subject empty", func(c *Config) { c.Services.Notifier.ClientSecret.ExpiryEmailSubject = "" },
			"services.notifier.client-secret.expiryEmailSubject", "must not be empty"},
		{"email port 0", func(c *Config) { c.Notifiers.Email.Port = 0 }, "notifiers.email.port", "between 1 and 65535 (got 0)"},
		{"email port 65536", func(c *Config) { c.Notifiers.Email.Port = 65536 }, "notifiers.email.port", "between 1 and 65535"},
		{"email enabled without from", func(c *Config) { c.Notifiers.Email.Enabled, c.Notifiers.Email.Host = true, "smtp.example.com" },
			"notifiers.email.from", "must be set when notifiers.email.enabled is true"},
		{"email enabled without host", func(c *Config) { c.Notifiers.Email.Enabled, c.Notifiers.Email.From = true, "a@example.com" },
			"notifiers.email.host", "must be set"},
		{"email bad from", func(c *Config) {
			c.Notifiers.Email.Enabled, c.Notifiers.Email.Host, c.Notifiers.Email.From = true, "smtp", "not an address"
		}, "notifiers.email.from", "e-mail address"},
		{"email disabled without from", func(c *Config) { c.Notifiers.Email.Host = "smtp.example.com" }, "", ""},
		{"first problem wins", func(c *Config) { c.Applications.SecretsMax = 0; c.Log.Level = "loud" }, "log.level", "debug"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.mod(c)
			err := c.Validate()
			if tc.key == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want *Error", err, err)
			}
			if ce.Key != tc.key || !strings.Contains(ce.Problem, tc.problem) {
				t.Errorf("got %q, want key %s with problem containing %q", err, tc.key, tc.problem)
			}
			if want := "config: " + tc.key + ": "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	c := Default()
	c.Applications.SecretsMax = 0
	err := c.Validate()
	if want := "config: applications.secretsMax: must be between 1 and 1000 (got 0)"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// Validation also runs through Load, after env overrides.
func TestLoadValidates(t *testing.T) {
	p := writeFile(t, "applications:\n  secretsMax: 1001\n")
	_, err := Load(p, nil)
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "applications.secretsMax" {
		t.Fatalf("got %v, want *Error for applications.secretsMax", err)
	}
	if _, err := Load(p, []string{"LATCHKEY_APPLICATIONS_SECRETSMAX=7"}); err != nil {
		t.Errorf("env should fix the file value: %v", err)
	}
	_, err = Load(p, []string{"LATCHKEY_SERVER_CONSOLE_ENABLED=0", "LATCHKEY_SERVER_GATEWAY_ENABLED=false", "LATCHKEY_APPLICATIONS_SECRETSMAX=7"})
	if err == nil || !strings.Contains(err.Error(), "at least one of server.console.enabled and server.gateway.enabled must be true") {
		t.Errorf("got %v, want the listeners error", err)
	}
}

func TestExpiryThresholdDays(t *testing.T) {
	tests := []struct {
		in   string
		want []int
	}{
		{"20,15,10,5,1", []int{20, 15, 10, 5, 1}},
		{"1,5,10", []int{10, 5, 1}},
		{" 7 , 7,30 ,1,30", []int{30, 7, 1}},
		{"3", []int{3}},
		{"3,x", nil},
		{"", nil},
	}
	for _, tc := range tests {
		c := Default()
		c.Services.Notifier.ClientSecret.ExpiryThresholds = tc.in
		if got := c.ExpiryThresholdDays(); !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestEnvName(t *testing.T) {
	tests := map[string]string{
		"applications.secretsMax":                        "LATCHKEY_APPLICATIONS_SECRETSMAX",
		"services.notifier.client-secret.cronExpression": "LATCHKEY_SERVICES_NOTIFIER_CLIENT_SECRET_CRONEXPRESSION",
		"server.console.addr":                            "LATCHKEY_SERVER_CONSOLE_ADDR",
		"notifiers.email.startTLSRequired":               "LATCHKEY_NOTIFIERS_EMAIL_STARTTLSREQUIRED",
	}
	for key, want := range tests {
		if got := EnvName(key); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestKeys(t *testing.T) {
	keys := Keys()
	names := map[string]bool{}
	for _, k := range keys {
		names[k.Name] = true
	}
	for _, want := range []string{"applications.secretsMax", "server.gatewayURL", "security.token.maxAttempts", "services.notifier.client-secret.cronExpression", "notifiers.email.host"} {
		if !names[want] {
			t.Errorf("Keys() lacks %s", want)
		}
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if k.Env != EnvName(k.Name) {
			t.Errorf("%s: Env = %s, want %s", k.Name, k.Env, EnvName(k.Name))
		}
		if seen[k.Env] {
			t.Errorf("environment variable %s is used by two keys", k.Env)
		}
		seen[k.Env] = true
		if k.Env == EnvConfig {
			t.Errorf("key %s collides with %s", k.Name, EnvConfig)
		}
	}
	want := []Key{
		{Name: "server.console.enabled", Env: "LATCHKEY_SERVER_CONSOLE_ENABLED", Type: "bool", Default: "true"},
		{Name: "server.console.addr", Env: "LATCHKEY_SERVER_CONSOLE_ADDR", Type: "string", Default: ":8093"},
	}
	if !reflect.DeepEqual(keys[:2], want) {
		t.Errorf("Keys()[:2] = %+v, want %+v", keys[:2], want)
	}
	for _, k := range keys {
		switch k.Name {
		case "session.maxAge":
			if k.Type != "duration" || k.Default != "12h" {
				t.Errorf("session.maxAge = %+v", k)
			}
		case "applications.secretsMax":
			if k.Type != "int" || k.Default != "10" || k.Env != "LATCHKEY_APPLICATIONS_SECRETSMAX" {
				t.Errorf("applications.secretsMax = %+v", k)
			}
		}
	}
}

// Every key can be set through its environment variable, using the Default
// string form that Keys reports: feeding all defaults back in is a no-op.
func TestEnvRoundTripAllKeys(t *testing.T) {
	var env []string
	for _, k := range Keys() {
		env = append(env, k.Env+"="+k.Default)
	}
	c := Default()
	if err := applyEnv(c, env); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("round trip changed the config: %+v", c)
	}
}

// The example file must equal the defaults, so it cannot drift.
func TestExampleFileEqualsDefaults(t *testing.T) {
	c, err := Load(examplePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("%s differs from Default():\n got %+v\nwant %+v", examplePath, c, Default())
	}
}

// Every key must be written out (and so documented) in the example file.
func TestExampleFileListsEveryKey(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	present := map[string]int{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode:
			walk(n.Content[0], prefix)
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				name := join(prefix, k.Value)
				if v.Kind == yaml.MappingNode {
					walk(v, name)
					continue
				}
				present[name] = k.Line
				if v.LineComment == "" {
					t.Errorf("%s: key %s has no comment", examplePath, name)
				}
			}
		}
	}
	walk(&doc, "")
	for _, k := range Keys() {
		if _, ok := present[k.Name]; !ok {
			t.Errorf("%s does not list key %s", examplePath, k.Name)
		}
	}
	text := string(data)
	for _, s := range []string{"LATCHKEY_", "LATCHKEY_APPLICATIONS_SECRETSMAX"} {
		if !strings.Contains(text, s) {
			t.Errorf("%s header should explain the environment variables (missing %q)", examplePath, s)
		}
	}
}

func TestDurationString(t *testing.T) {
	tests := map[time.Duration]string{
		12 * time.Hour:               "12h",
		15 * time.Minute:             "15m",
		120 * time.Second:            "2m",
		90 * time.Minute:             "1h30m",
		5 * time.Second:              "5s",
		0:                            "0s",
		1500 * time.Millisecond:      "1.5s",
		time.Hour + 30*time.Second:   "1h0m30s",
		36*time.Hour + 5*time.Minute: "36h5m",
	}
	for d, want := range tests {
		if got := (Duration{d}).String(); got != want {
			t.Errorf("Duration(%v).String() = %q, want %q", d, got, want)
		}
		back, err := time.ParseDuration(want)
		if err != nil || back != d {
			t.Errorf("%q does not parse back to %v", want, d)
		}
	}
}

func TestSessionKeyHelpers(t *testing.T) {
	c := Default()
	if c.SessionHashKey() != nil || c.SessionBlockKey() != nil {
		t.Error("empty keys should decode to nil")
	}
	c.Session.HashKey, c.Session.BlockKey = b64(32), base64.RawURLEncoding.EncodeToString(make([]byte, 16))
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.SessionHashKey()) != 32 || len(c.SessionBlockKey()) != 16 {
		t.Errorf("got %d and %d bytes, want 32 and 16", len(c.SessionHashKey()), len(c.SessionBlockKey()))
	}
}
