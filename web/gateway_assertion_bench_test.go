package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"latchkey/config"
	"latchkey/models"
	"latchkey/pki"
)

// BenchmarkTokenPrivateKeyJWT is BenchmarkTokenEndpoint for a client that
// authenticates with an ES256 client assertion (private_key_jwt): parsing
// and verifying it, the lookup of the client and its client certificates,
// recording its jti (a database write), then signing as for a secret. The
// assertions, each with its own jti, are signed before the timer starts.
func BenchmarkTokenPrivateKeyJWT(b *testing.B) {
	ctx := context.Background()
	store, srv := newBenchServer(b, models.DefaultSecretsMax)
	d, _ := store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Bench", HRID: "bench", Enabled: true})
	a, _, err := store.CreateApplication(ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "App", Type: models.AppTypeService,
		AuthMethods: []string{models.AuthPrivateKeyJWT}})
	if err != nil {
		b.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := pki.SelfSign(key, "CN=bench", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	cc, err := store.AddClientCertificate(ctx, models.Actor{}, a.ID, models.ClientCertificateInput{Description: "bench",
		Data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})})
	if err != nil {
		b.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", cc.KeyID))
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([]string, b.N)
	now := time.Now()
	for i := range bodies {
		raw, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: a.ClientID, Subject: a.ClientID,
			Audience: jwt.Audience{config.Default().Server.GatewayURL + "/bench/oauth/token"},
			Expiry:   jwt.NewNumericDate(now.Add(4 * time.Minute)), ID: "bench-" + strconv.Itoa(i)}).Serialize()
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion": {raw}}.Encode()
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[next.Add(1)-1]
			req, done := benchTokenRequest(body)
			rec := httptest.NewRecorder()
			srv.Gateway.ServeHTTP(rec, req)
			done()
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}
