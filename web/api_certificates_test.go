package web_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"software.sslmate.com/src/go-pkcs12"

	"latchkey/models"
)

// apiCert is a certificate as the API returns it.
type apiCert struct {
	ID           string `json:"id"`
	Domain       string `json:"domain"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	System       bool   `json:"system"`
	Algorithm    string `json:"algorithm"`
	Status       string `json:"status"`
	Fallback     bool   `json:"fallback"`
	UsedBy       int64  `json:"usedBy"`
	NotBefore    int64  `json:"notBefore"`
	ExpiresAt    int64  `json:"expiresAt"`
	SupersededAt *int64 `json:"supersededAt"`
}

// testKeyPair is a key and a self-signed certificate around it, made by
// the test so it knows every form the private key could leak in.
type testKeyPair struct {
	key      crypto.Signer
	cert     *x509.Certificate
	certPEM  string
	keyPEM   string
	notAfter time.Time
	// leaks are the private key's encodings no answer may contain.
	leaks []string
}

func newTestKeyPair(t *testing.T, key crypto.Signer, notBefore, notAfter time.Time) *testKeyPair {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "api test"},
		NotBefore: notBefore.Truncate(time.Second), NotAfter: notAfter.Truncate(time.Second), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	kp := &testKeyPair{key: key, cert: cert, notAfter: tmpl.NotAfter,
		certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		keyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))}
	raws := [][]byte{p8}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		sec1, _ := x509.MarshalECPrivateKey(k)
		scalar, _ := k.Bytes()
		raws = append(raws, sec1, scalar)
	case *rsa.PrivateKey:
		raws = append(raws, x509.MarshalPKCS1PrivateKey(k), k.D.Bytes(), k.Primes[0].Bytes(), k.Primes[1].Bytes())
	}
	kp.leaks = []string{strings.TrimSpace(kp.keyPEM)}
	for _, r := range raws {
		kp.leaks = append(kp.leaks, base64.StdEncoding.EncodeToString(r)[:40], base64.RawURLEncoding.EncodeToString(r)[:40],
			hex.EncodeToString(r)[:40], string(r))
	}
	return kp
}

func newECKeyPair(t *testing.T) *testKeyPair {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return newTestKeyPair(t, k, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
}

func newRSAKeyPair(t *testing.T, bits int) *testKeyPair {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return newTestKeyPair(t, k, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
}

// recorder keeps every answer's body, to check afterwards that none holds
// a private key.
type recorder struct {
	api    *apiClient
	bodies [][]byte
}

func (r *recorder) do(method, path string, body any, opts ...callOpt) *apiResponse {
	r.api.t.Helper()
	res := r.api.do(method, path, body, opts...)
	r.bodies = append(r.bodies, res.Body)
	return res
}

func certsPath(domainRef string) string { return domainPath(domainRef) + "/certificates" }

func (r *recorder) certs(domainRef string) []apiCert {
	r.api.t.Helper()
	var out []apiCert
	r.do(http.MethodGet, certsPath(domainRef), nil).want(http.StatusOK).decode(&out)
	return out
}

func certByID(cs []apiCert, id string) *apiCert {
	for i := range cs {
		if cs[i].ID == id {
			return &cs[i]
		}
	}
	return nil
}

func TestAPICertificatesLifecycle(t *testing.T) {
	e := newEnv(t)
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	api := &recorder{api: e.api(e.apiToken(admin.Email, adminPassword))}
	d := e.createDomain("Acme", "acme")
	app := e.createApp(d.ID, "Billing")
	appURL := appPathAPI(d.HRID, app.ID)

	// A new domain has its Default system certificate; ?use=sig lists it.
	cs := api.certs(d.HRID)
	if len(cs) != 1 || cs[0].Name != "Default" || !cs[0].System || cs[0].Type != "system" || cs[0].Algorithm != "ES256" ||
		cs[0].Status != "VALID" || cs[0].Domain != d.ID || cs[0].SupersededAt != nil {
		t.Fatalf("a new domain's certificates = %+v", cs)
	}
	first := cs[0]
	var used []apiCert
	api.do(http.MethodGet, certsPath(d.ID)+"?use=sig", nil).want(http.StatusOK).decode(&used)
	if len(used) != 1 || used[0].ID != first.ID {
		t.Errorf("?use=sig = %+v", used)
	}

	// A generated system certificate supersedes the current one.
	var sys apiCert
	r := api.do(http.MethodPost, certsPath(d.ID), map[string]any{"type": "system", "name": "RSA key",
		"configuration": map[string]any{"algorithm": "RS256", "keySize": 2048}}).want(http.StatusCreated)
	r.decode(&sys)
	if sys.Algorithm != "RS256" || !sys.System || sys.Name != "RSA key" {
		t.Errorf("created system certificate = %+v", sys)
	}
	if got := r.Header.Get("Location"); got != certsPath(d.ID)+"/"+sys.ID {
		t.Errorf("Location = %q", got)
	}
	if old := certByID(api.certs(d.ID), first.ID); old == nil || old.Status != "RENEWED" || old.SupersededAt == nil {
		t.Errorf("the superseded certificate = %+v", old)
	}

	// PEM upload: dates from the certificate.
	ec := newECKeyPair(t)
	var own apiCert
	api.do(http.MethodPost, certsPath(d.ID), map[string]any{"type": "pem", "name": "Partner EC",
		"configuration": map[string]any{"certificate": ec.certPEM, "privateKey": ec.keyPEM}}).want(http.StatusCreated).decode(&own)
	if own.Type != "own" || own.System || own.Algorithm != "ES256" || own.ExpiresAt != ec.notAfter.UnixMilli() ||
		own.NotBefore != ec.cert.NotBefore.UnixMilli() || own.Status != "VALID" {
		t.Errorf("uploaded PEM certificate = %+v (want expiresAt %d)", own, ec.notAfter.UnixMilli())
	}

	// PKCS#12 upload, configuration as a string (Gravitee's console), PS256.
	rs := newRSAKeyPair(t, 2048)
	p12, err := pkcs12.Modern.Encode(rs.key, rs.cert, nil, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"content": base64.StdEncoding.EncodeToString(p12), "password": "s3cret", "algorithm": "PS256"})
	var p12Cert apiCert
	api.do(http.MethodPost, certsPath(d.ID), map[string]any{"type": "pkcs12", "name": "Partner RSA", "configuration": string(cfg)}).
		want(http.StatusCreated).decode(&p12Cert)
	if p12Cert.Algorithm != "PS256" || p12Cert.Type != "own" {
		t.Errorf("uploaded PKCS#12 certificate = %+v", p12Cert)
	}
	// A named algorithm must be the key's.
	api.do(http.MethodPost, certsPath(d.ID), map[string]any{"type": "pem", "name": "Wrong alg",
		"configuration": map[string]any{"certificate": ec.certPEM, "privateKey": ec.keyPEM, "algorithm": "RS256"}}).
		wantError(http.StatusBadRequest, "This key signs ES256, not RS256")

	// Read and rename.
	var got apiCert
	api.do(http.MethodGet, certsPath(d.ID)+"/"+own.ID, nil).want(http.StatusOK).decode(&got)
	if got.ID != own.ID || got.Name != "Partner EC" {
		t.Errorf("GET certificate = %+v", got)
	}
	api.do(http.MethodPut, certsPath(d.ID)+"/"+own.ID, map[string]any{"name": "Partner EC 2"}).want(http.StatusOK).decode(&got)
	if got.Name != "Partner EC 2" {
		t.Errorf("renamed certificate = %+v", got)
	}
	api.do(http.MethodPut, certsPath(d.ID)+"/"+own.ID, map[string]any{"name": "x", "configuration": map[string]any{"content": "AAAA"}}).
		wantError(http.StatusBadRequest, "cannot change")
	api.do(http.MethodPut, certsPath(d.ID)+"/"+own.ID, map[string]any{"name": "   "}, requestUncheckable()).want(http.StatusBadRequest)
	if c := certByID(api.certs(d.ID), own.ID); c.Name != "Partner EC 2" {
		t.Errorf("refused renames changed the name to %q", c.Name)
	}

	// Public keys: PEM (also alone at /key) and JWK, the uploaded key's.
	var keys []struct{ Fmt, Payload string }
	api.do(http.MethodGet, certsPath(d.ID)+"/"+own.ID+"/keys", nil).want(http.StatusOK).decode(&keys)
	spki, _ := x509.MarshalPKIXPublicKey(ec.key.Public())
	wantPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}))
	if len(keys) != 2 || keys[0].Fmt != "PEM" || keys[1].Fmt != "JWK" || strings.TrimSpace(keys[0].Payload) != strings.TrimSpace(wantPEM) {
		t.Fatalf("keys = %+v, want PEM %s", keys, wantPEM)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON([]byte(keys[1].Payload)); err != nil {
		t.Fatalf("JWK payload: %v", err)
	}
	if jwk.KeyID != own.ID || jwk.Algorithm != "ES256" || jwk.Use != "sig" || !jwk.IsPublic() || len(jwk.Certificates) != 1 {
		t.Errorf("JWK = kid %q alg %q use %q public %v x5c %d", jwk.KeyID, jwk.Algorithm, jwk.Use, jwk.IsPublic(), len(jwk.Certificates))
	}
	if pub, ok := jwk.Key.(*ecdsa.PublicKey); !ok || !pub.Equal(ec.key.Public()) {
		t.Errorf("JWK key = %T, not the uploaded key", jwk.Key)
	}
	var single string
	api.do(http.MethodGet, certsPath(d.ID)+"/"+own.ID+"/key", nil).want(http.StatusOK).decode(&single)
	if single != keys[0].Payload {
		t.Errorf("/key = %q, want the PEM of /keys", single)
	}

	// Fallback: set, shown, guarding deletion, cleared.
	var settings struct {
		FallbackCertificate *string `json:"fallbackCertificate"`
	}
	api.do(http.MethodPut, domainPath(d.ID)+"/certificate-settings", map[string]any{"fallbackCertificate": own.ID}).
		want(http.StatusOK).decode(&settings)
	if settings.FallbackCertificate == nil || *settings.FallbackCertificate != own.ID {
		t.Errorf("settings = %+v", settings)
	}
	if c := certByID(api.certs(d.ID), own.ID); !c.Fallback {
		t.Error("the fallback certificate is not marked as such")
	}
	api.do(http.MethodDelete, certsPath(d.ID)+"/"+own.ID, nil).wantError(http.StatusBadRequest, "is the domain's fallback certificate")
	api.do(http.MethodPut, domainPath(d.ID)+"/certificate-settings", map[string]any{"fallbackCertificate": nil}).
		want(http.StatusOK).decode(&settings)
	if settings.FallbackCertificate != nil || certByID(api.certs(d.ID), own.ID).Fallback {
		t.Errorf("fallback not cleared: %+v", settings)
	}

	// The application's certificate: Default (null), chosen, guarding
	// deletion, back to Default.
	var a struct {
		Name        string  `json:"name"`
		Certificate *string `json:"certificate"`
	}
	api.do(http.MethodGet, appURL, nil).want(http.StatusOK).decode(&a)
	if a.Certificate != nil {
		t.Errorf("a new application's certificate = %q, want null", *a.Certificate)
	}
	api.do(http.MethodPatch, appURL, map[string]any{"certificate": p12Cert.ID}).want(http.StatusOK).decode(&a)
	if a.Certificate == nil || *a.Certificate != p12Cert.ID {
		t.Fatalf("PATCH certificate: %+v", a)
	}
	api.do(http.MethodGet, appURL, nil).want(http.StatusOK).decode(&a)
	if a.Certificate == nil || *a.Certificate != p12Cert.ID {
		t.Errorf("GET after PATCH: %+v", a)
	}
	if stored, _ := e.store.ApplicationByID(e.ctx, d.ID, app.ID); stored.CertificateID == nil || *stored.CertificateID != p12Cert.ID {
		t.Error("the choice was not stored")
	}
	// A PATCH without the field keeps the choice.
	api.do(http.MethodPatch, appURL, map[string]any{"description": "pays"}).want(http.StatusOK).decode(&a)
	if a.Certificate == nil || *a.Certificate != p12Cert.ID {
		t.Errorf("PATCH without certificate changed it: %+v", a)
	}
	if c := certByID(api.certs(d.ID), p12Cert.ID); c.UsedBy != 1 {
		t.Errorf("usedBy = %d, want 1", c.UsedBy)
	}
	api.do(http.MethodDelete, certsPath(d.ID)+"/"+p12Cert.ID, nil).wantError(http.StatusBadRequest, "used by the application(s) “Billing”")
	api.do(http.MethodPatch, appURL, map[string]any{"certificate": nil}).want(http.StatusOK).decode(&a)
	if a.Certificate != nil {
		t.Errorf("PATCH certificate null: %+v", a)
	}

	// The current system certificate cannot be deleted; after a rotation
	// (same algorithm) it still signs until the rotation takes effect.
	api.do(http.MethodDelete, certsPath(d.ID)+"/"+sys.ID, nil).wantError(http.StatusBadRequest, "current system certificate")
	var rot apiCert
	r = api.do(http.MethodPost, certsPath(d.ID)+"/rotate", nil).want(http.StatusCreated)
	r.decode(&rot)
	if rot.Algorithm != "RS256" || !rot.System || rot.ID == sys.ID || r.Header.Get("Location") != certsPath(d.ID)+"/"+rot.ID {
		t.Errorf("rotated = %+v, Location %q", rot, r.Header.Get("Location"))
	}
	api.do(http.MethodDelete, certsPath(d.ID)+"/"+sys.ID, nil).wantError(http.StatusBadRequest, "still signs")
	// A rotation with a body chooses the algorithm and name.
	api.do(http.MethodPost, certsPath(d.ID)+"/rotate", map[string]any{"name": "Back to EC", "algorithm": "ES256"}).
		want(http.StatusCreated).decode(&rot)
	if rot.Algorithm != "ES256" || rot.Name != "Back to EC" {
		t.Errorf("rotation with a body = %+v", rot)
	}

	// Unused own certificates may be deleted, and are gone.
	api.do(http.MethodDelete, certsPath(d.ID)+"/"+own.ID, nil).want(http.StatusNoContent)
	api.do(http.MethodGet, certsPath(d.ID)+"/"+own.ID, nil).wantError(http.StatusNotFound, "Certificate ["+own.ID+"] can not be found")
	api.do(http.MethodDelete, certsPath(d.ID)+"/"+p12Cert.ID, nil).want(http.StatusNoContent)
	if cs := api.certs(d.ID); len(cs) != 4 || certByID(cs, own.ID) != nil || certByID(cs, p12Cert.ID) != nil {
		t.Errorf("after deletions: %d certificates", len(cs))
	}

	// Every change was audited.
	var audits struct {
		Data []struct {
			Type string `json:"type"`
		} `json:"data"`
	}
	api.do(http.MethodGet, domainPath(d.ID)+"/audits?size=100", nil).want(http.StatusOK).decode(&audits)
	count := map[string]int{}
	for _, ev := range audits.Data {
		count[ev.Type]++
	}
	for typ, n := range map[string]int{models.EventCertificateCreated: 3, models.EventCertificateRotated: 2,
		models.EventCertificateUpdated: 1, models.EventCertificateDeleted: 2, models.EventDomainCertificateSettingsUpdated: 2,
		models.EventAppCertificateUpdated: 2} {
		if count[typ] < n {
			t.Errorf("%d %s audit events, want at least %d", count[typ], typ, n)
		}
	}

	// No answer ever held an uploaded private key, in any form.
	for _, kp := range []*testKeyPair{ec, rs} {
		for _, b := range api.bodies {
			for _, leak := range kp.leaks {
				if strings.Contains(string(b), leak) {
					t.Fatalf("an answer holds the private key (%q…):\n%s", leak[:min(len(leak), 16)], b)
				}
			}
		}
	}
}

func TestAPICertificateRefusals(t *testing.T) {
	e := newEnv(t)
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	api := &recorder{api: e.api(e.apiToken(admin.Email, adminPassword))}
	d := e.createDomain("Acme", "acme")
	other := e.createDomain("Other", "other")
	foreign := api.certs(other.ID)[0]
	app := e.createApp(d.ID, "Billing")

	ec := newECKeyPair(t)
	rs := newRSAKeyPair(t, 2048)
	p12, err := pkcs12.Modern.Encode(rs.key, rs.cert, nil, "right")
	if err != nil {
		t.Fatal(err)
	}
	short, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	shortKP := newTestKeyPair(t, short, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	expired := newTestKeyPair(t, ec.key, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	future := newTestKeyPair(t, ec.key, time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour))
	pemCfg := func(cert, key string) map[string]any {
		return map[string]any{"certificate": cert, "privateKey": key}
	}
	cases := []struct {
		name       string
		body       map[string]any
		invalid    bool // the document refuses it too
		field, msg string
	}{
		{"unknown type", map[string]any{"type": "jks", "name": "x"}, true, "type", "type must be system, pkcs12 or pem"},
		{"bad base64", map[string]any{"type": "pkcs12", "name": "x", "configuration": map[string]any{"content": "not base64!", "password": "right"}},
			false, "configuration.content", "base64"},
		{"wrong password", map[string]any{"type": "pkcs12", "name": "x",
			"configuration": map[string]any{"content": base64.StdEncoding.EncodeToString(p12), "password": "wrong"}},
			false, "configuration.password", "password is wrong"},
		{"not a PKCS#12 file", map[string]any{"type": "pkcs12", "name": "x",
			"configuration": map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("hello, world")), "password": "x"}},
			false, "configuration.content", "not a PKCS#12"},
		{"key does not match", map[string]any{"type": "pem", "name": "x", "configuration": pemCfg(ec.certPEM, rs.keyPEM)},
			false, "configuration.privateKey", "does not match"},
		{"not a certificate", map[string]any{"type": "pem", "name": "x", "configuration": pemCfg(ec.keyPEM, ec.keyPEM)},
			false, "configuration.certificate", "not a PEM certificate"},
		{"no private key", map[string]any{"type": "pem", "name": "x", "configuration": pemCfg(ec.certPEM, "")},
			false, "configuration.privateKey", "private key"},
		{"RSA too short", map[string]any{"type": "pem", "name": "x", "configuration": pemCfg(shortKP.certPEM, shortKP.keyPEM)},
			false, "configuration.privateKey", "shorter than 2048"},
		{"expired", map[string]any{"type": "pem", "name": "x", "configuration": pemCfg(expired.certPEM, ec.keyPEM)},
			false, "configuration.certificate", "already expired"},
		{"not yet valid", map[string]any{"type": "pem", "name": "x", "configuration": pemCfg(future.certPEM, ec.keyPEM)},
			false, "configuration.certificate", "not valid yet"},
		{"unknown algorithm", map[string]any{"type": "system", "name": "x", "configuration": map[string]any{"algorithm": "HS256"}},
			true, "configuration.algorithm", "Choose ES256"},
		{"bad RSA size", map[string]any{"type": "system", "name": "x", "configuration": map[string]any{"algorithm": "RS256", "keySize": 1024}},
			true, "configuration.keySize", "2048, 3072 or 4096"},
		{"unknown configuration field", map[string]any{"type": "system", "name": "x", "configuration": map[string]any{"curve": "P-384"}},
			true, "configuration.curve", "Unknown field"},
		{"configuration not an object", map[string]any{"type": "system", "name": "x", "configuration": "[1]"},
			false, "configuration", "JSON object"},
		{"no name", map[string]any{"type": "system", "name": ""}, true, "name", "name"},
	}
	before := len(api.certs(d.ID))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api.api.t = t
			var opts []callOpt
			if tc.invalid {
				opts = append(opts, invalidRequest())
			}
			res := api.do(http.MethodPost, certsPath(d.ID), tc.body, opts...).wantError(http.StatusBadRequest, tc.msg)
			if _, ok := res.Fields[tc.field]; !ok {
				t.Errorf("fields = %v, want %s", res.Fields, tc.field)
			}
		})
	}
	api.api.t = t
	if n := len(api.certs(d.ID)); n != before {
		t.Errorf("%d certificates after refusals, want %d", n, before)
	}

	// Unknown ids and another domain's certificate are not found, on
	// every path; nothing happens to the foreign one.
	for _, id := range []string{"no-such-id", foreign.ID} {
		base := certsPath(d.ID) + "/" + id
		msg := "Certificate [" + id + "] can not be found"
		api.do(http.MethodGet, base, nil).wantError(http.StatusNotFound, msg)
		api.do(http.MethodPut, base, map[string]any{"name": "mine"}).wantError(http.StatusNotFound, msg)
		api.do(http.MethodDelete, base, nil).wantError(http.StatusNotFound, msg)
		api.do(http.MethodGet, base+"/key", nil).wantError(http.StatusNotFound, msg)
		api.do(http.MethodGet, base+"/keys", nil).wantError(http.StatusNotFound, msg)
	}
	if c := certByID(api.certs(other.ID), foreign.ID); c == nil || c.Name != "Default" {
		t.Errorf("the foreign certificate was changed: %+v", c)
	}
	api.do(http.MethodGet, certsPath("no-such-domain"), nil).wantError(http.StatusNotFound, "Domain [no-such-domain] can not be found")
	api.do(http.MethodPost, certsPath("no-such-domain")+"/rotate", nil).wantError(http.StatusNotFound, "Domain [no-such-domain]")

	// Another domain's certificate cannot be the fallback or an
	// application's choice; a PATCH refused for it changes nothing.
	res := api.do(http.MethodPut, domainPath(d.ID)+"/certificate-settings", map[string]any{"fallbackCertificate": foreign.ID}).
		wantError(http.StatusBadRequest, "Choose one of the domain's certificates")
	if _, ok := res.Fields["fallbackCertificate"]; !ok {
		t.Errorf("fields = %v", res.Fields)
	}
	appURL := appPathAPI(d.HRID, app.ID)
	res = api.do(http.MethodPatch, appURL, map[string]any{"name": "Renamed", "certificate": foreign.ID}).
		wantError(http.StatusBadRequest, "Choose one of the domain's certificates")
	if _, ok := res.Fields["certificate"]; !ok {
		t.Errorf("fields = %v", res.Fields)
	}
	api.do(http.MethodPatch, appURL, map[string]any{"certificate": 7}, invalidRequest()).wantError(http.StatusBadRequest, "certificate")
	if stored, _ := e.store.ApplicationByID(e.ctx, d.ID, app.ID); stored.Name != "Billing" || stored.CertificateID != nil {
		t.Errorf("refused PATCH changed the application: %q %v", stored.Name, stored.CertificateID)
	}

	// Other refusals: ?use other than sig, a bad rotation algorithm.
	api.do(http.MethodGet, certsPath(d.ID)+"?use=enc", nil, invalidRequest()).wantError(http.StatusBadRequest, "use must be sig")
	api.do(http.MethodPost, certsPath(d.ID)+"/rotate", map[string]any{"algorithm": "HS256"}, invalidRequest()).
		wantError(http.StatusBadRequest, "Choose ES256")
	api.do(http.MethodPost, certsPath(d.ID)+"/rotate", map[string]any{"keySize": 1024, "algorithm": "RS256"}, invalidRequest()).
		wantError(http.StatusBadRequest, "2048, 3072 or 4096")
	if n := len(api.certs(d.ID)); n != before {
		t.Errorf("%d certificates after refused rotations, want %d", n, before)
	}
}

func TestAPICertificatesReadOnly(t *testing.T) {
	e := newEnv(t)
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	viewer := e.createUser("viewer@example.com", "Vic Viewer", viewerPassword, models.RoleViewer)
	d := e.createDomain("Acme", "acme")
	app := e.createApp(d.ID, "Billing")
	cs, err := e.store.Certificates(e.ctx, d.ID)
	if err != nil || len(cs) != 1 {
		t.Fatalf("certificates: %v %v", cs, err)
	}
	cert := certsPath(d.ID) + "/" + cs[0].ID
	for name, tc := range map[string]struct{ token, msg string }{
		"viewer":                {e.apiToken(viewer.Email, viewerPassword), "Your role is read-only"},
		"admin read-only token": {e.personalToken(admin.ID, "reporting", true).Value, "This API token is read-only"},
	} {
		t.Run(name, func(t *testing.T) {
			api := e.api(tc.token)
			api.t = t
			for _, p := range []string{certsPath(d.ID), cert, cert + "/key", cert + "/keys", appPathAPI(d.ID, app.ID)} {
				api.get(p).want(http.StatusOK)
			}
			api.post(certsPath(d.ID), map[string]any{"type": "system", "name": "x"}).wantError(http.StatusForbidden, tc.msg)
			api.post(certsPath(d.ID)+"/rotate", nil).wantError(http.StatusForbidden, tc.msg)
			api.do(http.MethodPut, cert, map[string]any{"name": "x"}).wantError(http.StatusForbidden, tc.msg)
			api.del(cert).wantError(http.StatusForbidden, tc.msg)
			api.do(http.MethodPut, domainPath(d.ID)+"/certificate-settings", map[string]any{"fallbackCertificate": cs[0].ID}).
				wantError(http.StatusForbidden, tc.msg)
			api.patch(appPathAPI(d.ID, app.ID), map[string]any{"certificate": cs[0].ID}).wantError(http.StatusForbidden, tc.msg)
		})
	}
	after, err := e.store.Certificates(e.ctx, d.ID)
	if err != nil || len(after) != 1 || after[0].Name != "Default" || after[0].Fallback || after[0].UsedBy != 0 {
		t.Errorf("refused writes changed the certificates: %+v", after)
	}
}
