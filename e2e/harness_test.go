package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"latchkey/config"
	"latchkey/internal/testdb"
	"latchkey/models"
	"latchkey/web"
)

const (
	// browserTimeout bounds the whole life of one test's browser.
	browserTimeout = 60 * time.Second
	// stepTimeout bounds one step (an action and the page load it causes), so
	// a selector that never matches fails in seconds, naming the step.
	stepTimeout = 10 * time.Second
	// debianChromium is where Debian's chromium package installs the browser.
	debianChromium = "/usr/bin/chromium"
)

// ---- Server -----------------------------------------------------------------

// server is one Latchkey console under test: a fresh SQLite database in
// t.TempDir(), the handlers built by web.New, served on a real listener on a
// random port of 127.0.0.1.
type server struct {
	// BaseURL is the console's origin, such as http://127.0.0.1:41234.
	BaseURL string
	// Store is the server's database handle, for arranging data and for
	// checking what the browser did.
	Store  *models.Store
	Config *config.Config

	// AllowErrorLogs turns off the end-of-test check that the server logged
	// nothing at error level (a 500, a failed query).
	AllowErrorLogs bool

	mu        sync.Mutex
	errorLogs []string
}

// startServer starts a console for one test; everything stops and is removed
// when the test ends.
func startServer(t *testing.T) *server {
	t.Helper()
	s := &server{}
	// Registered first, so it runs last: server logs reach the test output
	// until everything has stopped.
	out := &testWriter{t: t}
	t.Cleanup(func() { out.done.Store(true) })
	cfg := config.Default()
	cfg.Database.DSN = testdb.DSN(t)
	cfg.Server.Gateway.Enabled = false

	// Listen before building the handlers so that publicURL is the real one.
	ts := httptest.NewUnstartedServer(nil)
	s.BaseURL = "http://" + ts.Listener.Addr().String()
	cfg.Server.PublicURL = s.BaseURL
	if err := cfg.Validate(); err != nil {
		ts.Close()
		t.Fatalf("test configuration: %v", err)
	}
	s.Config = cfg

	logger := slog.New(&recordingHandler{
		Handler: slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}),
		record:  s.recordError,
	})
	store, err := models.Open(t.Context(), cfg.Database.DSN, logger, models.WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		ts.Close()
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close database: %v", err)
		}
	})
	s.Store = store

	srv, err := web.New(t.Context(), cfg, store, logger)
	if err != nil {
		ts.Close()
		t.Fatalf("web.New: %v", err)
	}
	ts.Config.Handler = srv.Console
	ts.Start()
	// Registered after the store's cleanup, so it runs before it: requests
	// finish before the database closes.
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.errorLogs) > 0 && !s.AllowErrorLogs {
			t.Errorf("the server logged at error level:\n%s", strings.Join(s.errorLogs, "\n"))
		}
	})
	return s
}

// URL returns the absolute URL of a console path.
func (s *server) URL(path string) string { return s.BaseURL + path }

// SetupURL starts the first-administrator setup, as `latchkey serve` does
// when no user exists, and returns the one-time link it would log.
func (s *server) SetupURL(t *testing.T) string {
	t.Helper()
	token, err := s.Store.StartSetup(t.Context())
	if err != nil {
		t.Fatalf("StartSetup: %v", err)
	}
	if token == "" {
		t.Fatal("StartSetup returned no token: a user exists already")
	}
	return s.URL("/setup?token=" + token)
}

func (s *server) recordError(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errorLogs = append(s.errorLogs, msg)
}

// recordingHandler passes records on and remembers those at error level.
type recordingHandler struct {
	slog.Handler
	record func(string)
}

func (h *recordingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
			return true
		})
		h.record(b.String())
	}
	return h.Handler.Handle(ctx, r)
}

func (h *recordingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &recordingHandler{Handler: h.Handler.WithAttrs(attrs), record: h.record}
}

func (h *recordingHandler) WithGroup(name string) slog.Handler {
	return &recordingHandler{Handler: h.Handler.WithGroup(name), record: h.record}
}

// testWriter sends log lines to the test's output, and drops them once the
// test is over (a late write to t.Log panics).
type testWriter struct {
	t    *testing.T
	done atomic.Bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// ---- Browser ----------------------------------------------------------------

// findChromium returns the browser to run, or "" when none is installed.
func findChromium() string {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if fi, err := os.Stat(debianChromium); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return debianChromium
	}
	return ""
}

// pageErrorsKey finds a browser's pageErrors in its context.
type pageErrorsKey struct{}

// pageErrors collects what would show in red in the DevTools console:
// uncaught exceptions, console.error calls, and browser log entries at error
// level (CSP violations, resources that failed to load).
type pageErrors struct {
	mu   sync.Mutex
	msgs []string
}

func (p *pageErrors) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, fmt.Sprintf(format, args...))
}

// take returns the errors collected so far and forgets them.
func (p *pageErrors) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	msgs := p.msgs
	p.msgs = nil
	return msgs
}

// listen runs in the tab's event loop: it must return fast and run no command.
func (p *pageErrors) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		p.add("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			switch {
			case a.Description != "":
				parts = append(parts, a.Description)
			case len(a.Value) > 0:
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			default:
				parts = append(parts, string(a.Type))
			}
		}
		p.add("console.%s: %s", ev.Type, strings.Join(parts, " "))
	case *log.EventEntryAdded:
		if e := ev.Entry; e != nil && e.Level == log.EntryLevelError {
			// The console has no favicon; Chromium asks for one on its own,
			// not the page, so its 404 says nothing about the page.
			if e.Source == log.EntrySourceNetwork && strings.HasSuffix(e.URL, "/favicon.ico") {
				return
			}
			p.add("browser log (%s) %s: %s", e.Source, e.URL, e.Text)
		}
	}
}

// newBrowser starts a headless Chromium for one test and returns the context
// of its tab, for chromedp.Run and chromedp.Do. The browser lives at most
// browserTimeout and is closed, and its profile removed, when the test ends.
//
// Without Chromium the test is skipped, unless the environment variable CI is
// set: there a missing browser is a failure, not a silent skip.
//
// The tab may read and write the clipboard (see readClipboard), and it
// collects page errors (see requireNoPageErrors). When the test fails, a
// screenshot of the tab is saved and its path logged.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := findChromium()
	if path == "" {
		if os.Getenv("CI") == "" {
			t.Skip("browser test skipped: chromium not found (neither `chromium` on PATH nor " + debianChromium +
				"); install Debian's chromium package to run it. With CI set, a missing browser fails instead.")
		}
		t.Fatal("chromium not found (neither `chromium` on PATH nor " + debianChromium +
			") and CI is set: browser tests must run in CI; install Debian's chromium package")
	}

	// Called before any cleanup below is registered, so the profile is
	// removed only after the browser has exited.
	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
	}

	var over atomic.Bool
	logf := func(format string, args ...any) {
		if !over.Load() {
			t.Logf("chromedp: "+format, args...)
		}
	}
	base, cancelBase := context.WithTimeout(context.Background(), browserTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithErrorf(logf))
	t.Cleanup(func() {
		// Errors while shutting down are noise; stop logging them first.
		over.Store(true)
		// Close the browser gracefully and wait for it to exit, then let go
		// of everything else.
		_ = chromedp.Cancel(ctx)
		cancelCtx()
		cancelAlloc()
		cancelBase()
	})

	// The first action starts the browser; its life is bound to base.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}

	errs := &pageErrors{}
	if err := chromedp.Listen(ctx, errs.listen); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	ctx = context.WithValue(ctx, pageErrorsKey{}, errs)

	// Clipboard access for every origin; the tab must also count as focused,
	// or navigator.clipboard refuses with "Document is not focused".
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    browser.PermissionSettingGranted,
		})
		if err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled,
		emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatalf("emulate focus: %v", err)
	}

	// Registered last, so it runs first: the browser is still there.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		if msgs := errs.take(); len(msgs) > 0 {
			t.Logf("page errors not yet checked:\n  %s", strings.Join(msgs, "\n  "))
		}
		saveFailureScreenshot(t, ctx)
	})
	return ctx
}

// saveFailureScreenshot keeps a picture of the tab where the test failed. It
// goes to $E2E_ARTIFACTS when set, otherwise to a new folder under the system
// temporary folder (not t.TempDir(), which is removed with the test).
func saveFailureScreenshot(t *testing.T, ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(sctx, chromedp.Location())
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no failure screenshot (page %s): %v", loc, err)
		return
	}
	dir := os.Getenv("E2E_ARTIFACTS")
	if dir == "" {
		if dir, err = os.MkdirTemp("", "latchkey-e2e-"); err != nil {
			t.Logf("no failure screenshot: %v", err)
			return
		}
	}
	file := filepath.Join(dir, safeName(t.Name())+"-failure.png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Logf("no failure screenshot: %v", err)
		return
	}
	t.Logf("failure screenshot of %s: %s", loc, file)
}

// saveScreenshot writes a full-page screenshot to $E2E_SCREENSHOTS/name.png
// when that variable names a folder; it does nothing otherwise.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("E2E_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := run(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	file := filepath.Join(dir, safeName(name)+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("screenshot: %s", file)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// ---- Steps ------------------------------------------------------------------

// do runs actions as one step, bounded by stepTimeout; it fails the test,
// naming the step, on error.
func do(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// run runs one action that returns a value, as one step.
func run[T any](t *testing.T, ctx context.Context, step string, action chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, action)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

// load runs actions that cause a page load (a navigation, a click on a link,
// a form submission) and waits for the new page's load event. It fails the
// test unless the page answered with wantStatus, its path matches wantPath (a
// regular expression matched against the whole path) and it loaded without
// page errors. It returns the path.
func load(t *testing.T, ctx context.Context, step string, wantStatus int, wantPath string, actions ...chromedp.Action[chromedp.Void]) string {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, actions...)
	if err != nil {
		var le *chromedp.LoadError
		if errors.As(err, &le) {
			t.Fatalf("%s: the page did not load: %v", step, err)
		}
		t.Fatalf("%s: %v", step, err)
	}
	if resp == nil {
		t.Fatalf("%s: no document response", step)
	}
	if int(resp.Status) != wantStatus {
		t.Errorf("%s: %s answered %d %s, want %d", step, resp.URL, resp.Status, resp.StatusText, wantStatus)
	}
	// The load event reaches this listener before chromedp's own bookkeeping
	// has learnt the new document's JavaScript context; wait until a poll
	// runs in it, so the steps that follow start on the new page.
	waitFor(t, ctx, step+": new document ready", `document.readyState === "complete"`)
	path := run(t, ctx, step+": read location", chromedp.Evaluate[string](`location.pathname`))
	if !regexp.MustCompile(`^(?:` + wantPath + `)$`).MatchString(path) {
		t.Fatalf("%s: landed on %s, want a path matching %s", step, path, wantPath)
	}
	requireNoPageErrors(t, ctx, step)
	return path
}

// requireNoPageErrors fails the test if the tab reported errors since the
// last check: a CSP violation, an uncaught exception, a console.error, a
// resource that failed to load.
func requireNoPageErrors(t *testing.T, ctx context.Context, step string) {
	t.Helper()
	errs, _ := ctx.Value(pageErrorsKey{}).(*pageErrors)
	if errs == nil {
		t.Fatal("requireNoPageErrors: the context does not come from newBrowser")
	}
	if msgs := errs.take(); len(msgs) > 0 {
		t.Fatalf("%s: the page reported errors:\n  %s", step, strings.Join(msgs, "\n  "))
	}
}

// readClipboard returns the text on the browser's clipboard (the tab must
// show a page of an http(s) origin: about:blank has no clipboard access).
func readClipboard(t *testing.T, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, "read the clipboard",
		chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
}

// writeClipboard puts text on the browser's clipboard, for example to tell a
// fresh copy from a stale one.
func writeClipboard(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	do(t, ctx, "write the clipboard", chromedp.Evaluate[chromedp.Void](
		`navigator.clipboard.writeText(`+jsString(text)+`)`, chromedp.EvalAwaitPromise))
}

// waitFor polls a JavaScript expression until it is true, as one step.
func waitFor(t *testing.T, ctx context.Context, step, expression string) {
	t.Helper()
	run(t, ctx, step, pollInPage(expression))
}

// pollInPage is chromedp.Poll that survives chromedp's lag behind a
// navigation. chromedp passes events to listeners (so RunResponse returns
// on the new page's load event) before its target goroutine records the
// new document's execution context; a Poll started in between names the
// old, destroyed context and fails with "Cannot find context with specified
// id" (-32000). That is retried, and nothing else: the target catches up
// after the events already queued, so the retries end by themselves.
func pollInPage(expression string) chromedp.Action[bool] {
	p := chromedp.Poll[bool](expression, chromedp.WithPollingInterval(50*time.Millisecond))
	return func(ctx context.Context, tg *chromedp.Target) (bool, error) {
		for {
			ok, err := p(ctx, tg)
			if !isStaleContext(err) || ctx.Err() != nil {
				return ok, err
			}
		}
	}
}

// isStaleContext reports whether err is the browser's answer to an
// evaluation in an execution context that no longer exists.
func isStaleContext(err error) bool {
	var e *cdproto.Error
	return errors.As(err, &e) && e.Code == -32000 && e.Message == "Cannot find context with specified id"
}

// requireText fails unless the first element matching the CSS selector shows
// exactly want (its innerText, trimmed).
func requireText(t *testing.T, ctx context.Context, step, selector, want string) {
	t.Helper()
	got := strings.TrimSpace(run(t, ctx, step, chromedp.Text(chromedp.CSS(selector))))
	if got != want {
		t.Fatalf("%s: %s shows %q, want %q", step, selector, got, want)
	}
}

// requireContains fails unless the first element matching the CSS selector
// shows want somewhere in its text.
func requireContains(t *testing.T, ctx context.Context, step, selector, want string) {
	t.Helper()
	got := run(t, ctx, step, chromedp.Text(chromedp.CSS(selector)))
	if !strings.Contains(got, want) {
		t.Fatalf("%s: %s shows %q, want it to contain %q", step, selector, got, want)
	}
}

// requireAbsent fails if an element matches the CSS selector now (no wait).
func requireAbsent(t *testing.T, ctx context.Context, step, selector string) {
	t.Helper()
	js := `document.querySelector(` + jsString(selector) + `) === null`
	if !run(t, ctx, step, chromedp.Evaluate[bool](js)) {
		t.Fatalf("%s: %s is present, want it gone", step, selector)
	}
}

// requireScriptsLoaded checks that the page's scripts really ran: htmx
// defines window.htmx, and app.js wires copy buttons (checked by the copy
// steps). Together with requireNoPageErrors this shows the CSP lets the
// content-hashed /static/ scripts run.
func requireScriptsLoaded(t *testing.T, ctx context.Context, step string) {
	t.Helper()
	waitFor(t, ctx, step+": htmx loaded", `document.readyState === "complete" && typeof window.htmx === "object"`)
	srcs := run(t, ctx, step+": script URLs", chromedp.Evaluate[[]string](
		`Array.from(document.scripts).map(s => s.getAttribute("src") || "inline")`))
	hashed := regexp.MustCompile(`^/static/[a-z.]+\.[0-9a-f]{10}\.js$`)
	for _, src := range srcs {
		if !hashed.MatchString(src) {
			t.Errorf("%s: script %q is not a content-hashed /static/ URL", step, src)
		}
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
