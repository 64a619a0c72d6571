package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
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
	// hostPrefix is added to the cookie names over HTTPS: a browser then
	// takes the cookie only from this host, Secure and for Path=/, so a
	// sibling subdomain or a plain-http page cannot plant one.
	hostPrefix = "__Host-"
	// keyToken is the cookie's only lasting value: the session's random
	// token, whose digest names the session in the database. Flashes ride
	// along for one redirect.
	keyToken = "sid"
)

// serverSessions keeps console sessions in the database (models.Session)
// and their token in a signed and encrypted gorilla/sessions cookie, so any
// console node can serve any request and a session ends everywhere at once.
type serverSessions struct {
	cookies *sessions.CookieStore
	store   *models.Store
	secure  string // "auto", "always" or "never"
	https   bool   // publicURL is https
	maxAge  time.Duration
	// csrfKey signs the CSRF tokens (csrf.go).
	csrfKey []byte
}

// newSessions builds the session store. Keys come from the configuration
// or, when it has none, are generated once and kept in the database so
// restarts and other nodes keep people signed in.
func newSessions(ctx context.Context, cfg *config.Config, store *models.Store) (*serverSessions, error) {
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
	cs.MaxAge(int(cfg.Session.MaxAge.Seconds()))
	// The CSRF key is derived, not the hash key itself: one key, one use.
	mac := hmac.New(sha256.New, hashKey)
	mac.Write([]byte("latchkey csrf token key"))
	return &serverSessions{
		cookies: cs,
		store:   store,
		secure:  cfg.Session.SecureCookie,
		https:   strings.HasPrefix(cfg.Server.PublicURL, "https://"),
		maxAge:  cfg.Session.MaxAge.Duration,
		csrfKey: mac.Sum(nil),
	}, nil
}

// secureRequest reports whether this request's cookies are Secure (and so
// named with the __Host- prefix).
func (s *serverSessions) secureRequest(c echo.Context) bool {
	switch s.secure {
	case "always":
		return true
	case "never":
		return false
	}
	return s.https || c.Request().TLS != nil || c.Request().Header.Get("X-Forwarded-Proto") == "https"
}

// cookieName is base, with the __Host- prefix when the cookie is Secure.
func (s *serverSessions) cookieName(c echo.Context, base string) string {
	if s.secureRequest(c) {
		return hostPrefix + base
	}
	return base
}

func (s *serverSessions) get(c echo.Context) *sessions.Session {
	// A tampered or stale cookie yields an error and a fresh, empty session:
	// the person is simply not signed in.
	sess, _ := s.cookies.Get(c.Request(), s.cookieName(c, sessionCookie))
	return sess
}

func (s *serverSessions) save(c echo.Context, sess *sessions.Session) error {
	opts := *sess.Options
	opts.Path = "/"
	opts.Domain = "" // required by __Host-, and right anyway
	opts.HttpOnly = true
	opts.SameSite = http.SameSiteLaxMode
	opts.Secure = s.secureRequest(c)
	sess.Options = &opts
	return sess.Save(c.Request(), c.Response())
}

// Login implements handlers.Sessions: it stores a new session for u and
// puts its token in the cookie, in place of whatever the cookie held.
func (s *serverSessions) Login(c echo.Context, u *models.User) error {
	rec, token, err := s.store.StartSession(c.Request().Context(), u, s.maxAge, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	sess := s.get(c)
	for k := range sess.Values {
		delete(sess.Values, k)
	}
	sess.Values[keyToken] = token
	sess.Options.MaxAge = int(s.maxAge.Seconds())
	c.Set(handlers.UserKey, u)
	c.Set(handlers.SessionKey, rec)
	s.refreshCSRF(c)
	return s.save(c, sess)
}

// Logout implements handlers.Sessions: the session ends in the database,
// so a copy of the cookie is worth nothing afterwards, and the cookie is
// cleared.
func (s *serverSessions) Logout(c echo.Context) error {
	if rec, u := handlers.CurrentSession(c), handlers.CurrentUser(c); rec != nil && u != nil {
		actor := models.Actor{UserID: u.ID, Email: u.Email, ClientIP: c.RealIP()}
		err := s.store.EndSession(c.Request().Context(), actor, u.ID, rec.ID, models.SessionEndSignOut)
		if err != nil && models.ErrorCode(err) != models.CodeNotFound {
			return err
		}
	}
	return s.clear(c)
}

// clear drops the cookie's session token.
func (s *serverSessions) clear(c echo.Context) error {
	c.Set(handlers.UserKey, nil)
	c.Set(handlers.SessionKey, nil)
	sess := s.get(c)
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	return s.save(c, sess)
}

// AddFlash implements handlers.Sessions.
func (s *serverSessions) AddFlash(c echo.Context, kind, message string) error {
	sess := s.get(c)
	sess.AddFlash(kind + "\x00" + message)
	return s.save(c, sess)
}

// Flashes implements handlers.Sessions.
func (s *serverSessions) Flashes(c echo.Context) []views.Flash {
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

// loadUser puts the signed-in user and their session in the context. A
// cookie whose session has ended or expired, or whose user is gone or
// disabled, is cleared: the person is not signed in.
func (s *serverSessions) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/static/") {
			return next(c) // assets need no user: skip the session and the query
		}
		sess := s.get(c)
		token, _ := sess.Values[keyToken].(string)
		if token == "" {
			return next(c)
		}
		in, err := s.store.SignedInByToken(c.Request().Context(), token, c.RealIP())
		if err != nil {
			return err
		}
		if in == nil {
			if err := s.clear(c); err != nil {
				return err
			}
			return next(c)
		}
		c.Set(handlers.UserKey, in.User)
		c.Set(handlers.SessionKey, in.Session)
		c.Set(handlers.UnreadKey, in.Unread)
		return next(c)
	}
}
