package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"latchkey/config"
	"latchkey/internal/benchfixture"
	"latchkey/internal/storeopts"
	"latchkey/internal/testdb"
	"latchkey/models"
	"latchkey/web"
)

// The console at scale (issue 19): one domain of 10,000 applications (1–3
// secrets each) and an audit log of 1,000,000 events.
const (
	scaleApps   = 10_000
	scaleEvents = 1_000_000
	scaleAdmin  = "bench-admin@example.com"
)

// consoleBench is one database holding the data set, the console in front
// of it and an administrator's session cookies.
type consoleBench struct {
	name     string
	store    *models.Store
	srv      *web.Server
	cookies  []*http.Cookie
	domainID string
	built    time.Duration
}

var (
	scaleOnce    sync.Once
	scaleBenches []*consoleBench
	scaleErr     error
	scaleTmp     string
)

// scaleFixtures builds the data set once per process: a SQLite file in a
// temporary folder (kept in $LATCHKEY_BENCH_FIXTURE_DIR when set) and,
// with $LATCHKEY_BENCH_PG_DSN, a schema of that server (kept between runs:
// loading a million rows takes longer than the benchmarks). Tests never
// call it: only `make bench` runs benchmarks.
func scaleFixtures(b *testing.B) []*consoleBench {
	b.Helper()
	scaleOnce.Do(func() {
		dir := os.Getenv("LATCHKEY_BENCH_FIXTURE_DIR")
		if dir == "" {
			if scaleTmp, scaleErr = os.MkdirTemp("", "latchkey-console-bench-"); scaleErr != nil {
				return
			}
			dir = scaleTmp
		} else if scaleErr = os.MkdirAll(dir, 0o700); scaleErr != nil {
			return
		}
		cb, err := openConsoleBench("sqlite", filepath.Join(dir, "console.db"))
		if err != nil {
			scaleErr = err
			return
		}
		scaleBenches = append(scaleBenches, cb)
		if pg := os.Getenv("LATCHKEY_BENCH_PG_DSN"); pg != "" {
			dsn, err := benchSchema(pg, "latchkey_bench_console")
			if err == nil {
				cb, err = openConsoleBench("postgres", dsn)
			}
			if err != nil {
				scaleErr = err
				return
			}
			scaleBenches = append(scaleBenches, cb)
		}
	})
	if scaleErr != nil {
		b.Fatal(scaleErr)
	}
	return scaleBenches
}

// benchSchema makes sure schema exists on the server and returns a DSN
// whose connections use it.
func benchSchema(base, schema string) (string, error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// openConsoleBench opens (migrating) the database, loads the data set
// unless a previous run left it complete, and signs the administrator in.
func openConsoleBench(name, dsn string) (*consoleBench, error) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.Database.DSN = dsn
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The store as the server opens it (its pool, not database/sql's
	// default of two idle connections).
	store, err := models.Open(ctx, dsn, log, append(storeopts.FromConfig(cfg), models.WithKeyEncryptionKey(testdb.KEK()))...)
	if err != nil {
		return nil, err
	}
	cb := &consoleBench{name: name, store: store}
	start := time.Now()
	d, err := scaleDomain(ctx, store)
	if err != nil {
		return nil, err
	}
	cb.domainID, cb.built = d, time.Since(start)
	if cb.srv, err = web.New(ctx, cfg, store, log); err != nil {
		return nil, err
	}
	return cb, cb.login()
}

// scaleDomain returns the data set's domain, loading everything first
// when it is not there yet (a run that stopped half way left nothing: the
// load is one transaction).
func scaleDomain(ctx context.Context, s *models.Store) (string, error) {
	ds, err := s.Domains(ctx, "Scale bench")
	if err != nil {
		return "", err
	}
	if len(ds) == 1 && ds[0].AppCount == scaleApps {
		return ds[0].ID, nil
	}
	for _, d := range ds {
		if _, err := s.DeleteDomain(ctx, models.Actor{}, d.ID); err != nil {
			return "", err
		}
	}
	users, err := s.UsersPage(ctx, scaleAdmin, models.PageRequest{})
	if err != nil {
		return "", err
	}
	var admin *models.User
	if len(users.Items) == 1 {
		admin = &users.Items[0]
	} else if admin, err = s.CreateUser(ctx, models.Actor{}, models.NewUser{Email: scaleAdmin, Name: "Bench Admin", Password: adminPassword, Role: models.RoleAdmin}); err != nil {
		return "", err
	}
	d, err := s.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Scale bench", Enabled: true, OwnerIDs: []string{admin.ID}})
	if err != nil {
		return "", err
	}
	err = benchfixture.LoadConsole(ctx, s, benchfixture.Console{DomainID: d.ID, Apps: scaleApps, AuditEvents: scaleEvents, OwnerID: admin.ID})
	if err == nil {
		err = benchfixture.Checkpoint(ctx, s)
	}
	return d.ID, err
}

// TestMain removes the benchmarks' temporary data set.
func TestMain(m *testing.M) {
	code := m.Run()
	if scaleTmp != "" {
		_ = os.RemoveAll(scaleTmp)
	}
	os.Exit(code)
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// login signs the administrator in through the real login form and keeps
// the session's cookies for the benchmarks' requests.
func (cb *consoleBench) login() error {
	ts := httptest.NewServer(cb.srv.Console)
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Get(ts.URL + "/login")
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfInput.FindSubmatch(body)
	if m == nil {
		return fmt.Errorf("no CSRF token on the login page")
	}
	res, err = hc.PostForm(ts.URL+"/login", url.Values{"_csrf": {string(m[1])}, "email": {scaleAdmin}, "password": {adminPassword}})
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("login: status %d", res.StatusCode)
	}
	u, _ := url.Parse(ts.URL)
	cb.cookies = jar.Cookies(u)
	return nil
}

// pageWarmup is how many requests each page serves before it is timed.
const pageWarmup = 30

// pageRecorder is a ResponseWriter that keeps its buffer from one request
// to the next. httptest's recorder grows a new one each time, and copying
// it out for the check doubled that: a third of the bytes a page request
// allocated were the benchmark's own (a server writes to its connection
// through a fixed buffer), and the garbage collections they caused landed
// in the page's times.
type pageRecorder struct {
	header http.Header
	body   bytes.Buffer
	code   int
}

func (r *pageRecorder) reset() {
	clear(r.header)
	r.body.Reset()
	r.code = 0
}

func (r *pageRecorder) Header() http.Header {
	if r.header == nil {
		r.header = http.Header{}
	}
	return r.header
}

func (r *pageRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

// Flush is a no-op: templ flushes a page's head early.
func (r *pageRecorder) Flush() {}

func (r *pageRecorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

// BenchmarkConsoleAtScale measures each console page's server time through
// the whole handler stack (middleware, session, handler, template) on the
// data set: ns/op is the mean, p95-ms the 95th percentile of the
// iterations (the target is at most 5 ms), cpu-ms/op the process's CPU
// time per request, fixture-s the time the data set took to build (about
// 0 when a previous run left it).
func BenchmarkConsoleAtScale(b *testing.B) {
	for _, cb := range scaleFixtures(b) {
		d := "/domains/" + cb.domainID
		pages := []struct{ name, path, want string }{
			{"domain", d, benchfixture.AppName(0)},
			{"applications-page-100", d + "?after=" + benchfixture.AppID(4999), benchfixture.AppName(5000)},
			{"applications-search", d + "?q=" + url.QueryEscape(benchfixture.AppName(7342)), benchfixture.AppName(7342)},
			{"secrets-tab", d + "/applications/" + benchfixture.AppID(2) + "/secrets", "secret 2"},
			{"audit", "/audit", "Audit log"},
			{"audit-deep", "/audit?after=" + benchfixture.AuditEventID(900_000), "fixture@example.com"},
			{"audit-domain-deep", "/audit?domain=" + cb.domainID + "&after=" + benchfixture.AuditEventID(900_000), "fixture@example.com"},
		}
		for _, p := range pages {
			b.Run(cb.name+"/"+p.name, func(b *testing.B) {
				times := make([]time.Duration, 0, b.N)
				req := httptest.NewRequest(http.MethodGet, p.path, nil)
				for _, c := range cb.cookies {
					req.AddCookie(c)
				}
				rec := &pageRecorder{}
				want := []byte(p.want)
				// Untimed first: a page reads on up to three connections at
				// once, and each new one (a PostgreSQL backend with cold
				// catalog caches, a SQLite connection with an empty page
				// cache) prepares its statements anew. A server that has
				// been up a minute has them; 300 timed requests would
				// count them in their slowest 5%.
				for range pageWarmup {
					rec.reset()
					cb.srv.Console.ServeHTTP(rec, req.Clone(req.Context()))
				}
				b.ReportAllocs()
				cpu0 := testdb.CPUTime()
				b.ResetTimer()
				for range b.N {
					rec.reset()
					start := time.Now()
					cb.srv.Console.ServeHTTP(rec, req.Clone(req.Context()))
					times = append(times, time.Since(start))
					if rec.code != http.StatusOK || !bytes.Contains(rec.body.Bytes(), want) {
						b.Fatalf("GET %s: status %d, want 200 with %q", p.path, rec.code, p.want)
					}
				}
				b.StopTimer()
				// On a machine shared with other work the wall-clock figures
				// include waiting for a core; the process's CPU time per
				// request does not.
				b.ReportMetric(float64(testdb.CPUTime()-cpu0)/float64(b.N)/float64(time.Millisecond), "cpu-ms/op")
				slices.Sort(times)
				b.ReportMetric(float64(times[len(times)*95/100])/float64(time.Millisecond), "p95-ms")
				b.ReportMetric(cb.built.Seconds(), "fixture-s")
			})
		}
	}
}
