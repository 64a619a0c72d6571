package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"latchkey/config"
	"latchkey/internal/testdb"
	"latchkey/models"
	"latchkey/pki"
	"latchkey/web"
)

// BenchmarkTokenEndpoint measures the token endpoint's own work in process
// (no network): form parsing, client authentication (one digest, one indexed
// lookup), signing, the response. Compare secrets=1 and secrets=20: the cost
// must not grow with the number of secrets.
//
// Besides allocs/op (everything, the test's request and recorder and the
// signature included) it reports own-allocs/op: allocs/op less what one
// signature of the case's algorithm and the httptest request and recorder
// around a handler that does nothing allocate, each measured here too.
// The ES256 signature alone allocates 59 times in the standard library
// (ecdsa.SignASN1: its deterministic random bit generator); EdDSA's not
// at all, which makes the EdDSA case's allocs/op close to Latchkey's own.
func BenchmarkTokenEndpoint(b *testing.B) {
	for _, tc := range []struct {
		name string
		n    int
		alg  string // the application's certificate; the domain's ES256 one when empty
	}{{"secrets=1", 1, ""}, {"secrets=20", 20, ""}, {"EdDSA/secrets=1", 1, pki.EdDSA}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			store, srv := newBenchServer(b, 20)
			d, _ := store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Bench", HRID: "bench", Enabled: true})
			a, first, _ := store.CreateApplication(ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "App", Type: models.AppTypeService})
			alg := pki.ES256
			if tc.alg != "" {
				alg = tc.alg
				c, err := store.CreateSystemCertificate(ctx, models.Actor{}, d.ID, models.SystemCertificateInput{Name: tc.alg, Algorithm: tc.alg})
				if err != nil {
					b.Fatal(err)
				}
				if err := store.SetApplicationCertificate(ctx, models.Actor{}, a.ID, &c.ID); err != nil {
					b.Fatal(err)
				}
			}
			last := first.Value
			for i := 1; i < tc.n; i++ {
				ns, err := store.CreateSecret(ctx, models.Actor{}, a.ID, fmt.Sprint("s", i))
				if err != nil {
					b.Fatal(err)
				}
				last = ns.Value
			}
			body := url.Values{"grant_type": {"client_credentials"}, "client_id": {a.ClientID}, "client_secret": {last}}.Encode()
			request := func(h http.Handler) *httptest.ResponseRecorder {
				req, done := benchTokenRequest(body)
				defer done()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			rec := request(srv.Gateway)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			baseline := harnessAllocs(b, alg, rec.Body.String(), request)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if rec := request(srv.Gateway); rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N)-baseline, "own-allocs/op")
		})
	}
}

// benchTokenRequest is a token request of body as net/http's server
// hands it to the handler: its context can be cancelled (the server
// cancels it when the connection closes or the handler returns), which
// httptest.NewRequest's context.Background cannot, and which costs the
// database drivers work of their own. done ends it, as the server does.
func benchTokenRequest(body string) (req *http.Request, done context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	req = httptest.NewRequestWithContext(ctx, http.MethodPost, "/bench/oauth/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, cancel
}

// newBenchServer is a Latchkey server on a fresh SQLite file of the
// benchmark's, allowing secretsMax secrets an application.
func newBenchServer(b *testing.B, secretsMax int) (*models.Store, *web.Server) {
	b.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.Database.DSN = filepath.Join(b.TempDir(), "bench.db")
	cfg.Applications.SecretsMax = secretsMax
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := models.Open(ctx, cfg.Database.DSN, log, models.WithSecretsMax(secretsMax), models.WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	srv, err := web.New(ctx, cfg, store, log)
	if err != nil {
		b.Fatal(err)
	}
	return store, srv
}

// harnessAllocs is what a token request allocates outside Latchkey's own
// work: one signature of alg over a signing input as long as the
// response's token (pki.AppendJWSSignature, as the gateway signs), and the test's
// request and recorder around a handler that writes the same body.
func harnessAllocs(b *testing.B, alg, response string, request func(http.Handler) *httptest.ResponseRecorder) float64 {
	cert, err := pki.Generate(pki.GenerateOptions{Algorithm: alg, Subject: "harness", ValidityDays: 1})
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(strings.Repeat("x", len(response)/2))
	buf := make([]byte, 0, 2*len(input))
	sign := testing.AllocsPerRun(200, func() {
		if _, err := pki.AppendJWSSignature(buf[:0], alg, cert.Key, input); err != nil {
			b.Fatal(err)
		}
	})
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, response) })
	harness := testing.AllocsPerRun(200, func() { request(noop) })
	return sign + harness
}
