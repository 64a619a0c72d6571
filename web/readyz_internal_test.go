package web

import (
	"testing"
	"time"

	"latchkey/models"
)

// A schema with pending migrations is behind: models.SchemaVersions reports the
// newest applied version, the newest known one and how many are pending.
func TestSchemaVersions(t *testing.T) {
	now := time.Now()
	status := []models.Migration{{Version: 1, AppliedAt: now}, {Version: 2, AppliedAt: now}, {Version: 3}}
	if cur, want, pending := models.SchemaVersions(status); cur != 2 || want != 3 || pending != 1 {
		t.Fatalf("behind: got %d %d %d", cur, want, pending)
	}
	status[2].AppliedAt = now
	if cur, want, pending := models.SchemaVersions(status); cur != 3 || want != 3 || pending != 0 {
		t.Fatalf("current: got %d %d %d", cur, want, pending)
	}
}
