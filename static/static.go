// Package static embeds the console's built assets (Tailwind CSS, htmx,
// app.js and tables.js) and serves them under content-hashed URLs.
//
// Putting a hash of each file's contents in its URL lets browsers and proxies
// cache the files forever: a new build changes the hash, so the pages ask for
// a new URL and nothing stale can be served. The files are embedded so the
// binary is self-contained; app.css and htmx.min.js are build outputs that are
// committed (see the Makefile's css target), so `go build` needs no Node.
//
// It imports no other Latchkey package.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// prefix is where Handler expects to be mounted; URL returns paths under it.
const prefix = "/static/"

// hashLen is the number of hex digits of the SHA-256 kept in URLs: 40 bits
// is plenty to tell builds apart and keeps URLs short.
const hashLen = 10

//go:embed app.css app.js htmx.min.js favicon.svg tables.js
var files embed.FS

// asset is one embedded file with everything needed to serve it, computed
// once at start-up so requests do no hashing or lookups beyond a map read.
type asset struct {
	name        string // as embedded, e.g. "app.css"
	hash        string // contentHash of body
	urlName     string // name with the hash, e.g. "app.3f2a1b9c0d.css"
	contentType string
	etag        string
	body        []byte
}

var (
	byName    map[string]*asset // key: asset.name
	byURLName map[string]*asset // key: asset.urlName
)

func init() {
	var err error
	byName, byURLName, err = load(files)
	if err != nil {
		// The set of files is fixed at compile time, so this cannot depend
		// on the environment: fail loudly rather than serve a broken console.
		panic("static: " + err.Error())
	}
}

// load reads every file of fsys and indexes it by plain and hashed name.
// It takes the file system as a parameter so tests can use other contents.
func load(fsys fs.FS) (map[string]*asset, map[string]*asset, error) {
	names, err := fs.Glob(fsys, "*")
	if err != nil {
		return nil, nil, err
	}
	plain := make(map[string]*asset, len(names))
	hashed := make(map[string]*asset, len(names))
	for _, name := range names {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, nil, err
		}
		h := contentHash(body)
		a := &asset{
			name:        name,
			hash:        h,
			urlName:     hashedName(name, h),
			contentType: contentType(name),
			etag:        `"` + h + `"`,
			body:        body,
		}
		plain[a.name] = a
		hashed[a.urlName] = a
	}
	return plain, hashed, nil
}

// contentHash returns the first hashLen hex digits of the SHA-256 of b.
func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:hashLen]
}

// hashedName inserts hash before name's extension: "htmx.min.js" becomes
// "htmx.min.<hash>.js". Keeping the extension last means anything that
// guesses types from the URL (proxies, browsers' dev tools) still works.
func hashedName(name, hash string) string {
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hash + ext
}

// contentType is explicit for the types we ship, because
// mime.TypeByExtension consults the host's mime.types, which varies between
// systems (some map .js to application/x-javascript).
func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// URL returns the content-hashed path of the embedded file name, for use in
// templates, e.g. URL("app.css") == "/static/app.3f2a1b9c0d.css".
// It panics if there is no such file: names are constants in the templates,
// so an unknown one is a programming error that tests should catch.
func URL(name string) string {
	a, ok := byName[name]
	if !ok {
		panic(fmt.Sprintf("static: no embedded file %q", name))
	}
	return prefix + a.urlName
}

// Handler returns a handler for the paths URL produces, "/static/<name>.<hash>.<ext>"
// (mount it at /static/ without stripping the prefix). Responses are cacheable
// forever, since a given URL's contents never change. A path whose hash is not
// the current one gets 404 rather than the current file: after a deploy, an old
// page asking for an old hash must not cache new contents under the old URL.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}

	a, ok := lookup(r.URL.Path)
	if !ok {
		// Not cacheable: during a rolling deploy a node may not have a hash
		// yet that another node already links to; a retry should succeed.
		h.Set("Cache-Control", "no-cache")
		http.NotFound(w, r)
		return
	}

	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", a.etag)
	// ServeContent handles HEAD, Range and If-None-Match (against the ETag).
	// The zero modification time omits Last-Modified; the ETag suffices.
	http.ServeContent(w, r, a.urlName, time.Time{}, bytes.NewReader(a.body))
}

// lookup finds the asset for a request path, which must be exactly
// prefix + urlName.
func lookup(p string) (*asset, bool) {
	name, ok := strings.CutPrefix(p, prefix)
	if !ok {
		return nil, false
	}
	a, ok := byURLName[name]
	return a, ok
}
