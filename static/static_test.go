package static

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

var embeddedNames = []string{"app.css", "app.js", "htmx.min.js", "tables.js"}

func TestURLIncludesContentHash(t *testing.T) {
	for _, name := range embeddedNames {
		body, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		hash := contentHash(body)
		if !regexp.MustCompile(`^[0-9a-f]{10}$`).MatchString(hash) {
			t.Fatalf("contentHash(%s) = %q, want 10 lowercase hex digits", name, hash)
		}
		ext := name[strings.LastIndex(name, "."):]
		want := "/static/" + strings.TrimSuffix(name, ext) + "." + hash + ext
		if got := URL(name); got != want {
			t.Errorf("URL(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestURLPanicsOnUnknownName(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("URL(unknown) did not panic")
		}
	}()
	URL("nope.css")
}

func TestHashedName(t *testing.T) {
	tests := []struct{ name, want string }{
		{"app.css", "app.0123456789.css"},
		{"htmx.min.js", "htmx.min.0123456789.js"},
		{"LICENSE", "LICENSE.0123456789"},
	}
	for _, tt := range tests {
		if got := hashedName(tt.name, "0123456789"); got != tt.want {
			t.Errorf("hashedName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestContentHashChangesWithContents(t *testing.T) {
	a := contentHash([]byte("body{color:red}"))
	b := contentHash([]byte("body{color:blue}"))
	if a == b {
		t.Fatalf("different contents gave the same hash %q", a)
	}
	if again := contentHash([]byte("body{color:red}")); again != a {
		t.Fatalf("hash not deterministic: %q then %q", a, again)
	}
	// SHA-256("") starts with e3b0c44298: pins the algorithm and length, so
	// a change to either is deliberate.
	if got := contentHash(nil); got != "e3b0c44298" {
		t.Fatalf("contentHash(nil) = %q, want e3b0c44298", got)
	}
}

func TestLoadIndexesByHashedName(t *testing.T) {
	fsys := fstest.MapFS{"x.css": {Data: []byte("v1")}}
	_, hashed1, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	fsys["x.css"] = &fstest.MapFile{Data: []byte("v2")}
	plain2, hashed2, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(hashed1) != 1 || len(hashed2) != 1 {
		t.Fatalf("want one asset each, got %d and %d", len(hashed1), len(hashed2))
	}
	for k := range hashed1 {
		if _, ok := hashed2[k]; ok {
			t.Fatalf("URL name %q survived a content change", k)
		}
	}
	if got := plain2["x.css"].contentType; got != "text/css; charset=utf-8" {
		t.Errorf("content type = %q", got)
	}
}

func TestHandlerServesAssets(t *testing.T) {
	types := map[string]string{
		"app.css":     "text/css; charset=utf-8",
		"app.js":      "text/javascript; charset=utf-8",
		"htmx.min.js": "text/javascript; charset=utf-8",
		"tables.js":   "text/javascript; charset=utf-8",
	}
	h := Handler()
	for _, name := range embeddedNames {
		want, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, URL(name), nil))
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)

		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", URL(name), res.StatusCode)
		}
		if !bytes.Equal(body, want) {
			t.Errorf("GET %s: body differs from embedded %s", URL(name), name)
		}
		checkHeader(t, res, "Content-Type", types[name])
		checkHeader(t, res, "Cache-Control", "public, max-age=31536000, immutable")
		checkHeader(t, res, "X-Content-Type-Options", "nosniff")
		checkHeader(t, res, "ETag", `"`+contentHash(want)+`"`)
	}
}

func TestHandlerHEAD(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodHead, URL("app.css"), nil))
	res := rec.Result()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("HEAD: status %d", res.StatusCode)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("HEAD: got %d body bytes", rec.Body.Len())
	}
	checkHeader(t, res, "Content-Type", "text/css; charset=utf-8")
	checkHeader(t, res, "Cache-Control", "public, max-age=31536000, immutable")
}

func TestHandlerConditionalGET(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, URL("app.js"), nil)
	body, _ := files.ReadFile("app.js")
	req.Header.Set("If-None-Match", `"`+contentHash(body)+`"`)
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("status %d, want 304", rec.Code)
	}
}

func TestHandlerNotFound(t *testing.T) {
	good := URL("app.css")
	paths := map[string]string{
		"stale hash":     "/static/app.0000000000.css",
		"no hash":        "/static/app.css",
		"unknown file":   "/static/nope.0123456789.css",
		"missing prefix": strings.TrimPrefix(good, "/static"),
		"subdirectory":   "/static/x/" + strings.TrimPrefix(good, "/static/"),
		"prefix only":    "/static/",
	}
	for what, p := range paths {
		rec := httptest.NewRecorder()
		Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		res := rec.Result()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s (%s): status %d, want 404", what, p, res.StatusCode)
		}
		if cc := res.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") || strings.Contains(cc, "max-age") {
			t.Errorf("%s: 404 must not be cached long, got Cache-Control %q", what, cc)
		}
	}
}

func TestHandlerRejectsOtherMethods(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, URL("app.css"), nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: status %d, want 405", rec.Code)
	}
	checkHeader(t, rec.Result(), "Allow", "GET, HEAD")
}

func checkHeader(t *testing.T, res *http.Response, key, want string) {
	t.Helper()
	if got := res.Header.Get(key); got != want {
		t.Errorf("%s = %q, want %q", key, got, want)
	}
}

func BenchmarkHandler(b *testing.B) {
	h := Handler()
	req := httptest.NewRequest(http.MethodGet, URL("htmx.min.js"), nil)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
