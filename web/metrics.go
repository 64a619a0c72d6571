package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/handlers"
)

// metricsRealm names the credentials /metrics asks for.
const metricsRealm = `Bearer realm="latchkey metrics"`

// bearerToken checks "Authorization: Bearer <token>" against
// metrics.bearerToken. Digests are compared, in constant time, so neither
// the token's bytes nor its length show in the timing.
type bearerToken struct {
	digest [sha256.Size]byte
	set    bool
}

func newBearerToken(token string) bearerToken {
	return bearerToken{digest: sha256.Sum256([]byte(token)), set: token != ""}
}

// matches reports whether the Authorization header value carries the
// token. The scheme is case-insensitive (RFC 9110).
func (b bearerToken) matches(header string) bool {
	scheme, token, ok := strings.Cut(header, " ")
	if !b.set || !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], b.digest[:]) == 1
}

// metricsAccess guards /metrics on the console: it names every domain and
// counts its secrets, so only a scraper with metrics.bearerToken or a
// signed-in administrator may read it. A wrong token is refused even with
// an administrator's session, so a broken scrape configuration shows.
func metricsAccess(token bearerToken) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if auth := c.Request().Header.Get(echo.HeaderAuthorization); auth != "" {
				if token.matches(auth) {
					return next(c)
				}
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, metricsRealm)
				return echo.NewHTTPError(http.StatusUnauthorized)
			}
			switch u := handlers.CurrentUser(c); {
			case u == nil:
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, metricsRealm)
				return echo.NewHTTPError(http.StatusUnauthorized)
			case !u.IsAdmin():
				return echo.NewHTTPError(http.StatusForbidden, "Only administrators may read the metrics.")
			}
			return next(c)
		}
	}
}

// metricsOnly is the handler of the metrics.addr listener: /metrics alone,
// behind the bearer token when one is configured.
func metricsOnly(h http.Handler, token bearerToken) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token.set && !token.matches(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", metricsRealm)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	return mux
}
