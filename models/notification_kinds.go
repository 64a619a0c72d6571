package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// LedgerKind describes a kind of subject the notice ledger records notices
// about: client secrets now, certificates next. A kind needs a column of its
// own in notification_ledgers for its subjects' ids (added by its
// migration, with a partial unique index over its rows and, when its
// subjects live in a table, a foreign key (expires_at, column) to that
// table's (expires_at, id)), and a way to read its subjects as they are now.
type LedgerKind struct {
	// Name is what the ledger's kind column holds: "client_secret".
	Name string
	// Column is the ledger column holding the subject's id in rows of this
	// kind (NULL in the rows of other kinds).
	Column string
	// Table is the subjects' table, which Column's foreign key references;
	// empty for a kind whose subjects are not rows (tests). Deciding uses it
	// to leave out entries whose subject changed since it was read.
	Table string
	// Subjects returns the subjects of the given ids as they are now, by
	// id; ids of subjects that are gone are left out.
	Subjects func(ctx context.Context, s *Store, ids []string) (map[string]Subject, error)
	// Title and Message word a notice: its one-line summary (console,
	// log, webhook) and the console's text.
	Title, Message func(NoticeText) string
}

// Subject is something that expires (a client secret, a certificate), with
// the names a notice about it shows, as they are when it is read.
type Subject struct {
	// ID is the subject's id; Name what people call it (a secret's
	// description).
	ID, Name string
	// ExpiresAt is the subject's expiry now.
	ExpiresAt                                time.Time
	ApplicationID, ApplicationName, ClientID string
	DomainID, DomainName                     string
	DomainHRID                               string
	// Owner is the owner told besides the domain's owners (an
	// application's), nil when there is none or they are disabled.
	Owner *Recipient
	// Owners are more people told besides the domain's owners: the
	// enabled owners of the applications that use a certificate.
	Owners []Recipient
}

// KindClientSecret is the ledger kind of client secrets.
var KindClientSecret = LedgerKind{
	Name: "client_secret", Column: "secret_id", Table: "client_secrets",
	Subjects: func(ctx context.Context, s *Store, ids []string) (map[string]Subject, error) {
		return s.secretSubjects(ctx, ids)
	},
	Title: ClientSecretTitle, Message: ClientSecretMessage,
}

// AddLedgerKind makes the store's ledger queries know a kind besides the
// client secrets. The kind's column must exist. It is for kinds defined
// outside this package (the notifier's tests); call it before using the
// store.
func (s *Store) AddLedgerKind(k LedgerKind) {
	s.ledgerKinds = append(s.ledgerKinds, k)
}

// kinds lists the ledger kinds the store knows: client secrets,
// certificates, client certificates, then those added by AddLedgerKind.
func (s *Store) kinds() []LedgerKind {
	return append([]LedgerKind{KindClientSecret, KindCertificate, KindClientCertificate}, s.ledgerKinds...)
}

// kind returns the kind named name.
func (s *Store) kind(name string) (LedgerKind, error) {
	for _, k := range s.kinds() {
		if k.Name == name {
			return k, nil
		}
	}
	return LedgerKind{}, fmt.Errorf("unknown ledger kind %q", name)
}

// subjectColumn is an SQL expression for the subject id of a ledger row l,
// whatever its kind.
func (s *Store) subjectColumn() string {
	ks := s.kinds()
	if len(ks) == 1 {
		return "l." + ks[0].Column
	}
	cols := make([]string, len(ks))
	for i, k := range ks {
		cols[i] = "l." + k.Column
	}
	return "COALESCE(" + strings.Join(cols, ", ") + ")"
}

// SubjectRef names a subject: its ledger kind and its id.
type SubjectRef struct{ Kind, ID string }

// SubjectsOf returns the named subjects as they are now (one query per
// kind); those that are gone are left out.
func (s *Store) SubjectsOf(ctx context.Context, refs []SubjectRef) (map[SubjectRef]Subject, error) {
	ids := map[string][]string{}
	for _, r := range refs {
		ids[r.Kind] = append(ids[r.Kind], r.ID)
	}
	out := make(map[SubjectRef]Subject, len(refs))
	for name, list := range ids {
		k, err := s.kind(name)
		if err != nil {
			return nil, err
		}
		found, err := k.Subjects(ctx, s, uniq(list))
		if err != nil {
			return nil, err
		}
		for id, sub := range found {
			out[SubjectRef{name, id}] = sub
		}
	}
	return out, nil
}
