package handlers

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// auditJSON is one audit event as the API shows it, close to Gravitee's
// audit shape (actor, target, outcome). It never holds a secret value: the
// events never record one.
type auditJSON struct {
	ID          string       `json:"id"`
	Type        string       `json:"type"`
	Timestamp   int64        `json:"timestamp"`
	Domain      string       `json:"domain"`
	Application *string      `json:"application"`
	Actor       auditActor   `json:"actor"`
	Target      auditTarget  `json:"target"`
	IPAddress   string       `json:"ipAddress"`
	Outcome     auditOutcome `json:"outcome"`
}

type auditActor struct {
	ID    *string `json:"id"`
	Email string  `json:"email"`
}

type auditTarget struct {
	ID   *string `json:"id"`
	Name string  `json:"name"`
}

type auditOutcome struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toAuditJSON(ev *models.AuditEvent) auditJSON {
	return auditJSON{
		ID: ev.ID, Type: ev.Type, Timestamp: epochMillis(ev.CreatedAt),
		Domain: ev.DomainID, Application: optString(ev.ApplicationID),
		Actor:     auditActor{ID: optString(ev.ActorID), Email: ev.ActorEmail},
		Target:    auditTarget{ID: optString(ev.TargetID), Name: ev.TargetName},
		IPAddress: ev.ClientIP,
		Outcome:   auditOutcome{Status: ev.Outcome, Message: ev.Detail},
	}
}

// maxEpochMillis is the end of year 9999: later times are no filter a
// database can store.
const maxEpochMillis = 253402300799999

// epochParam reads an optional epoch-millisecond query parameter.
func epochParam(c echo.Context, name string, errs map[string]string) time.Time {
	raw := c.QueryParam(name)
	if raw == "" {
		return time.Time{}
	}
	ms, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || ms < 0 || ms > maxEpochMillis {
		errs[name] = name + " must be a time in epoch milliseconds, such as 1767225600000."
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// APIListAudits is GET .../domains/{domain}/audits: the domain's audit
// events, newest first, filtered by type, actor (email), application and a
// time range (from inclusive, to exclusive, epoch milliseconds), in
// zero-based pages of size events (default 10, at most 500), as in
// Gravitee.
func (h *Handler) APIListAudits(c echo.Context) error {
	pageNo, size, err := paging(c, 10, 500)
	if err != nil {
		return err
	}
	d, err := h.apiDomain(c)
	if err != nil {
		return err
	}
	errs := map[string]string{}
	f := models.AuditFilter{DomainID: d.ID, ApplicationID: c.QueryParam("application"), Actor: c.QueryParam("actor"),
		Page: pageNo + 1, PerPage: size}
	if t := c.QueryParam("type"); t != "" {
		if !slices.Contains(models.AuditEventTypes, t) {
			errs["type"] = "type must be one of the audit event types, such as " + models.EventSecretCreated + "."
		}
		f.Type = t
	}
	f.From = epochParam(c, "from", errs)
	f.To = epochParam(c, "to", errs)
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs["to"] = "to must be after from."
	}
	if len(errs) > 0 {
		return fieldError(errs)
	}
	result, err := h.Store.AuditEvents(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := page[auditJSON]{Data: make([]auditJSON, len(result.Events)), CurrentPage: pageNo, TotalCount: int(result.Total)}
	for i := range result.Events {
		out.Data[i] = toAuditJSON(&result.Events[i])
	}
	return c.JSON(http.StatusOK, out)
}
