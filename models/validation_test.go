package models

import (
	"strings"
	"testing"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		name, in, want, msg string
	}{
		{"plain", "Acme", "Acme", ""},
		{"trimmed", "  Acme Corp \t", "Acme Corp", ""},
		{"inner spaces kept", "Acme  Corp", "Acme  Corp", ""},
		{"empty", "", "", "required"},
		{"spaces only", "   ", "", "required"},
		{"tabs and newlines only", "\t\n\r ", "", "required"},
		{"non-breaking spaces only", "\u00a0\u2003\u00a0", "", "required"},
		{"64 characters", strings.Repeat("a", 64), strings.Repeat("a", 64), ""},
		{"64 multi-byte characters", strings.Repeat("é", 64), strings.Repeat("é", 64), ""},
		{"65 characters", strings.Repeat("a", 65), strings.Repeat("a", 65), "at most 64"},
		{"65 after trimming is still too long", " " + strings.Repeat("a", 65) + " ", strings.Repeat("a", 65), "at most 64"},
		{"64 after trimming", "  " + strings.Repeat("a", 64) + "  ", strings.Repeat("a", 64), ""},
		{"control character", "Acme\x00Corp", "Acme\x00Corp", "control"},
		{"inner newline", "Acme\nCorp", "Acme\nCorp", "control"},
		{"escape sequence", "Acme\x1b[31m", "Acme\x1b[31m", "control"},
		{"punctuation and unicode", "Ünïcode & Co. (EU) 🚀", "Ünïcode & Co. (EU) 🚀", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := cleanName(tt.in)
			if got != tt.want {
				t.Errorf("cleanName(%q) = %q, want %q", tt.in, got, tt.want)
			}
			checkMsg(t, msg, tt.msg)
		})
	}
}

func TestCleanDescription(t *testing.T) {
	if got, msg := cleanDescription("  words \n"); got != "words" || msg != "" {
		t.Errorf("got %q, %q", got, msg)
	}
	if _, msg := cleanDescription(""); msg != "" {
		t.Errorf("empty description refused: %q", msg)
	}
	if _, msg := cleanDescription(strings.Repeat("é", 500)); msg != "" {
		t.Errorf("500 characters refused: %q", msg)
	}
	if _, msg := cleanDescription(strings.Repeat("d", 501)); !strings.Contains(msg, "at most 500") {
		t.Errorf("501 characters: %q", msg)
	}
}

func TestDeriveHRID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Acme", "acme"},
		{"My Domain!", "my-domain"},
		{"  My   Domain  ", "my-domain"},
		{"Acme Corp. (EU)", "acme-corp-eu"},
		{"already-an-hrid", "already-an-hrid"},
		{"snake_case_name", "snake-case-name"},
		{"--Leading and trailing--", "leading-and-trailing"},
		{"Prod 2024", "prod-2024"},
		{"42", "42"},
		{"日本語", ""},
		// Accented letters are transliterated, not dropped (issue 18).
		{"Ünïcødé", "unicode"},
		{"Straße Ærø Łódź", "strasse-aero-lodz"},
		{"Café Crème", "cafe-creme"},
		{"!!!", ""},
		{"", ""},
		{"   ", ""},
		{strings.Repeat("a", 70), strings.Repeat("a", 64)},
		// Cut at 64 would end on a hyphen: the hyphen goes too.
		{strings.Repeat("a", 63) + " b", strings.Repeat("a", 63)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := DeriveHRID(tt.in)
			if got != tt.want {
				t.Fatalf("DeriveHRID(%q) = %q, want %q", tt.in, got, tt.want)
			}
			// Whatever is derived is either empty or a valid identifier
			// (apart from the reserved words, checked separately).
			if got != "" && !hridPattern.MatchString(got) {
				t.Fatalf("DeriveHRID(%q) = %q is not a valid hrid", tt.in, got)
			}
		})
	}
}

func TestDeriveHRIDAlwaysValidShape(t *testing.T) {
	for _, in := range []string{
		"a - b", "a--b", "-", "a-", "-a", "A_B_C", "x\ty\nz", strings.Repeat("ab ", 40), strings.Repeat("-a", 40),
		"Ωmega 7", "tab\there", "a\u00a0b",
	} {
		got := DeriveHRID(in)
		if got == "" {
			continue
		}
		if msg := ValidateHRID(got); msg != "" {
			t.Errorf("DeriveHRID(%q) = %q: %s", in, got, msg)
		}
	}
}

func TestValidateHRID(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"acme", ""},
		{"my-domain", ""},
		{"a", ""},
		{"0", ""},
		{"prod-2024-eu", ""},
		{strings.Repeat("a", 64), ""},
		{"", "required"},
		{strings.Repeat("a", 65), "at most 64"},
		{"My-Domain", "lower-case"},
		{"my_domain", "lower-case"},
		{"my domain", "lower-case"},
		{"my.domain", "lower-case"},
		{"my/domain", "lower-case"},
		{"-acme", "lower-case"},
		{"acme-", "lower-case"},
		{"ac--me", "lower-case"},
		{"café", "lower-case"},
		{"acme\n", "lower-case"},
		{"%2e%2e", "lower-case"},
		{"static", "reserved"},
		{"healthz", "reserved"},
		{"management", "reserved"},
		{"setup", "reserved"},
		{"domains", "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			checkMsg(t, ValidateHRID(tt.in), tt.msg)
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want, msg string }{
		{"alice@example.com", "alice@example.com", ""},
		{"  Alice@Example.COM ", "alice@example.com", ""},
		{"alice+tag@sub.example.co.uk", "alice+tag@sub.example.co.uk", ""},
		{"first.last@example.com", "first.last@example.com", ""},
		{"admin@localhost", "admin@localhost", ""},
		{"", "", "required"},
		{"   ", "", "required"},
		{"alice", "alice", "valid email"},
		{"alice@", "alice@", "valid email"},
		{"@example.com", "@example.com", "valid email"},
		{"alice@example", "alice@example", "valid email"},
		{"alice@@example.com", "alice@@example.com", "valid email"},
		{"alice smith@example.com", "alice smith@example.com", "valid email"},
		{"Alice <alice@example.com>", "alice <alice@example.com>", "valid email"},
		{"alice@example.com, bob@example.com", "alice@example.com, bob@example.com", "valid email"},
		{"alice@example.com\nbcc: eve@example.com", "alice@example.com\nbcc: eve@example.com", "valid email"},
		{"alice.@example.com", "alice.@example.com", "valid email"},
		{strings.Repeat("a", 243) + "@example.com", strings.Repeat("a", 243) + "@example.com", "at most 254"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, msg := NormalizeEmail(tt.in)
			if got != tt.want {
				t.Errorf("NormalizeEmail(%q) = %q, want %q", tt.in, got, tt.want)
			}
			checkMsg(t, msg, tt.msg)
		})
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct{ name, password, email, msg string }{
		{"12 characters", "abcdefghijkl", "a@example.com", ""},
		{"passphrase", "correct horse battery staple", "a@example.com", ""},
		{"11 characters", "abcdefghijk", "a@example.com", "at least 12"},
		{"empty", "", "a@example.com", "at least 12"},
		{"12 multi-byte characters", strings.Repeat("é", 12), "a@example.com", ""},
		{"11 multi-byte characters (22 bytes)", strings.Repeat("é", 11), "a@example.com", "at least 12"},
		{"256 characters", strings.Repeat("p", 256), "a@example.com", ""},
		{"257 characters", strings.Repeat("p", 257), "a@example.com", "at most 256"},
		{"spaces only", strings.Repeat(" ", 16), "a@example.com", "only spaces"},
		{"whitespace only", strings.Repeat("\t \n", 6), "a@example.com", "only spaces"},
		{"surrounding spaces are kept as characters", "  abcdefghij", "a@example.com", ""},
		{"the email", "alice.smith@example.com", "alice.smith@example.com", "email"},
		{"the email in other case", "Alice.Smith@Example.com", "alice.smith@example.com", "email"},
		{"the email with spaces", " alice.smith@example.com ", "alice.smith@example.com", "email"},
		{"contains the email", "alice.smith@example.com!", "alice.smith@example.com", ""},
		{"no email to compare", "alice.smith@example.com", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkMsg(t, ValidatePassword(tt.password, tt.email), tt.msg)
		})
	}
}

func TestNewUserValidation(t *testing.T) {
	in := NewUser{Email: " Bob@Example.com ", Name: "  Bob ", Password: "long-enough-pw", Role: RoleViewer}
	if errs := in.validate(); len(errs) != 0 {
		t.Fatalf("valid input refused: %v", errs)
	}
	if in.Email != "bob@example.com" || in.Name != "Bob" {
		t.Fatalf("input not normalised: %+v", in)
	}
	bad := NewUser{Email: "bob", Name: " ", Password: "short", Role: "root"}
	errs := bad.validate()
	for _, f := range []string{"email", "name", "password", "role"} {
		if errs[f] == "" {
			t.Errorf("no message for %s: %v", f, errs)
		}
	}
}

func TestDomainInputValidation(t *testing.T) {
	tests := []struct {
		name     string
		in       DomainInput
		wantHRID string
		fields   []string
	}{
		{"hrid derived", DomainInput{Name: "My Domain"}, "my-domain", nil},
		{"hrid trimmed", DomainInput{Name: "X", HRID: "  given  "}, "given", nil},
		{"hrid given is kept", DomainInput{Name: "My Domain", HRID: "other"}, "other", nil},
		{"blank hrid is derived", DomainInput{Name: "My Domain", HRID: "   "}, "my-domain", nil},
		{"bad hrid", DomainInput{Name: "X", HRID: "Bad HRID"}, "Bad HRID", []string{"hrid"}},
		{"no name: only the name is reported", DomainInput{Name: "  "}, "", []string{"name"}},
		{"nothing to derive", DomainInput{Name: "!!!"}, "", []string{"hrid"}},
		{"derived but reserved", DomainInput{Name: "Static"}, "static", []string{"hrid"}},
		{"long description", DomainInput{Name: "X", Description: strings.Repeat("d", 501)}, "x", []string{"description"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			errs := in.validate()
			if in.HRID != tt.wantHRID {
				t.Errorf("hrid = %q, want %q", in.HRID, tt.wantHRID)
			}
			if len(errs) != len(tt.fields) {
				t.Fatalf("errors = %v, want fields %v", errs, tt.fields)
			}
			for _, f := range tt.fields {
				if errs[f] == "" {
					t.Errorf("no message for %s: %v", f, errs)
				}
			}
		})
	}
}

// checkMsg checks a validation message: want "" means valid; otherwise the
// message must contain want.
func checkMsg(t *testing.T, got, want string) {
	t.Helper()
	switch {
	case want == "" && got != "":
		t.Errorf("unexpected message %q", got)
	case want != "" && !strings.Contains(got, want):
		t.Errorf("message %q, want it to contain %q", got, want)
	}
}
