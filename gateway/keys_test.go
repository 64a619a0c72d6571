package gateway

import (
	"context"
	"errors"
	"testing"

	"latchkey/internal/testdb"
	"latchkey/models"
)

// A key its domain no longer has leaves the cache when the domain's keys
// are read again, so keys that come and go (rotation) do not pile up, and
// a removed key is never handed out as the domain's.
func TestKeyCacheDropsRemovedKeys(t *testing.T) {
	ctx := context.Background()
	store, err := models.Open(ctx, testdb.DSN(t), nil, models.WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	d, err := store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Acme", HRID: "acme", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	k := newKeyCache(store)
	keys, err := k.domain(ctx, d.ID)
	if err != nil || len(keys) != 1 {
		t.Fatalf("domain keys = %v, %v; want the one created with the domain", keys, err)
	}
	first := keys[0].id
	if sk, err := k.key(ctx, first); err != nil || sk != keys[0] {
		t.Fatalf("key(%s) = %v, %v; want the cached key", first, sk, err)
	}

	db, err := store.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM certificates WHERE id = $1`, first); err != nil {
		t.Fatal(err)
	}
	// The domain has no key now: reading its keys creates a new one and
	// forgets the removed one.
	keys, err = k.domain(ctx, d.ID)
	if err != nil || len(keys) != 1 || keys[0].id == first {
		t.Fatalf("domain keys after removing %s = %v, %v; want one new key", first, keys, err)
	}
	k.mu.RLock()
	_, cached := k.byID[first]
	n := len(k.ofDomain[d.ID])
	k.mu.RUnlock()
	if cached || n != 1 {
		t.Fatalf("removed key still cached: %v; cached ids of the domain: %d, want 1", cached, n)
	}
	if _, err := k.key(ctx, first); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("key(%s) after removal: %v, want ErrNotFound", first, err)
	}
}
