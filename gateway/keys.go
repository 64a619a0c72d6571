package gateway

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"sync"

	"github.com/go-jose/go-jose/v4"

	"latchkey/models"
)

// signingKey is one parsed signing key.
type signingKey struct {
	id       string
	domainID string
	private  *ecdsa.PrivateKey
	// public is the key as JWKS publishes it: the public half only.
	public jose.JSONWebKey
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
	priv, err := stored.ECDSA()
	if err != nil {
		return nil, err
	}
	sk = &signingKey{id: stored.ID, domainID: stored.DomainID, private: priv, public: jose.JSONWebKey{
		Key: priv.Public().(*ecdsa.PublicKey), KeyID: stored.ID, Algorithm: stored.Algorithm, Use: "sig",
	}}
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

// signer returns the key that signs the client's tokens: its domain's
// newest key, as found by the authentication query.
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
