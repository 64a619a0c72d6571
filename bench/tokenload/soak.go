package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one request of the soak: a request that hangs is
// an error, not a soak that never ends.
const requestTimeout = 30 * time.Second

// soakResult is what one soak measured.
type soakResult struct {
	db               string
	requests, errors int64
	reconnects       int64
	rps              float64
	p50, p99, worst  time.Duration
	firstError       string
}

// runSoak soaks SQLite and, given pgDSN, PostgreSQL, and fails if any
// request failed.
func runSoak(d time.Duration, conns int, pgDSN string) error {
	if conns < 1 {
		return errors.New("-conns must be at least 1")
	}
	fmt.Printf("token endpoint soak: %d keep-alive connections for %s, GOMAXPROCS=%d, through the gateway's capped listener, load generator in the same process\n\n",
		conns, d, runtime.GOMAXPROCS(0))
	dbs := []struct{ name, dsn string }{{"SQLite", ""}}
	if pgDSN != "" {
		dbs = append(dbs, struct{ name, dsn string }{"PostgreSQL", pgDSN})
	}
	failed := false
	for _, db := range dbs {
		dsn := db.dsn
		if dsn == "" {
			dir, err := os.MkdirTemp("", "tokenload")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			dsn = filepath.Join(dir, "bench.db")
		}
		r, err := soakGateway(db.name, dsn, d, conns)
		if err != nil {
			return fmt.Errorf("%s: %w", db.name, err)
		}
		fmt.Printf("%-10s %9d requests  %6d errors  %5d reconnects  %8.0f req/s  p50 %9s  p99 %9s  slowest %9s\n",
			r.db, r.requests, r.errors, r.reconnects, r.rps,
			r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.worst.Round(time.Microsecond))
		if r.errors > 0 {
			fmt.Printf("%-10s first error: %s\n", "", r.firstError)
			failed = true
		}
	}
	if failed {
		return errors.New("soak: some requests failed")
	}
	return nil
}

// soakGateway serves a gateway on dsn as `latchkey serve` would (capped
// listener, the configured timeouts) and soaks its token endpoint.
func soakGateway(name, dsn string, d time.Duration, conns int) (soakResult, error) {
	b, err := newBenchServer(dsn, nil)
	if err != nil {
		return soakResult{}, err
	}
	defer b.close()
	// An application at secretsMax presenting its last secret, as in the
	// first case of the load test.
	clientID, secret, err := b.app("soak", b.cfg.Applications.SecretsMax)
	if err != nil {
		return soakResult{}, err
	}
	cfg, srv := b.cfg, b.srv

	ln, err := srv.Listen("gateway", "127.0.0.1:0")
	if err != nil {
		return soakResult{}, err
	}
	hs := &http.Server{
		Handler:           srv.Gateway,
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout.Duration,
		ReadTimeout:       cfg.Server.ReadTimeout.Duration,
		WriteTimeout:      cfg.Server.WriteTimeout.Duration,
		IdleTimeout:       cfg.Server.IdleTimeout.Duration,
	}
	go hs.Serve(ln)
	defer hs.Close()

	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}.Encode()
	r := soak(ln.Addr().String(), "/bench/oauth/token", body, d, conns)
	r.db = name
	return r, nil
}

// soak holds conns keep-alive connections to addr, each sending requests
// back to back until d has passed. A failed request is counted and its
// connection replaced, so one failure does not hide the ones after it; a
// connection that cannot be opened counts once and ends its worker.
func soak(addr, path, body string, d time.Duration, conns int) soakResult {
	req := []byte(fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", path, addr, len(body), body))
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	var requests, failures, reconnects atomic.Int64
	var firstErr sync.Once
	var firstError string
	fail := func(what string, err error) {
		failures.Add(1)
		firstErr.Do(func() { firstError = fmt.Sprintf("%s: %v", what, err) })
	}
	lat := make([][]time.Duration, conns)
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var conn net.Conn
			var br *bufio.Reader
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			for time.Now().Before(deadline) {
				if conn == nil {
					c, err := net.DialTimeout("tcp", addr, requestTimeout)
					if err != nil {
						// Counted once; retrying at once would only spin.
						fail("connect", err)
						return
					}
					conn, br = c, bufio.NewReaderSize(c, 16<<10)
				}
				t0 := time.Now()
				_ = conn.SetDeadline(t0.Add(requestTimeout))
				ok := roundTrip(conn, br, req)
				requests.Add(1)
				if !ok {
					fail("request", errors.New("no 200 response (connection closed, timed out or another status)"))
					conn.Close()
					conn = nil
					reconnects.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := soakResult{requests: requests.Load(), errors: failures.Load(), reconnects: reconnects.Load(), firstError: firstError}
	r.rps = float64(len(all)) / elapsed.Seconds()
	if n := len(all); n > 0 {
		r.p50, r.p99, r.worst = all[n/2], all[n*99/100], all[n-1]
	}
	return r
}
