package web

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"latchkey/config"
	"latchkey/handlers"
	"latchkey/models"
	"latchkey/views"
)

const (
	sessionCookie = "latchkey_session"
	keyUserID     = "uid"
	keyIssuedAt   = "iat"
)

// cookieSessions keeps the session in a signed and encrypted cookie (no
// server-side state, so any console node can serve any request).
type cookieSessions struct {
	store  *sessions.CookieStore
	secure string // "auto", "always" or "never"
	https  bool   // publicURL is https
	maxAge int
}

// newSessions builds the cookie store. Keys come from the configuration or,
// when it has none, are generated once and kept in the database so restarts
// and other nodes keep people signed in.
func newSessions(ctx context.Context, cfg *config.Config, store *models.Store) (*cookieSessions, error) {
	hashKey, blockKey := cfg.SessionHashKey(), cfg.SessionBlockKey()
	if hashKey == nil {
		v, err := store.EnsureSetting(ctx, "session.hashKey", models.RandomKey(64))
		if err != nil {
			return nil, err
		}
		if hashKey, err = base64.StdEncoding.DecodeString(v); err != nil {
			return nil, err
		}
	}
	if blockKey == nil {
		v, err := store.EnsureSetting(ctx, "session.blockKey", models.RandomKey(32))
		if err != nil {
			return nil, err
		}
		if blockKey, err = base64.StdEncoding.DecodeString(v); err != nil {
			return nil, err
		}
	}
	cs := sessions.NewCookieStore(hashKey, blockKey)
	maxAge := int(cfg.Session.MaxAge.Seconds())
	cs.MaxAge(maxAge)
	return &cookieSessions{
		store:  cs,
		secure: cfg.Session.SecureCookie,
		https:  strings.HasPrefix(cfg.Server.PublicURL, "https://"),
		maxAge: maxAge,
	}, nil
}

func (s *cookieSessions) get(c echo.Context) *sessions.Session {
	// A tampered or stale cookie yields an error and a fresh, empty session:
	// the person is simply not signed in.
	sess, _ := s.store.Get(c.Request(), sessionCookie)
	return sess
}

func (s *cookieSessions) save(c echo.Context, sess *sessions.Session) error {
	opts := *sess.Options
	opts.Path = "/"
	opts.HttpOnly = true
	opts.SameSite = http.SameSiteLaxMode
	switch s.secure {
	case "always":
		opts.Secure = true
	case "never":
		opts.Secure = false
	default:
		opts.Secure = s.https || c.Request().TLS != nil || c.Request().Header.Get("X-Forwarded-Proto") == "https"
	}
	sess.Options = &opts
	return sess.Save(c.Request(), c.Response())
}

// Login implements handlers.Sessions.
func (s *cookieSessions) Login(c echo.Context, u *models.User) error {
	sess := s.get(c)
	for k := range sess.Values {
		delete(sess.Values, k)
	}
	sess.Values[keyUserID] = u.ID
	sess.Values[keyIssuedAt] = time.Now().UnixMilli()
	sess.Options.MaxAge = s.maxAge
	c.Set(handlers.UserKey, u)
	return s.save(c, sess)
}

// Logout implements handlers.Sessions.
func (s *cookieSessions) Logout(c echo.Context) error {
	sess := s.get(c)
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	return s.save(c, sess)
}

// AddFlash implements handlers.Sessions.
func (s *cookieSessions) AddFlash(c echo.Context, kind, message string) error {
	sess := s.get(c)
	sess.AddFlash(kind + "\x00" + message)
	return s.save(c, sess)
}

// Flashes implements handlers.Sessions.
func (s *cookieSessions) Flashes(c echo.Context) []views.Flash {
	sess := s.get(c)
	raw := sess.Flashes()
	if len(raw) == 0 {
		return nil
	}
	_ = s.save(c, sess)
	out := make([]views.Flash, 0, len(raw))
	for _, f := range raw {
		str, _ := f.(string)
		kind, msg, ok := strings.Cut(str, "\x00")
		if !ok {
			kind, msg = "success", str
		}
		out = append(out, views.Flash{Kind: kind, Message: msg})
	}
	return out
}

// loadUser puts the signed-in user in the context. Sessions of disabled or
// deleted users, or issued before the user's last password change, are ended.
func (s *cookieSessions) loadUser(store *models.Store) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if strings.HasPrefix(c.Request().URL.Path, "/static/") {
				return next(c) // assets need no user: skip the session and the query
			}
			sess := s.get(c)
			id, _ := sess.Values[keyUserID].(string)
			if id == "" {
				return next(c)
			}
			iat, _ := sess.Values[keyIssuedAt].(int64)
			u, err := store.UserByID(c.Request().Context(), id)
			if err != nil && err != models.ErrNotFound {
				return err
			}
			if u == nil || u.Disabled || u.PasswordChangedAt.UnixMilli() > iat {
				if err := s.Logout(c); err != nil {
					return err
				}
				return next(c)
			}
			c.Set(handlers.UserKey, u)
			return next(c)
		}
	}
}
