// Command tokenload is the token endpoint's load test, run by `make bench`:
// it serves the gateway on loopback from a fresh SQLite database and drives
// it with concurrent keep-alive clients, next to a bare Echo handler that
// returns a fixed JSON body, and prints requests/s, p50 and p99 for each.
//
// Cases: an application holding secretsMax (10) secrets presenting the
// last-created one, the bare handler in the same run, and 1 versus 20
// secrets to show that verification cost does not grow with the count.
package main

import (
	"bufio"
	"context"
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

	"github.com/labstack/echo/v4"

	"latchkey/config"
	"latchkey/models"
	"latchkey/web"
)

func main() {
	duration := flag.Duration("duration", 5*time.Second, "how long each case runs")
	workers := flag.Int("c", 32, "concurrent clients")
	flag.Parse()
	if err := run(*duration, *workers); err != nil {
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

func run(d time.Duration, workers int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tokenload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := config.Default()
	cfg.Database.DSN = filepath.Join(dir, "bench.db")
	cfg.Applications.SecretsMax = 20
	store, err := models.Open(ctx, cfg.Database.DSN, log)
	if err != nil {
		return err
	}
	defer store.Close()
	srv, err := web.New(ctx, cfg, store, log)
	if err != nil {
		return err
	}
	bgCtx, stop := context.WithCancel(ctx)
	defer stop()
	go srv.Run(bgCtx)

	domain, err := store.CreateDomain(ctx, models.DomainInput{Name: "Bench", HRID: "bench", Enabled: true})
	if err != nil {
		return err
	}
	// app creates an application holding n secrets and returns its client id
	// and the last-created value.
	app := func(name string, n int) (string, string, error) {
		a, first, err := store.CreateApplication(ctx, domain.ID, models.ApplicationInput{Name: name, Type: models.AppTypeService, Scopes: "read"})
		if err != nil {
			return "", "", err
		}
		last := first.Value
		for i := 1; i < n; i++ {
			ns, err := store.CreateSecret(ctx, a.ID, fmt.Sprintf("secret-%02d", i))
			if err != nil {
				return "", "", err
			}
			last = ns.Value
		}
		return a.ClientID, last, nil
	}
	// Padding: other applications and secrets, so the index is not trivially small.
	for i := 0; i < 200; i++ {
		if _, _, err := app(fmt.Sprintf("pad-%03d", i), 10); err != nil {
			return err
		}
	}

	gw, err := serve(srv.Gateway)
	if err != nil {
		return err
	}
	bare := echo.New()
	bare.POST("/bench/oauth/token", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"access_token": "x", "token_type": "bearer", "expires_in": 7200, "scope": "read"})
	})
	bareURL, err := serve(bare)
	if err != nil {
		return err
	}

	fmt.Printf("token endpoint load test: %d clients, %s per case, GOMAXPROCS=%d, SQLite (WAL), ES256 JWT access tokens\n\n", workers, d, runtime.GOMAXPROCS(0))
	var results []result
	for _, tc := range []struct {
		name    string
		secrets int
		base    string
	}{
		{"bare Echo handler (fixed JSON)", 0, bareURL},
		{"token endpoint, 10 secrets (secretsMax), last one", 10, gw},
		{"token endpoint, 1 secret", 1, gw},
		{"token endpoint, 20 secrets, last one", 20, gw},
	} {
		clientID, secret := "x", "x"
		if tc.secrets > 0 {
			if clientID, secret, err = app(fmt.Sprintf("load-%d", tc.secrets), tc.secrets); err != nil {
				return err
			}
		}
		body := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}.Encode()
		r := load(tc.name, tc.base+"/bench/oauth/token", body, d, workers)
		if tc.secrets > 0 && r.errors > 0 {
			return fmt.Errorf("%s: %d of %d requests failed", tc.name, r.errors, r.total)
		}
		results = append(results, r)
	}
	fmt.Printf("%-52s %10s %10s %10s\n", "case", "req/s", "p50", "p99")
	for _, r := range results {
		fmt.Printf("%-52s %10.0f %10s %10s\n", r.name, r.rps, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond))
	}
	fmt.Printf("\ntoken endpoint (10 secrets) / bare handler: %.1f%% of the bare rate\n", 100*results[1].rps/results[0].rps)
	fmt.Printf("20 secrets / 1 secret: %.2f× the rate (1.00 = cost independent of the count)\n", results[3].rps/results[2].rps)
	return nil
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
