package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"latchkey/internal/testdb"
)

// node is one `latchkey serve` process of the test.
type node struct {
	cmd  *exec.Cmd
	logs *testdb.LogBuffer
	addr map[string]string // listener → host:port
}

// buildBinary compiles latchkey once for the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "latchkey")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startNode runs `latchkey serve` with env and waits for its listeners.
func startNode(t *testing.T, bin, dir string, env ...string) *node {
	t.Helper()
	n := &node{logs: &testdb.LogBuffer{}, addr: map[string]string{}}
	n.cmd = exec.Command(bin, "serve")
	n.cmd.Dir = dir
	n.cmd.Env = append(os.Environ(), env...)
	n.cmd.Stderr = n.logs
	n.cmd.Stdout = io.Discard
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = n.cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- n.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = n.cmd.Process.Kill()
			t.Errorf("node did not stop on SIGINT; log:\n%s", n.logs.String())
		}
	})
	listening := regexp.MustCompile(`msg=listening listener=(\w+) addr=(\S+)`)
	want := 0
	for _, e := range env {
		if strings.HasPrefix(e, "LATCHKEY_SERVER_") && strings.HasSuffix(e, "_ENABLED=true") {
			want++
		}
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, m := range listening.FindAllStringSubmatch(n.logs.String(), -1) {
			n.addr[m[1]] = m[2]
		}
		if len(n.addr) >= want {
			return n
		}
	}
	t.Fatalf("node did not start; log:\n%s", n.logs.String())
	return nil
}

// api calls the Management API of the console node.
type api struct {
	t     *testing.T
	base  string
	token string
}

func (a *api) call(method, path string, body any, out any) int {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// TestTwoNodesShareOneDatabase: a console-only node and a gateway-only node
// on one database (PostgreSQL with LATCHKEY_TEST_DSN, else one SQLite
// file). Secrets created or deleted through the console node are accepted
// or refused by the gateway node on the very next request.
func TestTwoNodesShareOneDatabase(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	dsn := testdb.DSN(t)
	common := []string{
		"LATCHKEY_DATABASE_DSN=" + dsn,
		"LATCHKEY_SECURITY_KEYENCRYPTIONKEY=" + testdb.KEKBase64(),
		"LATCHKEY_BOOTSTRAP_ADMIN_EMAIL=ops@example.com",
		"LATCHKEY_BOOTSTRAP_ADMIN_PASSWORD=multi-node password",
		// Both nodes run the notifier every second: each notice must
		// still be delivered once.
		"LATCHKEY_SERVICES_NOTIFIER_ENABLED=true",
		"LATCHKEY_SERVICES_NOTIFIER_CLIENT_SECRET_CRONEXPRESSION=* * * * * *",
	}
	console := startNode(t, bin, dir, append(common,
		"LATCHKEY_SERVER_CONSOLE_ENABLED=true", "LATCHKEY_SERVER_CONSOLE_ADDR=127.0.0.1:0",
		"LATCHKEY_SERVER_GATEWAY_ENABLED=false")...)
	gateway := startNode(t, bin, dir, append(common,
		"LATCHKEY_SERVER_CONSOLE_ENABLED=false",
		"LATCHKEY_SERVER_GATEWAY_ENABLED=true", "LATCHKEY_SERVER_GATEWAY_ADDR=127.0.0.1:0")...)
	cbase, gbase := "http://"+console.addr["console"], "http://"+gateway.addr["gateway"]
	if _, ok := gateway.addr["console"]; ok {
		t.Fatal("the gateway-only node serves the console")
	}

	// Management API token through the console node.
	req, _ := http.NewRequest(http.MethodPost, cbase+"/management/auth/token", nil)
	req.SetBasicAuth("ops@example.com", "multi-node password")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("auth/token: %d", resp.StatusCode)
	}
	a := &api{t: t, base: cbase + "/management/organizations/DEFAULT/environments/DEFAULT", token: tok.AccessToken}

	var dom struct{ ID, HRID string }
	if st := a.call(http.MethodPost, "/domains", map[string]any{"name": "Scale"}, &dom); st != 201 {
		t.Fatalf("create domain: %d", st)
	}
	var app struct {
		ID       string `json:"id"`
		Settings struct {
			OAuth struct {
				ClientID     string `json:"clientId"`
				ClientSecret string `json:"clientSecret"`
			} `json:"oauth"`
		} `json:"settings"`
	}
	if st := a.call(http.MethodPost, "/domains/"+dom.ID+"/applications", map[string]any{"name": "Svc", "type": "service"}, &app); st != 201 {
		t.Fatalf("create application: %d", st)
	}
	clientID, first := app.Settings.OAuth.ClientID, app.Settings.OAuth.ClientSecret

	token := func(secret string) int {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
		resp, err := http.PostForm(gbase+"/"+dom.HRID+"/oauth/token", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := token(first); st != 200 {
		t.Fatalf("gateway node refused the Default secret: %d", st)
	}
	var second struct{ ID, Secret string }
	if st := a.call(http.MethodPost, "/domains/"+dom.ID+"/applications/"+app.ID+"/secrets", map[string]any{"name": "second"}, &second); st != 201 {
		t.Fatalf("create secret: %d", st)
	}
	if st := token(second.Secret); st != 200 {
		t.Fatalf("new secret not accepted on the next request: %d", st)
	}
	var list []struct{ ID, Name string }
	a.call(http.MethodGet, "/domains/"+dom.ID+"/applications/"+app.ID+"/secrets", nil, &list)
	var firstID string
	for _, s := range list {
		if s.Name == "Default" {
			firstID = s.ID
		}
	}
	if st := a.call(http.MethodDelete, "/domains/"+dom.ID+"/applications/"+app.ID+"/secrets/"+firstID, nil, nil); st != 204 {
		t.Fatalf("delete: %d", st)
	}
	if st := token(first); st != 401 {
		t.Fatalf("deleted secret still accepted by the other node: %d", st)
	}
	if st := token(second.Secret); st != 200 {
		t.Fatalf("remaining secret refused: %d", st)
	}
	var renewed struct{ Secret string }
	if st := a.call(http.MethodPost, "/domains/"+dom.ID+"/applications/"+app.ID+"/secrets/"+second.ID+"/_renew", nil, &renewed); st != 200 {
		t.Fatalf("renew: %d", st)
	}
	if st := token(second.Secret); st != 401 {
		t.Fatalf("renewed-away value still accepted by the other node: %d", st)
	}
	if st := token(renewed.Secret); st != 200 {
		t.Fatalf("renewed value refused: %d", st)
	}
	// An expiry policy of 1 day makes a new secret due for its "will
	// expire" notice at the 1-day threshold. Both notifiers scan every
	// second; the console (ui) channel must hold exactly one notice.
	if st := a.call(http.MethodPatch, "/domains/"+dom.ID, map[string]any{"secretSettings": map[string]any{"enabled": true, "expiryTimeUnit": "DAYS", "expiryTimeDuration": 1}}, nil); st != 200 {
		t.Fatalf("patch domain policy: %d", st)
	}
	var expiring struct{ ID string }
	if st := a.call(http.MethodPost, "/domains/"+dom.ID+"/applications/"+app.ID+"/secrets", map[string]any{"name": "expiring"}, &expiring); st != 201 {
		t.Fatalf("create expiring secret: %d", st)
	}
	count := func() int {
		var list []map[string]any
		if st := (&api{t: t, base: cbase, token: tok.AccessToken}).call(http.MethodGet, "/management/user/notifications", nil, &list); st != 200 {
			t.Fatalf("notifications: %d", st)
		}
		n := 0
		for _, item := range list {
			if b, _ := json.Marshal(item); strings.Contains(string(b), "expiring") {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(20 * time.Second)
	for count() == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // several more runs on both nodes
	if n := count(); n != 1 {
		t.Fatalf("%d console notices for the expiring secret, want exactly 1", n)
	}

	for _, n := range []*node{console, gateway} {
		if strings.Contains(n.logs.String(), "level=ERROR") {
			t.Errorf("a node logged an error:\n%s", n.logs.String())
		}
	}
}
