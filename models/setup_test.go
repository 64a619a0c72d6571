package models

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
)

func countUsers(t *testing.T, s *Store) int64 {
	t.Helper()
	n, err := s.CountUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCompleteSetupWorksOnce(t *testing.T) {
	ctx := context.Background()
	s, _, logs := openTestStore(t)

	pending, err := s.SetupPending(ctx)
	if err != nil || !pending {
		t.Fatalf("SetupPending = %v, %v on an empty database", pending, err)
	}
	token, err := s.StartSetup(ctx)
	if err != nil || len(token) < 32 {
		t.Fatalf("StartSetup = %q, %v", token, err)
	}
	in := NewUser{Email: "First@Example.com", Name: "First", Password: "first-password-1", Role: RoleViewer}

	for _, wrong := range []string{"", "WRONG", token[:len(token)-1], token + "0", strings.ToUpper(token)} {
		if ok, _ := s.CheckSetupToken(ctx, wrong); ok {
			t.Errorf("CheckSetupToken(%q) = true", wrong)
		}
		if _, err := s.CompleteSetup(ctx, Actor{}, wrong, in); !errors.Is(err, ErrInvalidSetupToken) {
			t.Errorf("CompleteSetup(%q) = %v, want ErrInvalidSetupToken", wrong, err)
		}
	}
	if ok, err := s.CheckSetupToken(ctx, token); !ok || err != nil {
		t.Fatalf("CheckSetupToken(token) = %v, %v", ok, err)
	}

	// Invalid input is refused without using up the token.
	bad := in
	bad.Password = "short"
	if _, err := s.CompleteSetup(ctx, Actor{}, token, bad); err == nil {
		t.Fatal("short password accepted")
	} else if fe, ok := AsFieldErrors(err); !ok || fe["password"] == "" {
		t.Fatalf("err = %v, want a password field error", err)
	}
	if ok, _ := s.CheckSetupToken(ctx, token); !ok {
		t.Fatal("token used up by invalid input")
	}
	if countUsers(t, s) != 0 {
		t.Fatal("user created from invalid input")
	}

	u, err := s.CompleteSetup(ctx, Actor{}, token, in)
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != RoleAdmin || u.Email != "first@example.com" || u.Disabled {
		t.Fatalf("created %+v, want an enabled admin", u)
	}
	if !checkPassword(u.PasswordHash, in.Password) {
		t.Fatal("password not stored")
	}

	// The token is gone: a second use, by anyone, fails and creates nobody.
	second := NewUser{Email: "second@example.com", Name: "Second", Password: "second-password-1"}
	if _, err := s.CompleteSetup(ctx, Actor{}, token, second); !errors.Is(err, ErrSetupDone) && !errors.Is(err, ErrInvalidSetupToken) {
		t.Fatalf("second CompleteSetup = %v, want ErrSetupDone or ErrInvalidSetupToken", err)
	}
	if ok, _ := s.CheckSetupToken(ctx, token); ok {
		t.Fatal("token still valid after setup")
	}
	if countUsers(t, s) != 1 {
		t.Fatalf("users = %d, want 1", countUsers(t, s))
	}
	if pending, _ := s.SetupPending(ctx); pending {
		t.Fatal("setup still pending")
	}
	if tok, err := s.StartSetup(ctx); tok != "" || err != nil {
		t.Fatalf("StartSetup after setup = %q, %v, want no token", tok, err)
	}
	if strings.Contains(logs.String(), token) {
		t.Fatal("the setup token was logged")
	}
}

func TestStartSetupReplacesEarlierToken(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTestStore(t)
	first, err := s.StartSetup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.StartSetup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first == second {
		t.Fatal("StartSetup returned the same token twice")
	}
	in := NewUser{Email: "first@example.com", Name: "First", Password: "first-password-1"}
	if _, err := s.CompleteSetup(ctx, Actor{}, first, in); !errors.Is(err, ErrInvalidSetupToken) {
		t.Fatalf("earlier token: %v, want ErrInvalidSetupToken", err)
	}
	if _, err := s.CompleteSetup(ctx, Actor{}, second, in); err != nil {
		t.Fatalf("current token: %v", err)
	}
}

func TestCompleteSetupConcurrentUsesCreateOneAdmin(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTestStore(t)
	token, err := s.StartSetup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.CompleteSetup(ctx, Actor{}, token, NewUser{
				Email: "admin" + string(rune('a'+i)) + "@example.com", Name: "Admin", Password: "admin-password-1",
			})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrSetupDone), errors.Is(err, ErrInvalidSetupToken):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || countUsers(t, s) != 1 {
		t.Fatalf("%d setups succeeded, %d users; want exactly 1", ok, countUsers(t, s))
	}
}

func TestCompleteSetupRefusedOnceUsersExist(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTestStore(t)
	token, err := s.StartSetup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, Actor{}, NewUser{Email: "cli@example.com", Name: "CLI", Password: "cli-password-12", Role: RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteSetup(ctx, Actor{}, token, NewUser{Email: "x@example.com", Name: "X", Password: "x-password-123"}); !errors.Is(err, ErrSetupDone) {
		t.Fatalf("CompleteSetup with a user present = %v, want ErrSetupDone", err)
	}
	if countUsers(t, s) != 1 {
		t.Fatal("second user created")
	}
}

func TestBootstrapAdminIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s, _, logs := openTestStore(t)
	token, err := s.StartSetup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	in := NewUser{Email: " Boot@Example.com ", Name: "Boot", Password: "bootstrap-pw-1", Role: RoleViewer}

	u, err := s.BootstrapAdmin(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if u == nil || u.Role != RoleAdmin || u.Email != "boot@example.com" {
		t.Fatalf("created %+v, want admin boot@example.com", u)
	}
	// The pending setup link is withdrawn: an administrator exists.
	if ok, _ := s.CheckSetupToken(ctx, token); ok {
		t.Fatal("setup token still valid after bootstrap")
	}

	// Every later start does nothing, whatever the configuration says now.
	for _, again := range []NewUser{in, {Email: "other@example.com", Name: "Other", Password: "other-password-1"}, {Email: "bad"}} {
		u2, err := s.BootstrapAdmin(ctx, again)
		if err != nil || u2 != nil {
			t.Fatalf("BootstrapAdmin again = %+v, %v, want nil, nil", u2, err)
		}
	}
	us, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 1 || us[0].ID != u.ID || !checkPassword(us[0].PasswordHash, in.Password) {
		t.Fatalf("users after repeated bootstrap: %+v", us)
	}
	if strings.Contains(logs.String(), in.Password) {
		t.Fatal("the bootstrap password was logged")
	}
}

func TestBootstrapAdminInvalidInput(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTestStore(t)
	_, err := s.BootstrapAdmin(ctx, NewUser{Email: "boot@example.com", Name: "Boot", Password: "short"})
	if fe, ok := AsFieldErrors(err); !ok || fe["password"] == "" {
		t.Fatalf("err = %v, want a password field error", err)
	}
	if countUsers(t, s) != 0 {
		t.Fatal("user created from invalid bootstrap input")
	}
}

func TestBootstrapAdminDoesNothingWhenUsersExist(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTestStore(t)
	if _, err := s.CreateUser(ctx, Actor{}, NewUser{Email: "viewer@example.com", Name: "V", Password: "viewer-password-1", Role: RoleViewer}); err != nil {
		t.Fatal(err)
	}
	u, err := s.BootstrapAdmin(ctx, NewUser{Email: "boot@example.com", Name: "Boot", Password: "bootstrap-pw-1"})
	if err != nil || u != nil {
		t.Fatalf("BootstrapAdmin = %+v, %v, want nil, nil", u, err)
	}
	if countUsers(t, s) != 1 {
		t.Fatal("bootstrap added a user to a non-empty database")
	}
}
