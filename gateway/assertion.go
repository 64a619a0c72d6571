package gateway

import (
	"context"
	"crypto"
	"slices"
	"sync"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/pki"
)

// clientAssertionType is RFC 7523 §2.2's client_assertion_type.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// DefaultAssertionMaxLifetime is gateway.clientAssertion.maxLifetime's
// default: how far ahead of now an assertion's exp may be.
const DefaultAssertionMaxLifetime = 5 * time.Minute

// assertionSkew is the clock skew allowed on exp, nbf and iat.
const assertionSkew = 30 * time.Second

// hasAssertion reports whether the request tries private_key_jwt.
func hasAssertion(form map[string][]string) bool {
	_, typ := form["client_assertion_type"]
	_, a := form["client_assertion"]
	return typ || a
}

// authenticateAssertion is authenticate for a request with a client
// assertion (RFC 7523 §2.2, §3; OIDC Core §9 private_key_jwt). Every
// failure is the same invalid_client as a wrong secret, counted by the same
// throttle; basic is always false (no Basic challenge applies).
func (g *Gateway) authenticateAssertion(c echo.Context, hrid string, form map[string][]string) (*models.AuthenticatedClient, bool, *oauthError, error) {
	if c.Request().Header.Get(echo.HeaderAuthorization) != "" {
		return nil, false, invalidRequest("Use only one client authentication method."), nil
	}
	if _, ok := form["client_secret"]; ok {
		return nil, false, invalidRequest("Use only one client authentication method."), nil
	}
	addr := c.RealIP()
	tok := parseAssertion(form)
	if tok == nil {
		// No client to count against: the address alone.
		if d := g.Failures.Attempt("", addr); !d.Allowed {
			g.Summary.Add(hrid, "(malformed credentials)", addr, true)
			return nil, false, throttled(c, d.RetryAfter.Seconds()), nil
		}
		g.Summary.Add(hrid, "(malformed credentials)", addr, false)
		return nil, false, errInvalidClient, nil
	}
	clientID := tok.claims.Subject
	subject := "client:" + hrid + "/" + clientID
	d := g.Failures.AttemptWaiting(c.Request().Context(), subject, addr, attemptPatience)
	if !d.Allowed {
		g.Summary.Add(hrid, clientID, addr, true)
		return nil, false, throttled(c, d.RetryAfter.Seconds()), nil
	}
	client, certID, err := g.verifyAssertion(c, hrid, form, tok)
	if err != nil {
		g.Failures.Cancel(subject, addr)
		return nil, false, nil, err
	}
	if client == nil {
		g.Summary.Add(hrid, clientID, addr, false)
		return nil, false, errInvalidClient, nil
	}
	g.Failures.Succeeded(subject, addr)
	g.LastUsed.TouchClientCertificate(certID, g.Store.Now())
	return client, false, nil, nil
}

// parseAssertion reads the assertion's parameters and its claims, not yet
// verified; nil when they cannot be what RFC 7523 describes: one
// client_assertion_type of jwt-bearer, one compact JWS with one of
// assertionMethods, and a subject to count failures against.
func parseAssertion(form map[string][]string) *assertionJWS {
	typ, raw := form["client_assertion_type"], form["client_assertion"]
	if len(typ) != 1 || typ[0] != clientAssertionType || len(raw) != 1 || len(raw[0]) > maxAssertionBytes {
		return nil
	}
	tok, ok := splitAssertion(raw[0])
	if !ok || tok.claims.Subject == "" {
		return nil
	}
	return tok
}

// maxAssertionBytes bounds an assertion: far above any real one (an RSA
// 4096 signature with an x5c chain), far below a memory problem.
const maxAssertionBytes = 16 << 10

// verifyAssertion checks the assertion against the client's active client
// certificates and the claim rules, records its jti, and returns the client
// with the id of the client certificate that verified it; a nil client when
// it fails. err is internal (the database).
func (g *Gateway) verifyAssertion(c echo.Context, hrid string, form map[string][]string, tok *assertionJWS) (*models.AuthenticatedClient, string, error) {
	clientID := tok.claims.Subject
	if ids, ok := form["client_id"]; ok && (len(ids) != 1 || ids[0] != clientID) {
		return nil, "", nil
	}
	ctx := c.Request().Context()
	client, keys, err := g.Store.ClientForAssertion(ctx, hrid, clientID)
	if err != nil || client == nil {
		return nil, "", err
	}
	certID := ""
	for _, k := range candidateKeys(keys, tok.header) {
		pub, err := g.clientKeys.get(k)
		if err != nil || !algorithmFits(k, pub, tok.header.Alg) {
			continue
		}
		if tok.verify(pub) {
			certID = k.ID
			break
		}
	}
	if certID == "" {
		return nil, "", nil
	}
	now := g.Store.Now()
	// The claims were decoded before verification; the signature covers
	// exactly those bytes, so they are now the verified claims.
	claims := &tok.claims
	exp, ok := g.assertionValid(claims, clientID, hrid, now)
	if !ok {
		return nil, "", nil
	}
	// The jti is remembered until the assertion could no longer be
	// accepted, skew included; only then may the same jti come again.
	fresh, err := g.Store.UseAssertionJTI(ctx, clientID, claims.ID, exp.Add(assertionSkew))
	if err != nil || !fresh {
		return nil, "", err
	}
	return client, certID, nil
}

// assertionValid applies RFC 7523 §3's claim rules at now and returns the
// assertion's expiry: iss and sub are the client id; aud names the token
// endpoint or the issuer (a string, or an array that holds one); exp is
// present, not past and at most the maximum lifetime ahead; nbf and iat,
// when present, not in the future (each with assertionSkew); jti present.
func (g *Gateway) assertionValid(claims *gojwt.RegisteredClaims, clientID, hrid string, now time.Time) (time.Time, bool) {
	if claims.Issuer != clientID || claims.Subject != clientID || claims.ID == "" || claims.ExpiresAt == nil {
		return time.Time{}, false
	}
	tokenURL := g.BaseURL + "/" + hrid + "/oauth/token"
	if !slices.Contains(claims.Audience, tokenURL) && !slices.Contains(claims.Audience, g.issuer(hrid)) {
		return time.Time{}, false
	}
	exp := claims.ExpiresAt.Time
	if now.Add(-assertionSkew).After(exp) || notYet(claims.NotBefore, now) || notYet(claims.IssuedAt, now) {
		return time.Time{}, false
	}
	maxLife := g.AssertionMaxLifetime
	if maxLife <= 0 {
		maxLife = DefaultAssertionMaxLifetime
	}
	if exp.After(now.Add(maxLife + assertionSkew)) {
		return time.Time{}, false
	}
	return exp, true
}

// notYet reports whether the time t, when present, is still ahead of now
// by more than assertionSkew (an nbf not reached, an iat in the future).
func notYet(t *gojwt.NumericDate, now time.Time) bool {
	return t != nil && now.Add(assertionSkew).Before(t.Time)
}

// candidateKeys are the client certificates to try: those the header's
// kid or x5t#S256 names, else (no header names one of them) each active
// one, at most ClientCertificatesMax.
func candidateKeys(keys []models.ClientKeyRow, h assertionHeader) []models.ClientKeyRow {
	if h.Kid == "" && h.X5t == "" {
		return keys
	}
	var named []models.ClientKeyRow
	for _, k := range keys {
		if (h.Kid != "" && h.Kid == k.KeyID) || (h.X5t != "" && h.X5t == k.Thumbprint) {
			named = append(named, k)
		}
	}
	if len(named) == 0 {
		return keys
	}
	return named
}

// algorithmFits reports whether alg may be verified with the client
// certificate: its algorithm, or for an RSA certificate (no JWK to say
// otherwise) PS256 as well as RS256, the same key in either padding.
func algorithmFits(k models.ClientKeyRow, pub crypto.PublicKey, alg string) bool {
	if alg == k.Algorithm {
		return true
	}
	return k.Format == pki.FormatX509 && alg == pki.PS256 && pki.IsRSA(pub)
}

// clientKeyCache keeps parsed client public keys by id and thumbprint: a
// client certificate never changes for its id, and the thumbprint in the
// key makes an entry unusable should it ever differ. Which client
// certificates a client has is never cached: the assertion's query reads
// them on every request, so a deletion or expiry counts at once on every
// node.
type clientKeyCache struct {
	mu sync.RWMutex
	m  map[string]crypto.PublicKey
}

func (kc *clientKeyCache) get(k models.ClientKeyRow) (crypto.PublicKey, error) {
	key := k.ID + "\x00" + k.Thumbprint
	kc.mu.RLock()
	pub, ok := kc.m[key]
	kc.mu.RUnlock()
	if ok {
		return pub, nil
	}
	pub, err := pki.LoadClientKey(k.Format, k.PublicKey)
	if err != nil {
		return nil, err
	}
	kc.mu.Lock()
	if kc.m == nil || len(kc.m) >= maxCachedKeys {
		kc.m = map[string]crypto.PublicKey{}
	}
	kc.m[key] = pub
	kc.mu.Unlock()
	return pub, nil
}

// PurgeAssertionJTIs deletes the replay store's expired jtis, a batch at a
// time until none is left or ctx ends; the server's background work runs
// it every minute. Nothing depends on it for correctness (an expired row
// is taken over by the next use of its jti): it only keeps the table small.
func PurgeAssertionJTIs(ctx context.Context, store *models.Store, onError func(error)) {
	for ctx.Err() == nil {
		n, err := store.PurgeAssertionJTIs(ctx)
		if err != nil {
			onError(err)
			return
		}
		if n == 0 {
			return
		}
	}
}
