package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"
)

// A DER certificate is read as it is, whatever its last byte: one that
// ends in a byte bytes.TrimSpace takes for a blank (about 1 in 40) was
// refused as "neither an X.509 certificate nor a public JWK".
func TestParseClientKeyDEREndingInABlankByte(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 5000 {
		der, err := SelfSign(key, "CN=client", now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(der)) == len(der) {
			continue
		}
		if _, err := ParseClientKey(der, now); err != nil {
			t.Fatalf("a DER certificate ending in %#x (try %d): %v", der[len(der)-1], i, err)
		}
		return
	}
	t.Fatal("no certificate of 5,000 ended in a blank byte")
}
