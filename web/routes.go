package web

import (
	"github.com/labstack/echo/v4"

	"latchkey/gateway"
	"latchkey/handlers"
	"latchkey/static"
)

// consoleRoutes registers every route of the console listener: pages, their
// forms and the Management API. Middleware is per route (not groups), so an
// unknown path is a plain 404 for everyone, and authentication (401) comes
// before the role check (403). metricsHandler, nil when /metrics is not
// served here, checks its own access (metricsAccess).
func consoleRoutes(e *echo.Echo, h *handlers.Handler, metricsHandler echo.HandlerFunc) {
	e.GET("/healthz", h.Healthz)
	e.GET("/readyz", readyz(h.Store))
	if metricsHandler != nil {
		e.GET("/metrics", metricsHandler)
	}
	e.GET("/static/*", echo.WrapHandler(static.Handler()))
	e.GET("/setup", h.SetupForm)
	e.POST("/setup", h.Setup)
	e.GET("/login", h.LoginForm)
	e.POST("/login", h.Login)
	e.POST("/logout", h.Logout)

	// Pages for every signed-in user; writes need the admin role.
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

	// The domain's certificates: anyone signed in reads them and their
	// public keys; every change needs the admin role.
	const certs = "/domains/:domain/settings/certificates"
	r.GET(certs, h.ShowCertificates)
	w.GET(certs+"/new", h.NewCertificate)
	w.POST(certs, h.CreateCertificate)
	w.GET(certs+"/rotate", h.ConfirmRotateCertificate)
	w.POST(certs+"/rotate", h.RotateCertificate)
	w.GET(certs+"/settings", h.CertificateSettings)
	w.POST(certs+"/settings", h.SaveCertificateSettings)
	r.GET(certs+"/:cert/key", h.CertificateKey)
	w.GET(certs+"/:cert/rename", h.RenameCertificateForm)
	w.POST(certs+"/:cert/rename", h.RenameCertificate)
	w.GET(certs+"/:cert/delete", h.ConfirmDeleteCertificate)
	w.POST(certs+"/:cert/delete", h.DeleteCertificate)

	w.GET("/domains/:domain/applications/new", h.NewApplication)
	w.POST("/domains/:domain/applications", h.CreateApplication)
	r.GET("/domains/:domain/applications/:app", h.ShowApplication)
	r.GET("/domains/:domain/applications/:app/secrets", h.ShowSecrets)
	w.GET("/domains/:domain/applications/:app/secrets/new", h.NewSecret)
	w.POST("/domains/:domain/applications/:app/secrets", h.CreateSecret)
	// Viewers read the override too, as text (issue 18).
	r.GET("/domains/:domain/applications/:app/secrets/settings", h.SecretSettings)
	w.POST("/domains/:domain/applications/:app/secrets/settings", h.SaveSecretSettings)
	w.POST("/domains/:domain/applications/:app/certificate", h.SaveAppCertificate)
	w.GET("/domains/:domain/applications/:app/secrets/:secret/renew", h.ConfirmRenewSecret)
	w.POST("/domains/:domain/applications/:app/secrets/:secret/renew", h.RenewSecret)
	w.GET("/domains/:domain/applications/:app/secrets/:secret/delete", h.ConfirmDeleteSecret)
	w.POST("/domains/:domain/applications/:app/secrets/:secret/delete", h.DeleteSecret)
	// Client certificates (issue 16) live on the same tab; viewers read
	// them there.
	w.GET("/domains/:domain/applications/:app/client-certificates/new", h.NewClientCertificate)
	w.POST("/domains/:domain/applications/:app/client-certificates", h.UploadClientCertificate)
	w.GET("/domains/:domain/applications/:app/client-certificates/:clientCertificate/delete", h.ConfirmDeleteClientCertificate)
	w.POST("/domains/:domain/applications/:app/client-certificates/:clientCertificate/delete", h.DeleteClientCertificate)
	w.POST("/domains/:domain/applications/:app/auth-methods", h.SaveAuthMethods)
	w.GET("/domains/:domain/applications/:app/edit", h.EditApplication)
	w.POST("/domains/:domain/applications/:app", h.UpdateApplication)
	w.GET("/domains/:domain/applications/:app/delete", h.ConfirmDeleteApplication)
	w.POST("/domains/:domain/applications/:app/delete", h.DeleteApplication)

	w.GET("/users", h.ListUsers)
	w.GET("/users/new", h.NewUser)
	w.POST("/users", h.CreateUser)
	w.GET("/users/:user/edit", h.EditUser)
	w.POST("/users/:user", h.UpdateUser)
	w.POST("/users/:user/sessions/end", h.EndUserSessions)

	// Every signed-in person has notices of their own, so the Notifications
	// page and its forms need no admin role.
	r.GET("/notifications", h.ListNotifications)
	r.POST("/notifications/read-all", h.MarkAllNotificationsRead)
	r.POST("/notifications/:notification/read", h.MarkNotificationRead)
	r.GET("/notifications/bell", h.NotificationBell)
	r.POST("/notifications/:notification/dismiss", h.DismissNotification)

	// The Account page's API token forms: every signed-in person, viewers
	// included (their tokens are read-only), with the console's CSRF check.
	r.POST("/account/tokens", h.CreateAPIToken)
	r.GET("/account/tokens/:token/revoke", h.ConfirmRevokeAPIToken)
	r.POST("/account/tokens/:token/revoke", h.RevokeAPIToken)
	// The Account page's session list: one's own sessions only.
	r.POST("/account/sessions/end-others", h.EndOtherSessions)
	r.POST("/account/sessions/:session/end", h.EndSession)

	apiRoutes(e, h)
}

// apiRoutes registers the Management API: bearer tokens only, no session,
// no CSRF (see handlers.APIAuth). Invalid UTF-8 and NUL characters are
// refused for the whole console (cleanInput), API paths included.
func apiRoutes(e *echo.Echo, h *handlers.Handler) {
	e.GET("/management/openapi.json", h.OpenAPI)
	e.POST("/management/auth/token", h.IssueAPIToken)

	read := routes{e, []echo.MiddlewareFunc{h.APIAuth}}
	write := routes{e, []echo.MiddlewareFunc{h.APIAuth, handlers.APIRequireWrite}}
	const (
		domains = handlers.APIPrefix + "/domains"
		domain  = domains + "/:domain"
		apps    = domain + "/applications"
		app     = apps + "/:application"
		secrets = app + "/secrets"
		secret  = secrets + "/:secret"
		// client-certificates are the keys an application authenticates
		// with (private_key_jwt), not its signing certificate.
		clientCerts = app + "/client-certificates"
		clientCert  = clientCerts + "/:clientCertificate"
		certs       = domain + "/certificates"
		cert        = certs + "/:certificate"
	)
	read.GET(domains, h.APIListDomains)
	write.POST(domains, h.APICreateDomain)
	read.GET(domains+"/_hrid/:hrid", h.APIGetDomainByHRID)
	read.GET(domain, h.APIGetDomain)
	write.PATCH(domain, h.APIPatchDomain)
	write.DELETE(domain, h.APIDeleteDomain)
	read.GET(domain+"/audits", h.APIListAudits)

	read.GET(apps, h.APIListApplications)
	write.POST(apps, h.APICreateApplication)
	read.GET(app, h.APIGetApplication)
	write.PATCH(app, h.APIPatchApplication)
	write.PUT(app, h.APIPutApplication)
	write.PUT(app+"/type", h.APIPutApplicationType)
	write.DELETE(app, h.APIDeleteApplication)

	read.GET(secrets, h.APIListSecrets)
	write.POST(secrets, h.APICreateSecret)
	write.POST(secret+"/_renew", h.APIRenewSecret)
	write.DELETE(secret, h.APIDeleteSecret)

	read.GET(clientCerts, h.APIListClientCertificates)
	write.POST(clientCerts, h.APICreateClientCertificate)
	read.GET(clientCert, h.APIGetClientCertificate)
	write.DELETE(clientCert, h.APIDeleteClientCertificate)

	read.GET(certs, h.APIListCertificates)
	write.POST(certs, h.APICreateCertificate)
	write.POST(certs+"/rotate", h.APIRotateCertificate)
	read.GET(cert, h.APIGetCertificate)
	write.PUT(cert, h.APIUpdateCertificate)
	write.DELETE(cert, h.APIDeleteCertificate)
	read.GET(cert+"/key", h.APICertificateKey)
	read.GET(cert+"/keys", h.APICertificateKeys)
	write.PUT(domain+"/certificate-settings", h.APIPutCertificateSettings)

	// Reading and acknowledging one's own notices needs no write access:
	// viewers and read-only tokens may do both.
	// Users and members: administrators only, for reading too.
	adminRead := routes{e, []echo.MiddlewareFunc{h.APIAuth, handlers.APIRequireAdmin}}
	users := handlers.APIOrgPrefix + "/users"
	adminRead.GET(users, h.APIListUsers)
	write.POST(users, h.APICreateUser)
	adminRead.GET(users+"/:user", h.APIGetUser)
	write.PATCH(users+"/:user", h.APIPatchUser)
	write.DELETE(users+"/:user", h.APIDeleteUser)
	write.PUT(users+"/:user/status", h.APIPutUserStatus)
	write.POST(users+"/:user/resetPassword", h.APIResetPassword)
	adminRead.GET(domain+"/members", h.APIListDomainMembers)
	write.POST(domain+"/members", h.APIAddDomainMember)
	write.DELETE(domain+"/members/:member", h.APIRemoveDomainMember)
	adminRead.GET(app+"/members", h.APIListApplicationMembers)
	write.POST(app+"/members", h.APIAddApplicationMember)
	write.DELETE(app+"/members/:member", h.APIRemoveApplicationMember)

	read.GET("/management/user/notifications", h.APIListNotifications)
	read.POST("/management/user/notifications/:notification/acknowledge", h.APIAcknowledgeNotification)
}

// gatewayRoutes registers every route of the gateway listener: the OAuth
// endpoints of each domain under /{hrid}/. No /metrics here: the gateway
// faces clients, and the metrics name every domain (the token endpoint
// hides unknown hrids behind 401).
func gatewayRoutes(e *echo.Echo, h *handlers.Handler, gw *gateway.Gateway) {
	e.GET("/healthz", h.Healthz)
	e.GET("/readyz", readyz(h.Store))
	// Wrapped here, once: Echo applies a route's own middleware anew on
	// every request, which cost the token endpoint an allocation each.
	e.POST("/:hrid/oauth/token", gw.Observe("token")(gw.Token))
	e.POST("/:hrid/oauth/introspect", gw.Observe("introspect")(gw.Introspect))
	e.POST("/:hrid/oauth/revoke", gw.Observe("revoke")(gw.Revoke))
	e.GET("/:hrid/oauth/jwks", gw.JWKS)
	e.GET("/:hrid/oidc/.well-known/openid-configuration", gw.Discovery)
	e.GET("/.well-known/oauth-authorization-server/:hrid/oidc", gw.AuthorizationServerMetadata)
}

// routes registers handlers with a fixed middleware chain.
type routes struct {
	e  *echo.Echo
	mw []echo.MiddlewareFunc
}

func (r routes) GET(path string, h echo.HandlerFunc)    { r.e.GET(path, h, r.mw...) }
func (r routes) POST(path string, h echo.HandlerFunc)   { r.e.POST(path, h, r.mw...) }
func (r routes) PATCH(path string, h echo.HandlerFunc)  { r.e.PATCH(path, h, r.mw...) }
func (r routes) PUT(path string, h echo.HandlerFunc)    { r.e.PUT(path, h, r.mw...) }
func (r routes) DELETE(path string, h echo.HandlerFunc) { r.e.DELETE(path, h, r.mw...) }
