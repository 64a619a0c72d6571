package gateway

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// assertionJWS is a client assertion split and decoded, not yet verified:
// the compact JWS's signing input and signature, the header fields the
// gateway reads, and the claims, decoded once. A lean parse (one split,
// two small JSON decodes) instead of go-jose's generic JWS parsing, which
// cost more than the rest of Latchkey's work on a token request.
type assertionJWS struct {
	signingInput string
	signature    []byte
	header       assertionHeader
	claims       gojwt.RegisteredClaims
}

// assertionHeader is the part of a JWS header an assertion may use. Crit
// is read only to refuse it: no extension is understood (RFC 7515 §4.1.11).
type assertionHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	X5t  string          `json:"x5t#S256"`
	Crit json.RawMessage `json:"crit"`
}

// assertionMethods are the only JWS algorithms a client assertion may
// use, with their verifiers (golang-jwt's verifiers, the
// same library that signs the gateway's tokens); `none` and the HMAC
// algorithms are absent, so refused before anything is verified.
var assertionMethods = map[string]gojwt.SigningMethod{
	"RS256": gojwt.SigningMethodRS256,
	"PS256": gojwt.SigningMethodPS256,
	"ES256": gojwt.SigningMethodES256,
	"EdDSA": gojwt.SigningMethodEdDSA,
}

// splitAssertion decodes raw as a compact JWS with one of
// assertionMethods; false when it is not one.
func splitAssertion(raw string) (*assertionJWS, bool) {
	h, rest, ok := strings.Cut(raw, ".")
	if !ok {
		return nil, false
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(s, '.') >= 0 {
		return nil, false
	}
	var a assertionJWS
	if !decodeSegment(h, &a.header) || a.header.Crit != nil || assertionMethods[a.header.Alg] == nil {
		return nil, false
	}
	if !decodeSegment(p, &a.claims) {
		return nil, false
	}
	sig, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(sig) == 0 {
		return nil, false
	}
	a.signingInput, a.signature = raw[:len(h)+1+len(p)], sig
	return &a, true
}

// decodeSegment base64url-decodes one JWS segment and unmarshals its JSON
// object into v.
func decodeSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil || len(b) == 0 || b[0] != '{' {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// verify reports whether pub signed the assertion with its header's alg.
func (a *assertionJWS) verify(pub any) bool {
	m := assertionMethods[a.header.Alg]
	return m != nil && m.Verify(a.signingInput, a.signature, pub) == nil
}
