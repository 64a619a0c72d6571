// Package web assembles Latchkey's HTTP servers: routes, middleware
// (sessions, CSRF, authentication, security headers) and the error handler.
package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"latchkey/config"
	"latchkey/handlers"
	"latchkey/metrics"
	"latchkey/models"
	"latchkey/static"
)

// Server holds the two HTTP handlers of one Latchkey process and the
// background work they rely on.
type Server struct {
	// Console serves the pages and the Management API.
	Console http.Handler
	// Gateway serves the OAuth endpoints.
	Gateway http.Handler

	// Metrics is the process's Prometheus registry and metrics; /metrics
	// serves it on both listeners unless metrics.addr gives it its own.
	Metrics *metrics.Metrics

	lastUsed *models.LastUsedRecorder
	failures *handlers.FailureSummary
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
		Logins:   newFailureLimiter(cfg.Security.Login.MaxAttempts, cfg.Security.Login.Window.Duration),
		Log:      log,
	}
	sqlDB, err := store.SQLDB()
	if err != nil {
		return nil, err
	}
	srv := &Server{
		Metrics:  metrics.New(store, sqlDB),
		lastUsed: models.NewLastUsedRecorder(store),
		failures: handlers.NewFailureSummary(store),
		log:      log,
	}
	gw := handlers.NewGateway(store, srv.lastUsed,
		newFailureLimiter(cfg.Security.Token.MaxAttempts, cfg.Security.Token.Window.Duration),
		srv.failures, cfg.Server.GatewayURL, log, srv.Metrics)
	var metricsHandler http.Handler
	if cfg.Metrics.Enabled && cfg.Metrics.Addr == "" {
		metricsHandler = srv.Metrics.Handler()
	}
	proxies, err := cfg.TrustedProxyNets()
	if err != nil {
		return nil, err
	}
	srv.Console = console(h, sess, store, log, metricsHandler, proxies)
	srv.Gateway = gateway(h, gw, log, metricsHandler, proxies)
	return srv, nil
}

func newEcho(log *slog.Logger, listener string, proxies []*net.IPNet) *echo.Echo {
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
	e.Use(middleware.Recover())
	e.Use(requestLogger(log, listener))
	e.Use(middleware.BodyLimit("1M"))
	return e
}

func console(h *handlers.Handler, sess *cookieSessions, store *models.Store, log *slog.Logger, metricsHandler http.Handler, proxies []*net.IPNet) *echo.Echo {
	e := newEcho(log, "console", proxies)
	e.HTTPErrorHandler = consoleErrorHandler(log)
	e.Use(securityHeaders, cleanInput, csrfProtection(), sess.loadUser(store))

	e.GET("/healthz", h.Healthz)
	if metricsHandler != nil {
		e.GET("/metrics", echo.WrapHandler(metricsHandler))
	}
	e.GET("/static/*", echo.WrapHandler(static.Handler()))
	e.GET("/setup", h.SetupForm)
	e.POST("/setup", h.Setup)
	e.GET("/login", h.LoginForm)
	e.POST("/login", h.Login)
	e.POST("/logout", h.Logout)

	// Pages for every signed-in user; writes need the admin role. Route-level
	// middleware (not groups) keeps unknown paths a plain 404 for everyone.
	r := routes{e, []echo.MiddlewareFunc{requireLogin}}
	w := routes{e, []echo.MiddlewareFunc{requireLogin, requireAdmin}}
	r.GET("/", h.Home)
	r.GET("/account", h.Account)
	r.POST("/account/password", h.ChangePassword)
	r.GET("/audit", h.AuditLog)

	r.GET("/domains", h.ListDomains)
	w.GET("/domains/new", h.NewDomain)
	w.POST("/domains", h.CreateDomain)
	r.GET("/domains/:domain", h.ShowDomain)
	w.GET("/domains/:domain/edit", h.EditDomain)
	w.POST("/domains/:domain", h.UpdateDomain)
	w.GET("/domains/:domain/delete", h.ConfirmDeleteDomain)
	w.POST("/domains/:domain/delete", h.DeleteDomain)

	r.GET("/domains/:domain/settings/client-secrets", h.DomainSecretSettings)
	w.POST("/domains/:domain/settings/client-secrets", h.SaveDomainSecretSettings)

	w.GET("/domains/:domain/applications/new", h.NewApplication)
	w.POST("/domains/:domain/applications", h.CreateApplication)
	r.GET("/domains/:domain/applications/:app", h.ShowApplication)
	r.GET("/domains/:domain/applications/:app/secrets", h.ShowSecrets)
	w.GET("/domains/:domain/applications/:app/secrets/new", h.NewSecret)
	w.POST("/domains/:domain/applications/:app/secrets", h.CreateSecret)
	w.GET("/domains/:domain/applications/:app/secrets/settings", h.SecretSettings)
	w.POST("/domains/:domain/applications/:app/secrets/settings", h.SaveSecretSettings)
	w.GET("/domains/:domain/applications/:app/secrets/:secret/renew", h.ConfirmRenewSecret)
	w.POST("/domains/:domain/applications/:app/secrets/:secret/renew", h.RenewSecret)
	w.GET("/domains/:domain/applications/:app/secrets/:secret/delete", h.ConfirmDeleteSecret)
	w.POST("/domains/:domain/applications/:app/secrets/:secret/delete", h.DeleteSecret)
	w.GET("/domains/:domain/applications/:app/edit", h.EditApplication)
	w.POST("/domains/:domain/applications/:app", h.UpdateApplication)
	w.GET("/domains/:domain/applications/:app/delete", h.ConfirmDeleteApplication)
	w.POST("/domains/:domain/applications/:app/delete", h.DeleteApplication)

	w.GET("/users", h.ListUsers)
	w.GET("/users/new", h.NewUser)
	w.POST("/users", h.CreateUser)
	w.GET("/users/:user/edit", h.EditUser)
	w.POST("/users/:user", h.UpdateUser)
	notificationRoutes(e, h)
	apiRoutes(e, h)
	return e
}

func gateway(h *handlers.Handler, gw *handlers.Gateway, log *slog.Logger, metricsHandler http.Handler, proxies []*net.IPNet) *echo.Echo {
	e := newEcho(log, "gateway", proxies)
	e.HTTPErrorHandler = jsonErrorHandler(log)
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set("Cache-Control", "no-store")
			c.Response().Header().Set("X-Content-Type-Options", "nosniff")
			return next(c)
		}
	})
	e.GET("/healthz", h.Healthz)
	if metricsHandler != nil {
		e.GET("/metrics", echo.WrapHandler(metricsHandler))
	}
	e.POST("/:hrid/oauth/token", gw.Token, gw.Observe("token"))
	e.POST("/:hrid/oauth/introspect", gw.Introspect, gw.Observe("introspect"))
	e.GET("/:hrid/oauth/jwks", gw.JWKS)
	e.GET("/:hrid/oidc/.well-known/openid-configuration", gw.Discovery)
	return e
}

// routes registers handlers with a fixed middleware chain.
type routes struct {
	e  *echo.Echo
	mw []echo.MiddlewareFunc
}

func (r routes) GET(path string, h echo.HandlerFunc)  { r.e.GET(path, h, r.mw...) }
func (r routes) POST(path string, h echo.HandlerFunc) { r.e.POST(path, h, r.mw...) }

// Flush writes pending last-used times and failure summaries now, without
// waiting for the next background tick.
func (s *Server) Flush(ctx context.Context) error {
	if err := s.lastUsed.Flush(ctx); err != nil {
		return err
	}
	return s.failures.Flush(ctx)
}
