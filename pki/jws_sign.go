package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// AppendJWSSignature appends to dst the base64url signature of a JWS
// signing input (RFC 7515 §5.1) by key in alg: ES256 as the 64 bytes R||S
// (RFC 7518 §3.4), RS256 PKCS #1 v1.5 and PS256 PSS with a salt as long as
// the hash (§3.3, §3.5, as golang-jwt signs), EdDSA Ed25519 (RFC 8037).
// input may be dst's own bytes: it is read before dst grows.
//
// The token endpoint signs every access token with it, and the load
// test's work floor too. It is the standard library's signature and no
// more: golang-jwt's signers around it cost 4 allocations more a token
// (a hash object, big integers) on the request path (issue 19).
func AppendJWSSignature(dst []byte, alg string, key crypto.Signer, input []byte) ([]byte, error) {
	var sig []byte
	var err error
	switch k := key.(type) {
	case ed25519.PrivateKey:
		if alg != EdDSA {
			return dst, keyAlgError(alg, key)
		}
		sig = ed25519.Sign(k, input)
	case *ecdsa.PrivateKey:
		if alg != ES256 || k.Curve.Params().BitSize != 256 {
			return dst, keyAlgError(alg, key)
		}
		h := sha256.Sum256(input)
		der, err := ecdsa.SignASN1(rand.Reader, k, h[:])
		if err != nil {
			return dst, err
		}
		var raw [64]byte
		if !derToRaw(der, raw[:32], raw[32:]) {
			return dst, errors.New("pki: malformed ECDSA signature")
		}
		return base64.RawURLEncoding.AppendEncode(dst, raw[:]), nil
	case *rsa.PrivateKey:
		h := sha256.Sum256(input)
		switch alg {
		case RS256:
			sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
		case PS256:
			sig, err = rsa.SignPSS(rand.Reader, k, crypto.SHA256, h[:], pssSigning)
		default:
			return dst, keyAlgError(alg, key)
		}
		if err != nil {
			return dst, err
		}
	default:
		return dst, keyAlgError(alg, key)
	}
	return base64.RawURLEncoding.AppendEncode(dst, sig), nil
}

// pssSigning are PS256's options: the salt as long as the hash.
var pssSigning = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}

func keyAlgError(alg string, key crypto.Signer) error {
	return fmt.Errorf("pki: a %T cannot sign %s", key, alg)
}

// derToRaw writes an ASN.1 ECDSA-Sig-Value's r and s (SEQUENCE of two
// INTEGERs) big-endian into r and s, left-padded with zeros; false when
// der is not one or a value is negative or too long.
func derToRaw(der []byte, r, s []byte) bool {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() {
		return false
	}
	for _, out := range [][]byte{r, s} {
		var v cryptobyte.String
		if !seq.ReadASN1(&v, asn1.INTEGER) || len(v) == 0 || v[0]&0x80 != 0 {
			return false
		}
		for len(v) > 1 && v[0] == 0 {
			v = v[1:]
		}
		if len(v) > len(out) {
			return false
		}
		copy(out[len(out)-len(v):], v)
	}
	return seq.Empty()
}
