package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthCommand runs `latchkey health`: it asks this machine's console
// listener (the gateway's when the console is disabled) for /healthz and
// fails unless it answers 200. It is the image's HEALTHCHECK: a scratch image
// has no curl, so the binary checks itself.
func healthCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("path", "/healthz", "probe path: /healthz (liveness) or /readyz (readiness)")
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	l := cfg.Server.Console
	if !l.Enabled {
		l = cfg.Server.Gateway
	}
	if !l.Enabled {
		return fmt.Errorf("health: no listener is enabled")
	}
	host, port, err := net.SplitHostPort(l.Addr)
	if err != nil {
		return fmt.Errorf("health: listener address %q: %w", l.Addr, err)
	}
	// A wildcard listen address is reached on loopback.
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port) + *path
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %d: %s", url, resp.StatusCode, body)
	}
	fmt.Fprintf(stdout, "%s: %s", url, body)
	return nil
}
