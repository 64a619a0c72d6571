package gateway

import (
	"encoding/json"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"latchkey/models"
	"latchkey/pki"
)

// signedClaims is how golang-jwt marshalled the access token's claims
// before appendClaims: the reference it must match byte for byte.
type signedClaims struct {
	gojwt.RegisteredClaims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
}

var claimCases = []tokenClaims{
	{issuer: "https://gw.example/bench/oidc", subject: "cid-1", audience: []string{"cid-1"}, clientID: "cid-1", scope: "read write"},
	{issuer: "https://gw.example/b/oidc", subject: "c", audience: []string{"https://api.example/a", "urn:x:y"}, clientID: "c"},
	// No audience: the client id is the aud.
	{issuer: "https://gw.example/b/oidc", subject: "c<", clientID: "c<"},
	// Everything encoding/json escapes: quotes, backslashes, control and
	// HTML characters, non-ASCII, U+2028, invalid UTF-8.
	{issuer: `http://h/"q"\b/oidc`, subject: "a<b>&c", audience: []string{"\x01\t\n", "é ü", "\u2028"}, clientID: "\xff\xfe", scope: "s\x7f"},
	// One of them at a time, so none hides behind another.
	{issuer: "i", subject: "s", audience: []string{"a<", "b>", "c&", `d"`, `e\`, "f\x7f", "g\x1f", "h\u00e9"}, clientID: "c"},
}

func TestAppendClaimsMatchesEncodingJSON(t *testing.T) {
	now := time.Unix(1764633600, 0)
	for _, c := range claimCases {
		c.issuedAt, c.expiresAt, c.id = now, now.Add(2*time.Hour), uuid.New()
		aud := c.audience
		if len(aud) == 0 {
			aud = []string{c.clientID}
		}
		want, err := json.Marshal(signedClaims{
			RegisteredClaims: gojwt.RegisteredClaims{
				Issuer: c.issuer, Subject: c.subject, Audience: aud,
				IssuedAt: gojwt.NewNumericDate(c.issuedAt), NotBefore: gojwt.NewNumericDate(c.issuedAt),
				ExpiresAt: gojwt.NewNumericDate(c.expiresAt), ID: c.id.String(),
			},
			ClientID: c.clientID, Scope: c.scope,
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := appendClaims([]byte("prefix"), &c); string(got) != "prefix"+string(want) {
			t.Errorf("appendClaims:\n got %s\nwant prefix%s", got, want)
		}
	}
}

// The signed token verifies with the key's public half, carries the
// header golang-jwt wrote (alg, kid, typ at+jwt) and the claims.
func TestAppendAccessTokenVerifies(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	for _, alg := range []string{pki.ES256, pki.RS256, pki.PS256, pki.EdDSA} {
		cert, err := pki.Generate(pki.GenerateOptions{Algorithm: alg, Subject: "t", ValidityDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		key, err := newSigningKey(&models.SigningKey{ID: "kid-" + alg, DomainID: "d", Algorithm: alg, Signer: cert.Key,
			Certificate: &models.Certificate{ID: "kid-" + alg, Algorithm: alg, Chain: cert.ChainPEM()}})
		if err != nil {
			t.Fatal(err)
		}
		c := claimCases[0]
		c.issuedAt, c.expiresAt, c.id = now, now.Add(time.Hour), uuid.New()
		raw, err := appendAccessToken(nil, key, &c)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := jwt.ParseSigned(string(raw), []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if h := tok.Headers[0]; h.KeyID != key.id || h.Algorithm != alg || h.ExtraHeaders["typ"] != "at+jwt" {
			t.Errorf("%s: header %+v", alg, h)
		}
		var got accessClaims
		if err := tok.Claims(cert.Key.Public(), &got); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if got.ID != c.id.String() || got.ClientID != c.clientID || got.Scope != c.scope || got.Issuer != c.issuer ||
			!got.Expiry.Time().Equal(c.expiresAt) || !got.IssuedAt.Time().Equal(now) || !got.NotBefore.Time().Equal(now) {
			t.Errorf("%s: claims %+v", alg, got)
		}
		// The other key type's signature does not verify.
		other, _ := pki.Generate(pki.GenerateOptions{Algorithm: pki.ES256, Subject: "o", ValidityDays: 1})
		if err := tok.Claims(other.Key.Public(), &got); err == nil {
			t.Errorf("%s: verified with another key", alg)
		}
	}
}

func TestJoinFieldsAndHasField(t *testing.T) {
	for _, s := range []string{"", "a", "a b", " a", "a ", "a  b", "a\tb", "a\u00a0b", "é b", "read write admin", " ", "\n"} {
		if got, want := joinFields(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("joinFields(%q) = %q, want %q", s, got, want)
		}
	}
	for _, tc := range []struct {
		list, word string
		want       bool
	}{{"client_credentials", "client_credentials", true}, {"authorization_code  client_credentials", "client_credentials", true},
		{"client_credentials_x", "client_credentials", false}, {"", "client_credentials", false}} {
		if got := hasField(tc.list, tc.word); got != tc.want {
			t.Errorf("hasField(%q, %q) = %v", tc.list, tc.word, got)
		}
	}
}

func TestFormContentTypeAsParseMediaType(t *testing.T) {
	for _, v := range []string{"application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded", " application/x-www-form-urlencoded ",
		"application/x-www-form-urlencoded; charset=UTF-8", "application/x-www-form-urlencoded;", "application/x-www-form-urlencoded; charset",
		"application/x-www-form-urlencoded; a=1; a=2", "application/json", "", "multipart/form-data; boundary=x", "application/x-www-form-urlencodedx"} {
		mt, _, _ := mime.ParseMediaType(v)
		if got, want := formContentType(v), mt == "application/x-www-form-urlencoded"; got != want {
			t.Errorf("formContentType(%q) = %v, want %v", v, got, want)
		}
	}
}

// A jti is a version 4 UUID of the RFC's variant, and never the same.
func TestNewJTIIsRandomVersion4(t *testing.T) {
	seen := map[uuid.UUID]bool{}
	for range 1000 {
		id := newJTI()
		if id.Version() != 4 || id.Variant() != uuid.RFC4122 || seen[id] {
			t.Fatalf("jti %s: version %d, variant %v, seen before %v", id, id.Version(), id.Variant(), seen[id])
		}
		seen[id] = true
	}
}
