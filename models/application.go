package models

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Application types.
const (
	AppTypeService = "service" // machine-to-machine (client_credentials)
	AppTypeWeb     = "web"     // server-side web application
)

// DefaultAccessTokenLifetime is the access-token lifetime of a new
// application, in seconds.
const DefaultAccessTokenLifetime = 7200

// Application is an OAuth confidential client inside a domain.
type Application struct {
	ID          string  `gorm:"primaryKey;size:36"`
	DomainID    string  `gorm:"size:36;not null;uniqueIndex:idx_app_domain_name,priority:1"`
	Domain      *Domain `gorm:"constraint:OnDelete:CASCADE"`
	Name        string  `gorm:"size:64;not null;uniqueIndex:idx_app_domain_name,priority:2"`
	Description string  `gorm:"size:500;not null;default:''"`
	Type        string  `gorm:"size:16;not null"`
	// ClientID is the public OAuth client identifier: random, unique, and
	// never reused.
	ClientID            string  `gorm:"uniqueIndex;size:64;not null"`
	OwnerID             *string `gorm:"size:36"`
	Owner               *User   `gorm:"constraint:OnDelete:SET NULL"`
	AccessTokenLifetime int     `gorm:"not null;default:7200"`
	// Disabled makes every authentication of the client fail (the zero
	// value, enabled, is what a new application wants).
	Disabled bool `gorm:"not null;default:false"`
	// Scopes lists the scopes the client may request, space-separated as in
	// OAuth; empty means none.
	Scopes string `gorm:"size:2000;not null;default:''"`
	// Resources lists the RFC 8707 resource indicators the client may ask
	// as its tokens' audience, space-separated; empty means none.
	Resources string `gorm:"not null;default:''"`
	// SecretExpiryOverride false means "Use Domain Rules"; true applies the
	// unit and duration below (NONE: secrets never expire).
	SecretExpiryOverride bool   `gorm:"not null"`
	SecretExpiryUnit     string `gorm:"size:16;not null;default:''"`
	SecretExpiryDuration int    `gorm:"not null;default:0"`
	// CertificateID is the certificate chosen to sign the application's
	// tokens; nil: the domain's current system certificate ("Default").
	CertificateID *string `gorm:"size:36"`
	// RedirectURIs are absolute URLs, one per line, stored for clients
	// that send them (Gravitee's redirectUris); no flow of Latchkey's uses
	// them yet.
	RedirectURIs string `gorm:"column:redirect_uris;not null;default:''"`
	// GrantTypes are the OAuth grants the client may use, space-separated;
	// client_credentials is the only one the token endpoint offers.
	GrantTypes string `gorm:"not null;default:''"`
	// ClientSecretAuthDisabled refuses client secrets at the token
	// endpoint and PrivateKeyJWTEnabled accepts client assertions signed
	// by a client certificate (see AuthMethods); the zero values are the
	// default, secrets only.
	ClientSecretAuthDisabled bool `gorm:"not null;default:false"`
	PrivateKeyJWTEnabled     bool `gorm:"not null;default:false"`
	CreatedAt                time.Time
	UpdatedAt                time.Time
}

// RedirectURIList returns the redirect URIs as a slice.
func (a *Application) RedirectURIList() []string { return strings.Fields(a.RedirectURIs) }

// GrantTypeList returns the grant types as a slice.
func (a *Application) GrantTypeList() []string { return strings.Fields(a.GrantTypes) }

// GrantClientCredentials is the client_credentials grant (RFC 6749 §4.4).
const GrantClientCredentials = "client_credentials"

// SupportedGrantTypes lists the grants an application may be given: those
// the token endpoint offers.
var SupportedGrantTypes = []string{GrantClientCredentials}

// DefaultGrantTypes is what a new application of typ may use: a service
// the client_credentials grant, a web application nothing until given it.
func DefaultGrantTypes(typ string) []string {
	if typ == AppTypeService {
		return []string{GrantClientCredentials}
	}
	return []string{}
}

// MaxRedirectURIs bounds an application's redirect URIs.
const MaxRedirectURIs = 20

// normalizeRedirectURIs checks each URI is an absolute URL (a scheme and a
// host) without a fragment (RFC 6749 §3.1.2), drops repeats, and returns
// them one per line.
func normalizeRedirectURIs(uris []string) (string, string) {
	var out []string
	seen := map[string]bool{}
	for _, raw := range uris {
		u := strings.TrimSpace(raw)
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		switch {
		case len(u) > 2000 || strings.ContainsAny(u, " \t\r\n"):
			return "", "Redirect URI “" + truncateRunes(u, 80) + "” must be one URL of at most 2000 characters."
		case err != nil || !p.IsAbs() || p.Host == "":
			return "", "Redirect URI “" + truncateRunes(u, 80) + "” must be an absolute URL, such as https://app.example.com/callback."
		case p.Fragment != "" || strings.Contains(u, "#"):
			return "", "Redirect URI “" + truncateRunes(u, 80) + "” must not have a fragment (#…)."
		}
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	if len(out) > MaxRedirectURIs {
		return "", "At most 20 redirect URIs."
	}
	return strings.Join(out, "\n"), ""
}

// normalizeGrantTypes checks each grant is one Latchkey offers.
func normalizeGrantTypes(grants []string) (string, string) {
	var out []string
	for _, g := range grants {
		g = strings.TrimSpace(g)
		if !slices.Contains(SupportedGrantTypes, g) {
			return "", "Grant type “" + truncateRunes(g, 64) + "” is not offered: the token endpoint supports only client_credentials."
		}
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return strings.Join(out, " "), ""
}

// SecretPolicy returns the application's override; Enabled false means the
// domain's rules apply.
func (a *Application) SecretPolicy() ExpiryPolicy {
	return ExpiryPolicy{Enabled: a.SecretExpiryOverride, Unit: a.SecretExpiryUnit, Duration: a.SecretExpiryDuration}
}

// UpdateAppSecretPolicy validates and stores an application's expiry
// override (in.Enabled false = use domain rules), returning the old and new
// policies for the audit log. Existing secrets keep their expiry.
func (s *Store) UpdateAppSecretPolicy(ctx context.Context, actor Actor, domainID, id string, in ExpiryInput) (old, updated ExpiryPolicy, err error) {
	p, errs := in.Parse(true)
	if errs != nil {
		return old, old, errs
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		var a Application
		if err := tx.First(&a, "id = ? AND domain_id = ?", id, domainID).Error; err != nil {
			return notFound(err)
		}
		old = a.SecretPolicy()
		err := tx.Model(&a).Select("secret_expiry_override", "secret_expiry_unit", "secret_expiry_duration").Updates(&Application{
			SecretExpiryOverride: p.Enabled, SecretExpiryUnit: p.Unit, SecretExpiryDuration: p.Duration,
		}).Error
		if err != nil {
			return err
		}
		return s.audit(tx, actor, AuditEvent{Type: EventAppSecretSettingsUpdated, DomainID: a.DomainID, ApplicationID: a.ID,
			TargetID: a.ID, TargetName: a.Name, Detail: appPolicyLabel(old) + " → " + appPolicyLabel(p)})
	})
	return old, p, err
}

// appPolicyLabel words an application's override for the audit trail.
func appPolicyLabel(p ExpiryPolicy) string {
	if !p.Enabled {
		return "use domain rules"
	}
	return p.String()
}

// appEvent is the audit event of a change to an application.
func appEvent(typ string, a *Application) AuditEvent {
	return AuditEvent{Type: typ, DomainID: a.DomainID, ApplicationID: a.ID, TargetID: a.ID, TargetName: a.Name}
}

// ApplicationInput is what a person submits to create or edit an application.
type ApplicationInput struct {
	Name, Description, Type, OwnerID string
	// Scopes are separated by spaces, commas or new lines.
	Scopes string
	// Resources are RFC 8707 resource indicators (absolute URIs); nil
	// keeps the stored ones on update.
	Resources []string
	Disabled  bool
	// ClientID and ClientSecret, on create only, bring credentials from
	// another server (a migration): empty means a fresh random one. They
	// follow ValidateClientID and CheckImportedSecret.
	ClientID, ClientSecret string
	// RedirectURIs and GrantTypes: nil keeps the stored ones on update; on
	// create nil means none and DefaultGrantTypes.
	RedirectURIs, GrantTypes []string
	// AuthMethods are the token endpoint authentication methods
	// (AuthMethodNames) the application accepts: nil keeps the stored
	// ones on update and means client secrets only on create.
	AuthMethods []string
}

// clientIDTaken is Gravitee's message for a client id already used in the
// domain, word for word; client ids are unique across Latchkey, so one used
// in another domain is refused too, saying so.
func clientIDTaken(tx *gorm.DB, clientID, domainID string) error {
	var other Application
	err := tx.Select("domain_id").Where("client_id = ?", clientID).Take(&other).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	msg := "A client [" + clientID + "] already exists for domain [" + domainID + "]"
	if other.DomainID != domainID {
		msg = "A client [" + clientID + "] already exists in another domain: client ids are unique across Latchkey."
	}
	return &Error{Code: CodeInvalid, Message: msg, Fields: map[string]string{"clientId": msg}}
}

// MaxScopes bounds an application's allowed scopes.
const MaxScopes = 50

// scopeToken matches one scope-token of RFC 6749 §3.3.
var scopeToken = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]{1,64}$`)

// NormalizeScopes splits, validates, deduplicates and sorts a scope list,
// returning it space-separated.
func NormalizeScopes(raw string) (string, string) {
	fields := strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\r' || r == '\t' })
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		if !scopeToken.MatchString(f) {
			return raw, "Scope “" + f + "” is not valid: use up to 64 printable characters without spaces, quotes or backslashes."
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	if len(out) > MaxScopes {
		return raw, "At most 50 scopes."
	}
	sort.Strings(out)
	return strings.Join(out, " "), ""
}

// ScopeList returns the allowed scopes as a slice.
func (a *Application) ScopeList() []string { return strings.Fields(a.Scopes) }

func (in *ApplicationInput) validate() FieldErrors {
	errs := FieldErrors{}
	var msg string
	if in.Name, msg = cleanName(in.Name); msg != "" {
		errs["name"] = msg
	}
	if in.Description, msg = cleanDescription(in.Description); msg != "" {
		errs["description"] = msg
	}
	if in.Scopes, msg = NormalizeScopes(in.Scopes); msg != "" {
		errs["scopes"] = msg
	}
	if in.Resources != nil {
		if _, msg = NormalizeResources(in.Resources); msg != "" {
			errs["resources"] = msg
		}
	}
	if in.Type != AppTypeService && in.Type != AppTypeWeb {
		errs["type"] = "Choose service or web."
	}
	if in.RedirectURIs != nil {
		if _, msg = normalizeRedirectURIs(in.RedirectURIs); msg != "" {
			errs["redirectUris"] = msg
		}
	}
	if in.GrantTypes != nil {
		if _, msg = normalizeGrantTypes(in.GrantTypes); msg != "" {
			errs["grantTypes"] = msg
		}
	}
	if in.AuthMethods != nil {
		if _, msg = normalizeAuthMethods(in.AuthMethods); msg != "" {
			errs["authMethods"] = msg
		}
	}
	return errs
}

// ValidAppTypes lists the application types in display order.
var ValidAppTypes = []string{AppTypeService, AppTypeWeb}

// Applications lists a domain's applications by name.
func (s *Store) Applications(ctx context.Context, domainID string) ([]Application, error) {
	var as []Application
	err := s.db.WithContext(ctx).Preload("Owner").Where("domain_id = ?", domainID).Order("lower(name)").Find(&as).Error
	return as, err
}

// ApplicationByID returns an application of the given domain, or ErrNotFound
// when it does not exist or belongs to another domain.
func (s *Store) ApplicationByID(ctx context.Context, domainID, id string) (*Application, error) {
	var a Application
	// The caller already holds the domain: no second query for it; the
	// owner comes in the same statement (a LEFT JOIN).
	err := s.db.WithContext(ctx).Joins("Owner").
		First(&a, "applications.id = ? AND applications.domain_id = ?", id, domainID).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// CreateApplication validates and stores a new application with a fresh
// client id and its first secret, named "Default", whose value is returned
// this once.
//
// With in.ClientID or in.ClientSecret the application takes those instead
// (see ApplicationInput); an imported secret is stored as a digest like any
// other, and its value is not returned (the caller has it).
func (s *Store) CreateApplication(ctx context.Context, actor Actor, domainID string, in ApplicationInput) (*Application, *NewSecret, error) {
	a, first, _, err := s.CreateApplicationOnce(ctx, actor, domainID, in, FormOnce{})
	return a, first, err
}

// CreateApplicationOnce is CreateApplication for a form that may be sent
// again (a reload after success): once names the form's one-time token and
// the session that sent it. The first submission creates the application
// and remembers the token with it, in the same transaction; a repeated one
// creates nothing and returns the application it created, with repeated
// true and no secret (its value was shown once). A zero once always
// creates.
func (s *Store) CreateApplicationOnce(ctx context.Context, actor Actor, domainID string, in ApplicationInput, once FormOnce) (a *Application, first *NewSecret, repeated bool, err error) {
	a, first, repeatID, err := s.createApplication(ctx, actor, domainID, in, once)
	if fe, nameTaken := AsFieldErrors(err); once.valid() && (errors.Is(err, gorm.ErrDuplicatedKey) || nameTaken && fe["name"] != "") {
		// A repeat sent at the same moment won the token's row, or (on
		// PostgreSQL, whose transactions did not see each other's row)
		// the name it waited for: its application stands, this one was
		// rolled back.
		id, lookErr := submittedApplication(s.db.WithContext(ctx), once)
		switch {
		case lookErr != nil:
			err = lookErr
		case id != "":
			repeatID, err = id, nil
		case errors.Is(err, gorm.ErrDuplicatedKey):
			err = ErrNotFound
		}
	}
	if err != nil {
		return nil, nil, false, err
	}
	if repeatID != "" {
		a, err = s.ApplicationByID(ctx, domainID, repeatID)
		return a, nil, true, err
	}
	return a, first, false, nil
}

// createApplication creates the application unless once was submitted
// before, in which case it returns the id of the application that
// submission created.
func (s *Store) createApplication(ctx context.Context, actor Actor, domainID string, in ApplicationInput, once FormOnce) (*Application, *NewSecret, string, error) {
	a := &Application{ID: newID(), DomainID: domainID, ClientID: randomHex(16), AccessTokenLifetime: DefaultAccessTokenLifetime}
	if in.GrantTypes == nil {
		in.GrantTypes = DefaultGrantTypes(in.Type)
	}
	if in.RedirectURIs == nil {
		in.RedirectURIs = []string{}
	}
	if in.ClientID != "" {
		if msg := ValidateClientID(in.ClientID); msg != "" {
			return nil, nil, "", FieldErrors{"clientId": msg}
		}
		a.ClientID = in.ClientID
	}
	if in.ClientSecret != "" {
		if msg := CheckImportedSecret(in.ClientSecret, a.ClientID); msg != "" {
			return nil, nil, "", FieldErrors{"clientSecret": msg}
		}
	}
	var first *NewSecret
	var repeatID string
	err := s.saveApplication(ctx, a, in, func(tx *gorm.DB) (done bool, err error) {
		// Before the name check: a repeat would clash with its own name.
		if once.valid() {
			repeatID, err = submittedApplication(tx, once)
		}
		return repeatID != "", err
	}, func(tx *gorm.DB) error {
		if in.ClientID != "" {
			if err := clientIDTaken(tx, a.ClientID, a.DomainID); err != nil {
				return err
			}
		}
		if err := tx.Omit("Owner", "Domain").Create(a).Error; err != nil {
			return err
		}
		locked, err := s.lockApplication(tx, a.ID)
		if err != nil {
			return err
		}
		if first, err = s.createSecret(tx, locked, DefaultSecretName, in.ClientSecret, ExpiryChoice{}); err != nil {
			return err
		}
		if err := s.audit(tx, actor, appEvent(EventApplicationCreated, a)); err != nil {
			return err
		}
		if err := s.audit(tx, actor, newSecretEvent(a, first)); err != nil {
			return err
		}
		if once.valid() {
			return s.rememberSubmission(tx, once, a.ID)
		}
		return nil
	})
	if err != nil || repeatID != "" {
		return nil, nil, repeatID, err
	}
	return a, first, "", nil
}

// UpdateApplication validates and applies changes to an application.
func (s *Store) UpdateApplication(ctx context.Context, actor Actor, domainID, id string, in ApplicationInput) (*Application, error) {
	return s.PatchApplication(ctx, actor, domainID, id, func(cur *ApplicationInput) error {
		*cur = in
		return nil
	})
}

// PatchApplication changes an application: patch edits its current fields
// (name, description, type, scopes, owner, disabled), read inside the
// change's transaction with the row locked, so that two changes of
// different fields made at once both stay; a patch built from a copy read
// earlier would put back what the other had just changed. Only those
// columns are written: a secret policy saved meanwhile stays too. An error
// from patch is returned as is.
func (s *Store) PatchApplication(ctx context.Context, actor Actor, domainID, id string, patch func(cur *ApplicationInput) error) (*Application, error) {
	var a *Application
	err := s.write(ctx, func(tx *gorm.DB) error {
		locked, err := s.lockApplication(tx, id)
		if err != nil {
			return err
		}
		if locked.DomainID != domainID {
			return ErrNotFound
		}
		in := ApplicationInput{Name: locked.Name, Description: locked.Description, Type: locked.Type, Scopes: locked.Scopes, Resources: locked.ResourceList(), Disabled: locked.Disabled,
			AuthMethods: locked.AuthMethods()}
		oldMethods := in.AuthMethods
		if locked.OwnerID != nil {
			in.OwnerID = *locked.OwnerID
		}
		if err := patch(&in); err != nil {
			return err
		}
		if errs := in.validate(); len(errs) > 0 {
			return errs
		}
		a = locked
		return s.applyApplication(tx, a, in, func(tx *gorm.DB) error {
			a.UpdatedAt = tx.NowFunc()
			err := tx.Model(a).Omit("Owner", "Domain").
				Select(append([]string{"name", "description", "type", "scopes", "resources", "disabled", "owner_id", "redirect_uris", "grant_types", "updated_at"}, authMethodColumns...)).Updates(a).Error
			if err != nil {
				return err
			}
			ev := appEvent(EventApplicationUpdated, a)
			ev.Detail = authMethodsDetail(oldMethods, a.AuthMethods())
			return s.audit(tx, actor, ev)
		})
	})
	if err != nil {
		return nil, err
	}
	a.Domain = nil
	return a, nil
}

// saveApplication validates in, and inside one transaction calls before,
// then applies in to a and calls write unless before found the change
// already made (done: a repeated form).
func (s *Store) saveApplication(ctx context.Context, a *Application, in ApplicationInput, before func(tx *gorm.DB) (done bool, err error), write func(tx *gorm.DB) error) error {
	if errs := in.validate(); len(errs) > 0 {
		return errs
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		if done, err := before(tx); err != nil || done {
			return err
		}
		return s.applyApplication(tx, a, in, write)
	})
}

// applyApplication checks in against the stored data (a name in use, an
// owner gone), applies it to a and calls write, in the caller's
// transaction.
func (s *Store) applyApplication(tx *gorm.DB, a *Application, in ApplicationInput, write func(tx *gorm.DB) error) error {
	var n int64
	if err := tx.Model(&Domain{}).Where("id = ?", a.DomainID).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	errs := FieldErrors{}
	if err := tx.Model(&Application{}).Where("domain_id = ? AND lower(name) = lower(?) AND id <> ?", a.DomainID, in.Name, a.ID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		errs["name"] = "Another application in this domain already has this name."
	}
	a.OwnerID, a.Owner = nil, nil
	if in.OwnerID != "" {
		var owner User
		if err := tx.First(&owner, "id = ?", in.OwnerID).Error; err != nil {
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
			errs["owner"] = "The chosen owner no longer exists."
		} else {
			a.OwnerID, a.Owner = &owner.ID, &owner
		}
	}
	if len(errs) > 0 {
		return errs
	}
	a.Name, a.Description, a.Type, a.Scopes, a.Disabled = in.Name, in.Description, in.Type, in.Scopes, in.Disabled
	if in.RedirectURIs != nil {
		a.RedirectURIs, _ = normalizeRedirectURIs(in.RedirectURIs)
	}
	if in.GrantTypes != nil {
		a.GrantTypes, _ = normalizeGrantTypes(in.GrantTypes)
	}
	if in.Resources != nil {
		a.Resources, _ = NormalizeResources(in.Resources)
	}
	if in.AuthMethods != nil {
		methods, _ := normalizeAuthMethods(in.AuthMethods)
		applyAuthMethods(a, methods)
	}
	err := write(tx)
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return FieldErrors{"name": "Another application in this domain already has this name."}
	}
	return err
}

// DeleteApplication removes an application of the given domain.
func (s *Store) DeleteApplication(ctx context.Context, actor Actor, domainID, id string) (*Application, error) {
	var a Application
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&a, "id = ? AND domain_id = ?", id, domainID).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Delete(&a).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, appEvent(EventApplicationDeleted, &a))
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}
