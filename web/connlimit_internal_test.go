package web

import (
	"io"
	"log/slog"
	"testing"

	"latchkey/config"
)

func TestConnectionCap(t *testing.T) {
	const reserved = reservedFiles + metricsMaxConnections
	for _, tc := range []struct {
		name              string
		configured, n, db int
		nofile            uint64
		want              int
	}{
		{"limit unknown", 10_000, 2, 25, 0, 10_000},
		{"limit unlimited", 10_000, 2, 25, 1 << 62, 10_000},
		{"plenty of room", 10_000, 2, 25, 1 << 20, 10_000},
		{"split between two listeners", 10_000, 2, 25, 1024, (1024 - 25 - reserved) / 2},
		{"one listener gets it all", 10_000, 1, 25, 1024, 1024 - 25 - reserved},
		{"configured below the room", 100, 2, 25, 1024, 100},
		{"no room at all", 10_000, 2, 25, 64, 1},
	} {
		if got := connectionCap(tc.configured, tc.n, tc.db, tc.nofile); got != tc.want {
			t.Errorf("%s: connectionCap(%d, %d, %d, %d) = %d, want %d", tc.name, tc.configured, tc.n, tc.db, tc.nofile, got, tc.want)
		}
	}
}

// The caps follow the configuration and are lowered to fit this process's
// descriptor limit.
func TestMaxConnections(t *testing.T) {
	cfg := config.Default()
	cfg.Server.Console.MaxConnections = 7
	caps := maxConnections(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if caps["console"] != 7 || caps["metrics"] != metricsMaxConnections {
		t.Errorf("caps = %v", caps)
	}
	if want := connectionCap(10_000, 2, cfg.Database.MaxOpenConns, openFileLimit()); caps["gateway"] != want {
		t.Errorf("gateway cap = %d, want %d", caps["gateway"], want)
	}
}
