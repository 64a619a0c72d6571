package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// `serve --no-migrate` on a database whose schema is behind refuses to
// serve, names the version it needs, and applies nothing.
func TestServeNoMigrateRefusesBehindSchema(t *testing.T) {
	inTempDir(t)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve", "--no-migrate"}, strings.NewReader(""), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "needs version") || !strings.Contains(err.Error(), "latchkey migrate up") {
		t.Fatalf("serve --no-migrate on a new database: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"migrate", "status"}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "Z\n") || !strings.Contains(out.String(), "pending") {
		t.Fatalf("serve --no-migrate applied migrations:\n%s", out.String())
	}
}
