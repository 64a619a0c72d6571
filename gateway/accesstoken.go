package gateway

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"latchkey/pki"
)

// tokenClaims are the claims of one access token (RFC 9068 §2.2).
type tokenClaims struct {
	issuer, subject string
	// audience is the aud; clientID alone when empty.
	audience []string
	// issuedAt is also the token's nbf.
	issuedAt, expiresAt time.Time
	id                  uuid.UUID
	clientID, scope     string
}

// The token endpoint builds its JWS and its JSON by hand, into one pooled
// buffer: golang-jwt's header map and encoding/json's reflection cost more
// than the rest of the request's own work together (the profile in issue
// 19). The bytes are the ones encoding/json writes (accesstoken_test.go
// holds the two side by side); the signature is the standard library's
// (pki.AppendJWSSignature).

// bufPool holds the buffers of token responses.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// Shared values of the token response's constant headers: assigning them
// costs no allocation per request. net/http only reads them, and their
// capacity is their length, so an append elsewhere copies.
var (
	headerNoStore = []string{"no-store"}
	headerNoCache = []string{"no-cache"}
)

// writeTokenResponse signs the access token with key and writes RFC 6749
// §5.1's success body around it, as encoding/json would write
// {access_token, token_type, expires_in, scope omitempty}.
func writeTokenResponse(c echo.Context, key *signingKey, claims *tokenClaims, lifetime int) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b := append((*bp)[:0], `{"access_token":"`...)
	// A compact JWS is base64url and dots: nothing to escape.
	b, err := appendAccessToken(b, key, claims)
	if err != nil {
		return err
	}
	b = append(b, `","token_type":"bearer","expires_in":`...)
	b = strconv.AppendInt(b, int64(lifetime), 10)
	if claims.scope != "" {
		// Omitted when nothing is granted: an empty string is not valid
		// scope syntax (RFC 6749 §3.3, Appendix A.4).
		b = append(b, `,"scope":`...)
		b = appendJSONString(b, claims.scope)
	}
	b = append(b, "}\n"...)
	*bp = b
	h := c.Response().Header()
	h["Cache-Control"] = headerNoStore
	h["Pragma"] = headerNoCache
	return c.JSONBlob(http.StatusOK, b)
}

// appendAccessToken appends the compact JWS of claims signed by key.
func appendAccessToken(dst []byte, key *signingKey, claims *tokenClaims) ([]byte, error) {
	start := len(dst)
	dst = append(dst, key.header...)
	dst = append(dst, '.')
	sp := bufPool.Get().(*[]byte)
	payload := appendClaims((*sp)[:0], claims)
	dst = base64.RawURLEncoding.AppendEncode(dst, payload)
	*sp = payload
	bufPool.Put(sp)
	// dst[start:] is the signing input, read before the signature grows
	// dst.
	return pki.AppendJWSSignature(append(dst, '.'), string(key.alg), key.private, dst[start:])
}

// appendClaims appends the claims' JSON in golang-jwt's RegisteredClaims
// order (iss, sub, aud, exp, nbf, iat, jti), then client_id and scope,
// with its omissions: aud is always an array (the client id when no
// audience is given), times whole seconds.
func appendClaims(b []byte, c *tokenClaims) []byte {
	b = append(b, '{')
	if c.issuer != "" {
		b = sep(b, "iss")
		b = appendJSONString(b, c.issuer)
	}
	if c.subject != "" {
		b = sep(b, "sub")
		b = appendJSONString(b, c.subject)
	}
	b = sep(b, "aud")
	b = append(b, '[')
	if len(c.audience) == 0 {
		b = appendJSONString(b, c.clientID)
	}
	for i, a := range c.audience {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, a)
	}
	b = append(b, ']')
	b = sep(b, "exp")
	b = strconv.AppendInt(b, c.expiresAt.Unix(), 10)
	b = sep(b, "nbf")
	b = strconv.AppendInt(b, c.issuedAt.Unix(), 10)
	b = sep(b, "iat")
	b = strconv.AppendInt(b, c.issuedAt.Unix(), 10)
	b = sep(b, "jti")
	b = appendUUID(b, c.id)
	b = sep(b, "client_id")
	b = appendJSONString(b, c.clientID)
	if c.scope != "" {
		b = sep(b, "scope")
		b = appendJSONString(b, c.scope)
	}
	return append(b, '}')
}

// sep appends a member's name, after a comma unless it is the first.
func sep(b []byte, name string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// appendUUID appends id as a JSON string in its canonical form.
func appendUUID(b []byte, id uuid.UUID) []byte {
	var s [38]byte
	s[0], s[37] = '"', '"'
	hex.Encode(s[1:9], id[0:4])
	s[9] = '-'
	hex.Encode(s[10:14], id[4:6])
	s[14] = '-'
	hex.Encode(s[15:19], id[6:8])
	s[19] = '-'
	hex.Encode(s[20:24], id[8:10])
	s[24] = '-'
	hex.Encode(s[25:37], id[10:16])
	return append(b, s[:]...)
}

// appendJSONString appends s as encoding/json writes a string: plain
// printable ASCII as it is, anything else (quotes, backslashes, control
// characters, the HTML characters it escapes, non-ASCII and invalid UTF-8)
// by encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s) // a string always marshals
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
