package models

import (
	"context"
	"errors"
	"sort"
	"time"

	"gorm.io/gorm"
)

// Kinds of credential an ExpiryAlert is about.
const (
	AlertSecret            = "secret"
	AlertCertificate       = "certificate"
	AlertClientCertificate = "client_certificate"
)

// ExpiryAlert is one of an application's credentials that is expiring or
// has expired: a client secret, a client certificate, or the certificate
// it chose or that signs its tokens. "Expiring" is the status the tables show (within
// ExpiringSoon, the first notification threshold), so the banner and the
// tables never disagree.
type ExpiryAlert struct {
	// Kind is AlertSecret, AlertClientCertificate or AlertCertificate.
	Kind      string
	ID, Name  string
	ExpiresAt time.Time
	Expired   bool
	// System is a certificate Latchkey generated: rotation replaces it;
	// an own one is replaced by uploading another.
	System bool
	// Signs says the certificate signs the application's tokens now;
	// Chosen that the application chose it.
	Signs, Chosen bool
}

// ExpiryAlerts lists what is expiring or expired among an application's
// secrets, its client certificates and its certificates (the chosen one
// and the one that actually signs), expired first, then soonest first.
func (s *Store) ExpiryAlerts(ctx context.Context, appID string) ([]ExpiryAlert, error) {
	now := s.now()
	secrets, err := s.Secrets(ctx, appID)
	if err != nil {
		return nil, err
	}
	ccs, err := s.ClientCertificates(ctx, appID)
	if err != nil {
		return nil, err
	}
	choice, err := s.SigningCertificate(ctx, appID, now)
	if err != nil {
		return nil, err
	}
	return s.expiryAlerts(ctx, now, secrets, ccs, choice)
}

// AppCredentials is what the Secrets & Certificates tab shows of an
// application's credentials, each read once.
type AppCredentials struct {
	Secrets            []ClientSecret
	ClientCertificates []ClientCertificate
	Signing            *SigningChoice
	// Counts are the secrets' expiry counts (as SecretExpiryCounts).
	Counts ExpiryCounts
	Alerts []ExpiryAlert
}

// ApplicationCredentials reads an application's secrets, client
// certificates and signing certificate once and derives the expiry
// counts and alerts from them: the Secrets & Certificates tab's data in
// about half the statements of reading each part on its own. d and a are
// the application and its domain as this request read them.
func (s *Store) ApplicationCredentials(ctx context.Context, d *Domain, a *Application) (*AppCredentials, error) {
	now := s.now()
	out := &AppCredentials{}
	var err error
	if out.Secrets, err = s.Secrets(ctx, a.ID); err != nil {
		return nil, err
	}
	if out.ClientCertificates, err = s.ClientCertificates(ctx, a.ID); err != nil {
		return nil, err
	}
	if out.Signing, err = s.signingCertificateOf(ctx, a, d, now); err != nil {
		return nil, err
	}
	soon := now.Add(s.ExpiringSoon)
	for _, cs := range out.Secrets {
		switch {
		case cs.ExpiresAt == nil || cs.ExpiresAt.After(soon):
		case cs.ExpiresAt.After(now):
			out.Counts.Expiring++
		default:
			out.Counts.Expired++
		}
	}
	out.Alerts, err = s.expiryAlerts(ctx, now, out.Secrets, out.ClientCertificates, out.Signing)
	return out, err
}

// expiryAlerts is ExpiryAlerts over credentials already read.
func (s *Store) expiryAlerts(ctx context.Context, now time.Time, secrets []ClientSecret, ccs []ClientCertificate, choice *SigningChoice) ([]ExpiryAlert, error) {
	var out []ExpiryAlert
	for _, cs := range secrets {
		st := cs.Status(now, s.ExpiringSoon)
		if st == SecretActive {
			continue
		}
		out = append(out, ExpiryAlert{Kind: AlertSecret, ID: cs.ID, Name: cs.Description,
			ExpiresAt: *cs.ExpiresAt, Expired: st == SecretExpired})
	}
	for _, cc := range ccs {
		st := cc.Status(now, s.ExpiringSoon)
		if st == SecretActive || cc.ExpiresAt == nil {
			continue
		}
		out = append(out, ExpiryAlert{Kind: AlertClientCertificate, ID: cc.ID, Name: cc.Description,
			ExpiresAt: *cc.ExpiresAt, Expired: st == SecretExpired})
	}
	certs := map[string]*ExpiryAlert{}
	add := func(c *Certificate) *ExpiryAlert {
		if a, ok := certs[c.ID]; ok {
			return a
		}
		st := c.Status(now, s.ExpiringSoon)
		if st != CertExpired && st != CertWillExpire {
			return &ExpiryAlert{}
		}
		a := &ExpiryAlert{Kind: AlertCertificate, ID: c.ID, Name: c.Name, ExpiresAt: c.ExpiresAt,
			Expired: st == CertExpired, System: c.Type == CertTypeSystem}
		certs[c.ID] = a
		return a
	}
	if choice.Chosen != nil {
		var c Certificate
		err := s.db.WithContext(ctx).Omit("private_key").First(&c, "id = ?", *choice.Chosen).Error
		switch {
		case err == nil:
			add(&c).Chosen = true
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return nil, err
		}
	}
	if choice.Certificate != nil {
		add(choice.Certificate).Signs = true
	}
	for _, a := range certs {
		out = append(out, *a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Expired != out[j].Expired {
			return out[i].Expired
		}
		if !out[i].ExpiresAt.Equal(out[j].ExpiresAt) {
			return out[i].ExpiresAt.Before(out[j].ExpiresAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
