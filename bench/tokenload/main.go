// Command tokenload is the token endpoint's load test, run by `make bench`:
// it serves the gateway on loopback from a fresh SQLite database and drives
// it with concurrent keep-alive clients, next to a bare Echo handler that
// returns a fixed JSON body, and prints requests/s, p50 and p99 for each.
//
// Cases (private_key_jwt ones in assertion.go): an application holding secretsMax (10) secrets presenting the
// last-created one, the bare handler in the same run, and 1 versus 20
// secrets to show that verification cost does not grow with the count,
// then one domain per signing algorithm (ES256, RS256, PS256, EdDSA), its
// application signing with a system certificate of that algorithm; on
// SQLite and, given -pg or $LATCHKEY_BENCH_PG_DSN, on PostgreSQL side by
// side.
//
// With -soak it instead holds -conns keep-alive connections (default
// 1,000) on the token endpoint for -duration, through the gateway's capped
// listener and the server timeouts `latchkey serve` uses, reconnecting
// after any failure, and prints the errors, the rate, p50, p99 and the
// slowest request; it exits non-zero if any request failed. It runs on
// loopback only and stops by itself.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/labstack/echo/v4"

	"latchkey/config"
	"latchkey/models"
	"latchkey/pki"
	"latchkey/web"
)

func main() {
	duration := flag.Duration("duration", 5*time.Second, "how long each case runs")
	workers := flag.Int("c", 32, "concurrent clients")
	pg := flag.String("pg", os.Getenv("LATCHKEY_BENCH_PG_DSN"), "PostgreSQL URL to measure too (default $LATCHKEY_BENCH_PG_DSN); its bench domain is replaced")
	soakMode := flag.Bool("soak", false, "hold -conns keep-alive connections on the token endpoint for -duration instead of the cases")
	conns := flag.Int("conns", 1000, "keep-alive connections held by -soak")
	flag.Parse()
	var err error
	if *soakMode {
		err = runSoak(*duration, *conns, *pg)
	} else {
		err = run(*duration, *workers, *pg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tokenload:", err)
		os.Exit(1)
	}
}

type result struct {
	name          string
	rps           float64
	p50, p99      time.Duration
	errors, total int64
}

// gatewayCase is one token-endpoint case: an application with n secrets
// presenting the last-created one, signing with the bench domain's ES256
// key, or when alg is set, in a domain of its own whose certificate of alg
// the application chose.
type gatewayCase struct {
	name    string
	secrets int
	alg     string
}

// The first three cases' order is relied on by the summary lines.
var gatewayCases = []gatewayCase{
	{"token endpoint, 10 secrets (secretsMax), last one", 10, ""},
	{"token endpoint, 1 secret", 1, ""},
	{"token endpoint, 20 secrets, last one", 20, ""},
	{"token endpoint, 1 secret, ES256 (P-256)", 1, pki.ES256},
	{"token endpoint, 1 secret, RS256 (RSA 2048)", 1, pki.RS256},
	{"token endpoint, 1 secret, PS256 (RSA 2048)", 1, pki.PS256},
	{"token endpoint, 1 secret, EdDSA (Ed25519)", 1, pki.EdDSA},
}

func run(d time.Duration, workers int, pgDSN string) error {
	bare := echo.New()
	bare.POST("/bench/oauth/token", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"access_token": "x", "token_type": "bearer", "expires_in": 7200, "scope": "read"})
	})
	bareURL, err := serve(bare)
	if err != nil {
		return err
	}
	dbs := []string{"SQLite"}
	if pgDSN != "" {
		dbs = append(dbs, "PostgreSQL")
	}
	fmt.Printf("token endpoint load test: %d keep-alive clients, %s per case, GOMAXPROCS=%d, JWT access tokens (ES256 unless the case names another algorithm), load generator in the same process\n\n", workers, d, runtime.GOMAXPROCS(0))
	bareResult := load("bare Echo handler (fixed JSON)", bareURL+"/bench/oauth/token", "grant_type=client_credentials", d, workers)
	results := map[string][]result{}
	for _, db := range dbs {
		dir, err := os.MkdirTemp("", "tokenload")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn := filepath.Join(dir, "bench.db")
		if db == "PostgreSQL" {
			dsn = pgDSN
		}
		if results[db], err = runGateway(dsn, d, workers); err != nil {
			return fmt.Errorf("%s: %w", db, err)
		}
	}

	fmt.Printf("%-52s", "case")
	for _, db := range dbs {
		fmt.Printf(" | %-31s", db+": req/s, p50, p99")
	}
	fmt.Printf("\n%-52s | %8.0f %10s %10s\n", bareResult.name, bareResult.rps, bareResult.p50.Round(time.Microsecond), bareResult.p99.Round(time.Microsecond))
	for i, tc := range gatewayCases {
		fmt.Printf("%-52s", tc.name)
		for _, db := range dbs {
			r := results[db][i]
			fmt.Printf(" | %8.0f %10s %10s", r.rps, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond))
		}
		fmt.Println()
	}
	printAssertionRows(dbs, tail(results, len(gatewayCases)))
	fmt.Println()
	for _, db := range dbs {
		r := results[db]
		fmt.Printf("%s: token endpoint (10 secrets) at %.1f%% of the bare handler's rate; 20 secrets vs 1 secret: %.2f× the rate\n",
			db, 100*r[0].rps/bareResult.rps, r[2].rps/r[1].rps)
	}
	return nil
}

// runGateway serves a gateway on dsn (a fresh SQLite file, or a PostgreSQL
// database that is cleared of earlier runs' bench domain first) and runs
// every gateway case against it.
func runGateway(dsn string, d time.Duration, workers int) ([]result, error) {
	b, err := newBenchServer(dsn, func(cfg *config.Config) {
		cfg.Applications.SecretsMax = 20
		cfg.Security.Token.MaxAttempts = 1 << 30
	})
	if err != nil {
		return nil, err
	}
	defer b.close()
	app := b.app
	// Padding: other applications and secrets, so the index is not trivially small.
	for i := 0; i < 200; i++ {
		if _, _, err := app(fmt.Sprintf("pad-%03d", i), 10); err != nil {
			return nil, err
		}
	}
	gw, err := serve(b.srv.Gateway)
	if err != nil {
		return nil, err
	}
	var results []result
	for _, tc := range gatewayCases {
		hrid, clientID, secret, err := "bench", "", "", error(nil)
		if tc.alg == "" {
			clientID, secret, err = app(fmt.Sprintf("load-%d", tc.secrets), tc.secrets)
		} else {
			hrid, clientID, secret, err = b.algApp(tc.alg)
		}
		if err != nil {
			return nil, err
		}
		body := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}.Encode()
		if err := checkAlgorithm(gw+"/"+hrid+"/oauth/token", body, tc.alg); err != nil {
			return nil, fmt.Errorf("%s: %w", tc.name, err)
		}
		r := load(tc.name, gw+"/"+hrid+"/oauth/token", body, d, workers)
		if r.errors > 0 {
			return nil, fmt.Errorf("%s: %d of %d requests failed", tc.name, r.errors, r.total)
		}
		results = append(results, r)
	}
	// private_key_jwt (assertion.go): its rows follow gatewayCases'.
	pkj, err := assertionRows(b, gw, d, workers)
	return append(results, pkj...), err
}

// serve starts h on a loopback port and returns its base URL.
func serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go http.Serve(ln, h)
	return "http://" + ln.Addr().String(), nil
}

// load drives target with workers keep-alive connections for d. Each
// worker writes a raw HTTP/1.1 request and reads the response by its
// Content-Length: a load generator this lean leaves the CPU (shared with
// the server on one machine) to the server, as wrk would.
func load(name, target, body string, d time.Duration, workers int) result {
	u, _ := url.Parse(target)
	req := []byte(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", u.Path, u.Host, len(body), body))
	warm := time.Now().Add(300 * time.Millisecond)
	deadline := warm.Add(d)
	var wg sync.WaitGroup
	var total, failed atomic.Int64
	lat := make([][]time.Duration, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", u.Host)
			if err != nil {
				failed.Add(1)
				return
			}
			defer conn.Close()
			br := bufio.NewReaderSize(conn, 16<<10)
			for {
				t0 := time.Now()
				if t0.After(deadline) {
					return
				}
				ok := roundTrip(conn, br, req)
				if t0.Before(warm) {
					if !ok {
						return
					}
					continue
				}
				total.Add(1)
				if !ok {
					failed.Add(1)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := result{name: name, total: total.Load(), errors: failed.Load()}
	r.rps = float64(len(all)) / d.Seconds()
	if len(all) > 0 {
		r.p50 = all[len(all)/2]
		r.p99 = all[len(all)*99/100]
	}
	return r
}

// roundTrip sends one request and reads one response; true for a 200.
func roundTrip(conn net.Conn, br *bufio.Reader, req []byte) bool {
	if _, err := conn.Write(req); err != nil {
		return false
	}
	status, err := br.ReadString('\n')
	if err != nil {
		return false
	}
	length := -1
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return false
		}
		if line == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if length < 0 {
		return false
	}
	if _, err := br.Discard(length); err != nil {
		return false
	}
	return strings.HasPrefix(status, "HTTP/1.1 200")
}

// benchServer is a Latchkey server on dsn with an empty "bench" domain,
// for the load test and the soak.
type benchServer struct {
	cfg    *config.Config
	store  *models.Store
	srv    *web.Server
	domain *models.Domain
	stop   func()
}

// newBenchServer opens dsn as `latchkey serve` would, with tune applied to
// the default configuration, runs the server's background work and
// replaces the bench domain of earlier runs (PostgreSQL keeps it).
func newBenchServer(dsn string, tune func(*config.Config)) (*benchServer, error) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := config.Default()
	cfg.Database.DSN = dsn
	if tune != nil {
		tune(cfg)
	}
	store, err := models.Open(ctx, dsn, log, models.WithPool(models.Pool{MaxOpenConns: cfg.Database.MaxOpenConns, MaxIdleConns: cfg.Database.MaxIdleConns}),
		models.WithSecretsMax(cfg.Applications.SecretsMax),
		// The environment's key (LATCHKEY_SECURITY_KEYENCRYPTIONKEY), which a
		// PostgreSQL database needs; SQLite falls back to its key file.
		models.WithKeyEncryptionKey(kekFromEnv()))
	if err != nil {
		return nil, err
	}
	srv, err := web.New(ctx, cfg, store, log)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	bgCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Run(bgCtx)
	}()
	b := &benchServer{cfg: cfg, store: store, srv: srv, stop: func() {
		stop()
		<-done
		_ = store.Close()
	}}
	for _, hrid := range append([]string{"bench"}, algHRIDs()...) {
		if old, err := store.DomainByHRID(ctx, hrid); err == nil {
			if _, err := store.DeleteDomain(ctx, models.Actor{}, old.ID); err != nil {
				b.close()
				return nil, err
			}
		}
	}
	if b.domain, err = store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Bench", HRID: "bench", Enabled: true}); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *benchServer) close() { b.stop() }

// app creates an application of the bench domain holding n secrets and
// returns its client id and the last-created value.
func (b *benchServer) app(name string, n int) (string, string, error) {
	ctx := context.Background()
	a, first, err := b.store.CreateApplication(ctx, models.Actor{}, b.domain.ID, models.ApplicationInput{Name: name, Type: models.AppTypeService, Scopes: "read"})
	if err != nil {
		return "", "", err
	}
	last := first.Value
	for i := 1; i < n; i++ {
		ns, err := b.store.CreateSecret(ctx, models.Actor{}, a.ID, fmt.Sprintf("secret-%02d", i))
		if err != nil {
			return "", "", err
		}
		last = ns.Value
	}
	return a.ClientID, last, nil
}

// kekFromEnv decodes LATCHKEY_SECURITY_KEYENCRYPTIONKEY, nil when unset.
func kekFromEnv() []byte {
	k, err := base64.StdEncoding.DecodeString(os.Getenv("LATCHKEY_SECURITY_KEYENCRYPTIONKEY"))
	if err != nil || len(k) == 0 {
		return nil
	}
	return k
}

// algHRID is the domain of an algorithm's case.
func algHRID(alg string) string { return "bench-" + strings.ToLower(alg) }

func algHRIDs() []string {
	var out []string
	for _, alg := range pki.Algorithms {
		out = append(out, algHRID(alg))
	}
	return out
}

// algApp creates the domain of alg's case with an application of one
// secret whose chosen certificate is a system certificate of alg (a
// choice signs at once; a rotation would wait for the refresh delay), and
// returns the domain's hrid, the client id and the secret.
func (b *benchServer) algApp(alg string) (string, string, string, error) {
	ctx := context.Background()
	hrid := algHRID(alg)
	d, err := b.store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Bench " + alg, HRID: hrid, Enabled: true})
	if err != nil {
		return "", "", "", err
	}
	c, err := b.store.CreateSystemCertificate(ctx, models.Actor{}, d.ID, models.SystemCertificateInput{Name: "Bench " + alg, Algorithm: alg})
	if err != nil {
		return "", "", "", err
	}
	a, first, err := b.store.CreateApplication(ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "load-" + strings.ToLower(alg), Type: models.AppTypeService, Scopes: "read"})
	if err != nil {
		return "", "", "", err
	}
	if err := b.store.SetApplicationCertificate(ctx, models.Actor{}, a.ID, &c.ID); err != nil {
		return "", "", "", err
	}
	return hrid, a.ClientID, first.Value, nil
}

// checkAlgorithm obtains one token and checks that its header names alg
// (ES256 when empty), so each row measures the algorithm it names.
func checkAlgorithm(tokenURL, body, alg string) error {
	if alg == "" {
		alg = pki.ES256
	}
	resp, err := http.Post(tokenURL, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("token request: %d %v", resp.StatusCode, err)
	}
	if _, err := jwt.ParseSigned(tr.AccessToken, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)}); err != nil {
		return fmt.Errorf("token is not signed %s: %w", alg, err)
	}
	return nil
}
