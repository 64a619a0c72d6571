// Package config loads Latchkey's configuration.
//
// Configuration comes from three layers, applied in this order:
//
//  1. built-in defaults (see [Default]);
//  2. one YAML file, latchkey.yml by default (see [Load]);
//  3. environment variables.
//
// Key names follow Gravitee AM where Gravitee has an equivalent setting
// (applications.secretsMax, services.notifier.client-secret.cronExpression,
// notifiers.email.*, ...). The YAML file is decoded strictly: a key that
// Latchkey does not know is an error, so typos are caught at start-up.
// latchkey.example.yml at the repository root lists every key with its
// default value.
//
// # Environment variables
//
// Every key can be overridden by an environment variable whose name is
// "LATCHKEY_" followed by the dotted key in upper case, with every "." and
// "-" replaced by "_":
//
//	applications.secretsMax                         → LATCHKEY_APPLICATIONS_SECRETSMAX
//	server.console.addr                             → LATCHKEY_SERVER_CONSOLE_ADDR
//	services.notifier.client-secret.cronExpression → LATCHKEY_SERVICES_NOTIFIER_CLIENT_SECRET_CRONEXPRESSION
//
// Values use the same syntax as in YAML: durations are Go durations such as
// "15s" or "12h", booleans are true/false (also 1/0, t/f), integers are
// decimal. A variable that is set counts even when its value is empty (which
// sets a string key to ""). A value that does not parse is an error naming
// both the variable and the key. Variables with the LATCHKEY_ prefix that
// match no key are ignored, since other tools may set some; LATCHKEY_CONFIG
// is not a key either: it names the configuration file and is read by the
// latchkey command, not by this package. [EnvName] and [Keys] give the
// variable names programmatically.
//
// It imports no other Latchkey package: every other package may use it.
package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/mail"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultFile is the configuration file Load reads when it is given no path
// and the file exists in the working directory.
const DefaultFile = "latchkey.yml"

// Config is Latchkey's complete configuration. The yaml tags are the public
// key names; nested structs form dotted keys such as "server.console.addr".
type Config struct {
	// Server configures the two HTTP listeners.
	Server struct {
		// Console serves the web console and the Management API.
		Console Listener `yaml:"console"`
		// Gateway serves the OAuth endpoints (token, JWKS, introspection).
		Gateway Listener `yaml:"gateway"`
		// PublicURL is the base URL of the console as people reach it
		// (used in setup links and e-mails). Must be an absolute http(s) URL.
		PublicURL string `yaml:"publicURL"`
		// GatewayURL is the base URL of the gateway as clients reach it: the
		// token issuer is GatewayURL/{hrid}/oidc. Must be an absolute http(s) URL.
		GatewayURL string `yaml:"gatewayURL"`
		// TrustedProxies lists, comma-separated, the addresses or CIDR
		// ranges of reverse proxies whose X-Forwarded-For header is
		// believed (for rate limits and the audit log). Empty: the peer
		// address is the client's.
		TrustedProxies string `yaml:"trustedProxies"`
		// ReadHeaderTimeout bounds reading request headers.
		ReadHeaderTimeout Duration `yaml:"readHeaderTimeout"`
		// ReadTimeout bounds reading a whole request.
		ReadTimeout Duration `yaml:"readTimeout"`
		// WriteTimeout bounds writing a response.
		WriteTimeout Duration `yaml:"writeTimeout"`
		// IdleTimeout bounds keep-alive idle time.
		IdleTimeout Duration `yaml:"idleTimeout"`
		// ShutdownTimeout bounds the graceful shutdown.
		ShutdownTimeout Duration `yaml:"shutdownTimeout"`
	} `yaml:"server"`

	// Metrics configures the Prometheus endpoint. The gateway listener
	// never serves it: it names every domain, which the gateway otherwise
	// hides from clients.
	Metrics struct {
		// Enabled serves /metrics.
		Enabled bool `yaml:"enabled"`
		// Addr, when set (host:port), serves /metrics on its own listener
		// (unauthenticated unless BearerToken is set) instead of on the
		// console listener: for scrapers on a private network.
		Addr string `yaml:"addr"`
		// BearerToken, when set, lets a scraper read /metrics by sending
		// "Authorization: Bearer <token>" (on the console listener, and
		// required on the Addr listener). Without it, the console serves
		// /metrics only to signed-in administrators. At least 16
		// characters, no spaces.
		BearerToken string `yaml:"bearerToken"`
	} `yaml:"metrics"`

	// Database selects the store.
	Database struct {
		// DSN is a PostgreSQL URL (postgres:// or postgresql://) or, for
		// anything else, a SQLite file path (also "file:..." URIs).
		DSN string `yaml:"dsn"`
		// MaxOpenConns bounds the connections to the database.
		MaxOpenConns int `yaml:"maxOpenConns"`
		// MaxIdleConns is how many connections stay open when idle.
		MaxIdleConns int `yaml:"maxIdleConns"`
		// ConnMaxLifetime recycles connections (through load balancers and
		// failovers).
		ConnMaxLifetime Duration `yaml:"connMaxLifetime"`
		// StatementTimeout bounds each statement on PostgreSQL.
		StatementTimeout Duration `yaml:"statementTimeout"`
	} `yaml:"database"`

	// Log configures logging.
	Log struct {
		// Level is one of debug, info, warn, error.
		Level string `yaml:"level"`
		// Format is text or json.
		Format string `yaml:"format"`
		// Access logs one line per request on both listeners (method,
		// route, status, duration, client id, request id; never a query
		// string, a secret or a token). JSON lines with format: json.
		Access bool `yaml:"access"`
	} `yaml:"log"`

	// Session configures console session cookies.
	Session struct {
		// HashKey is the cookie signing key: base64 (standard or URL
		// alphabet) of at least 32 bytes. Empty means generate one once and
		// store it in the database.
		HashKey string `yaml:"hashKey"`
		// BlockKey is the cookie encryption key: base64 of exactly 16, 24
		// or 32 bytes (AES). Empty means generate one once and store it.
		BlockKey string `yaml:"blockKey"`
		// MaxAge is the session lifetime; must be positive.
		MaxAge Duration `yaml:"maxAge"`
		// SecureCookie is "auto" (Secure when the request came over TLS or
		// PublicURL is https), "always" or "never".
		SecureCookie string `yaml:"secureCookie"`
	} `yaml:"session"`

	// Security holds protective limits.
	Security struct {
		// Login throttles failed console logins.
		Login struct {
			// MaxAttempts failures are allowed within Window, per (account,
			// client address) and per client address, before further
			// attempts from there are refused; an account's failures from
			// all addresses only slow its sign-ins down.
			MaxAttempts int `yaml:"maxAttempts"`
			// Window is the period over which failures are counted.
			Window Duration `yaml:"window"`
		} `yaml:"login"`
		// Token throttles failed client authentication at the gateway.
		Token struct {
			// MaxAttempts failures are allowed within Window, per (clientId,
			// client address) and per client address, before the gateway
			// answers 429 to that address.
			MaxAttempts int `yaml:"maxAttempts"`
			// Window is the period over which failures are counted.
			Window Duration `yaml:"window"`
		} `yaml:"token"`
		// KeyEncryptionKey seals the private keys of certificates and the
		// session keys in the database: base64 of exactly 32 bytes (AES-256),
		// the same on every node. Empty: a SQLite install keeps one in a key
		// file beside its database (mode 0600, made on first start); a
		// PostgreSQL install must set it. Keep a copy apart from the
		// database's backups: without it their keys cannot be read.
		KeyEncryptionKey string `yaml:"keyEncryptionKey"`
	} `yaml:"security"`

	// Bootstrap creates the first administrator on an empty database.
	Bootstrap struct {
		// Admin is the account to create. Email and Password must be set
		// together or not at all.
		Admin struct {
			Email    string `yaml:"email"`
			Password string `yaml:"password"`
			Name     string `yaml:"name"`
		} `yaml:"admin"`
	} `yaml:"bootstrap"`

	// Applications holds application-level limits.
	Applications struct {
		// SecretsMax is the maximum number of client secrets per
		// application (Gravitee: applications.secretsMax), 1..1000.
		SecretsMax int `yaml:"secretsMax"`
		// ClientCertificatesMax is the maximum number of client
		// certificates (private_key_jwt keys) per application, 1..1000.
		ClientCertificatesMax int `yaml:"clientCertificatesMax"`
	} `yaml:"applications"`

	// Gateway tunes the OAuth endpoints' rules.
	Gateway struct {
		// ClientAssertion bounds private_key_jwt assertions (RFC 7523).
		ClientAssertion struct {
			// MaxLifetime is how far ahead of now an assertion's exp may
			// be; its jti is remembered that long at most.
			MaxLifetime Duration `yaml:"maxLifetime"`
		} `yaml:"clientAssertion"`
	} `yaml:"gateway"`

	// Domains configures what domains get by default.
	Domains struct {
		Certificates struct {
			// Default configures the system certificates Latchkey generates.
			Default struct {
				// Validity is how many days a system certificate is valid.
				Validity int `yaml:"validity"`
				// Subject is its distinguished name, e.g. "CN=Latchkey,O=Example".
				Subject string `yaml:"subject"`
				// Algorithm is ES256, RS256, PS256 or EdDSA.
				Algorithm string `yaml:"algorithm"`
				// KeySize is the RSA key size for RS256 and PS256: 2048, 3072 or 4096.
				KeySize int `yaml:"keySize"`
				Refresh struct {
					// Delay is how long after a rotation the new certificate
					// starts signing; it is published in the JWKS at once.
					Delay Duration `yaml:"delay"`
				} `yaml:"refresh"`
				// AutoRotateDays rotates a system certificate this many days
				// before it expires.
				AutoRotateDays int `yaml:"autoRotateDays"`
			} `yaml:"default"`
		} `yaml:"certificates"`
	} `yaml:"domains"`

	// Services configures background services.
	Services struct {
		// Notifier sends expiry notifications, one settings block per
		// source of expiring credentials (see [Config.NotifierSources]).
		Notifier struct {
			// Enabled switches all notifications on or off.
			Enabled bool `yaml:"enabled"`
			// ClientSecret configures the client-secret expiry job.
			ClientSecret NotifierSource `yaml:"client-secret"`
			// Certificate configures the certificate expiry job.
			Certificate NotifierSource `yaml:"certificate"`
			// ClientCertificate configures the client certificate
			// (private_key_jwt key) expiry job.
			ClientCertificate NotifierSource `yaml:"client-certificate"`
		} `yaml:"notifier"`
	} `yaml:"services"`

	// Notifiers configures notification channels.
	Notifiers struct {
		// Email is the SMTP channel.
		Email struct {
			Enabled  bool   `yaml:"enabled"`
			Host     string `yaml:"host"`
			Port     int    `yaml:"port"`
			Username string `yaml:"username"`
			Password string `yaml:"password"`
			// From is the sender address; required when Enabled.
			From string `yaml:"from"`
			// StartTLSRequired refuses to send unless the server offers
			// STARTTLS.
			StartTLSRequired bool `yaml:"startTLSRequired"`
			// TLS connects with TLS from the first byte (SMTPS, usually
			// port 465) instead of upgrading with STARTTLS.
			TLS bool `yaml:"tls"`
		} `yaml:"email"`
		// UI is the in-console channel: the bell in the header and the
		// Notifications page.
		UI struct {
			Enabled bool `yaml:"enabled"`
		} `yaml:"ui"`
		// Webhook POSTs each notice as a signed JSON event.
		Webhook struct {
			Enabled bool `yaml:"enabled"`
			// URLs lists, comma-separated, the absolute http(s) URLs that
			// receive every event; required when Enabled.
			URLs string `yaml:"urls"`
			// Secret is the HMAC-SHA256 key that signs each request (header
			// X-Latchkey-Signature); required when Enabled, at least 16
			// characters.
			Secret string `yaml:"secret"`
		} `yaml:"webhook"`
		// Log writes each notice to Latchkey's log.
		Log struct {
			Enabled bool `yaml:"enabled"`
		} `yaml:"log"`
	} `yaml:"notifiers"`
}

// Listener is one HTTP listener.
type Listener struct {
	// Enabled turns the listener on.
	Enabled bool `yaml:"enabled"`
	// Addr is the listen address in host:port form (host may be empty);
	// port 0 picks a free port.
	Addr string `yaml:"addr"`
	// MaxConnections caps the connections open at once, idle keep-alive
	// ones included; connections over the cap are closed at once, so they
	// cannot exhaust the process's file descriptors. Lowered at start-up
	// when RLIMIT_NOFILE leaves less room.
	MaxConnections int `yaml:"maxConnections"`
}

// MaxConnectionsLimit is the largest accepted
// server.console.maxConnections and server.gateway.maxConnections.
const MaxConnectionsLimit = 1_000_000

// Duration is a time.Duration written as a Go duration string ("15s",
// "12h") in YAML and in environment variables.
type Duration struct{ time.Duration }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(value *yaml.Node) error {
	if value.Kind != yaml.ScalarNode {
		return fmt.Errorf("must be a duration such as \"15s\" or \"12h\" (got %s)", describeNode(value))
	}
	v, err := parseDuration(value.Value)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalYAML implements yaml.Marshaler, writing the same form String returns.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// String formats the duration like time.Duration.String but without
// trailing zero units: "12h" rather than "12h0m0s".
func (d Duration) String() string {
	s := d.Duration.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func parseDuration(s string) (time.Duration, error) {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("must be a duration such as \"15s\" or \"12h\" (got %q)", s)
	}
	return v, nil
}

// Error is a configuration problem attributed to one key.
type Error struct {
	// Key is the dotted key, e.g. "applications.secretsMax".
	Key string
	// Problem says what is wrong, e.g. "must be between 1 and 1000 (got 0)".
	Problem string
}

// Error returns "config: <key>: <problem>".
func (e *Error) Error() string { return "config: " + e.Key + ": " + e.Problem }

// Default returns the built-in configuration used when neither the file nor
// the environment says otherwise.
func Default() *Config {
	c := &Config{}
	c.Server.Console = Listener{Enabled: true, Addr: ":8093", MaxConnections: 10_000}
	c.Server.Gateway = Listener{Enabled: true, Addr: ":8092", MaxConnections: 10_000}
	c.Server.PublicURL = "http://localhost:8093"
	c.Server.ReadHeaderTimeout = Duration{5 * time.Second}
	c.Server.ReadTimeout = Duration{15 * time.Second}
	c.Server.WriteTimeout = Duration{30 * time.Second}
	c.Server.IdleTimeout = Duration{120 * time.Second}
	c.Server.ShutdownTimeout = Duration{20 * time.Second}
	c.Database.DSN = "data/latchkey.db"
	c.Log.Level = "info"
	c.Log.Format = "text"
	c.Session.MaxAge = Duration{12 * time.Hour}
	c.Session.SecureCookie = "auto"
	c.Security.Login.MaxAttempts = 5
	c.Security.Login.Window = Duration{15 * time.Minute}
	c.Security.Token.MaxAttempts = 20
	c.Security.Token.Window = Duration{time.Minute}
	c.Server.GatewayURL = "http://localhost:8092"
	c.Metrics.Enabled = true
	c.Database.MaxOpenConns = 25
	c.Database.MaxIdleConns = 25
	c.Database.ConnMaxLifetime = Duration{30 * time.Minute}
	c.Database.StatementTimeout = Duration{10 * time.Second}
	c.Bootstrap.Admin.Name = "Administrator"
	c.Applications.SecretsMax = 10
	c.Applications.ClientCertificatesMax = 10
	c.Gateway.ClientAssertion.MaxLifetime = Duration{5 * time.Minute}
	cd := &c.Domains.Certificates.Default
	cd.Validity = 365
	cd.Subject = "CN=Latchkey"
	cd.Algorithm = "ES256"
	cd.KeySize = 2048
	cd.Refresh.Delay = Duration{10 * time.Minute}
	cd.AutoRotateDays = 30
	n := &c.Services.Notifier
	n.Enabled = true
	n.ClientSecret.Enabled = true
	n.ClientSecret.CronExpression = "0 0 5 * * *"
	n.ClientSecret.ExpiryThresholds = "20,15,10,5,1"
	n.ClientSecret.ExpiryEmailSubject = "Client secret of application ${applicationName} will expire on ${expiryDate}"
	n.ClientSecret.ExpiredEmailSubject = "Client secret ${secretName} of application ${applicationName} expired on ${expiryDate}"
	n.Certificate.Enabled = true
	n.Certificate.CronExpression = "0 0 5 * * *"
	n.Certificate.ExpiryThresholds = "20,15,10,5,1"
	n.Certificate.ExpiryEmailSubject = "Certificate ${certificateName} for domain ${domainName} will expire on ${expiryDate}"
	n.Certificate.ExpiredEmailSubject = "Certificate ${certificateName} for domain ${domainName} expired on ${expiryDate}"
	n.ClientCertificate.Enabled = true
	n.ClientCertificate.CronExpression = "0 0 5 * * *"
	n.ClientCertificate.ExpiryThresholds = "20,15,10,5,1"
	n.ClientCertificate.ExpiryEmailSubject = "Client certificate ${clientCertificateName} of application ${applicationName} will expire on ${expiryDate}"
	n.ClientCertificate.ExpiredEmailSubject = "Client certificate ${clientCertificateName} of application ${applicationName} expired on ${expiryDate}"
	e := &c.Notifiers.Email
	e.Port = 587
	e.StartTLSRequired = true
	c.Notifiers.UI.Enabled = true
	c.Notifiers.Log.Enabled = true
	return c
}

// Load builds the configuration: defaults first, then the YAML file at path,
// then overrides from environ (in os.Environ form, "KEY=value"; when a
// variable appears more than once the last one wins), then [Config.Validate].
//
// An empty path means DefaultFile in the working directory if it exists,
// and no file otherwise; an explicit path that does not exist is an error.
// File problems are reported as "config: <file>: ..."; unknown keys and
// values of the wrong type name the dotted key and the line.
func Load(path string, environ []string) (*Config, error) {
	c := Default()
	if path == "" {
		if _, err := os.Stat(DefaultFile); err == nil {
			path = DefaultFile
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config: %s: %w", DefaultFile, unwrapPath(err))
		}
	}
	if path != "" {
		if err := loadFile(c, path); err != nil {
			return nil, err
		}
	}
	if err := applyEnv(c, environ); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// unwrapPath drops the *fs.PathError wrapper, whose message repeats the
// path we already print.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func loadFile(c *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %s: %w", path, unwrapPath(err))
	}
	fail := func(err error) error { return fmt.Errorf("config: %s: %w", path, err) }

	// First pass: parse into a node tree and check it against the struct,
	// so that unknown keys and type errors can be reported with their full
	// dotted key.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file, or comments only
		}
		return fail(yamlError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return fail(fmt.Errorf("line %d: only one YAML document is allowed", extra.Line))
	} else if !errors.Is(err, io.EOF) {
		return fail(yamlError(err))
	}
	if err := checkNode(&doc, "", configType); err != nil {
		return fail(err)
	}

	// Second pass: the actual strict decode over the defaults.
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fail(yamlError(err))
	}
	return nil
}

// yamlError makes yaml.v3's messages read well after "config: <file>: ".
func yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return errors.New(strings.Join(te.Errors, "; "))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}

var (
	configType   = reflect.TypeFor[Config]()
	durationType = reflect.TypeFor[Duration]()
)

// checkNode verifies that n fits type t: mappings only contain known keys
// (each once) and leaves decode into their field type.
func checkNode(n *yaml.Node, key string, t reflect.Type) error {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		return checkNode(n.Content[0], key, t)
	}
	if n.ShortTag() == "!!null" {
		return nil // an empty value keeps the defaults
	}
	if t.Kind() == reflect.Struct && t != durationType {
		if n.Kind != yaml.MappingNode {
			where := key
			if where == "" {
				where = "the top level"
			}
			return fmt.Errorf("line %d: %s must be a mapping of keys (got %s)", n.Line, where, describeNode(n))
		}
		return checkMapping(n, key, t)
	}
	// Leaf.
	ptr := reflect.New(t)
	if err := n.Decode(ptr.Interface()); err != nil {
		problem := ""
		switch {
		case t == durationType:
			problem = strings.TrimPrefix(err.Error(), "yaml: ")
			var te *yaml.TypeError
			if errors.As(err, &te) && len(te.Errors) > 0 {
				problem = te.Errors[0]
			}
		case t.Kind() == reflect.Int:
			problem = "must be an integer (got " + describeNode(n) + ")"
		case t.Kind() == reflect.Bool:
			problem = "must be true or false (got " + describeNode(n) + ")"
		default:
			problem = "must be a " + t.Kind().String() + " (got " + describeNode(n) + ")"
		}
		return fmt.Errorf("line %d: %s: %s", n.Line, key, problem)
	}
	if t.Kind() == reflect.String && n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: %s: must be a string (got %s)", n.Line, key, describeNode(n))
	}
	return nil
}

func checkMapping(n *yaml.Node, prefix string, t reflect.Type) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			// "<<: *anchor" or "<<: [*a, *b]": check the merged mappings
			// as if their keys were written here.
			for v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			merged := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				merged = v.Content
			}
			for _, m := range merged {
				for m.Kind == yaml.AliasNode {
					m = m.Alias
				}
				if m.Kind != yaml.MappingNode {
					return fmt.Errorf("line %d: merge (<<) needs a mapping", m.Line)
				}
				if err := checkMapping(m, prefix, t); err != nil {
					return err
				}
			}
			continue
		}
		full := join(prefix, k.Value)
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: keys must be plain names", k.Line)
		}
		if line, dup := seen[k.Value]; dup {
			return fmt.Errorf("line %d: %s: key is repeated (first at line %d)", k.Line, full, line)
		}
		seen[k.Value] = k.Line
		f, ok := fieldByTag(t, k.Value)
		if !ok {
			return fmt.Errorf("line %d: unknown key %q", k.Line, full)
		}
		if err := checkNode(v, full, f.Type); err != nil {
			return err
		}
	}
	return nil
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	default:
		return strconv.Quote(n.Value)
	}
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	return name
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && yamlName(f) == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// Validate checks the configuration and returns the first problem found, as
// an *Error, checking keys in the order they appear in the struct.
func (c *Config) Validate() error {
	bad := func(key, format string, args ...any) error {
		return &Error{Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	s := &c.Server
	for _, l := range []struct {
		key string
		l   Listener
	}{{"server.console", s.Console}, {"server.gateway", s.Gateway}} {
		if !l.l.Enabled {
			continue
		}
		if p := addrProblem(l.l.Addr); p != "" {
			return bad(l.key+".addr", "%s", p)
		}
		if n := l.l.MaxConnections; n < 1 || n > MaxConnectionsLimit {
			return bad(l.key+".maxConnections", "must be between 1 and %d (got %d)", MaxConnectionsLimit, n)
		}
	}
	if !s.Console.Enabled && !s.Gateway.Enabled {
		return bad("server", "at least one of server.console.enabled and server.gateway.enabled must be true")
	}
	if p := publicURLProblem(s.PublicURL); p != "" {
		return bad("server.publicURL", "%s", p)
	}
	if p := publicURLProblem(s.GatewayURL); p != "" {
		return bad("server.gatewayURL", "%s", p)
	}
	if c.Database.MaxOpenConns < 1 {
		return bad("database.maxOpenConns", "must be at least 1 (got %d)", c.Database.MaxOpenConns)
	}
	if c.Database.MaxIdleConns < 0 || c.Database.MaxIdleConns > c.Database.MaxOpenConns {
		return bad("database.maxIdleConns", "must be between 0 and database.maxOpenConns (got %d)", c.Database.MaxIdleConns)
	}
	if c.Database.ConnMaxLifetime.Duration < 0 {
		return bad("database.connMaxLifetime", "must not be negative (got %s)", c.Database.ConnMaxLifetime)
	}
	if c.Database.StatementTimeout.Duration < 0 {
		return bad("database.statementTimeout", "must not be negative (got %s)", c.Database.StatementTimeout)
	}
	if _, err := c.TrustedProxyNets(); err != nil {
		return bad("server.trustedProxies", "%v", err)
	}
	if c.Metrics.Enabled && c.Metrics.Addr != "" {
		if p := addrProblem(c.Metrics.Addr); p != "" {
			return bad("metrics.addr", "%s", p)
		}
	}
	if t := c.Metrics.BearerToken; t != "" {
		if len(t) < 16 {
			return bad("metrics.bearerToken", "must be at least 16 characters (got %d)", len(t))
		}
		if strings.IndexFunc(t, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return bad("metrics.bearerToken", "must be printable ASCII without spaces")
		}
	}
	for _, d := range []struct {
		key string
		d   Duration
	}{
		{"server.readHeaderTimeout", s.ReadHeaderTimeout},
		{"server.readTimeout", s.ReadTimeout},
		{"server.writeTimeout", s.WriteTimeout},
		{"server.idleTimeout", s.IdleTimeout},
		{"server.shutdownTimeout", s.ShutdownTimeout},
	} {
		if d.d.Duration <= 0 {
			return bad(d.key, "must be greater than 0 (got %s)", d.d)
		}
	}

	if strings.TrimSpace(c.Database.DSN) == "" {
		return bad("database.dsn", "must not be empty")
	}

	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		return bad("log.level", "must be one of debug, info, warn, error (got %q)", c.Log.Level)
	}
	if !slices.Contains([]string{"text", "json"}, c.Log.Format) {
		return bad("log.format", "must be text or json (got %q)", c.Log.Format)
	}

	if c.Session.HashKey != "" {
		b, err := decodeKey(c.Session.HashKey)
		if err != nil {
			return bad("session.hashKey", "must be base64 (standard or URL alphabet)")
		}
		if len(b) < 32 {
			return bad("session.hashKey", "must be base64 of at least 32 bytes (got %d bytes)", len(b))
		}
	}
	if c.Session.BlockKey != "" {
		b, err := decodeKey(c.Session.BlockKey)
		if err != nil {
			return bad("session.blockKey", "must be base64 (standard or URL alphabet)")
		}
		if n := len(b); n != 16 && n != 24 && n != 32 {
			return bad("session.blockKey", "must be base64 of exactly 16, 24 or 32 bytes (got %d bytes)", n)
		}
	}
	if c.Session.MaxAge.Duration <= 0 {
		return bad("session.maxAge", "must be greater than 0 (got %s)", c.Session.MaxAge)
	}
	if !slices.Contains([]string{"auto", "always", "never"}, c.Session.SecureCookie) {
		return bad("session.secureCookie", "must be auto, always or never (got %q)", c.Session.SecureCookie)
	}

	if c.Security.Login.MaxAttempts < 1 {
		return bad("security.login.maxAttempts", "must be at least 1 (got %d)", c.Security.Login.MaxAttempts)
	}
	if c.Security.Login.Window.Duration <= 0 {
		return bad("security.login.window", "must be greater than 0 (got %s)", c.Security.Login.Window)
	}
	if c.Security.Token.MaxAttempts < 1 {
		return bad("security.token.maxAttempts", "must be at least 1 (got %d)", c.Security.Token.MaxAttempts)
	}
	if c.Security.Token.Window.Duration <= 0 {
		return bad("security.token.window", "must be greater than 0 (got %s)", c.Security.Token.Window)
	}

	a := &c.Bootstrap.Admin
	switch {
	case a.Email != "" && a.Password == "":
		return bad("bootstrap.admin.password", "must be set when bootstrap.admin.email is set")
	case a.Email == "" && a.Password != "":
		return bad("bootstrap.admin.email", "must be set when bootstrap.admin.password is set")
	case a.Email != "":
		if addr, err := mail.ParseAddress(a.Email); err != nil || addr.Address != a.Email {
			return bad("bootstrap.admin.email", "must be a plain e-mail address such as admin@example.com (got %q)", a.Email)
		}
		if strings.TrimSpace(a.Name) == "" {
			return bad("bootstrap.admin.name", "must not be empty")
		}
	}

	if n := c.Applications.SecretsMax; n < 1 || n > 1000 {
		return bad("applications.secretsMax", "must be between 1 and 1000 (got %d)", n)
	}
	if n := c.Applications.ClientCertificatesMax; n < 1 || n > 1000 {
		return bad("applications.clientCertificatesMax", "must be between 1 and 1000 (got %d)", n)
	}
	if d := c.Gateway.ClientAssertion.MaxLifetime.Duration; d <= 0 || d > time.Hour {
		return bad("gateway.clientAssertion.maxLifetime", "must be greater than 0 and at most 1h (got %s)", c.Gateway.ClientAssertion.MaxLifetime)
	}

	if c.Security.KeyEncryptionKey != "" {
		b, err := decodeKey(c.Security.KeyEncryptionKey)
		if err != nil || len(b) != 32 {
			return bad("security.keyEncryptionKey", "must be base64 of exactly 32 bytes, e.g. the output of `openssl rand -base64 32`")
		}
	}
	cd := &c.Domains.Certificates.Default
	const cdKey = "domains.certificates.default."
	if cd.Validity < 2 || cd.Validity > 3650 {
		return bad(cdKey+"validity", "must be between 2 and 3650 days (got %d)", cd.Validity)
	}
	if !slices.Contains([]string{"ES256", "RS256", "PS256", "EdDSA"}, cd.Algorithm) {
		return bad(cdKey+"algorithm", "must be ES256, RS256, PS256 or EdDSA (got %q)", cd.Algorithm)
	}
	if !slices.Contains([]int{2048, 3072, 4096}, cd.KeySize) {
		return bad(cdKey+"keySize", "must be 2048, 3072 or 4096 (got %d)", cd.KeySize)
	}
	if strings.TrimSpace(cd.Subject) == "" {
		return bad(cdKey+"subject", "must not be empty")
	}
	if cd.Refresh.Delay.Duration < 0 {
		return bad(cdKey+"refresh.delay", "must not be negative (got %s)", cd.Refresh.Delay)
	}
	if cd.AutoRotateDays < 1 || cd.AutoRotateDays >= cd.Validity {
		return bad(cdKey+"autoRotateDays", "must be at least 1 and less than the validity, %d days (got %d)", cd.Validity, cd.AutoRotateDays)
	}

	for _, src := range c.NotifierSources() {
		if err := src.Settings.validate("services.notifier." + src.Key + "."); err != nil {
			return err
		}
	}

	e := &c.Notifiers.Email
	if e.Port < 1 || e.Port > 65535 {
		return bad("notifiers.email.port", "must be between 1 and 65535 (got %d)", e.Port)
	}
	if e.Enabled {
		if strings.TrimSpace(e.Host) == "" {
			return bad("notifiers.email.host", "must be set when notifiers.email.enabled is true")
		}
		if e.From == "" {
			return bad("notifiers.email.from", "must be set when notifiers.email.enabled is true")
		}
		if _, err := mail.ParseAddress(e.From); err != nil {
			return bad("notifiers.email.from", "must be an e-mail address such as \"Latchkey <latchkey@example.com>\" (got %q)", e.From)
		}
	}
	if err := c.validateWebhook(); err != nil {
		return err
	}
	return nil
}

func addrProblem(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("must be host:port, e.g. \":8093\" or \"127.0.0.1:8093\" (got %q)", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 || strings.TrimLeft(port, "0123456789") != "" {
		return fmt.Sprintf("port must be a number between 0 and 65535 (got %q)", addr)
	}
	return ""
}

func publicURLProblem(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		return fmt.Sprintf("must be an absolute http or https URL such as \"https://latchkey.example.com\" (got %q)", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return fmt.Sprintf("must not contain user info, a query or a fragment (got %q)", s)
	}
	return ""
}

// decodeKey accepts standard or URL base64, padded or not.
func decodeKey(s string) ([]byte, error) {
	var firstErr error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err == nil {
			return b, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

func parseThresholds(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("must list at least one number of days, e.g. \"20,15,10,5,1\"")
	}
	var days []int
	for part := range strings.SplitSeq(s, ",") {
		p := strings.TrimSpace(part)
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("must be comma-separated positive whole numbers of days, e.g. \"20,15,10,5,1\" (%q in %q)", p, s)
		}
		days = append(days, n)
	}
	return days, nil
}

// ExpiryThresholdDays returns services.notifier.client-secret.expiryThresholds
// as days (see [NotifierSource.ThresholdDays]).
func (c *Config) ExpiryThresholdDays() []int {
	return c.Services.Notifier.ClientSecret.ThresholdDays()
}

// DatabaseDriver returns "postgres" when database.dsn starts with
// postgres:// or postgresql://, and "sqlite" otherwise.
func (c *Config) DatabaseDriver() string {
	dsn := strings.ToLower(c.Database.DSN)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return "postgres"
	}
	return "sqlite"
}

// SessionHashKey returns the decoded session.hashKey, or nil when it is
// empty (or invalid; Validate reports that).
func (c *Config) SessionHashKey() []byte {
	b, _ := decodeKey(c.Session.HashKey)
	if len(b) == 0 {
		return nil
	}
	return b
}

// SessionBlockKey returns the decoded session.blockKey, or nil when it is
// empty (or invalid; Validate reports that).
func (c *Config) SessionBlockKey() []byte {
	b, _ := decodeKey(c.Session.BlockKey)
	if len(b) == 0 {
		return nil
	}
	return b
}

// TrustedProxyNets parses server.trustedProxies; a bare address is a
// single-host range.
func (c *Config) TrustedProxyNets() ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, f := range strings.Split(c.Server.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip := net.ParseIP(f)
			if ip == nil {
				return nil, fmt.Errorf("%q is not an IP address or CIDR range", f)
			}
			bits := 32
			if ip.To4() == nil {
				bits = 128
			}
			f = fmt.Sprintf("%s/%d", f, bits)
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR range", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// KeyEncryptionKey returns the decoded security.keyEncryptionKey, or nil
// when it is not set (Validate has checked its form).
func (c *Config) KeyEncryptionKey() []byte {
	if c.Security.KeyEncryptionKey == "" {
		return nil
	}
	b, _ := decodeKey(c.Security.KeyEncryptionKey)
	return b
}
