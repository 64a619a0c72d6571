// Command tokenload is the token endpoint's load test, run by `make bench`:
// it serves the gateway on loopback (SQLite, and PostgreSQL given -pg or
// $LATCHKEY_BENCH_PG_DSN) and, in the same process and the same run, a
// work floor per signing algorithm: a bare Echo handler that only signs
// the same claims with a key of the same type and returns the same JSON
// (see floorHandler). Each algorithm's endpoint (an application of 10
// secrets presenting the last one, in a domain whose certificate has that
// algorithm) is measured against its own floor, and presenting the 1st of
// 20 secrets against the 20th. Cases run in -rounds interleaved rounds, so
// that the machine's noise hits floor and endpoint alike, and each figure
// is the best of its rounds. The in-process generator writes raw HTTP/1.1
// requests on -c keep-alive connections; with -wrk, Debian's wrk (when
// installed) measures floors and endpoints again from outside. One row per
// client authentication mode of -modes (authModes) and algorithm. Beside
// the rates it prints the server process's CPU time per request (the
// least of the rounds) and the floor's over Latchkey's: on a machine whose
// other work steals cores, that ratio varies much less than the rates'.
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
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/labstack/echo/v4"

	"latchkey/config"
	"latchkey/internal/storeopts"
	"latchkey/models"
	"latchkey/pki"
	"latchkey/web"
)

func main() {
	var o options
	flag.DurationVar(&o.d, "duration", 2*time.Second, "how long each case runs in each round (the soak: in all)")
	flag.IntVar(&o.rounds, "rounds", 3, "interleaved rounds; each figure is the best of its rounds")
	flag.IntVar(&o.workers, "c", 32, "concurrent keep-alive connections")
	flag.StringVar(&o.pg, "pg", os.Getenv("LATCHKEY_BENCH_PG_DSN"), "PostgreSQL URL to measure too (default $LATCHKEY_BENCH_PG_DSN); its bench domains are replaced")
	flag.BoolVar(&o.wrk, "wrk", false, "also measure floors and endpoints with wrk, when it is installed")
	flag.StringVar(&o.profiles, "cpuprofile", "", "write a CPU profile of each case's first round into this directory (the endpoint's own work: go tool pprof -top FILE)")
	flag.StringVar(&o.modes, "modes", authModes[0].name, "client authentication modes, comma-separated: "+strings.Join(modeNames(), ", "))
	soakMode := flag.Bool("soak", false, "hold -conns keep-alive connections on the token endpoint for -duration instead of the cases")
	conns := flag.Int("conns", 1000, "keep-alive connections held by -soak")
	flag.Parse()
	var err error
	if *soakMode {
		err = runSoak(o.d, *conns, o.pg)
	} else {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tokenload:", err)
		os.Exit(1)
	}
}

// options are the load test's flags.
type options struct {
	d               time.Duration
	rounds, workers int
	pg, modes       string
	wrk             bool
	// profiles is -cpuprofile's directory, empty for none.
	profiles string
}

type result struct {
	name          string
	rps           float64
	p50, p99      time.Duration
	errors, total int64
	// sent counts every request, the warm-up's too, for cpu.
	sent int64
	// cpu is this process's CPU time (user and system) per request sent:
	// on a machine whose other work steals cores, it varies much less than
	// the rate. With the in-process generator it includes the generator's
	// share, alike for floor and endpoint; PostgreSQL's server is another
	// process and not counted.
	cpu time.Duration
}

// algorithms are the signing algorithms measured, each against its floor.
var algorithms = []string{pki.ES256, pki.RS256, pki.EdDSA, pki.PS256}

// algSecrets is how many secrets the application of an algorithm's case
// holds (secretsMax's default); it presents the last-created one.
const algSecrets = 10

// manySecrets is the application whose 1st and last secret are compared.
const manySecrets = 20

// Generators.
const (
	inProcess = "in-process"
	wrkGen    = "wrk"
)

// caseKey names one measured figure. db is empty for floors and the bare
// handler; which is "1st" or "20th" for the secrets comparison.
type caseKey struct{ gen, db, mode, alg, which string }

// job is one measurement of a round.
type job struct {
	key caseKey
	run func() (result, error)
}

func modeNames() []string {
	var out []string
	for _, m := range authModes {
		out = append(out, m.name)
	}
	return out
}

func pickModes(names string) ([]authMode, error) {
	var out []authMode
	for _, n := range strings.Split(names, ",") {
		i := slices.IndexFunc(authModes, func(m authMode) bool { return m.name == strings.TrimSpace(n) })
		if i < 0 {
			return nil, fmt.Errorf("unknown mode %q (known: %s)", n, strings.Join(modeNames(), ", "))
		}
		out = append(out, authModes[i])
	}
	return out, nil
}

func run(o options) error {
	modes, err := pickModes(o.modes)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tokenload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var gws []*benchGateway
	for _, db := range []struct{ name, dsn string }{{"SQLite", filepath.Join(dir, "bench.db")}, {"PostgreSQL", o.pg}} {
		if db.dsn == "" {
			continue
		}
		g, err := newBenchGateway(db.name, db.dsn, modes)
		if err != nil {
			return fmt.Errorf("%s: %w", db.name, err)
		}
		defer g.close()
		gws = append(gws, g)
	}
	var w *wrk
	if o.wrk {
		if w = findWrk(dir); w == nil {
			fmt.Println("wrk is not installed (apt-get install wrk): the in-process generator only")
		}
	}

	bare := echo.New()
	bare.POST("/bench/oauth/token", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"access_token": "x", "token_type": "bearer", "expires_in": 7200, "scope": "read"})
	})
	bareURL, err := serve(bare)
	if err != nil {
		return err
	}
	bareURL += "/bench/oauth/token"
	inproc := func(k caseKey, target string, rq request) job {
		return job{k, func() (result, error) { return load(k.alg, target, rq, o.d, o.workers), nil }}
	}
	withWrk := func(k caseKey, target string, rq request) job {
		k.gen = wrkGen
		return job{k, func() (result, error) { return w.run(k.alg, target, rq, o.d, o.workers) }}
	}
	// Each group's jobs run back to back, in turn reversed every other
	// round, so neither side of a comparison always goes first.
	groups := [][]job{{inproc(caseKey{gen: inProcess, alg: "bare"}, bareURL, request{body: "grant_type=client_credentials"})}}
	for _, m := range modes {
		for _, alg := range algorithms {
			floorURL, err := serveFloor(m, alg, gws[0].sample[m.name+"/"+alg])
			if err != nil {
				return err
			}
			floorReq := gws[0].requests[m.name+"/"+alg]
			gens := []func(caseKey, string, request) job{inproc}
			if w != nil && floorReq.fresh == nil {
				gens = append(gens, withWrk)
			}
			for _, gen := range gens {
				g := []job{gen(caseKey{gen: inProcess, mode: m.name, alg: alg}, floorURL, floorReq)}
				for _, gw := range gws {
					g = append(g, gen(caseKey{gen: inProcess, db: gw.db, mode: m.name, alg: alg}, gw.url+"/"+gw.algClients[alg].hrid+"/oauth/token", gw.requests[m.name+"/"+alg]))
				}
				groups = append(groups, g)
			}
		}
	}
	for _, gw := range gws {
		target := gw.url + "/" + gw.first.hrid + "/oauth/token"
		groups = append(groups, []job{
			inproc(caseKey{gen: inProcess, db: gw.db, mode: authModes[0].name, alg: pki.ES256, which: "1st"}, target, gw.requests["1st"]),
			inproc(caseKey{gen: inProcess, db: gw.db, mode: authModes[0].name, alg: pki.ES256, which: "20th"}, target, gw.requests["20th"]),
		})
	}

	fmt.Printf("token endpoint against its work floor: %d keep-alive connections, %d interleaved rounds of %s per case (best of each), GOMAXPROCS=%d\n",
		o.workers, o.rounds, o.d, runtime.GOMAXPROCS(0))
	best := map[caseKey]result{}
	leastCPU := map[caseKey]time.Duration{}
	for round := 0; round < o.rounds; round++ {
		for _, g := range groups {
			g = slices.Clone(g)
			if round%2 == 1 {
				slices.Reverse(g)
			}
			for _, j := range g {
				stop, err := startProfile(o.profiles, round, j.key)
				if err != nil {
					return err
				}
				cpu0 := processCPU()
				r, err := j.run()
				stop()
				if err != nil {
					return err
				}
				if r.sent > 0 {
					r.cpu = (processCPU() - cpu0) / time.Duration(r.sent)
				}
				if c, ok := leastCPU[j.key]; !ok || r.cpu < c {
					leastCPU[j.key] = r.cpu
				}
				if r.errors > 0 {
					return fmt.Errorf("%+v: %d of %d requests failed", j.key, r.errors, r.total)
				}
				if r.rps > best[j.key].rps {
					best[j.key] = r
				}
			}
		}
		fmt.Printf("round %d of %d done\n", round+1, o.rounds)
	}
	for k, c := range leastCPU {
		r := best[k]
		r.cpu = c
		best[k] = r
	}
	report(best, gws, modes, w != nil)
	return nil
}

// report prints the tables: per generator and database, each mode and
// algorithm's floor, the endpoint, their ratio and the endpoint's
// latencies; then the 1st versus the 20th secret.
func report(best map[caseKey]result, gws []*benchGateway, modes []authMode, withWrk bool) {
	b := best[caseKey{gen: inProcess, alg: "bare"}]
	fmt.Printf("\nbare Echo handler (fixed JSON, in-process generator): %.0f req/s, p50 %s, p99 %s\n", b.rps, ms(b.p50), ms(b.p99))
	gens := []string{inProcess}
	if withWrk {
		gens = append(gens, wrkGen)
	}
	for _, gen := range gens {
		for _, gw := range gws {
			fmt.Printf("\n%s, %s generator\n", gw.db, gen)
			fmt.Printf("%-20s %-6s %12s %10s %15s %6s %10s %10s %11s %11s %9s\n", "mode", "alg", "floor req/s", "floor p99", "Latchkey req/s", "ratio",
				"p50", "p99", "floor CPU", "CPU", "CPU ratio")
			for _, m := range modes {
				for _, alg := range algorithms {
					f := best[caseKey{gen: gen, mode: m.name, alg: alg}]
					l, ok := best[caseKey{gen: gen, db: gw.db, mode: m.name, alg: alg}]
					if !ok {
						continue
					}
					fmt.Printf("%-20s %-6s %12.0f %10s %15.0f %6.2f %10s %10s %11s %11s %9.2f\n", m.name, alg, f.rps, ms(f.p99), l.rps, l.rps/f.rps, ms(l.p50), ms(l.p99),
						us(f.cpu), us(l.cpu), float64(f.cpu)/float64(l.cpu))
				}
			}
		}
	}
	fmt.Println()
	for _, gw := range gws {
		first := best[caseKey{gen: inProcess, db: gw.db, mode: authModes[0].name, alg: pki.ES256, which: "1st"}]
		last := best[caseKey{gen: inProcess, db: gw.db, mode: authModes[0].name, alg: pki.ES256, which: "20th"}]
		fmt.Printf("%s: presenting the 1st of %d secrets %.0f req/s (p99 %s), the 20th %.0f req/s (p99 %s): 20th/1st %.2f\n",
			gw.db, manySecrets, first.rps, ms(first.p99), last.rps, ms(last.p99), last.rps/first.rps)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func us(d time.Duration) string { return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond)) }

// startProfile starts a CPU profile of key's case into dir, in the first
// round only, and returns what stops it; with no dir it does nothing.
func startProfile(dir string, round int, key caseKey) (stop func(), err error) {
	if dir == "" || round > 0 {
		return func() {}, nil
	}
	name := strings.Join(slices.DeleteFunc([]string{key.gen, key.db, key.mode, key.alg, key.which}, func(s string) bool { return s == "" }), "-")
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serveFloor serves mode and alg's work floor on its own loopback port and
// returns its token endpoint's URL.
func serveFloor(m authMode, alg string, sample tokenResponse) (string, error) {
	h, err := floorHandler(m, alg, sample)
	if err != nil {
		return "", err
	}
	e := echo.New()
	e.POST("/bench/oauth/token", h)
	u, err := serve(e)
	return u + "/bench/oauth/token", err
}

// benchGateway is one database's gateway with the cases' applications.
type benchGateway struct {
	db  string
	b   *benchServer
	url string
	// algClients holds each algorithm's application; first and last are
	// the 1st and 20th secrets of one application.
	algClients  map[string]benchClient
	first, last benchClient
	// requests holds each case's request by "mode/alg", "1st" and "20th";
	// sample a token response of each "mode/alg", for its floor.
	requests map[string]request
	sample   map[string]tokenResponse
}

// newBenchGateway serves a gateway on dsn (a fresh SQLite file, or a
// PostgreSQL database whose bench domains of earlier runs are replaced)
// with padding (other applications and secrets, so the index is not
// trivially small), an application per algorithm and one of 20 secrets.
func newBenchGateway(db, dsn string, modes []authMode) (*benchGateway, error) {
	b, err := newBenchServer(dsn, func(cfg *config.Config) {
		cfg.Applications.SecretsMax = manySecrets
		cfg.Security.Token.MaxAttempts = 1 << 30
	})
	if err != nil {
		return nil, err
	}
	g := &benchGateway{db: db, b: b, algClients: map[string]benchClient{}, requests: map[string]request{}, sample: map[string]tokenResponse{}}
	fail := func(err error) (*benchGateway, error) {
		b.close()
		return nil, err
	}
	for i := 0; i < 200; i++ {
		if _, _, err := b.app(fmt.Sprintf("pad-%03d", i), 10); err != nil {
			return fail(err)
		}
	}
	if g.url, err = serve(b.srv.Gateway); err != nil {
		return fail(err)
	}
	for _, alg := range algorithms {
		cl, err := b.algApp(alg, algSecrets)
		if err != nil {
			return fail(err)
		}
		hrid := cl.hrid
		g.algClients[alg] = cl
		for _, m := range modes {
			rq, err := m.prepare(b, cl)
			if err != nil {
				return fail(fmt.Errorf("%s %s: %w", m.name, alg, err))
			}
			if g.sample[m.name+"/"+alg], err = checkAlgorithm(g.url+"/"+hrid+"/oauth/token", rq, alg); err != nil {
				return fail(fmt.Errorf("%s %s: %w", m.name, alg, err))
			}
			g.requests[m.name+"/"+alg] = rq
		}
	}
	clientID, values, err := b.appSecrets("load-20", manySecrets)
	if err != nil {
		return fail(err)
	}
	g.first = benchClient{hrid: "bench", alg: pki.ES256, clientID: clientID, secret: values[0]}
	g.last = benchClient{hrid: "bench", alg: pki.ES256, clientID: clientID, secret: values[len(values)-1]}
	for which, cl := range map[string]benchClient{"1st": g.first, "20th": g.last} {
		// Secrets are compared, so with a secret whatever -modes names
		// (private_key_jwt alone has none to present).
		rq, err := authModes[0].prepare(b, cl)
		if err != nil {
			return fail(err)
		}
		if _, err := checkAlgorithm(g.url+"/bench/oauth/token", rq, pki.ES256); err != nil {
			return fail(fmt.Errorf("%s secret: %w", which, err))
		}
		g.requests[which] = rq
	}
	return g, nil
}

func (g *benchGateway) close() { g.b.close() }

// serve starts h on a loopback port and returns its base URL.
func serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go http.Serve(ln, h)
	return "http://" + ln.Addr().String(), nil
}

// rawRequest is rq as HTTP/1.1 bytes for target's host and path.
func rawRequest(u *url.URL, rq request, body string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n", u.Path, u.Host, len(body))
	for k, v := range rq.header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return []byte(b.String())
}

// load drives target with workers keep-alive connections for d, after a
// short warm-up. Each worker writes a raw HTTP/1.1 request and reads the
// response by its Content-Length: a load generator this lean leaves the
// CPU (shared with the server on one machine) to the server, as wrk would.
func load(name, target string, rq request, d time.Duration, workers int) result {
	if rq.ready != nil {
		rq.ready()
	}
	u, _ := url.Parse(target)
	fixed := rawRequest(u, rq, rq.body)
	warm := time.Now().Add(300 * time.Millisecond)
	deadline := warm.Add(d)
	var wg sync.WaitGroup
	var total, failed, sent atomic.Int64
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
				req := fixed
				if rq.fresh != nil {
					req = rawRequest(u, rq, rq.fresh())
				}
				ok := roundTrip(conn, br, req)
				sent.Add(1)
				if t0.Before(warm) {
					if !ok {
						failed.Add(1)
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
	r := result{name: name, total: total.Load(), errors: failed.Load(), sent: sent.Load()}
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
	store, err := models.Open(ctx, dsn, log, append(storeopts.FromConfig(cfg),
		// The environment's key (LATCHKEY_SECURITY_KEYENCRYPTIONKEY), which a
		// PostgreSQL database needs; SQLite falls back to its key file.
		models.WithKeyEncryptionKey(kekFromEnv()))...)
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
	clientID, values, err := b.appSecrets(name, n)
	if err != nil {
		return "", "", err
	}
	return clientID, values[len(values)-1], nil
}

// appSecrets creates an application of the bench domain holding n secrets
// and returns its client id and their values, oldest first.
func (b *benchServer) appSecrets(name string, n int) (string, []string, error) {
	ctx := context.Background()
	a, first, err := b.store.CreateApplication(ctx, models.Actor{}, b.domain.ID, models.ApplicationInput{Name: name, Type: models.AppTypeService, Scopes: "read"})
	if err != nil {
		return "", nil, err
	}
	values := []string{first.Value}
	if err := b.addSecrets(a.ID, n, &values); err != nil {
		return "", nil, err
	}
	return a.ClientID, values, nil
}

// addSecrets gives application appID secrets until it holds n, appending
// their values.
func (b *benchServer) addSecrets(appID string, n int, values *[]string) error {
	for i := len(*values); i < n; i++ {
		ns, err := b.store.CreateSecret(context.Background(), models.Actor{}, appID, fmt.Sprintf("secret-%02d", i))
		if err != nil {
			return err
		}
		*values = append(*values, ns.Value)
	}
	return nil
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

// algApp creates the domain of alg's case with an application of n
// secrets whose chosen certificate is a system certificate of alg (a
// choice signs at once; a rotation would wait for the refresh delay), and
// returns the domain's hrid, the client id and the last-created secret.
func (b *benchServer) algApp(alg string, n int) (benchClient, error) {
	ctx := context.Background()
	hrid := algHRID(alg)
	d, err := b.store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Bench " + alg, HRID: hrid, Enabled: true})
	if err != nil {
		return benchClient{}, err
	}
	c, err := b.store.CreateSystemCertificate(ctx, models.Actor{}, d.ID, models.SystemCertificateInput{Name: "Bench " + alg, Algorithm: alg})
	if err != nil {
		return benchClient{}, err
	}
	// Both methods, so that every mode's rows use the same application.
	a, first, err := b.store.CreateApplication(ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "load-" + strings.ToLower(alg), Type: models.AppTypeService, Scopes: "read",
		AuthMethods: []string{models.AuthClientSecret, models.AuthPrivateKeyJWT}})
	if err != nil {
		return benchClient{}, err
	}
	if err := b.store.SetApplicationCertificate(ctx, models.Actor{}, a.ID, &c.ID); err != nil {
		return benchClient{}, err
	}
	values := []string{first.Value}
	if err := b.addSecrets(a.ID, n, &values); err != nil {
		return benchClient{}, err
	}
	return benchClient{hrid: hrid, alg: alg, appID: a.ID, clientID: a.ClientID, secret: values[len(values)-1]}, nil
}

// checkAlgorithm obtains one token with rq and checks that its header
// names alg, so each row measures the algorithm it names; the response is
// the floor's sample.
func checkAlgorithm(tokenURL string, rq request, alg string) (tokenResponse, error) {
	var tr tokenResponse
	body := rq.body
	if rq.fresh != nil {
		body = rq.fresh()
	}
	req, err := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(body))
	if err != nil {
		return tr, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return tr, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != http.StatusOK {
		return tr, fmt.Errorf("token request: %d %v", resp.StatusCode, err)
	}
	if _, err := jwt.ParseSigned(tr.AccessToken, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)}); err != nil {
		return tr, fmt.Errorf("token is not signed %s: %w", alg, err)
	}
	return tr, nil
}
