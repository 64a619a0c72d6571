package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// readyz answers readiness probes on both listeners: 200 only when the
// database answers and every migration this binary knows is applied, 503
// with the reason otherwise. /healthz stays liveness (the process works):
// a node whose schema is behind (serve --no-migrate before `latchkey
// migrate up`) is alive but must get no traffic.
func readyz(store *models.Store) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		if err := store.Ping(ctx); err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": "database unreachable"})
		}
		status, err := store.MigrationStatus(ctx)
		if err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": "schema version unknown"})
		}
		current, want, pending := models.SchemaVersions(status)
		if pending > 0 {
			return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "not ready",
				"reason":        fmt.Sprintf("schema at version %d, this binary needs %d: run latchkey migrate up", current, want),
				"schemaVersion": current, "wantVersion": want})
		}
		return c.JSON(http.StatusOK, map[string]any{"status": "ready", "schemaVersion": current})
	}
}
