package web_test

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"latchkey/models"
)

// addSigningKey rotates the domain's system certificate behind the
// running server's back, as another node would, and moves the new one's
// start of signing to now, as if its refresh delay had passed: it is the
// newest certificate and signs.
func (g *gatewayEnv) addSigningKey() string {
	g.t.Helper()
	c, err := g.store.RotateCertificate(g.ctx, models.Actor{}, g.domain.ID, models.SystemCertificateInput{})
	if err != nil {
		g.t.Fatal(err)
	}
	// $n placeholders: PostgreSQL's, and SQLite reads them as parameters
	// bound in order.
	db, err := g.store.SQLDB()
	if err != nil {
		g.t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if _, err := db.ExecContext(g.ctx, `UPDATE certificates SET superseded_at = $1 WHERE domain_id = $2 AND superseded_at > $1`, now, g.domain.ID); err != nil {
		g.t.Fatal(err)
	}
	if _, err := db.ExecContext(g.ctx, `UPDATE certificates SET signing_from = $1 WHERE id = $2`, now, c.ID); err != nil {
		g.t.Fatal(err)
	}
	return c.ID
}

// deleteSigningKey removes a key behind the running server's back.
func (g *gatewayEnv) deleteSigningKey(id string) {
	g.t.Helper()
	db, err := g.store.SQLDB()
	if err != nil {
		g.t.Fatal(err)
	}
	if res, err := db.ExecContext(g.ctx, `DELETE FROM certificates WHERE id = $1`, id); err != nil {
		g.t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		g.t.Fatalf("deleted %d keys with id %s", n, id)
	}
}

// jwksKids returns the key ids the JWKS document publishes, in its order.
func (g *gatewayEnv) jwksKids() []string {
	g.t.Helper()
	var kids []string
	for _, k := range g.jwks().Keys {
		kids = append(kids, k.KeyID)
	}
	return kids
}

// signedToken obtains a token, checks it against the JWKS and returns it
// with the id of the key that signed it.
func (g *gatewayEnv) signedToken() (raw, kid string) {
	g.t.Helper()
	resp, body := g.token(g.app.ClientID, g.secret)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	g.decodeOK("token", resp, body, &tr)
	g.verify(tr.AccessToken)
	tok, err := jwt.ParseSigned(tr.AccessToken, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256, jose.EdDSA})
	if err != nil {
		g.t.Fatal(err)
	}
	return tr.AccessToken, tok.Headers[0].KeyID
}

// active introspects a token as the application.
func (g *gatewayEnv) active(token string) bool {
	g.t.Helper()
	resp, body := g.post("/acme/oauth/introspect", url.Values{"token": {token}}, g.app.ClientID, g.secret)
	var out struct {
		Active bool `json:"active"`
	}
	g.decodeOK("introspect", resp, body, &out)
	return out.Active
}

// The gateway never assumes a domain's keys stay the same: a key added in
// the database while the server runs signs the next token and is published
// at once, and a key removed is neither published nor accepted by
// introspection any more, all without a restart.
func TestGatewaySigningKeysFollowTheDatabase(t *testing.T) {
	g := newGatewayEnv(t)
	oldToken, first := g.signedToken()
	if got := g.jwksKids(); !slices.Equal(got, []string{first}) {
		t.Fatalf("JWKS kids = %v, want [%s]", got, first)
	}
	if !g.active(oldToken) {
		t.Fatal("a fresh token is not active")
	}

	second := g.addSigningKey()
	newToken, kid := g.signedToken()
	if kid != second {
		t.Fatalf("token signed by %s after adding %s (the newest key must sign)", kid, second)
	}
	if got := g.jwksKids(); !slices.Equal(got, []string{second, first}) {
		t.Fatalf("JWKS kids = %v, want [%s %s]", got, second, first)
	}
	if !g.active(oldToken) || !g.active(newToken) {
		t.Fatal("tokens of both current keys must be active")
	}

	// Replace: the newest key goes away, the older one signs again.
	g.deleteSigningKey(second)
	if _, kid := g.signedToken(); kid != first {
		t.Fatalf("token signed by %s after removing %s, want %s", kid, second, first)
	}
	if got := g.jwksKids(); !slices.Equal(got, []string{first}) {
		t.Fatalf("JWKS kids = %v after removing %s, want [%s]", got, second, first)
	}
	if g.active(newToken) {
		t.Fatal("a token of a removed key is still active")
	}

	third := g.addSigningKey()
	g.deleteSigningKey(first)
	if _, kid := g.signedToken(); kid != third {
		t.Fatalf("token signed by %s, want the replacement %s", kid, third)
	}
	if got := g.jwksKids(); !slices.Equal(got, []string{third}) {
		t.Fatalf("JWKS kids = %v, want [%s]", got, third)
	}
	if g.active(oldToken) {
		t.Fatal("a token of a replaced key is still active")
	}
}
