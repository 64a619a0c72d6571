package notify

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"latchkey/config"
	"latchkey/internal/benchfixture"
	"latchkey/internal/testdb"
	"latchkey/models"
)

// The benchmark data set: 1,000,000 secrets in 100,000 applications of
// 1,000 domains. A quarter of the secrets never expire; the others expire
// evenly over [-30 days, +730 days] around benchNow, so about 49,000 are due
// (expired, or within the largest threshold of 20 days).
const (
	benchDomains       = 1_000
	benchAppsPerDomain = 100
	benchSecretsPerApp = 10
	benchUsers         = 2_000
)

var benchNow = time.Date(2030, 6, 1, 5, 0, 0, 0, time.UTC)

func benchExpiry(i int) *time.Time {
	if i%4 == 3 {
		return nil
	}
	// A fixed permutation spreads expiries without a random source.
	span := int64(760 * 24 * time.Hour / time.Second)
	offset := int64(uint64(i)*2654435761%uint64(span)) - int64(30*24*time.Hour/time.Second)
	t := benchNow.Add(time.Duration(offset) * time.Second)
	return &t
}

var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureKeep string // the template's path when LATCHKEY_BENCH_FIXTURE_DIR keeps it
	fixtureErr  error
	fixtureTime time.Duration
)

// benchFixture builds the data set once per process into a template
// database file and returns its path.
func benchFixture(b *testing.B) string {
	b.Helper()
	fixtureOnce.Do(func() {
		start := time.Now()
		if dir := os.Getenv("LATCHKEY_BENCH_FIXTURE_DIR"); dir != "" {
			// Kept between runs: building the data set takes longer than
			// the benchmarks. Delete the directory after a schema change.
			fixtureKeep = filepath.Join(dir, "template.db")
			if _, err := os.Stat(fixtureKeep); err == nil {
				return
			}
			fixtureErr = os.MkdirAll(dir, 0o700)
		} else {
			fixtureDir, fixtureErr = os.MkdirTemp("", "latchkey-bench-")
		}
		if fixtureErr != nil {
			return
		}
		path := filepath.Join(fixtureDir, "template.db")
		if fixtureKeep != "" {
			path = fixtureKeep
		}
		ctx := context.Background()
		s, err := models.Open(ctx, path, nil, models.WithKeyEncryptionKey(testdb.KEK()))
		if err != nil {
			fixtureErr = err
			return
		}
		defer s.Close()
		s.Now = func() time.Time { return benchNow }
		fixtureErr = benchfixture.Load(ctx, s, benchfixture.Spec{
			Users: benchUsers, Domains: benchDomains, AppsPerDomain: benchAppsPerDomain, SecretsPerApp: benchSecretsPerApp,
			Expiry: benchExpiry,
		})
		if fixtureErr == nil {
			fixtureErr = benchfixture.Checkpoint(ctx, s)
		}
		fixtureTime = time.Since(start)
	})
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	if fixtureKeep != "" {
		return fixtureKeep
	}
	return filepath.Join(fixtureDir, "template.db")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		_ = os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// copyFile copies the template so each iteration starts from a database
// where nothing was notified yet.
func copyFile(b *testing.B, from, to string) {
	b.Helper()
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// peakMemory samples the Go heap and the process's resident memory while a
// benchmark iteration runs and keeps the highest values above where they
// started.
type peakMemory struct {
	stop              chan struct{}
	done              chan struct{}
	baseHeap, baseRSS uint64
	peakHeap, peakRSS uint64
}

var heapMetric = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func heapBytes() uint64 {
	metrics.Read(heapMetric)
	return heapMetric[0].Value.Uint64()
}

// rssBytes reads the resident set size (Linux); 0 elsewhere. It counts
// SQLite's own memory, which the Go heap does not.
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, resident uint64
	if _, err := fmt.Sscan(string(b), &size, &resident); err != nil {
		return 0
	}
	return resident * uint64(os.Getpagesize())
}

func startPeak() *peakMemory {
	runtime.GC()
	p := &peakMemory{stop: make(chan struct{}), done: make(chan struct{}), baseHeap: heapBytes(), baseRSS: rssBytes()}
	p.peakHeap, p.peakRSS = p.baseHeap, p.baseRSS
	go func() {
		defer close(p.done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			p.peakHeap, p.peakRSS = max(p.peakHeap, heapBytes()), max(p.peakRSS, rssBytes())
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// end stops sampling and returns the peak extra heap and resident memory in
// MB.
func (p *peakMemory) end() (heapMB, rssMB float64) {
	close(p.stop)
	<-p.done
	return float64(p.peakHeap-p.baseHeap) / (1 << 20), float64(p.peakRSS-p.baseRSS) / (1 << 20)
}

// benchNotifier opens a fresh copy of the data set.
func benchNotifier(b *testing.B, template string) (*Notifier, *models.Store) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "run.db")
	copyFile(b, template, path)
	s, err := models.Open(context.Background(), path+os.Getenv("BENCH_DSN_SUFFIX"), nil, models.WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	s.Now = func() time.Time { return benchNow }
	cfg := config.Default() // channels: ui and log
	n, err := New(s, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	return n, s
}

// runStats measures benchmark runs: the last run's record, their CPU time,
// and the highest extra memory any of them took.
type runStats struct {
	run           *models.NotificationRun
	heapMB, rssMB float64
	cpu           time.Duration
}

// measure runs n once.
func (st *runStats) measure(b *testing.B, n *Notifier) *models.NotificationRun {
	b.Helper()
	p := startPeak()
	cpu0 := testdb.CPUTime()
	run, err := n.Run(context.Background())
	st.cpu += testdb.CPUTime() - cpu0
	h, r := p.end()
	st.heapMB, st.rssMB = max(st.heapMB, h), max(st.rssMB, r)
	if err != nil {
		b.Fatal(err)
	}
	st.run = run
	return run
}

// report prints due secrets scanned, ledger rows decided, CPU time per run
// and peak extra memory (Go heap and resident set) next to the time per run.
func (st *runStats) report(b *testing.B) {
	b.ReportMetric(float64(st.run.Scanned), "due-secrets")
	b.ReportMetric(float64(st.run.Decided), "notices")
	b.ReportMetric(float64(st.cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(st.heapMB, "peak-heap-MB")
	b.ReportMetric(st.rssMB, "peak-rss-MB")
}

// BenchmarkScan1M runs the expiry job over 1,000,000 secrets in 100,000
// applications, as the first run after the notifier is switched on: every
// due secret gets its notices decided and delivered (console and log).
// Target: under 2 s and 100 MB.
func BenchmarkScan1M(b *testing.B) {
	template := benchFixture(b)
	b.Logf("fixture: %d secrets built in %v", benchDomains*benchAppsPerDomain*benchSecretsPerApp, fixtureTime.Round(time.Millisecond))
	var st runStats
	for b.Loop() {
		b.StopTimer()
		n, s := benchNotifier(b, template)
		b.StartTimer()
		st.measure(b, n)
		b.StopTimer()
		_ = s.Close()
		b.StartTimer()
	}
	st.report(b)
}

// BenchmarkScan1MSteady is a run with nothing new to say: the due secrets
// were all announced by the previous run, so it only scans.
func BenchmarkScan1MSteady(b *testing.B) {
	template := benchFixture(b)
	n, _ := benchNotifier(b, template)
	if _, err := n.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	var st runStats
	for b.Loop() {
		if run := st.measure(b, n); run.Decided != 0 {
			b.Fatalf("a repeated run decided %d notices", run.Decided)
		}
	}
	st.report(b)
}

// BenchmarkScan1MNextDay is the daily run: the previous day's run announced
// everything then due, and a day has passed, so the run scans the due
// secrets and announces the thresholds crossed and the expiries of one day.
func BenchmarkScan1MNextDay(b *testing.B) {
	template := benchFixture(b)
	var st runStats
	for b.Loop() {
		b.StopTimer()
		n, s := benchNotifier(b, template)
		s.Now = func() time.Time { return benchNow.Add(-24 * time.Hour) }
		if _, err := n.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		s.Now = func() time.Time { return benchNow }
		b.StartTimer()
		st.measure(b, n)
		b.StopTimer()
		_ = s.Close()
		b.StartTimer()
	}
	st.report(b)
}
