package gateway

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Revoke is POST /{hrid}/oauth/revoke (RFC 7009). The caller authenticates
// as a client of the domain, like at the token endpoint; it revokes only
// its own tokens. A token that is malformed, unknown, expired or another
// client's gets the same 200 as a revoked one (§2.2), so the answer tells
// nothing about other clients' tokens. token_type_hint is accepted and
// needs no search: access tokens are the only kind.
//
// The revocation goes on a list in the database (models.RevokedToken) that
// introspection checks on every node at once. Resource servers that only
// check the signature keep accepting the token until its exp.
func (g *Gateway) Revoke(c echo.Context) error {
	hrid := c.Param("hrid")
	form, oe := readForm(c)
	if oe != nil {
		return writeOAuthError(c, oe, false)
	}
	client, token, basic, err := g.clientWithToken(c, hrid, form, false)
	if client == nil {
		return err
	}
	if _, oe := single(form, "token_type_hint"); oe != nil {
		return writeOAuthError(c, oe, basic)
	}
	claims, err := g.verified(c, client.DomainID, hrid, token)
	if err != nil {
		return err
	}
	if claims != nil && claims.ClientID == client.ClientID && claims.ID != "" {
		if err := g.Store.RevokeToken(c.Request().Context(), claims.ID, claims.ClientID, claims.Expiry.Time()); err != nil {
			return err
		}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	return c.NoContent(http.StatusOK)
}
