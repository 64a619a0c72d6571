package models

import (
	"testing"
	"time"
)

// ExpiryAlerts lists an application's expiring (the tables' status: within
// ExpiringSoon) and expired secrets and certificates, expired first, then
// soonest: the chosen certificate while it signs, and once it has expired
// as the chosen one that no longer signs. Active ones are left out.
func TestExpiryAlerts(t *testing.T) {
	e := newCertEnv(t)
	now := e.s.now()
	secrets, err := e.s.Secrets(e.ctx, e.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if alerts, err := e.s.ExpiryAlerts(e.ctx, e.app.ID); err != nil || len(alerts) != 0 {
		t.Fatalf("alerts with nothing expiring = %+v, %v", alerts, err)
	}
	soon := now.Add(5 * 24 * time.Hour)
	if err := e.s.SetSecretExpiry(e.ctx, secrets[0].ID, &soon); err != nil {
		t.Fatal(err)
	}
	old, err := e.s.CreateSecret(e.ctx, Actor{}, e.app.ID, "old")
	if err != nil {
		t.Fatal(err)
	}
	gone := now.Add(-time.Hour)
	if err := e.s.SetSecretExpiry(e.ctx, old.ID, &gone); err != nil {
		t.Fatal(err)
	}
	far := now.Add(60 * 24 * time.Hour)
	fresh, err := e.s.CreateSecret(e.ctx, Actor{}, e.app.ID, "fresh")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetSecretExpiry(e.ctx, fresh.ID, &far); err != nil {
		t.Fatal(err)
	}
	own, err := e.s.CreateOwnCertificate(e.ctx, Actor{}, e.app.DomainID, uploadPEM(t, now.Add(9*24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetApplicationCertificate(e.ctx, Actor{}, e.app.ID, &own.ID); err != nil {
		t.Fatal(err)
	}
	// A client certificate expiring in 7 days is listed; one far from
	// expiry is not.
	cc, err := e.s.AddClientCertificate(e.ctx, Actor{}, e.app.ID, ClientCertificateInput{Description: "partner key",
		Data: certPEM(t, newECKey(t), now.Add(-time.Hour), now.Add(7*24*time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.AddClientCertificate(e.ctx, Actor{}, e.app.ID, ClientCertificateInput{Description: "far key",
		Data: certPEM(t, newECKey(t), now.Add(-time.Hour), now.Add(300*24*time.Hour))}); err != nil {
		t.Fatal(err)
	}

	alerts, err := e.s.ExpiryAlerts(e.ctx, e.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []ExpiryAlert{
		{Kind: AlertSecret, ID: old.ID, Name: "old", Expired: true},
		{Kind: AlertSecret, ID: secrets[0].ID, Name: DefaultSecretName},
		{Kind: AlertClientCertificate, ID: cc.ID, Name: "partner key"},
		{Kind: AlertCertificate, ID: own.ID, Name: own.Name, Signs: true, Chosen: true},
	}
	requireAlerts(t, "before the certificate expires", alerts, want)

	// The chosen certificate expired: it no longer signs (the system
	// certificate, far from expiry, does), and it is listed as expired.
	e.clock.Advance(10 * 24 * time.Hour)
	alerts, err = e.s.ExpiryAlerts(e.ctx, e.app.ID)
	if err != nil {
		t.Fatal(err)
	}
	requireAlerts(t, "after", alerts, []ExpiryAlert{
		{Kind: AlertSecret, ID: old.ID, Name: "old", Expired: true},
		{Kind: AlertSecret, ID: secrets[0].ID, Name: DefaultSecretName, Expired: true},
		{Kind: AlertClientCertificate, ID: cc.ID, Name: "partner key", Expired: true},
		{Kind: AlertCertificate, ID: own.ID, Name: own.Name, Expired: true, Chosen: true},
	})
}

func requireAlerts(t *testing.T, when string, got, want []ExpiryAlert) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d alerts %+v, want %d", when, len(got), got, len(want))
	}
	for i := range want {
		g := got[i]
		g.ExpiresAt, g.System = time.Time{}, false
		if g != want[i] {
			t.Errorf("%s: alert %d = %+v, want %+v", when, i, got[i], want[i])
		}
	}
}
