package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"software.sslmate.com/src/go-pkcs12"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func TestGenerateEachAlgorithm(t *testing.T) {
	for _, tc := range []struct {
		alg  string
		bits int
	}{{ES256, 0}, {RS256, 2048}, {RS256, 3072}, {PS256, 0}, {EdDSA, 0}, {"", 0}} {
		c, err := Generate(GenerateOptions{Algorithm: tc.alg, RSABits: tc.bits, Subject: "CN=Latchkey,O=Example", NotBefore: now, ValidityDays: 365})
		if err != nil {
			t.Fatalf("%s: %v", tc.alg, err)
		}
		want := tc.alg
		if want == "" {
			want = ES256
		}
		if c.Algorithm != want {
			t.Errorf("algorithm %s, want %s", c.Algorithm, want)
		}
		if c.NotAfter().Sub(c.NotBefore()) != 365*24*time.Hour || !c.NotBefore().Equal(now) {
			t.Errorf("%s: validity %v – %v", want, c.NotBefore(), c.NotAfter())
		}
		if c.Leaf().Subject.CommonName != "Latchkey" || c.Leaf().Subject.Organization[0] != "Example" {
			t.Errorf("%s: subject %v", want, c.Leaf().Subject)
		}
		if tc.bits != 0 && c.Key.Public().(*rsa.PublicKey).N.BitLen() != tc.bits {
			t.Errorf("%s: RSA size %d", want, c.Key.Public().(*rsa.PublicKey).N.BitLen())
		}
		// A token signed with it verifies against the JWK it publishes.
		jwsAlg := jose.SignatureAlgorithm(want)
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jwsAlg, Key: c.Key}, nil)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := signer.Sign([]byte("payload"))
		if err != nil {
			t.Fatal(err)
		}
		jwk := JWK(c.Chain, "kid-1", want)
		b, err := json.Marshal(jwk)
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{`"kid":"kid-1"`, `"alg":"` + want + `"`, `"use":"sig"`, `"x5c":[`, `"x5t#S256":"`} {
			if !strings.Contains(string(b), field) {
				t.Errorf("%s: JWK %s lacks %s", want, b, field)
			}
		}
		if strings.Contains(string(b), `"d":`) {
			t.Errorf("%s: JWK holds the private key: %s", want, b)
		}
		var back jose.JSONWebKey
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if _, err := obj.Verify(back.Key); err != nil {
			t.Errorf("%s: signature does not verify with the JWK: %v", want, err)
		}
		pub, err := c.PublicKeyPEM()
		if err != nil || !strings.HasPrefix(pub, "-----BEGIN PUBLIC KEY-----") {
			t.Errorf("%s: public PEM %q, %v", want, pub, err)
		}
		// What is stored loads back to the same key.
		der, err := c.PrivateKeyDER()
		if err != nil {
			t.Fatal(err)
		}
		l, err := Load(c.ChainPEM(), der, c.Algorithm)
		if err != nil {
			t.Fatal(err)
		}
		if !samePublicKey(l.Key.Public(), c.Leaf().PublicKey) {
			t.Errorf("%s: loaded key differs", want)
		}
	}
}

func TestGenerateRefusals(t *testing.T) {
	for _, o := range []struct {
		opts GenerateOptions
		want error
	}{
		{GenerateOptions{Algorithm: "HS256", ValidityDays: 1}, ErrAlgorithm},
		{GenerateOptions{Algorithm: RS256, RSABits: 1024, ValidityDays: 1}, ErrRSASize},
	} {
		if _, err := Generate(o.opts); !errors.Is(err, o.want) {
			t.Errorf("%+v: %v, want %v", o.opts, err, o.want)
		}
	}
}

// testCert makes a key and a certificate around it valid from nb to na.
func testCert(t *testing.T, key crypto.Signer, nb, na time.Time) *x509.Certificate {
	t.Helper()
	der, err := SelfSign(key, "CN=upload", nb, na)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParsePEMKeyForms(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	valid := func(k crypto.Signer) []byte {
		c := testCert(t, k, now.Add(-time.Hour), now.AddDate(1, 0, 0))
		return pemOf("CERTIFICATE", c.Raw)
	}
	pkcs8 := func(k crypto.Signer) []byte {
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		return pemOf("PRIVATE KEY", der)
	}
	for _, tc := range []struct {
		name      string
		cert, key []byte
		pss       bool
		alg       string
	}{
		{"EC PKCS#8", valid(ec), pkcs8(ec), false, ES256},
		{"EC SEC1", valid(ec), append(pemOf("EC PARAMETERS", []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}), pemOf("EC PRIVATE KEY", sec1)...), false, ES256},
		{"RSA PKCS#1", valid(rk), pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)), false, RS256},
		{"RSA PKCS#8 as PSS", valid(rk), pkcs8(rk), true, PS256},
		{"Ed25519", valid(ed), pkcs8(ed), false, EdDSA},
	} {
		c, err := ParsePEM(tc.cert, tc.key, UploadOptions{Now: now, PSS: tc.pss})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if c.Algorithm != tc.alg {
			t.Errorf("%s: algorithm %s, want %s", tc.name, c.Algorithm, tc.alg)
		}
	}
	// A chain keeps every certificate, leaf first.
	ca := testCert(t, rk, now.Add(-time.Hour), now.AddDate(2, 0, 0))
	c, err := ParsePEM(append(valid(ec), pemOf("CERTIFICATE", ca.Raw)...), pkcs8(ec), UploadOptions{Now: now})
	if err != nil || len(c.Chain) != 2 || !c.Chain[1].Equal(ca) {
		t.Errorf("chain: %v, %v", c, err)
	}
	if len(JWK(c.Chain, "k", c.Algorithm).Certificates) != 2 {
		t.Error("JWK x5c lacks the chain")
	}
}

func TestUploadRefusals(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	good := testCert(t, ec, now.Add(-time.Hour), now.AddDate(1, 0, 0))
	expired := testCert(t, ec, now.AddDate(-2, 0, 0), now.Add(-time.Second))
	future := testCert(t, ec, now.Add(time.Hour), now.AddDate(1, 0, 0))
	key8 := func(k crypto.Signer) []byte {
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		return pemOf("PRIVATE KEY", der)
	}
	certPEM := func(c *x509.Certificate) []byte { return pemOf("CERTIFICATE", c.Raw) }
	big := make([]byte, MaxUpload+1)
	for _, tc := range []struct {
		name       string
		cert, key  []byte
		field      string
		want       error
		wantSubstr string
	}{
		{"mismatched key", certPEM(good), key8(other), FieldPrivateKey, ErrKeyMismatch, "does not match"},
		{"P-384", certPEM(testCert(t, p384, now.Add(-time.Hour), now.AddDate(1, 0, 0))), key8(p384), FieldPrivateKey, ErrUnsupportedKey, "curve"},
		{"RSA 1024", certPEM(testCert(t, small, now.Add(-time.Hour), now.AddDate(1, 0, 0))), pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small)), FieldPrivateKey, ErrRSATooShort, "2048"},
		{"expired", certPEM(expired), key8(ec), FieldCertificate, ErrExpired, "expired"},
		{"not yet valid", certPEM(future), key8(ec), FieldCertificate, ErrNotYetValid, "not valid yet"},
		{"garbage certificate", []byte("hello"), key8(ec), FieldCertificate, ErrNotCertificate, "not a PEM certificate"},
		{"key given as certificate", key8(ec), key8(ec), FieldCertificate, ErrNotCertificate, "not a PEM certificate"},
		{"garbage key", certPEM(good), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), FieldPrivateKey, ErrNoPrivateKey, "not a PEM private key"},
		{"certificate given as key", certPEM(good), certPEM(good), FieldPrivateKey, ErrNoPrivateKey, "not a PEM private key"},
		{"oversized certificate", big, key8(ec), FieldCertificate, ErrTooLarge, "too large"},
		{"oversized key", certPEM(good), big, FieldPrivateKey, ErrTooLarge, "too large"},
	} {
		_, err := ParsePEM(tc.cert, tc.key, UploadOptions{Now: now})
		var fe *FieldError
		if !errors.Is(err, tc.want) || !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.wantSubstr) {
			t.Errorf("%s: %v (field %v), want %q on %s", tc.name, err, fe, tc.want, tc.field)
		}
	}
}

func TestPKCS12(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	leaf := testCert(t, ec, now.Add(-time.Hour), now.AddDate(1, 0, 0))
	ca := testCert(t, rk, now.Add(-time.Hour), now.AddDate(2, 0, 0))
	pfx, err := pkcs12.Modern.Encode(ec, leaf, []*x509.Certificate{ca}, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParsePKCS12(pfx, "s3cret", UploadOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if c.Algorithm != ES256 || len(c.Chain) != 2 || !c.Leaf().Equal(leaf) {
		t.Errorf("parsed %s with %d certificates", c.Algorithm, len(c.Chain))
	}
	rsaLeaf := testCert(t, rk, now.Add(-time.Hour), now.AddDate(1, 0, 0))
	rsaPfx, _ := pkcs12.Legacy.Encode(rk, rsaLeaf, nil, "pw")
	if c, err := ParsePKCS12(rsaPfx, "pw", UploadOptions{Now: now, PSS: true}); err != nil || c.Algorithm != PS256 {
		t.Errorf("RSA legacy PKCS#12: %v, %v", c, err)
	}

	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mismatched, _ := pkcs12.Modern.Encode(other, leaf, nil, "pw")
	expiredLeaf := testCert(t, ec, now.AddDate(-1, 0, 0), now.Add(-time.Minute))
	expired, _ := pkcs12.Modern.Encode(ec, expiredLeaf, nil, "pw")
	for _, tc := range []struct {
		name, password string
		data           []byte
		field          string
		want           error
	}{
		{"wrong password", "nope", pfx, FieldPassword, ErrWrongPassword},
		{"garbage", "pw", []byte("not a pfx at all"), FieldFile, ErrNotPKCS12},
		{"empty", "pw", nil, FieldFile, ErrNotPKCS12},
		{"oversized", "pw", make([]byte, MaxUpload+1), FieldFile, ErrTooLarge},
		{"mismatched key", "pw", mismatched, FieldFile, ErrKeyMismatch},
		{"expired", "pw", expired, FieldFile, ErrExpired},
	} {
		_, err := ParsePKCS12(tc.data, tc.password, UploadOptions{Now: now})
		var fe *FieldError
		if !errors.Is(err, tc.want) || !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v (%v), want %q on %s", tc.name, err, fe, tc.want, tc.field)
		}
	}
}

func TestEnvelope(t *testing.T) {
	kek := make([]byte, KEKSize)
	_, _ = rand.Read(kek)
	sealed, err := Seal(kek, []byte("private"), "certificate:1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "private") || !IsSealed(sealed) {
		t.Errorf("sealed %q", sealed)
	}
	if got, err := Open(kek, sealed, "certificate:1"); err != nil || string(got) != "private" {
		t.Errorf("open: %q, %v", got, err)
	}
	other := make([]byte, KEKSize)
	if _, err := Open(other, sealed, "certificate:1"); !errors.Is(err, ErrSealed) {
		t.Errorf("another key opened it: %v", err)
	}
	if _, err := Open(kek, sealed, "certificate:2"); !errors.Is(err, ErrSealed) {
		t.Errorf("moved to another row it opened: %v", err)
	}
	if _, err := Open(kek, "plain", "x"); !errors.Is(err, ErrSealed) {
		t.Errorf("plain text opened: %v", err)
	}
	if _, err := Seal(kek[:16], nil, ""); err == nil {
		t.Error("a 16-byte KEK was accepted")
	}
}
