package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"latchkey/internal/testdb"
)

// startServe runs `latchkey serve` until the test ends and returns the
// address of each listener, read from the log.
func startServe(t *testing.T, want int) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testdb.LogBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, nil, &bytes.Buffer{}, logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	listening := regexp.MustCompile(`listener=(console|gateway|metrics) addr=(\S+)`)
	var addrs map[string]string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		addrs = map[string]string{}
		for _, m := range listening.FindAllStringSubmatch(logs.String(), -1) {
			addrs[m[1]] = m[2]
		}
		if len(addrs) == want {
			return addrs
		}
	}
	t.Fatalf("listeners did not start; log:\n%s", logs.String())
	return nil
}

// tryGet sends GET on a connection of its own and reports a failure to
// connect or read as an error.
func tryGet(url, authorization string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", authorization)
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func get(t *testing.T, url, authorization string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serve wires metrics.addr, metrics.bearerToken and the connection caps:
// the metrics listener wants the token, the gateway serves no /metrics,
// and the gateway's cap refuses the connection over it.
func TestServeMetricsListenerAndConnectionCap(t *testing.T) {
	inTempDir(t)
	const token = "scrape-token-0123456789"
	t.Setenv("LATCHKEY_SERVER_CONSOLE_ADDR", "127.0.0.1:0")
	t.Setenv("LATCHKEY_SERVER_GATEWAY_ADDR", "127.0.0.1:0")
	t.Setenv("LATCHKEY_SERVER_GATEWAY_MAXCONNECTIONS", "1")
	t.Setenv("LATCHKEY_METRICS_ADDR", "127.0.0.1:0")
	t.Setenv("LATCHKEY_METRICS_BEARERTOKEN", token)
	addrs := startServe(t, 3)

	// The gateway holds one connection; the next is closed on arrival.
	held, err := net.Dial("tcp", addrs["gateway"])
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := held.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(bufio.NewReader(held), nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("held connection: %v %v", resp, err)
	}
	over, err := net.Dial("tcp", addrs["gateway"])
	if err == nil {
		defer over.Close()
		_ = over.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = over.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
		var ne net.Error
		resp, err := http.ReadResponse(bufio.NewReader(over), nil)
		if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
			t.Fatalf("connection over the cap: %v %v", resp, err)
		}
	}
	_, body := get(t, "http://"+addrs["metrics"]+"/metrics", "Bearer "+token)
	if !strings.Contains(body, `latchkey_connections_refused_total{listener="gateway"} 1`) {
		t.Errorf("refusal not counted:\n%s", body)
	}
	held.Close()

	if status, _ := get(t, "http://"+addrs["metrics"]+"/metrics", ""); status != http.StatusUnauthorized {
		t.Errorf("metrics listener without the token: %d", status)
	}
	status, body := get(t, "http://"+addrs["metrics"]+"/metrics", "Bearer "+token)
	if status != http.StatusOK || !strings.Contains(body, `latchkey_connections_open{listener="metrics"}`) {
		t.Fatalf("metrics listener with the token: %d\n%s", status, body)
	}
	if status, _ := get(t, "http://"+addrs["console"]+"/metrics", "Bearer "+token); status != http.StatusNotFound {
		t.Errorf("console /metrics with metrics.addr set: %d", status)
	}
	// The gateway's one place is free again once it has seen the close.
	for deadline := time.Now().Add(10 * time.Second); ; {
		status, err := tryGet("http://"+addrs["gateway"]+"/metrics", "Bearer "+token)
		if err == nil {
			if status != http.StatusNotFound {
				t.Errorf("gateway /metrics: %d", status)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway still refuses connections: %v", err)
		}
	}
}
