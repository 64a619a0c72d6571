package web

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"latchkey/models"
)

// TestErrorMappers checks that pages and JSON map each code to the same
// status, and that only internal errors (and outages) are logged.
func TestErrorMappers(t *testing.T) {
	dup := &models.Error{Code: models.CodeConflict, Message: "Secret with description x already exists",
		Fields: map[string]string{"description": "Secret with description x already exists"}, APIFields: map[string]string{"name": "Secret with description x already exists"}}
	tests := []struct {
		name      string
		err       error
		status    int
		internal  bool
		apiMsg    string
		apiFields map[string]string
	}{
		{"not found", fmt.Errorf("load: %w", models.ErrNotFound), http.StatusNotFound, false, "The requested resource does not exist.", nil},
		{"invalid", models.FieldErrors{"name": "Name is required."}, http.StatusBadRequest, false, "Name is required.", map[string]string{"name": "Name is required."}},
		{"conflict", dup, http.StatusBadRequest, false, "Secret with description x already exists", map[string]string{"name": "Secret with description x already exists"}},
		{"limit", &models.LimitError{Max: 2}, http.StatusBadRequest, false, "Too many Client Secrets. Cannot create more than 2 secrets", nil},
		{"stale", fmt.Errorf("renew: %w", models.ErrSecretChanged), http.StatusConflict, false, models.ErrSecretChanged.Message, nil},
		{"last secret", models.ErrLastSecret, http.StatusBadRequest, false, "Cannot remove last secret", nil},
		{"forbidden", models.ErrInvalidToken, http.StatusForbidden, false, "You do not have permission to do this.", nil},
		{"unavailable", &pgconn.PgError{Code: "57014"}, http.StatusServiceUnavailable, true, "Latchkey cannot reach its database at the moment. Try again in a few seconds.", nil},
		{"internal", errors.New("disk on fire"), http.StatusInternalServerError, true, "Latchkey could not complete this request. The problem has been logged; try again in a moment.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe, internal := pageError(tt.err)
			if pe.status != tt.status || internal != tt.internal {
				t.Errorf("page: status %d internal %v, want %d %v", pe.status, internal, tt.status, tt.internal)
			}
			ae, internal := apiError(tt.err)
			if ae.Status != tt.status || internal != tt.internal || ae.Message != tt.apiMsg {
				t.Errorf("API: %d %v %q, want %d %v %q", ae.Status, internal, ae.Message, tt.status, tt.internal, tt.apiMsg)
			}
			if fmt.Sprint(ae.Fields) != fmt.Sprint(tt.apiFields) {
				t.Errorf("API fields = %v, want %v", ae.Fields, tt.apiFields)
			}
			if wantRetry := tt.status == http.StatusServiceUnavailable; (ae.Header.Get("Retry-After") != "") != wantRetry {
				t.Errorf("API Retry-After = %q", ae.Header.Get("Retry-After"))
			}
		})
	}
	// The console words the same rules its own way.
	if pe, _ := pageError(models.ErrLastSecret); pe.message != models.ErrLastSecret.Console {
		t.Errorf("last secret page message = %q", pe.message)
	}
	if pe, _ := pageError(&models.LimitError{Max: 2}); pe.message != "Too many Client Secrets. Cannot create more than 2 secrets." {
		t.Errorf("limit page message = %q", pe.message)
	}
}
