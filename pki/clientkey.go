package pki

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Client key formats: how a client's public key was uploaded, and how it is
// stored (ClientKey.Stored).
const (
	// FormatX509 is an X.509 certificate, stored as one PEM CERTIFICATE
	// block.
	FormatX509 = "x509"
	// FormatJWK is a public JWK, stored as its JSON.
	FormatJWK = "jwk"
)

// The reasons a client certificate upload is refused.
const (
	ErrClientPrivateKey = Reason("The upload contains a private key. Keep the private key with the client; upload only its certificate or public key.")
	ErrNotClientKey     = Reason("This is neither an X.509 certificate (PEM or DER: .pem, .cer, .crt) nor a public JWK.")
	ErrJWKSCount        = Reason("The JWK Set must hold exactly one key.")
	ErrJWKAlgorithm     = Reason("The JWK's alg does not fit its key: use RS256 or PS256 for RSA, ES256 for P-256 and EdDSA for Ed25519.")
)

// ClientKey is a client's public key as uploaded for private_key_jwt
// (RFC 7523): a certificate or a JWK, checked.
type ClientKey struct {
	// Format is FormatX509 or FormatJWK.
	Format string
	// Public is the public key.
	Public crypto.PublicKey
	// Algorithm is the JWS algorithm the client signs with: RS256 for
	// RSA unless a JWK says PS256, ES256 for P-256, EdDSA for Ed25519.
	Algorithm string
	// Thumbprint is base64url(SHA-256) of the certificate's DER (x5t#S256)
	// for a certificate, and the RFC 7638 JWK thumbprint for a JWK.
	Thumbprint string
	// KeyID is the JWK's kid, else the thumbprint.
	KeyID string
	// NotBefore and NotAfter bound a certificate's validity; zero for a
	// JWK without x5c.
	NotBefore, NotAfter time.Time
	// Stored is what is kept: the certificate as PEM, or the public JWK's
	// JSON. Public material: nothing to seal.
	Stored string
}

// ParseClientKey reads an uploaded client certificate: an X.509
// certificate in PEM or DER form, or a public JWK (a JSON object, or a
// JWK Set with exactly one key), checked at now. Errors are *FieldError on
// FieldCertificate, each saying what to fix: a private key, an expired or
// not yet valid certificate, an RSA key under MinRSABits, an unsupported
// key type or curve, or nothing readable.
func ParseClientKey(data []byte, now time.Time) (*ClientKey, error) {
	if len(data) > MaxUpload {
		return nil, fieldErr(FieldCertificate, ErrTooLarge)
	}
	trimmed := bytes.TrimSpace(data)
	var k *ClientKey
	var err error
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")):
		k, err = parseClientJWK(trimmed)
	case bytes.Contains(trimmed, []byte("-----BEGIN")):
		k, err = parseClientPEM(trimmed)
	default:
		// DER is binary, not text: its last bytes may be what TrimSpace
		// takes for blanks (about 1 certificate in 40 ends so).
		k, err = parseClientDER(data)
	}
	if err != nil {
		return nil, fieldErr(FieldCertificate, err)
	}
	if !k.NotAfter.IsZero() {
		if now.Before(k.NotBefore) {
			return nil, fieldErr(FieldCertificate, ErrNotYetValid)
		}
		if !now.Before(k.NotAfter) {
			return nil, fieldErr(FieldCertificate, ErrExpired)
		}
	}
	return k, nil
}

// parseClientPEM reads the first CERTIFICATE block; a private key anywhere
// in the upload refuses it all.
func parseClientPEM(data []byte) (*ClientKey, error) {
	var leaf *x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case strings.Contains(b.Type, "PRIVATE KEY"):
			return nil, ErrClientPrivateKey
		case b.Type == "CERTIFICATE" && leaf == nil:
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, ErrNotClientKey
			}
			leaf = c
		}
	}
	if leaf == nil {
		return nil, ErrNotClientKey
	}
	return clientKeyOfCertificate(leaf)
}

// parseClientDER reads a DER certificate; DER private keys are recognised
// to be refused as such.
func parseClientDER(data []byte) (*ClientKey, error) {
	c, err := x509.ParseCertificate(data)
	if err == nil {
		return clientKeyOfCertificate(c)
	}
	if _, err := x509.ParsePKCS8PrivateKey(data); err == nil {
		return nil, ErrClientPrivateKey
	}
	if _, err := x509.ParsePKCS1PrivateKey(data); err == nil {
		return nil, ErrClientPrivateKey
	}
	if _, err := x509.ParseECPrivateKey(data); err == nil {
		return nil, ErrClientPrivateKey
	}
	return nil, ErrNotClientKey
}

func clientKeyOfCertificate(c *x509.Certificate) (*ClientKey, error) {
	alg, err := clientAlgorithm(c.PublicKey, "")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(c.Raw)
	tp := base64.RawURLEncoding.EncodeToString(sum[:])
	return &ClientKey{
		Format: FormatX509, Public: c.PublicKey, Algorithm: alg, Thumbprint: tp, KeyID: tp,
		NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		Stored: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})),
	}, nil
}

// privateJWKMembers are the members only a private (or symmetric) JWK has
// (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// parseClientJWK reads a public JWK, or a JWK Set with exactly one key.
func parseClientJWK(data []byte) (*ClientKey, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return nil, ErrNotClientKey
	}
	if raw, ok := members["keys"]; ok {
		var keys []json.RawMessage
		if err := json.Unmarshal(raw, &keys); err != nil {
			return nil, ErrNotClientKey
		}
		if len(keys) != 1 {
			return nil, ErrJWKSCount
		}
		return parseClientJWK(bytes.TrimSpace(keys[0]))
	}
	for _, m := range privateJWKMembers {
		if _, ok := members[m]; ok {
			if m == "k" {
				return nil, ErrUnsupportedKey // a shared (oct) key is not a key pair
			}
			return nil, ErrClientPrivateKey
		}
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(data); err != nil {
		if strings.Contains(err.Error(), "unsupported") || strings.Contains(err.Error(), "unknown") {
			return nil, ErrUnsupportedKey
		}
		return nil, ErrNotClientKey
	}
	if !jwk.IsPublic() {
		return nil, ErrClientPrivateKey
	}
	alg, err := clientAlgorithm(jwk.Key, jwk.Algorithm)
	if err != nil {
		return nil, err
	}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, ErrUnsupportedKey
	}
	tp := base64.RawURLEncoding.EncodeToString(sum)
	k := &ClientKey{Format: FormatJWK, Public: jwk.Key, Algorithm: alg, Thumbprint: tp, KeyID: jwk.KeyID}
	if k.KeyID == "" {
		k.KeyID = tp
	}
	if len(jwk.Certificates) > 0 {
		k.NotBefore, k.NotAfter = jwk.Certificates[0].NotBefore, jwk.Certificates[0].NotAfter
	}
	// What is stored is the key re-encoded: only public members, with the
	// kid and alg that decide how it is used.
	stored := jose.JSONWebKey{Key: jwk.Key, KeyID: k.KeyID, Algorithm: alg, Use: "sig", Certificates: jwk.Certificates}
	out, err := stored.MarshalJSON()
	if err != nil {
		return nil, ErrNotClientKey
	}
	k.Stored = string(out)
	return k, nil
}

// clientAlgorithm is the algorithm a client key signs with; jwkAlg is the
// JWK's alg ("" for a certificate), which may only say what the key is.
func clientAlgorithm(pub crypto.PublicKey, jwkAlg string) (string, error) {
	alg, err := KeyAlgorithm(pub, jwkAlg == PS256)
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return "", fe.Err
		}
		return "", err
	}
	if jwkAlg != "" && jwkAlg != alg {
		return "", ErrJWKAlgorithm
	}
	return alg, nil
}

// LoadClientKey reads a stored client key (ClientKey.Stored of format)
// back into its public key, without the upload checks: it was checked
// when it was added.
func LoadClientKey(format, stored string) (crypto.PublicKey, error) {
	switch format {
	case FormatX509:
		b, _ := pem.Decode([]byte(stored))
		if b == nil {
			return nil, ErrNotCertificate
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		return c.PublicKey, nil
	case FormatJWK:
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON([]byte(stored)); err != nil {
			return nil, err
		}
		return jwk.Key, nil
	}
	return nil, errors.New("pki: unknown client key format " + format)
}

// IsRSA reports whether pub is an RSA key (which verifies RS256 and PS256).
func IsRSA(pub crypto.PublicKey) bool {
	_, ok := pub.(*rsa.PublicKey)
	return ok
}
