package models

import (
	"strings"
	"testing"
)

func TestCheckImportedSecret(t *testing.T) {
	good := "Xq7-mR2vT9zLp4Wc8Ks1Bn6Yd3Hf5Jg0" // 32 characters
	tests := []struct {
		name, value, clientID string
		ok                    bool
	}{
		{"32 characters, wide alphabet", good, "billing", true},
		{"31 characters", good[:31], "billing", false},
		{"256 characters", strings.Repeat(good, 8), "billing", true},
		{"257 characters", strings.Repeat(good, 8) + "x", "billing", false},
		{"lower case and digits (hex)", "3f9a1c7e5b2d8046af1e9c3b7d5a2e8f", "billing", true},
		{"one class", "qwxzmnbvcrtyplkjhgfdsaeiouqwxzmn", "billing", false},
		{"nine distinct characters", "abcd1234eabcd1234eabcd1234eabcd1", "billing", false},
		{"contains the client id, any case", "BILLING-Xq7mR2vT9zLp4Wc8Ks1Bn6Yd3", "billing", false},
		{"a weak word", "ChangeMe-Xq7mR2vT9zLp4Wc8Ks1Bn6Yd", "billing", false},
		{"a space", "Xq7 mR2vT9zLp4Wc8Ks1Bn6Yd3Hf5Jg0a", "billing", false},
		{"non-ASCII", "Xq7émR2vT9zLp4Wc8Ks1Bn6Yd3Hf5Jg0a", "billing", false},
	}
	for _, tt := range tests {
		msg := CheckImportedSecret(tt.value, tt.clientID)
		if (msg == "") != tt.ok {
			t.Errorf("%s: %q", tt.name, msg)
		}
		if msg != "" && msg != ImportedSecretRule {
			t.Errorf("%s: message %q does not state the rule", tt.name, msg)
		}
		// Whatever passes the rule is also looked up at the gateway.
		if tt.ok && !plausibleSecret(tt.value) {
			t.Errorf("%s: accepted but never authenticates", tt.name)
		}
	}
}

func TestNormalizeRedirectURIs(t *testing.T) {
	got, msg := normalizeRedirectURIs([]string{" https://a.example/cb ", "", "https://a.example/cb", "myapp://callback"})
	if msg != "" || got != "https://a.example/cb\nmyapp://callback" {
		t.Errorf("got %q, %q", got, msg)
	}
	many := make([]string, MaxRedirectURIs+1)
	for i := range many {
		many[i] = "https://a.example/" + strings.Repeat("x", i+1)
	}
	for _, bad := range [][]string{{"a.example/cb"}, {"/cb"}, {"https://a.example/cb#x"}, {"https:///cb"}, many} {
		if _, msg := normalizeRedirectURIs(bad); msg == "" {
			t.Errorf("%v accepted", bad)
		}
	}
}
