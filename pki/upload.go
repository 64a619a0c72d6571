package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// MaxUpload is the largest file (PKCS#12, PEM certificate or PEM key)
// accepted: far above any real chain, far below a memory problem.
const MaxUpload = 64 << 10

// UploadOptions are the checks an upload goes through.
type UploadOptions struct {
	// Now is the time validity is checked at.
	Now time.Time
	// PSS makes an RSA key sign PS256 instead of RS256.
	PSS bool
}

// ParsePKCS12 reads a PKCS#12 file (.p12, .pfx) protected by password:
// its key, its certificate and any CA certificates (kept as the chain).
func ParsePKCS12(data []byte, password string, o UploadOptions) (*Certificate, error) {
	if len(data) > MaxUpload {
		return nil, fieldErr(FieldFile, ErrTooLarge)
	}
	if len(data) == 0 {
		return nil, fieldErr(FieldFile, ErrNotPKCS12)
	}
	key, leaf, cas, err := pkcs12.DecodeChain(data, password)
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, fieldErr(FieldPassword, ErrWrongPassword)
	case err != nil:
		var nse pkcs12.NotImplementedError
		if errors.As(err, &nse) {
			return nil, fieldErr(FieldFile, ErrUnsupportedKey)
		}
		return nil, fieldErr(FieldFile, ErrNotPKCS12)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fieldErr(FieldFile, ErrUnsupportedKey)
	}
	return check(append([]*x509.Certificate{leaf}, cas...), signer, FieldFile, o)
}

// ParsePEM reads a PEM certificate (its chain may follow, leaf first) and
// a PEM private key in PKCS#8, PKCS#1 (RSA) or SEC1 (EC) form.
func ParsePEM(certPEM, keyPEM []byte, o UploadOptions) (*Certificate, error) {
	if len(certPEM) > MaxUpload {
		return nil, fieldErr(FieldCertificate, ErrTooLarge)
	}
	if len(keyPEM) > MaxUpload {
		return nil, fieldErr(FieldPrivateKey, ErrTooLarge)
	}
	chain, err := parseChain(certPEM)
	if err != nil {
		return nil, fieldErr(FieldCertificate, ErrNotCertificate)
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	return check(chain, key, FieldPrivateKey, o)
}

// parseChain reads every CERTIFICATE block; anything else, or none, is
// not a certificate.
func parseChain(data []byte) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	rest := bytes.TrimSpace(data)
	for len(rest) > 0 {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil || b.Type != "CERTIFICATE" {
			return nil, ErrNotCertificate
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, ErrNotCertificate
		}
		chain = append(chain, c)
		rest = bytes.TrimSpace(rest)
	}
	if len(chain) == 0 {
		return nil, ErrNotCertificate
	}
	return chain, nil
}

// parsePrivateKey reads the first private key block of data.
func parsePrivateKey(data []byte) (crypto.Signer, error) {
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, fieldErr(FieldPrivateKey, ErrNoPrivateKey)
		}
		var key any
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(b.Bytes)
		case "EC PARAMETERS":
			continue // openssl writes these before a SEC1 key
		default:
			return nil, fieldErr(FieldPrivateKey, ErrNoPrivateKey)
		}
		if err != nil {
			// A well-formed key of a curve Go does not know is reported by
			// the parser as an error; say so rather than "not a key".
			if b.Type != "RSA PRIVATE KEY" && strings.Contains(err.Error(), "unknown") {
				return nil, fieldErr(FieldPrivateKey, ErrUnsupportedKey)
			}
			return nil, fieldErr(FieldPrivateKey, ErrNoPrivateKey)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fieldErr(FieldPrivateKey, ErrUnsupportedKey)
		}
		return signer, nil
	}
}

// check applies the rules every uploaded certificate must meet: a key
// Latchkey can sign with, matching the leaf, which is valid now.
func check(chain []*x509.Certificate, key crypto.Signer, keyField string, o UploadOptions) (*Certificate, error) {
	alg, err := KeyAlgorithm(key.Public(), o.PSS)
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			fe.Field = keyField
		}
		return nil, err
	}
	if !samePublicKey(key.Public(), chain[0].PublicKey) {
		return nil, fieldErr(keyField, ErrKeyMismatch)
	}
	certField := FieldCertificate
	if keyField == FieldFile {
		certField = FieldFile
	}
	if o.Now.Before(chain[0].NotBefore) {
		return nil, fieldErr(certField, ErrNotYetValid)
	}
	if !o.Now.Before(chain[0].NotAfter) {
		return nil, fieldErr(certField, ErrExpired)
	}
	return &Certificate{Chain: chain, Key: key, Algorithm: alg}, nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch k := a.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return k.(equaler).Equal(b)
	}
	return false
}
