package pki

import (
	"encoding/base64"
	"testing"

	gojwt "github.com/golang-jwt/jwt/v5"
)

// Each algorithm's signature verifies with golang-jwt's verifier, an
// implementation of RFC 7518 that is not ours; ES256 many times over, so
// that values of r and s shorter than 32 bytes (about 1 in 128 each) are
// padded right.
func TestAppendJWSSignatureVerifies(t *testing.T) {
	for _, alg := range Algorithms {
		cert, err := Generate(GenerateOptions{Algorithm: alg, Subject: "jws", ValidityDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		n := 3
		if alg == ES256 {
			n = 600
		}
		for i := range n {
			input := "eyJhbGciOiJ4In0." + base64.RawURLEncoding.EncodeToString([]byte{byte(i), byte(i >> 8)})
			dst := append([]byte(nil), "prefix."...)
			out, err := AppendJWSSignature(dst, alg, cert.Key, []byte(input))
			if err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
			if string(out[:7]) != "prefix." {
				t.Fatalf("%s: dst's bytes were not kept: %q", alg, out[:7])
			}
			sig, err := base64.RawURLEncoding.DecodeString(string(out[7:]))
			if err != nil {
				t.Fatalf("%s: not base64url: %v", alg, err)
			}
			if err := gojwt.GetSigningMethod(alg).Verify(input, sig, cert.Key.Public()); err != nil {
				t.Fatalf("%s, signature %d: %v", alg, i, err)
			}
			if alg == ES256 && len(sig) != 64 {
				t.Fatalf("ES256 signature of %d bytes", len(sig))
			}
		}
	}
}

// The signing input may be dst's own bytes, as the token endpoint passes
// it.
func TestAppendJWSSignatureOverItsOwnBuffer(t *testing.T) {
	cert, err := Generate(GenerateOptions{Algorithm: EdDSA, Subject: "jws", ValidityDays: 1})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 20) // too small: appending reallocates
	buf = append(buf, "header.payload"...)
	out, err := AppendJWSSignature(append(buf, '.'), EdDSA, cert.Key, buf)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(string(out[len("header.payload."):]))
	if err := gojwt.SigningMethodEdDSA.Verify("header.payload", sig, cert.Key.Public()); err != nil {
		t.Fatal(err)
	}
}

// A key signs only with its own algorithm.
func TestAppendJWSSignatureRefusesAnotherAlgorithm(t *testing.T) {
	for alg, other := range map[string]string{ES256: RS256, RS256: EdDSA, PS256: ES256, EdDSA: PS256} {
		cert, err := Generate(GenerateOptions{Algorithm: alg, Subject: "jws", ValidityDays: 1})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := AppendJWSSignature([]byte("x"), other, cert.Key, []byte("in")); err == nil || string(out) != "x" {
			t.Errorf("a %s key signed %s: %q, %v", alg, other, out, err)
		}
	}
}

func TestDERToRawRefusesMalformed(t *testing.T) {
	var r, s [32]byte
	long := append([]byte{0x30, 0x25, 0x02, 0x21, 0x01}, make([]byte, 32)...)
	long = append(long, 0x02, 0x00)
	for name, der := range map[string][]byte{
		"empty":        {},
		"not sequence": {0x02, 0x01, 0x01},
		"one integer":  {0x30, 0x03, 0x02, 0x01, 0x01},
		"negative":     {0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01},
		"trailing":     {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00},
		"too long":     long,
	} {
		if derToRaw(der, r[:], s[:]) {
			t.Errorf("%s: accepted", name)
		}
	}
	if !derToRaw([]byte{0x30, 0x07, 0x02, 0x02, 0x00, 0x81, 0x02, 0x01, 0x05}, r[:], s[:]) || r[31] != 0x81 || r[30] != 0 || s[31] != 5 {
		t.Errorf("r %x s %x", r, s)
	}
}
