package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/pki"
)

// The private_key_jwt cases (issue 16): an application whose client
// presents an ES256 client assertion, measured next to the same
// application presenting its secret with client_secret_basic, and next to
// its own work floor: a bare Echo handler that verifies the same assertion
// and signs the same kind of token, the two signature operations no
// private_key_jwt token endpoint can skip. Every assertion has its own jti
// (the gateway accepts one only once), so they are all signed before the
// clock starts, as many as the case can use.

// assertionsPerSecond bounds the assertions signed for a case: far above
// what one machine's gateway serves.
const assertionsPerSecond = 12000

// assertionRows runs the private_key_jwt cases against the gateway gw of
// b: its floor, client_secret_basic, then private_key_jwt.
func assertionRows(b *benchServer, gw string, d time.Duration, workers int) ([]result, error) {
	ctx := context.Background()
	a, first, err := b.store.CreateApplication(ctx, models.Actor{}, b.domain.ID, models.ApplicationInput{Name: "load-private-key-jwt",
		Type: models.AppTypeService, Scopes: "read", AuthMethods: []string{models.AuthClientSecret, models.AuthPrivateKeyJWT}})
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := pki.SelfSign(key, "CN=tokenload", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	cc, err := b.store.AddClientCertificate(ctx, models.Actor{}, a.ID, models.ClientCertificateInput{Description: "tokenload",
		Data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})})
	if err != nil {
		return nil, err
	}
	tokenURL := gw + "/bench/oauth/token"
	aud := b.cfg.Server.GatewayURL + "/bench/oauth/token"
	n := int(assertionsPerSecond*(d+time.Second).Seconds()) + workers
	sign := func(prefix string) ([]string, error) {
		return signAssertions(key, cc.KeyID, a.ClientID, aud, prefix, n)
	}

	floorURL, err := serve(assertionFloor(&key.PublicKey, a.ClientID))
	if err != nil {
		return nil, err
	}
	floorBodies, err := sign("floor")
	if err != nil {
		return nil, err
	}
	floor := loadBodies("private_key_jwt work floor (verify + sign ES256)", floorURL+"/bench/oauth/token", "", floorBodies, d, workers)

	basicAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(a.ClientID)+":"+url.QueryEscape(first.Value)))
	basic := loadBodies("token endpoint, 1 secret, client_secret_basic", tokenURL, basicAuth,
		[]string{url.Values{"grant_type": {"client_credentials"}}.Encode()}, d, workers)

	bodies, err := sign("gw")
	if err != nil {
		return nil, err
	}
	if resp, err := http.Post(tokenURL, "application/x-www-form-urlencoded", strings.NewReader(bodies[0])); err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("private_key_jwt: the first assertion was refused (%v, %v)", err, resp)
	}
	pkj := loadBodies("token endpoint, private_key_jwt (ES256 assertion)", tokenURL, "", bodies[1:], d, workers)
	for _, r := range []result{floor, basic, pkj} {
		if r.errors > 0 {
			return nil, fmt.Errorf("%s: %d of %d requests failed", r.name, r.errors, r.total)
		}
	}
	return []result{floor, basic, pkj}, nil
}

// printAssertionRows prints the private_key_jwt rows of each database
// after the main table, and private_key_jwt's ratio to its floor and to
// client_secret_basic.
func printAssertionRows(dbs []string, rows map[string][]result) {
	for i := range rows[dbs[0]] {
		fmt.Printf("%-52s", rows[dbs[0]][i].name)
		for _, db := range dbs {
			r := rows[db][i]
			fmt.Printf(" | %8.0f %10s %10s", r.rps, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond))
		}
		fmt.Println()
	}
	fmt.Println()
	for _, db := range dbs {
		r := rows[db]
		fmt.Printf("%s: private_key_jwt %.0f req/s = %.2f of its work floor, %.2f× client_secret_basic (%.0f req/s)\n",
			db, r[2].rps, r[2].rps/r[0].rps, r[2].rps/r[1].rps, r[1].rps)
	}
}

// signAssertions signs n client assertions for clientID, each with its
// own jti, on every CPU.
func signAssertions(key *ecdsa.PrivateKey, kid, clientID, aud, prefix string, n int) ([]string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", kid))
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	exp := jwt.NewNumericDate(time.Now().Add(4 * time.Minute))
	var wg sync.WaitGroup
	errs := make(chan error, runtime.GOMAXPROCS(0))
	per := (n + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	for start := 0; start < n; start += per {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				raw, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{aud},
					Expiry: exp, ID: prefix + "-" + strconv.Itoa(i)}).Serialize()
				if err != nil {
					errs <- err
					return
				}
				out[i] = url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
					"client_assertion": {raw}}.Encode()
			}
		}(start, min(start+per, n))
	}
	wg.Wait()
	close(errs)
	return out, <-errs
}

// assertionFloor is the bare handler of the private_key_jwt floor: parse
// the form, verify the assertion's signature with the known key, sign an
// ES256 token with the same claims shape, answer the same JSON.
func assertionFloor(pub *ecdsa.PublicKey, clientID string) http.Handler {
	signing, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	e := echo.New()
	e.POST("/bench/oauth/token", func(c echo.Context) error {
		tok, err := jwt.ParseSigned(c.FormValue("client_assertion"), []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			return c.NoContent(http.StatusUnauthorized)
		}
		var claims jwt.Claims
		if err := tok.Claims(pub, &claims); err != nil {
			return c.NoContent(http.StatusUnauthorized)
		}
		now := time.Now()
		t := gojwt.NewWithClaims(gojwt.SigningMethodES256, gojwt.MapClaims{"iss": "http://bench/oidc", "sub": clientID, "aud": clientID,
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(2 * time.Hour).Unix(), "jti": claims.ID, "client_id": clientID, "scope": "read"})
		t.Header["kid"] = "floor"
		t.Header["typ"] = "at+jwt"
		s, err := t.SignedString(signing)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(http.StatusOK, map[string]any{"access_token": s, "token_type": "bearer", "expires_in": 7200, "scope": "read"})
	})
	return e
}

// loadBodies is load for requests that may not repeat: each worker sends
// the next unused body (one body is sent over and over), with
// authorization as its Authorization header when set, for d after a
// 300 ms warm-up, or until the bodies run out; the rate is over the time
// actually measured.
func loadBodies(name, target, authorization string, bodies []string, d time.Duration, workers int) result {
	u, _ := url.Parse(target)
	auth := ""
	if authorization != "" {
		auth = "Authorization: " + authorization + "\r\n"
	}
	request := func(body string) []byte {
		return fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
			u.Path, u.Host, auth, len(body), body)
	}
	var mu sync.Mutex
	next := 0
	take := func() ([]byte, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(bodies) == 1 {
			return request(bodies[0]), true
		}
		if next == len(bodies) {
			return nil, false
		}
		next++
		return request(bodies[next-1]), true
	}
	start := time.Now()
	warm, deadline := start.Add(300*time.Millisecond), start.Add(300*time.Millisecond+d)
	lat := make([][]time.Duration, workers)
	var failed, total int64
	var last time.Time
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
				return
			}
			defer conn.Close()
			br := bufio.NewReaderSize(conn, 16<<10)
			for {
				req, ok := take()
				t0 := time.Now()
				if !ok || t0.After(deadline) {
					return
				}
				good := roundTrip(conn, br, req)
				done := time.Now()
				if t0.Before(warm) {
					continue
				}
				mu.Lock()
				total++
				if !good {
					failed++
				}
				if done.After(last) {
					last = done
				}
				mu.Unlock()
				if !good {
					return
				}
				lat[w] = append(lat[w], done.Sub(t0))
			}
		}()
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := result{name: name, total: total, errors: failed}
	if span := min(d, last.Sub(warm)); span > 0 {
		r.rps = float64(len(all)) / span.Seconds()
	}
	if len(all) > 0 {
		r.p50, r.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	return r
}

// tail returns each database's results after the first n.
func tail(results map[string][]result, n int) map[string][]result {
	out := map[string][]result{}
	for db, r := range results {
		out[db] = r[n:]
	}
	return out
}
