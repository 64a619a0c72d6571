package web

import (
	"github.com/labstack/echo/v4"

	"latchkey/handlers"
)

// apiRoutes registers the Management API (bearer tokens only: no session,
// no CSRF; see handlers.APIAuth) and the Account page's API token forms.
// Middleware is per route, so an unknown path is a 404 for everyone, and
// authentication (401) comes before the role check (403).
func apiRoutes(e *echo.Echo, h *handlers.Handler) {
	e.GET("/management/openapi.json", h.OpenAPI)
	e.POST("/management/auth/token", h.IssueAPIToken)

	// Invalid UTF-8 and NUL characters are refused for the whole console
	// (cleanInput), API paths included.
	read := []echo.MiddlewareFunc{h.APIAuth}
	write := []echo.MiddlewareFunc{h.APIAuth, handlers.APIRequireWrite}
	const (
		domains = handlers.APIPrefix + "/domains"
		domain  = domains + "/:domain"
		apps    = domain + "/applications"
		app     = apps + "/:application"
		secrets = app + "/secrets"
		secret  = secrets + "/:secret"
	)
	e.GET(domains, h.APIListDomains, read...)
	e.POST(domains, h.APICreateDomain, write...)
	e.GET(domain, h.APIGetDomain, read...)
	e.PATCH(domain, h.APIPatchDomain, write...)
	e.DELETE(domain, h.APIDeleteDomain, write...)
	e.GET(domain+"/audits", h.APIListAudits, read...)

	e.GET(apps, h.APIListApplications, read...)
	e.POST(apps, h.APICreateApplication, write...)
	e.GET(app, h.APIGetApplication, read...)
	e.PATCH(app, h.APIPatchApplication, write...)
	e.DELETE(app, h.APIDeleteApplication, write...)

	e.GET(secrets, h.APIListSecrets, read...)
	e.POST(secrets, h.APICreateSecret, write...)
	e.POST(secret+"/_renew", h.APIRenewSecret, write...)
	e.DELETE(secret, h.APIDeleteSecret, write...)

	// The Account page's token forms: every signed-in person, viewers
	// included (their tokens are read-only), with the console's CSRF check.
	r := routes{e, []echo.MiddlewareFunc{requireLogin}}
	r.POST("/account/tokens", h.CreateAPIToken)
	r.GET("/account/tokens/:token/revoke", h.ConfirmRevokeAPIToken)
	r.POST("/account/tokens/:token/revoke", h.RevokeAPIToken)
}
