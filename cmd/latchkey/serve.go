package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"latchkey/certrotate"
	"latchkey/config"
	"latchkey/internal/storeopts"
	"latchkey/models"
	"latchkey/notify"
	"latchkey/web"
)

// loadConfig parses --config and loads the configuration.
func loadConfig(fs *flag.FlagSet, args []string) (*config.Config, error) {
	path := fs.String("config", os.Getenv(config.EnvConfig), "configuration file (default ./latchkey.yml when present)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return config.Load(*path, os.Environ())
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs the enabled listeners until ctx is cancelled, then shuts them
// down gracefully: in-flight requests finish, then the database is closed.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations; refuse to serve while the schema is behind")
	cfg, err := loadConfig(fs, args)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	opts := storeopts.FromConfig(cfg)
	if *noMigrate {
		opts = append(opts, models.WithoutMigrating())
	}
	store, err := models.Open(ctx, cfg.Database.DSN, log, opts...)
	if err != nil {
		return err
	}
	if *noMigrate {
		if err := schemaCurrent(ctx, store); err != nil {
			store.Close()
			return err
		}
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("close database", "err", err)
		}
		log.Info("stopped")
	}()
	if err := firstAdmin(ctx, cfg, store, log); err != nil {
		return err
	}
	srv, err := web.New(ctx, cfg, store, log)
	if err != nil {
		return err
	}
	// The expiry notifier runs on its schedule with the server's context; the
	// deferred Stop waits for a run in progress, before the database closes.
	var notifier *notify.Notifier
	if notify.Enabled(cfg) {
		n, err := notify.New(store, cfg, log)
		if err != nil {
			return err
		}
		n.Metrics = srv.Metrics
		n.Start(ctx)
		defer n.Stop()
		notifier = n
	} else {
		log.Info("notifier disabled")
	}

	// System certificates are rotated before they expire by every node;
	// each rotation happens once (see models.Store.RotateExpiringCertificates).
	rotator := certrotate.New(store, log)
	if notifier != nil {
		// The domain's owners hear of each automatic rotation once: only
		// the node that made it is told, and the ledger decides each
		// notice once.
		rotator.OnRotated = func(ctx context.Context, rs []models.Rotation) {
			if _, err := notifier.NotifyRotations(ctx, rs); err != nil && ctx.Err() == nil {
				log.Error("rotation notice failed", "err", err)
			}
		}
	}
	rotator.Start(ctx)
	defer rotator.Stop()

	var servers []*http.Server
	var listeners []net.Listener
	add := func(name string, l config.Listener, h http.Handler) error {
		if !l.Enabled {
			log.Info("listener disabled", "listener", name)
			return nil
		}
		ln, err := srv.Listen(name, l.Addr)
		if err != nil {
			return fmt.Errorf("%s listener on %s: %w", name, l.Addr, err)
		}
		log.Info("listening", "listener", name, "addr", ln.Addr().String())
		listeners = append(listeners, ln)
		servers = append(servers, &http.Server{
			Handler:           h,
			ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout.Duration,
			ReadTimeout:       cfg.Server.ReadTimeout.Duration,
			WriteTimeout:      cfg.Server.WriteTimeout.Duration,
			IdleTimeout:       cfg.Server.IdleTimeout.Duration,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		})
		return nil
	}
	if err := add("console", cfg.Server.Console, srv.Console); err != nil {
		return err
	}
	if srv.MetricsOnly != nil {
		if err := add("metrics", config.Listener{Enabled: true, Addr: cfg.Metrics.Addr}, srv.MetricsOnly); err != nil {
			for _, ln := range listeners {
				ln.Close()
			}
			return err
		}
	}
	if err := add("gateway", cfg.Server.Gateway, srv.Gateway); err != nil {
		for _, ln := range listeners {
			ln.Close()
		}
		return err
	}

	// Background work (last-used times, failure summaries) stops only after
	// the listeners, and the database closes only after it has flushed.
	bgCtx, stopBackground := context.WithCancel(context.Background())
	bgDone := make(chan struct{})
	go func() {
		defer close(bgDone)
		srv.Run(bgCtx)
	}()
	defer func() {
		stopBackground()
		<-bgDone
	}()

	errc := make(chan error, len(servers))
	for i, s := range servers {
		go func() {
			if err := s.Serve(listeners[i]); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-errc:
		log.Error("server failed", "err", runErr)
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Shutdown(shutdownCtx); err != nil {
				log.Error("graceful shutdown incomplete", "err", err)
			}
		}()
	}
	wg.Wait()
	return runErr
}

// firstAdmin creates the configured bootstrap administrator, or logs the
// one-time setup link when no user exists yet.
func firstAdmin(ctx context.Context, cfg *config.Config, store *models.Store, log *slog.Logger) error {
	if b := cfg.Bootstrap.Admin; b.Email != "" {
		u, err := store.BootstrapAdmin(ctx, models.NewUser{Email: b.Email, Name: b.Name, Password: b.Password})
		if fe, ok := models.AsFieldErrors(err); ok {
			return fmt.Errorf("config: bootstrap.admin: %v", fe)
		}
		if err != nil {
			return err
		}
		if u != nil {
			log.Info("created bootstrap administrator", "email", u.Email)
		}
	}
	token, err := store.StartSetup(ctx)
	if err != nil {
		return err
	}
	if token != "" {
		link := strings.TrimSuffix(cfg.Server.PublicURL, "/") + "/setup?token=" + token
		log.Warn("no administrator exists yet: open this one-time link to create one", "url", link,
			"valid", "until the first administrator is created or Latchkey restarts")
	}
	return nil
}

// withTimeout is a small helper for CLI commands that talk to the database.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 30*time.Second)
}
