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
	"strings"
	"testing"

	"latchkey/config"
	"latchkey/internal/testdb"
	"latchkey/models"
	"latchkey/web"
)

// BenchmarkTokenEndpoint measures the token endpoint's own work in process
// (no network): form parsing, client authentication (one digest, one indexed
// lookup), signing, the response. Compare secrets=1 and secrets=20: the cost
// must not grow with the number of secrets.
func BenchmarkTokenEndpoint(b *testing.B) {
	for _, n := range []int{1, 20} {
		b.Run(fmt.Sprintf("secrets=%d", n), func(b *testing.B) {
			ctx := context.Background()
			cfg := config.Default()
			cfg.Database.DSN = filepath.Join(b.TempDir(), "bench.db")
			cfg.Applications.SecretsMax = 20
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			store, err := models.Open(ctx, cfg.Database.DSN, log, models.WithSecretsMax(cfg.Applications.SecretsMax), models.WithKeyEncryptionKey(testdb.KEK()))
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			srv, err := web.New(ctx, cfg, store, log)
			if err != nil {
				b.Fatal(err)
			}
			d, _ := store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Bench", HRID: "bench", Enabled: true})
			a, first, _ := store.CreateApplication(ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "App", Type: models.AppTypeService})
			last := first.Value
			for i := 1; i < n; i++ {
				ns, err := store.CreateSecret(ctx, models.Actor{}, a.ID, fmt.Sprint("s", i))
				if err != nil {
					b.Fatal(err)
				}
				last = ns.Value
			}
			body := url.Values{"grant_type": {"client_credentials"}, "client_id": {a.ClientID}, "client_secret": {last}}.Encode()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest(http.MethodPost, "/bench/oauth/token", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					rec := httptest.NewRecorder()
					srv.Gateway.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
		})
	}
}
