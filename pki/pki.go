// Package pki makes and reads the certificates that sign a domain's tokens:
// it generates self-signed system certificates, parses uploaded ones
// (PKCS#12, or PEM certificate chain plus PEM private key), exports public
// keys as PEM and JWK, and seals private keys for storage (envelope.go). It
// knows nothing of the database.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The token signing algorithms (JWS "alg" values) a certificate can have.
const (
	ES256 = "ES256" // ECDSA P-256 with SHA-256, the default
	RS256 = "RS256" // RSA PKCS#1 v1.5 with SHA-256
	PS256 = "PS256" // RSA-PSS with SHA-256
	EdDSA = "EdDSA" // Ed25519
)

// Algorithms lists the supported algorithms, the default first.
var Algorithms = []string{ES256, RS256, PS256, EdDSA}

// RSASizes are the RSA key sizes a system certificate may have; the first
// is the default. Uploaded RSA keys may be any size from MinRSABits.
var RSASizes = []int{2048, 3072, 4096}

// MinRSABits is the shortest RSA key accepted.
const MinRSABits = 2048

// Certificate is a parsed certificate chain (leaf first) with its private
// key and the algorithm it signs tokens with.
type Certificate struct {
	Chain     []*x509.Certificate
	Key       crypto.Signer
	Algorithm string
}

// Leaf is the certificate whose key signs.
func (c *Certificate) Leaf() *x509.Certificate { return c.Chain[0] }

// NotBefore is when the certificate becomes valid.
func (c *Certificate) NotBefore() time.Time { return c.Leaf().NotBefore }

// NotAfter is when the certificate expires.
func (c *Certificate) NotAfter() time.Time { return c.Leaf().NotAfter }

// ChainPEM returns the chain as PEM CERTIFICATE blocks, leaf first.
func (c *Certificate) ChainPEM() string {
	var b strings.Builder
	for _, cert := range c.Chain {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	}
	return b.String()
}

// PrivateKeyDER returns the private key in PKCS#8 DER: what Seal is given
// to store. Never log, show or return it.
func (c *Certificate) PrivateKeyDER() ([]byte, error) { return x509.MarshalPKCS8PrivateKey(c.Key) }

// GenerateOptions says what system certificate to make.
type GenerateOptions struct {
	// Algorithm is one of Algorithms; ES256 when empty.
	Algorithm string
	// RSABits is the RSA key size for RS256 and PS256 (one of RSASizes);
	// 2048 when 0.
	RSABits int
	// Subject is the certificate's subject, a distinguished name such as
	// "CN=Latchkey,O=Example" or a bare common name.
	Subject string
	// NotBefore is when it becomes valid (now); it is valid for
	// ValidityDays days.
	NotBefore    time.Time
	ValidityDays int
}

// Generate makes a new key of the chosen algorithm and a self-signed
// certificate around it.
func Generate(o GenerateOptions) (*Certificate, error) {
	alg := o.Algorithm
	if alg == "" {
		alg = ES256
	}
	var key crypto.Signer
	var err error
	switch alg {
	case ES256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RS256, PS256:
		bits := o.RSABits
		if bits == 0 {
			bits = RSASizes[0]
		}
		if !slices.Contains(RSASizes, bits) {
			return nil, fieldErr(FieldRSABits, ErrRSASize)
		}
		key, err = rsa.GenerateKey(rand.Reader, bits)
	case EdDSA:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fieldErr(FieldAlgorithm, ErrAlgorithm)
	}
	if err != nil {
		return nil, err
	}
	if o.ValidityDays < 1 {
		return nil, errors.New("pki: validity must be at least one day")
	}
	nb := o.NotBefore.UTC().Truncate(time.Second)
	der, err := SelfSign(key, o.Subject, nb, nb.AddDate(0, 0, o.ValidityDays))
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Certificate{Chain: []*x509.Certificate{leaf}, Key: key, Algorithm: alg}, nil
}

// SelfSign returns the DER of a self-signed certificate for key with this
// subject and validity, usable for digital signatures.
func SelfSign(key crypto.Signer, subject string, notBefore, notAfter time.Time) ([]byte, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	name := ParseSubject(subject)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		Issuer:                name,
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	return x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
}

// ParseSubject reads a distinguished name written as comma-separated
// KEY=value pairs (CN, O, OU, L, ST, C); text without "=" is a common name.
func ParseSubject(s string) pkix.Name {
	var n pkix.Name
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "=") {
		n.CommonName = s
		return n
	}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToUpper(strings.TrimSpace(k)) {
		case "CN":
			n.CommonName = v
		case "O":
			n.Organization = append(n.Organization, v)
		case "OU":
			n.OrganizationalUnit = append(n.OrganizationalUnit, v)
		case "L":
			n.Locality = append(n.Locality, v)
		case "ST":
			n.Province = append(n.Province, v)
		case "C":
			n.Country = append(n.Country, v)
		}
	}
	return n
}

// KeyAlgorithm returns the algorithm a key signs with, or an error when
// Latchkey cannot sign with it. An RSA key signs RS256 unless preferPSS.
func KeyAlgorithm(key crypto.PublicKey, preferPSS bool) (string, error) {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fieldErr(FieldPrivateKey, ErrUnsupportedKey)
		}
		return ES256, nil
	case *rsa.PublicKey:
		if k.N.BitLen() < MinRSABits {
			return "", fieldErr(FieldPrivateKey, ErrRSATooShort)
		}
		if preferPSS {
			return PS256, nil
		}
		return RS256, nil
	case ed25519.PublicKey:
		return EdDSA, nil
	}
	return "", fieldErr(FieldPrivateKey, ErrUnsupportedKey)
}

// Load rebuilds a stored certificate from its PEM chain and its PKCS#8
// private key (as Open returns it) without the upload checks: a stored
// certificate was checked when it was created, and an expired one must
// still load to verify the tokens it signed.
func Load(chainPEM string, keyDER []byte, algorithm string) (*Certificate, error) {
	chain, err := parseChain([]byte(chainPEM))
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("pki: stored private key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("pki: stored private key cannot sign")
	}
	return &Certificate{Chain: chain, Key: signer, Algorithm: algorithm}, nil
}

// PublicKeyPEM returns the leaf's public key as a PEM "PUBLIC KEY" block
// (PKIX).
func (c *Certificate) PublicKeyPEM() (string, error) {
	return PublicKeyPEM(c.Leaf())
}

// PublicKeyPEM returns a certificate's public key as a PEM "PUBLIC KEY"
// block (PKIX).
func PublicKeyPEM(cert *x509.Certificate) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(cert.PublicKey)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// JWK returns the public key of a certificate chain (leaf first) as a JWK
// with its key id, algorithm, use "sig", the chain (x5c) and the leaf's
// SHA-256 thumbprint (x5t#S256).
func JWK(chain []*x509.Certificate, kid, alg string) jose.JSONWebKey {
	sum := sha256.Sum256(chain[0].Raw)
	return jose.JSONWebKey{
		Key: chain[0].PublicKey, KeyID: kid, Algorithm: alg, Use: "sig",
		Certificates: chain, CertificateThumbprintSHA256: sum[:],
	}
}

// ParseChainPEM reads a stored PEM chain, leaf first.
func ParseChainPEM(chainPEM string) ([]*x509.Certificate, error) { return parseChain([]byte(chainPEM)) }
