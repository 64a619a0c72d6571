// Package web assembles Latchkey's HTTP servers: every route of both
// listeners (routes.go), middleware (sessions, CSRF, authentication,
// security headers) and the error handlers.
//
// It may import config, gateway, handlers, metrics, models, static, throttle
// and views; only cmd/latchkey (and the load tests in bench/) import it.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"latchkey/config"
	"latchkey/gateway"
	"latchkey/handlers"
	"latchkey/metrics"
	"latchkey/models"
	"latchkey/throttle"
)

// Server holds the two HTTP handlers of one Latchkey process and the
// background work they rely on.
type Server struct {
	// Console serves the pages and the Management API.
	Console http.Handler
	// Gateway serves the OAuth endpoints.
	Gateway http.Handler

	// MetricsOnly serves /metrics on the metrics.addr listener; nil when
	// metrics.addr is empty or metrics are off.
	MetricsOnly http.Handler

	// Metrics is the process's Prometheus registry and metrics; /metrics
	// serves it on the console listener (to administrators and the bearer
	// token) unless metrics.addr gives it its own. Never on the gateway.
	Metrics *metrics.Metrics

	// maxConns is each listener's connection cap (see Listen).
	maxConns map[string]int

	lastUsed *models.LastUsedRecorder
	failures *gateway.FailureSummary
	store    *models.Store
	log      *slog.Logger
}

// Background flush periods: lastUsedAt is shown to the minute, failure
// summaries are audit rows per client per minute.
const (
	lastUsedFlushEvery = 10 * time.Second
	summaryFlushEvery  = time.Minute
)

// Run does the server's background work until ctx ends, then flushes what
// is pending (last-used times, failure summaries) and returns. Cancel ctx
// only after the listeners have shut down, and close the database only
// after Run has returned, so nothing is lost at shutdown.
func (s *Server) Run(ctx context.Context) {
	logErr := func(what string) func(error) {
		return func(err error) { s.log.Error(what, "err", err) }
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.lastUsed.Run(ctx, lastUsedFlushEvery, logErr("record last use of secrets"))
	}()
	t := time.NewTicker(summaryFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := s.failures.Flush(ctx); err != nil {
				s.log.Error("record failed client authentications", "err", err)
			}
			gateway.PurgeAssertionJTIs(ctx, s.store, logErr("purge expired client assertion jtis"))
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := s.failures.Flush(fctx); err != nil {
				s.log.Error("record failed client authentications", "err", err)
			}
			cancel()
			<-done
			return
		}
	}
}

// New builds both handlers. The store comes with the configuration's
// limits (applications.secretsMax, the first expiry threshold) from
// models.Open's options.
func New(ctx context.Context, cfg *config.Config, store *models.Store, log *slog.Logger) (*Server, error) {
	sess, err := newSessions(ctx, cfg, store)
	if err != nil {
		return nil, err
	}
	h := &handlers.Handler{
		Store:    store,
		Sessions: sess,
		Logins:   throttle.New(cfg.Security.Login.MaxAttempts, cfg.Security.Login.Window.Duration),
		Log:      log,

		GatewayURL: cfg.Server.GatewayURL,
	}
	sqlDB, err := store.SQLDB()
	if err != nil {
		return nil, err
	}
	srv := &Server{
		Metrics:  metrics.New(store, sqlDB),
		lastUsed: models.NewLastUsedRecorder(store),
		failures: gateway.NewFailureSummary(store),
		store:    store,
		log:      log,
	}
	gw := gateway.New(store, srv.lastUsed,
		throttle.New(cfg.Security.Token.MaxAttempts, cfg.Security.Token.Window.Duration),
		srv.failures, cfg.Server.GatewayURL, log, srv.Metrics)
	gw.AssertionMaxLifetime = cfg.Gateway.ClientAssertion.MaxLifetime.Duration
	var metricsHandler echo.HandlerFunc
	token := newBearerToken(cfg.Metrics.BearerToken)
	switch {
	case !cfg.Metrics.Enabled:
	case cfg.Metrics.Addr != "":
		srv.MetricsOnly = metricsOnly(srv.Metrics.Handler(), token)
	default:
		metricsHandler = metricsAccess(token)(echo.WrapHandler(srv.Metrics.Handler()))
	}
	proxies, err := cfg.TrustedProxyNets()
	if err != nil {
		return nil, err
	}
	srv.maxConns = maxConnections(cfg, log)
	srv.Console = console(h, sess, log, metricsHandler, proxies, cfg.Log.Access)
	srv.Gateway = gatewayServer(h, gw, log, proxies, cfg.Log.Access)
	return srv, nil
}

// maxConnections returns the connection cap of each listener: the
// configured maxConnections, lowered (and logged) when the descriptor
// limit leaves less room.
func maxConnections(cfg *config.Config, log *slog.Logger) map[string]int {
	caps := map[string]int{"metrics": metricsMaxConnections}
	n := 0
	for _, l := range []config.Listener{cfg.Server.Console, cfg.Server.Gateway} {
		if l.Enabled {
			n++
		}
	}
	nofile := openFileLimit()
	for name, l := range map[string]config.Listener{"console": cfg.Server.Console, "gateway": cfg.Server.Gateway} {
		caps[name] = connectionCap(l.MaxConnections, n, cfg.Database.MaxOpenConns, nofile)
		if l.Enabled && caps[name] < l.MaxConnections {
			log.Warn("connection cap lowered to fit the open-file limit (raise it with ulimit -n or LimitNOFILE=)",
				"listener", name, "maxConnections", caps[name], "configured", l.MaxConnections, "RLIMIT_NOFILE", nofile)
		}
	}
	return caps
}

// Listen opens the TCP listener of one of the server's listeners
// ("console", "gateway" or "metrics") on addr, with its connection cap:
// connections over the cap are closed on arrival and counted in
// latchkey_connections_refused_total.
func (s *Server) Listen(listener, addr string) (net.Listener, error) {
	limit, ok := s.maxConns[listener]
	if !ok {
		return nil, fmt.Errorf("web: unknown listener %q", listener)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return newCappedListener(ln, limit,
		s.Metrics.ConnectionsOpen.WithLabelValues(listener),
		s.Metrics.ConnectionsRefused.WithLabelValues(listener)), nil
}

func newEcho(log *slog.Logger, listener string, proxies []*net.IPNet, access bool) *echo.Echo {
	e := newBareEcho(proxies)
	e.Use(commonMiddleware(log, listener, access)...)
	return e
}

// newBareEcho is an Echo with its client address extractor and no
// middleware yet.
func newBareEcho(proxies []*net.IPNet) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	// The peer address, and X-Forwarded-For only from configured proxies:
	// a client could otherwise pick its own address and slip past
	// per-address rate limits.
	e.IPExtractor = echo.ExtractIPDirect()
	if len(proxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range proxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	return e
}

// commonMiddleware is the middleware of every listener, outermost first.
func commonMiddleware(log *slog.Logger, listener string, access bool) []echo.MiddlewareFunc {
	mw := []echo.MiddlewareFunc{middleware.Recover(), requestID}
	if access {
		mw = append(mw, accessLog(log, listener))
	} else {
		mw = append(mw, requestLogger(log, listener))
	}
	return append(mw, middleware.BodyLimit("1M"))
}

// prebuilt composes mw once around the request's routed handler and
// returns the one middleware that hands that composition out. Echo
// applies its e.Use middleware anew on every request, a closure per
// middleware per request; the gateway, whose token endpoint is measured
// against a bare handler, builds its chain once. It ignores the handler it
// is given, which is the routed one (c.Handler()), so it must be the only
// e.Use middleware of its Echo.
func prebuilt(mw ...echo.MiddlewareFunc) echo.MiddlewareFunc {
	h := func(c echo.Context) error { return c.Handler()(c) }
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return func(echo.HandlerFunc) echo.HandlerFunc { return h }
}

func console(h *handlers.Handler, sess *serverSessions, log *slog.Logger, metricsHandler echo.HandlerFunc, proxies []*net.IPNet, access bool) *echo.Echo {
	e := newEcho(log, "console", proxies, access)
	e.HTTPErrorHandler = consoleErrorHandler(log)
	e.Use(securityHeaders, cleanInput, sess.loadUser, sess.csrfProtection)
	consoleRoutes(e, h, metricsHandler)
	return e
}

func gatewayServer(h *handlers.Handler, gw *gateway.Gateway, log *slog.Logger, proxies []*net.IPNet, access bool) *echo.Echo {
	e := newBareEcho(proxies)
	e.HTTPErrorHandler = jsonErrorHandler(log)
	e.Use(prebuilt(append(commonMiddleware(log, "gateway", access), gatewayHeaders)...))
	gatewayRoutes(e, h, gw)
	return e
}

// gatewayHeaders sets the headers every gateway response carries: OAuth
// responses hold tokens and must not be cached.
func gatewayHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h["Cache-Control"] = headerNoStore
		h["X-Content-Type-Options"] = headerNoSniff
		return next(c)
	}
}

// Shared values of the gateway's constant headers, assigned without an
// allocation per request. net/http only reads them, and their capacity is
// their length, so an append elsewhere copies.
var (
	headerNoStore = []string{"no-store"}
	headerNoSniff = []string{"nosniff"}
)

// Flush writes pending last-used times and failure summaries now, without
// waiting for the next background tick.
func (s *Server) Flush(ctx context.Context) error {
	if err := s.lastUsed.Flush(ctx); err != nil {
		return err
	}
	return s.failures.Flush(ctx)
}
