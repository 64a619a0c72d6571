package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"latchkey/config"
	"latchkey/models"
)

// Many clients at once, right and wrong secrets mixed: each request gets
// its own answer. On PostgreSQL concurrent lookups share queries (models'
// authn_batch.go), so a lookup answered with another's row would show here
// as a token for the wrong client or a refusal of a right secret.
func TestGatewayConcurrentClientsEachGetTheirOwnAnswer(t *testing.T) {
	g := newGatewayEnv(t, func(c *config.Config) { c.Security.Token.MaxAttempts = 1000 })
	type client struct{ id, secret string }
	var clients []client
	for i := range 8 {
		a, first, err := g.store.CreateApplication(g.ctx, models.Actor{}, g.domain.ID, models.ApplicationInput{Name: fmt.Sprint("Concurrent ", i), Type: models.AppTypeService})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, client{a.ClientID, first.Value})
	}
	keys := g.jwks()
	const rounds = 12
	start := make(chan struct{})
	var wg sync.WaitGroup
	for r := range rounds {
		for i, c := range clients {
			// Each client in turn presents its own secret, a wrong one,
			// and its neighbour's.
			secret, ok := c.secret, true
			switch (r + i) % 3 {
			case 1:
				secret, ok = wrongSecret(c.secret), false
			case 2:
				secret, ok = clients[(i+1)%len(clients)].secret, false
			}
			wg.Go(func() {
				<-start
				status, body, err := postToken(g.tokenURL(), c.id, secret)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					if status != http.StatusUnauthorized || strings.TrimSpace(body) != invalidClientBody {
						t.Errorf("%s with a wrong secret: %d %s", c.id, status, body)
					}
					return
				}
				if status != http.StatusOK {
					t.Errorf("%s with its secret: %d %s", c.id, status, body)
					return
				}
				if sub, err := tokenSubject(keys, body); err != nil || sub != c.id {
					t.Errorf("%s got a token for %q (%v)", c.id, sub, err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
}

// postToken asks for a token with client_secret_post.
func postToken(tokenURL, clientID, secret string) (int, string, error) {
	resp, err := http.PostForm(tokenURL, url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}})
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// tokenSubject verifies the access token of a token response against keys
// and returns its sub, which must equal its client_id.
func tokenSubject(keys jose.JSONWebKeySet, body string) (string, error) {
	var res struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		return "", err
	}
	tok, err := jwt.ParseSigned(res.AccessToken, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256, jose.EdDSA})
	if err != nil {
		return "", err
	}
	key := keys.Key(tok.Headers[0].KeyID)
	if len(key) != 1 {
		return "", fmt.Errorf("kid %q not published", tok.Headers[0].KeyID)
	}
	var claims struct {
		Subject  string `json:"sub"`
		ClientID string `json:"client_id"`
	}
	if err := tok.Claims(key[0].Key, &claims); err != nil {
		return "", err
	}
	if claims.Subject != claims.ClientID {
		return "", fmt.Errorf("sub %q, client_id %q", claims.Subject, claims.ClientID)
	}
	return claims.Subject, nil
}

// wrongSecret is secret with its last character changed.
func wrongSecret(secret string) string {
	last := "x"
	if strings.HasSuffix(secret, last) {
		last = "y"
	}
	return secret[:len(secret)-1] + last
}

// Many clients at once with client assertions, each assertion sent twice
// at the same moment: exactly one of the two gets a token, for its own
// client. On PostgreSQL the lookups and the jtis share statements
// (models' assertion_batch.go), so a batch that lost the replay rule or
// mixed up its rows would show here.
func TestGatewayConcurrentAssertionsEachUsedOnce(t *testing.T) {
	g := newGatewayEnv(t, func(c *config.Config) { c.Security.Token.MaxAttempts = 1000 })
	type client struct {
		id  string
		key *clientKey
	}
	var clients []client
	for i := range 6 {
		a, _, err := g.store.CreateApplication(g.ctx, models.Actor{}, g.domain.ID, models.ApplicationInput{Name: fmt.Sprint("Assertions ", i), Type: models.AppTypeService})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.store.SetAuthMethods(g.ctx, models.Actor{}, g.domain.ID, a.ID, []string{models.AuthPrivateKeyJWT}); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, client{a.ClientID, g.addClientKey(g.store, a.ID, jose.ES256, false, time.Now().Add(time.Hour))})
	}
	keys := g.jwks()
	const rounds = 8
	type answer struct {
		clientID string
		status   int
		sub      string
	}
	answers := make(chan answer, 2*rounds*len(clients))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range rounds {
		for _, c := range clients {
			assertion := c.key.sign(t, g.validClaims(c.id), true)
			for range 2 {
				wg.Go(func() {
					<-start
					form := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {jwtBearer}, "client_assertion": {assertion}}
					resp, err := http.PostForm(g.tokenURL(), form)
					if err != nil {
						t.Error(err)
						return
					}
					defer resp.Body.Close()
					b, _ := io.ReadAll(resp.Body)
					a := answer{clientID: c.id, status: resp.StatusCode}
					if resp.StatusCode == http.StatusOK {
						if a.sub, err = tokenSubject(keys, string(b)); err != nil {
							t.Error(err)
						}
					} else if strings.TrimSpace(string(b)) != invalidClientBody {
						t.Errorf("%s: %d %s", c.id, resp.StatusCode, b)
					}
					answers <- a
				})
			}
		}
	}
	close(start)
	wg.Wait()
	close(answers)
	ok := map[string]int{}
	for a := range answers {
		switch {
		case a.status == http.StatusOK && a.sub == a.clientID:
			ok[a.clientID]++
		case a.status == http.StatusOK:
			t.Errorf("%s got a token for %q", a.clientID, a.sub)
		case a.status != http.StatusUnauthorized:
			t.Errorf("%s: status %d", a.clientID, a.status)
		}
	}
	for _, c := range clients {
		if ok[c.id] != rounds {
			t.Errorf("%s: %d tokens for %d assertions each sent twice, want %d", c.id, ok[c.id], rounds, rounds)
		}
	}
}

// A client that sends more requests at once than maxAttempts, from one
// address, with its right secret, gets a token for every one: the
// requests beyond the budget wait behind the ones being checked instead
// of being refused (throttle.AttemptWaiting). Before, on PostgreSQL, 45
// of the 50 were refused with 429. On SQLite the lookups seldom overlap;
// the throttle's own tests hold the rule there.
func TestGatewayBurstOfOneClientIsNotThrottled(t *testing.T) {
	// 50 at once, 5 at a time: the last waits about ten turns, well inside
	// its second of patience on a busy machine.
	g := newGatewayEnv(t, func(c *config.Config) { c.Security.Token.MaxAttempts = 5 })
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 50 {
		wg.Go(func() {
			<-start
			status, body, err := postToken(g.tokenURL(), g.app.ClientID, g.secret)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
			if status != http.StatusOK {
				t.Logf("%d %s", status, body)
			}
		})
	}
	close(start)
	wg.Wait()
	if statuses[http.StatusOK] != 50 {
		t.Fatalf("statuses %v, want 50 times 200", statuses)
	}
	// Guessing is still bounded: five wrong secrets, then the right one is
	// refused too until the window passes.
	for range 5 {
		resp, body := g.token(g.app.ClientID, wrongSecret(g.secret))
		g.wantInvalidClient(resp, body, false)
	}
	if resp, _ := g.token(g.app.ClientID, g.secret); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after max failures: %d, want 429", resp.StatusCode)
	}
}
