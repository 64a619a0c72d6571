package web_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"latchkey/config"
)

// heldConn is one raw keep-alive connection to a listener.
type heldConn struct {
	net.Conn
	br *bufio.Reader
}

// healthz sends GET /healthz on the connection and returns the status, or
// an error when the server closed the connection instead.
func (c *heldConn) healthz() (int, error) {
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, err
	}
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: latchkey\r\n\r\n")); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func dialHeld(t *testing.T, addr string) *heldConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &heldConn{Conn: c, br: bufio.NewReader(c)}
}

// scrape reads the metrics straight from the registry.
func scrape(e *env) string {
	rec := httptest.NewRecorder()
	e.srv.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// A listener with maxConnections N holds N idle keep-alive connections and
// keeps serving them; connection N+1 is closed at once (not queued, so a
// probe learns it in no time) and counted; once some are closed, /healthz
// answers new connections again.
func TestListenerConnectionCap(t *testing.T) {
	const limit = 3
	e := newEnv(t, func(c *config.Config) { c.Server.Console.MaxConnections = limit })
	ln, err := e.srv.Listen("console", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: e.srv.Console, ReadHeaderTimeout: time.Minute}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	addr := ln.Addr().String()

	var held []*heldConn
	for i := range limit {
		c := dialHeld(t, addr)
		if status, err := c.healthz(); err != nil || status != 200 {
			t.Fatalf("connection %d: /healthz = %d, %v", i+1, status, err)
		}
		held = append(held, c)
	}
	// Connection cap+1: the server resets it on arrival (the dial itself
	// may see the reset), it does not wait for a free place.
	start := time.Now()
	err = refusedAtOnce(addr)
	if err != nil {
		t.Fatalf("connection %d over the cap: %v", limit+1, err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("refusing took %s", waited)
	}
	m := scrape(e)
	for _, want := range []string{
		`latchkey_connections_refused_total{listener="console"} 1`,
		`latchkey_connections_open{listener="console"} 3`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, grepLines(m, "latchkey_connections"))
		}
	}
	// The connections held are still served.
	if status, err := held[0].healthz(); err != nil || status != 200 {
		t.Fatalf("held connection at the cap: /healthz = %d, %v", status, err)
	}

	// Free two places: new connections are served again as soon as the
	// server has seen the closes (each refused try is immediate).
	held[0].Close()
	held[1].Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, err := healthzOnNewConn(addr)
		if err == nil && status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz still refused after closing connections: %d, %v", status, err)
		}
	}
}

// healthzOnNewConn asks for /healthz on a connection of its own.
func healthzOnNewConn(addr string) (int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return (&heldConn{Conn: c, br: bufio.NewReader(c)}).healthz()
}

// refusedAtOnce opens a connection and asks for /healthz; it returns nil
// when the server closes the connection instead of answering, and an
// error when it answers or makes the client wait until its deadline.
func refusedAtOnce(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.ECONNRESET) {
			return nil
		}
		return err
	}
	defer c.Close()
	status, err := (&heldConn{Conn: c, br: bufio.NewReader(c)}).healthz()
	var ne net.Error
	switch {
	case err == nil:
		return fmt.Errorf("served: /healthz = %d", status)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("kept waiting: %w", err)
	}
	return nil
}

func grepLines(s, substr string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
