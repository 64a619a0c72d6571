package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrk runs Debian's wrk (an outside load generator, so the figures do not
// depend on ours): wrkThreads threads, the same keep-alive connections as
// the in-process generator, a Lua script setting the POST body and headers.
type wrk struct {
	path string
	dir  string // for the scripts
	n    int
}

const wrkThreads = 2

// findWrk returns wrk when it is installed, nil otherwise.
func findWrk(dir string) *wrk {
	p, err := exec.LookPath("wrk")
	if err != nil {
		return nil
	}
	return &wrk{path: p, dir: dir}
}

// run measures target for d with conns connections; a request with a
// fresh body per request cannot be sent by wrk.
func (w *wrk) run(name, target string, rq request, d time.Duration, conns int) (result, error) {
	if rq.fresh != nil {
		return result{}, fmt.Errorf("%s: wrk sends fixed requests only", name)
	}
	var lua strings.Builder
	lua.WriteString("wrk.method = \"POST\"\n")
	fmt.Fprintf(&lua, "wrk.body = %s\n", strconv.Quote(rq.body))
	lua.WriteString("wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n")
	for k, v := range rq.header {
		fmt.Fprintf(&lua, "wrk.headers[%s] = %s\n", strconv.Quote(k), strconv.Quote(v))
	}
	w.n++
	script := filepath.Join(w.dir, fmt.Sprintf("wrk-%d.lua", w.n))
	if err := os.WriteFile(script, []byte(lua.String()), 0o600); err != nil {
		return result{}, err
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	out, err := exec.Command(w.path, "-t", strconv.Itoa(wrkThreads), "-c", strconv.Itoa(conns),
		// A generous timeout: a slow answer on a busy machine is slow,
		// not failed (wrk's default of 2 s would count it as an error).
		"-d", strconv.Itoa(secs)+"s", "--timeout", "30s", "--latency", "-s", script, target).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("%s: wrk: %v: %s", name, err, out)
	}
	r, err := parseWrk(out)
	if err != nil {
		return result{}, fmt.Errorf("%s: %w: %s", name, err, out)
	}
	r.name = name
	return r, nil
}

// parseWrk reads wrk's report: Requests/sec, the 50% and 99% lines of the
// latency distribution, the request count and any non-2xx responses or
// socket errors.
func parseWrk(out []byte) (result, error) {
	var r result
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return r, err
			}
			r.rps = v
			found++
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			v, err := time.ParseDuration(f[1])
			if err != nil {
				return r, err
			}
			if f[0] == "50%" {
				r.p50 = v
			} else {
				r.p99 = v
			}
			found++
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			r.total, _ = strconv.ParseInt(f[0], 10, 64)
			r.sent = r.total
		case len(f) == 4 && f[0] == "Non-2xx":
			n, _ := strconv.ParseInt(f[3], 10, 64)
			r.errors += n
		case len(f) > 2 && f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 3; i < len(f); i += 2 {
				n, _ := strconv.ParseInt(strings.TrimSuffix(f[i], ","), 10, 64)
				r.errors += n
			}
		}
	}
	if found != 3 {
		return r, fmt.Errorf("cannot read wrk's report")
	}
	return r, nil
}
