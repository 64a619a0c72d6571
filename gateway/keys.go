package gateway

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/go-jose/go-jose/v4"

	"latchkey/models"
	"latchkey/pki"
)

// signingKey is one parsed signing key: a certificate's key pair and the
// algorithm it signs with.
type signingKey struct {
	id       string
	domainID string
	// alg is the JWS algorithm (the token header's alg).
	alg     jose.SignatureAlgorithm
	private crypto.Signer
	// header is the base64url JOSE header of the access tokens it signs:
	// the same for every token, so encoded once.
	header string
	// public is the key as JWKS publishes it: the public half only, with
	// its certificate chain (x5c) and thumbprint (x5t#S256).
	public jose.JSONWebKey
}

// verifyAlgorithms are the algorithms introspection accepts in a header;
// each token must also carry the algorithm of the key its kid names.
var verifyAlgorithms = []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256, jose.EdDSA}

// newSigningKey parses a stored key once for the cache.
func newSigningKey(stored *models.SigningKey) (*signingKey, error) {
	// pki.AppendJWSSignature signs in each of pki's algorithms, with the
	// private key types PKCS#8 parsing gives.
	if !slices.Contains(pki.Algorithms, stored.Algorithm) {
		return nil, fmt.Errorf("certificate %s: unsupported algorithm %q", stored.ID, stored.Algorithm)
	}
	public, err := stored.Certificate.JWK()
	if err != nil {
		return nil, fmt.Errorf("certificate %s: %w", stored.ID, err)
	}
	// RFC 9068 §2.1: typ at+jwt, so a resource server can tell an access
	// token from an ID token signed by the same key. encoding/json sorts
	// a map's keys: {"alg","kid","typ"}, as golang-jwt wrote it.
	header, err := json.Marshal(map[string]string{"alg": stored.Algorithm, "kid": stored.ID, "typ": "at+jwt"})
	if err != nil {
		return nil, err
	}
	return &signingKey{id: stored.ID, domainID: stored.DomainID, alg: jose.SignatureAlgorithm(stored.Algorithm),
		private: stored.Signer, header: base64.RawURLEncoding.EncodeToString(header), public: public}, nil
}

// maxCachedKeys bounds the cache; past it the cache starts again empty
// (keys of deleted domains would otherwise stay for the process's life).
const maxCachedKeys = 10000

// keyCache keeps parsed signing keys in memory by key id: parsing a key and
// building a signer on every token request would cost more than signing.
// A key's material never changes for its id, so an entry never goes stale.
// Which keys a domain has is not cached: the token endpoint learns the
// signing key's id from the query that authenticates the client, and JWKS
// and introspection read the domain's key ids again, so keys added or
// removed (rotation, another node) take effect on the next request.
type keyCache struct {
	store *models.Store

	mu   sync.RWMutex
	byID map[string]*signingKey
	// ofDomain lists the cached ids of each domain, so keys a domain no
	// longer has can be dropped without scanning the whole cache.
	ofDomain map[string]map[string]bool
}

func newKeyCache(store *models.Store) *keyCache {
	return &keyCache{store: store, byID: map[string]*signingKey{}, ofDomain: map[string]map[string]bool{}}
}

// key returns the parsed key with this id, reading it from the database
// the first time.
func (k *keyCache) key(ctx context.Context, id string) (*signingKey, error) {
	k.mu.RLock()
	sk := k.byID[id]
	k.mu.RUnlock()
	if sk != nil {
		return sk, nil
	}
	stored, err := k.store.SigningKeyByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if sk, err = newSigningKey(stored); err != nil {
		return nil, err
	}
	k.mu.Lock()
	if len(k.byID) >= maxCachedKeys {
		k.byID, k.ofDomain = map[string]*signingKey{}, map[string]map[string]bool{}
	}
	k.byID[id] = sk
	if k.ofDomain[sk.domainID] == nil {
		k.ofDomain[sk.domainID] = map[string]bool{}
	}
	k.ofDomain[sk.domainID][id] = true
	k.mu.Unlock()
	return sk, nil
}

// domain returns a domain's keys as the database has them now, newest
// first, and drops cached keys the domain no longer has.
func (k *keyCache) domain(ctx context.Context, domainID string) ([]*signingKey, error) {
	ids, err := k.store.SigningKeyIDs(ctx, domainID)
	if err != nil {
		return nil, err
	}
	keys := make([]*signingKey, 0, len(ids))
	current := make(map[string]bool, len(ids))
	for _, id := range ids {
		sk, err := k.key(ctx, id)
		if errors.Is(err, models.ErrNotFound) {
			continue // removed since the ids were read
		}
		if err != nil {
			return nil, err
		}
		keys = append(keys, sk)
		current[id] = true
	}
	k.mu.Lock()
	for id := range k.ofDomain[domainID] {
		if !current[id] {
			delete(k.byID, id)
			delete(k.ofDomain[domainID], id)
		}
	}
	k.mu.Unlock()
	return keys, nil
}

// signer returns the key that signs the client's tokens: the certificate
// the authentication query chose (the application's, else the domain's
// fallback, else its current system certificate), parsed once per id.
func (k *keyCache) signer(ctx context.Context, client *models.AuthenticatedClient) (*signingKey, error) {
	if client.SigningKeyID != "" {
		sk, err := k.key(ctx, client.SigningKeyID)
		if !errors.Is(err, models.ErrNotFound) {
			return sk, err
		}
		// Removed since the client was authenticated: read the keys again.
	}
	// A domain without a key (created before keys existed) gets its first
	// one here.
	keys, err := k.domain(ctx, client.DomainID)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("domain has no signing key")
	}
	return keys[0], nil
}

// jwks is the JWKS document of these keys.
func jwks(keys []*signingKey) jose.JSONWebKeySet {
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, len(keys))}
	for i, sk := range keys {
		set.Keys[i] = sk.public
	}
	return set
}

// algorithms lists the distinct algorithms of these keys, in their order:
// the ones a domain's tokens may be signed with.
func algorithms(keys []*signingKey) []string {
	var out []string
	seen := map[jose.SignatureAlgorithm]bool{}
	for _, sk := range keys {
		if !seen[sk.alg] {
			seen[sk.alg] = true
			out = append(out, string(sk.alg))
		}
	}
	return out
}
