package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/pki"
)

// privateKeyJWT is RFC 7523 client authentication (issue 16): the client
// presents an ES256 client assertion signed by the key of one of its
// client certificates. The gateway accepts each jti once, so every request
// needs an assertion of its own: they are signed before the clock starts
// (assertionPool), and only when the pool runs dry during a case is one
// signed on the spot. Its floor verifies the assertion and signs the
// token: the two signature operations no private_key_jwt endpoint can
// skip.
var privateKeyJWT = authMode{name: "private_key_jwt", prepare: prepareAssertions, floor: assertionFloor}

// assertionPoolSize is how many assertions are signed for one case ahead
// of time: more than a 2 s case, in 3 rounds, serves on this kind of
// machine.
const assertionPoolSize = 30000

// assertionKeys holds each client's public key by client id, for the
// floor, which verifies the assertion as the gateway does.
var assertionKeys sync.Map

// prepareAssertions gives cl's application a client certificate and
// returns requests each carrying a fresh assertion for it.
func prepareAssertions(b *benchServer, cl benchClient) (request, error) {
	ctx := context.Background()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return request{}, err
	}
	der, err := pki.SelfSign(key, "CN=tokenload", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		return request{}, err
	}
	cc, err := b.store.AddClientCertificate(ctx, models.Actor{}, cl.appID, models.ClientCertificateInput{Description: "tokenload",
		Data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})})
	if err != nil {
		return request{}, err
	}
	assertionKeys.Store(cl.clientID, &key.PublicKey)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", cc.KeyID))
	if err != nil {
		return request{}, err
	}
	aud := b.cfg.Server.GatewayURL + "/" + cl.hrid + "/oauth/token"
	var seq atomic.Int64
	sign := func() string {
		raw, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: cl.clientID, Subject: cl.clientID, Audience: jwt.Audience{aud},
			Expiry: jwt.NewNumericDate(time.Now().Add(4 * time.Minute)), ID: "tokenload-" + strconv.FormatInt(seq.Add(1), 10)}).Serialize()
		if err != nil {
			panic(err) // an ES256 key and fixed claims: cannot fail
		}
		return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion": {raw}}.Encode()
	}
	pool, signed := signAhead(sign, assertionPoolSize), time.Now()
	var next atomic.Int64
	// A pool older than a minute is signed anew before the next case: its
	// assertions expire 4 minutes after signing, and a whole run (every
	// case, 3 rounds, wrk, PostgreSQL) takes longer than that, so the
	// third round's were refused (401).
	ready := func() {
		if time.Since(signed) > time.Minute {
			pool, signed = signAhead(sign, assertionPoolSize), time.Now()
			next.Store(0)
		}
	}
	return request{body: sign(), ready: ready, fresh: func() string {
		if i := next.Add(1) - 1; i < int64(len(pool)) {
			return pool[i]
		}
		return sign()
	}}, nil
}

// signAhead calls sign n times on every CPU.
func signAhead(sign func() string, n int) []string {
	out := make([]string, n)
	var wg sync.WaitGroup
	per := (n + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	for lo := 0; lo < n; lo += per {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				out[i] = sign()
			}
		}(lo, min(lo+per, n))
	}
	wg.Wait()
	return out
}

// assertionFloor is the private_key_jwt floor: parse the form, verify the
// assertion's ES256 signature with its client's key, then sign and answer
// as the plain floor does.
func assertionFloor(sign func() (string, error), respond func(c echo.Context, token string) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		tok, err := jwt.ParseSigned(c.FormValue("client_assertion"), []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			return echo.ErrUnauthorized
		}
		var claims jwt.Claims
		if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
			return echo.ErrUnauthorized
		}
		pub, ok := assertionKeys.Load(claims.Issuer)
		if !ok {
			return echo.ErrUnauthorized
		}
		if err := tok.Claims(pub, &claims); err != nil {
			return echo.ErrUnauthorized
		}
		token, err := sign()
		if err != nil {
			return err
		}
		return respond(c, token)
	}
}
