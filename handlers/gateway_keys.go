package handlers

import (
	"context"
	"crypto/ecdsa"
	"sync"

	"github.com/go-jose/go-jose/v4"

	"latchkey/models"
)

// domainKeys is a domain's parsed signing material.
type domainKeys struct {
	// signing is the newest key, which signs; kid is its id.
	signing *ecdsa.PrivateKey
	kid     string
	// public is the JWKS document: public halves only.
	public jose.JSONWebKeySet
}

// keyCache keeps each domain's parsed keys in memory: parsing a key and
// building a signer on every token request would cost more than signing.
// Keys do not change once created, so entries never go stale; what decides
// whether a client may get a token (its secret) is never cached.
type keyCache struct {
	store *models.Store
	mu    sync.RWMutex
	byID  map[string]*domainKeys
}

func newKeyCache(store *models.Store) *keyCache {
	return &keyCache{store: store, byID: map[string]*domainKeys{}}
}

func (k *keyCache) get(ctx context.Context, domainID string) (*domainKeys, error) {
	k.mu.RLock()
	dk := k.byID[domainID]
	k.mu.RUnlock()
	if dk != nil {
		return dk, nil
	}
	keys, err := k.store.SigningKeys(ctx, domainID)
	if err != nil {
		return nil, err
	}
	dk = &domainKeys{}
	for i, sk := range keys {
		priv, err := sk.ECDSA()
		if err != nil {
			return nil, err
		}
		if i == 0 { // the newest key signs
			dk.signing, dk.kid = priv, sk.ID
		}
		dk.public.Keys = append(dk.public.Keys, jose.JSONWebKey{
			Key: priv.Public().(*ecdsa.PublicKey), KeyID: sk.ID, Algorithm: sk.Algorithm, Use: "sig",
		})
	}
	k.mu.Lock()
	k.byID[domainID] = dk
	k.mu.Unlock()
	return dk, nil
}
