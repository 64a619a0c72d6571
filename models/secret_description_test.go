package models

import (
	"context"
	"errors"
	"testing"
)

// Secret descriptions are unique within an application ignoring case
// (Unicode case folding, the same on SQLite and PostgreSQL): "default"
// next to "Default" is refused, with Gravitee's message for the API and a
// quoted sentence naming the stored one for the console; nothing is saved.
// Another application may use the same description, and a renewal keeps a
// description even where older data holds case variants side by side.
func TestSecretDescriptionsIgnoreCase(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, _ := newTestApp(t, s, "Billing")
	if _, err := s.CreateSecret(ctx, Actor{}, a.ID, "Ünïcødé"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ typed, stored string }{
		{"default", "Default"},
		{" DEFAULT ", "Default"},
		{"üNÏCØDÉ", "Ünïcødé"},
	} {
		_, err := s.CreateSecret(ctx, Actor{}, a.ID, tc.typed)
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeConflict {
			t.Fatalf("%q: err = %v, want a conflict", tc.typed, err)
		}
		trimmed := tc.typed
		if trimmed == " DEFAULT " {
			trimmed = "DEFAULT"
		}
		if want := "Secret with description " + trimmed + " already exists"; e.Message != want {
			t.Errorf("%q: API message %q, want %q", tc.typed, e.Message, want)
		}
		if want := "A secret described “" + tc.stored + "” already exists in this application; descriptions are compared ignoring case."; ConsoleText(err) != want {
			t.Errorf("%q: console message %q, want %q", tc.typed, ConsoleText(err), want)
		}
	}
	if ss, err := s.Secrets(ctx, a.ID); err != nil || len(ss) != 2 {
		t.Fatalf("Secrets = %d, %v; want Default and Ünïcødé only", len(ss), err)
	}
	// The same words in another application are another secret.
	b, _ := newTestApp(t, s, "Ledger")
	if _, err := s.CreateSecret(ctx, Actor{}, b.ID, "ünïcødé"); err != nil {
		t.Fatalf("another application: %v", err)
	}
	// Case variants stored before this rule still renew.
	legacy := ClientSecret{ID: newID(), ApplicationID: b.ID, Description: "UNÏCØDÉ", Digest: SecretDigest(newSecretValue()), Hint: "abcd", CreatedAt: s.now()}
	if err := s.db.Create(&legacy).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := s.RenewSecret(ctx, Actor{}, b.ID, legacy.ID); err != nil {
		t.Fatalf("renewing a legacy case variant: %v", err)
	}
}
