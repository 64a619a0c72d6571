// Command loginload measures what a burst of parallel wrong logins costs the
// console (issue 15, item 1): it serves the console on loopback from a fresh
// SQLite database with one administrator, sends -n parallel
// POST /management/auth/token requests with a wrong password from one
// address, and prints how many passwords were checked (each 401 is one
// argon2id verification: a throttled attempt is answered 429 without one,
// a busy server 503), the answers by status, and the process's resident
// memory before the burst and at its peak while it ran.
//
// The requests come from a child process (this command re-run with
// -client), so the memory measured is the server's alone. It uses only
// what the console had before the fix too, so the same source runs against
// old and new code for comparison.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"latchkey/config"
	"latchkey/internal/storeopts"
	"latchkey/models"
	"latchkey/web"
)

func main() {
	n := flag.Int("n", 300, "parallel wrong logins")
	client := flag.String("client", "", "send the logins to this console URL and print the answers (the child process)")
	flag.Parse()
	if *client != "" {
		fmt.Println(burst(*client, *n))
		return
	}
	if err := run(*n); err != nil {
		fmt.Fprintln(os.Stderr, "loginload:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "loginload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := config.Default()
	cfg.Database.DSN = filepath.Join(dir, "latchkey.db")
	log := slog.New(slog.DiscardHandler)
	// The store as the server opens it (its pool above all: parallel
	// sign-ins on database/sql's two idle connections reconnect).
	store, err := models.Open(ctx, cfg.Database.DSN, log, storeopts.FromConfig(cfg)...)
	if err != nil {
		return err
	}
	defer store.Close()
	const email = "admin@example.com"
	if _, err := store.CreateUser(ctx, models.Actor{}, models.NewUser{Email: email, Name: "Ada Admin", Password: "admin-password-123", Role: models.RoleAdmin}); err != nil {
		return err
	}
	srv, err := web.New(ctx, cfg, store, log)
	if err != nil {
		return err
	}
	ts := httptest.NewServer(srv.Console)
	defer ts.Close()

	runtime.GC()
	debug.FreeOSMemory()
	before := rssKiB()
	var peak atomic.Int64
	peak.Store(before)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if r := rssKiB(); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	start := time.Now()
	out, err := exec.Command(self, "-client", ts.URL, "-n", strconv.Itoa(n)).Output()
	took := time.Since(start)
	close(stop)
	<-sampled
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	answers := strings.TrimSpace(string(out))
	verified := 0
	for _, part := range strings.Fields(answers) {
		if count, ok := strings.CutSuffix(part, "×401"); ok {
			verified, _ = strconv.Atoi(count)
		}
	}
	fmt.Printf("%d parallel wrong logins from one address in %v (GOMAXPROCS %d, security.login.maxAttempts %d)\n",
		n, took.Round(time.Millisecond), runtime.GOMAXPROCS(0), cfg.Security.Login.MaxAttempts)
	fmt.Printf("answers: %s (0 = no answer)\n", answers)
	fmt.Printf("passwords verified (401s): %d\n", verified)
	fmt.Printf("RSS before %.1f MiB, peak %.1f MiB, growth %.1f MiB\n",
		float64(before)/1024, float64(peak.Load())/1024, float64(peak.Load()-before)/1024)
	return nil
}

// burst sends n wrong logins at once to the console at base and returns
// the answers by status, as "count×status" fields.
func burst(base string, n int) string {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}, Timeout: 2 * time.Minute}
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	startGate := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, base+"/management/auth/token", nil)
			req.SetBasicAuth("admin@example.com", "not-the-password")
			<-startGate
			status := 0
			if resp, err := hc.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		}()
	}
	close(startGate)
	wg.Wait()
	codes := make([]int, 0, len(statuses))
	for c := range statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", statuses[c], c))
	}
	return strings.Join(parts, " ")
}

// rssKiB reads the process's resident set size from /proc (Linux).
func rssKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}
