package handlers

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

// AuditLog lists recorded events, newest first, filtered by domain,
// application, event type, actor and date range, 50 to a page.
func (h *Handler) AuditLog(c echo.Context) error {
	ctx := c.Request().Context()
	form := views.AuditFilterForm{
		Domain: c.QueryParam("domain"), Application: c.QueryParam("application"), Type: c.QueryParam("type"),
		Actor: c.QueryParam("actor"), From: c.QueryParam("from"), To: c.QueryParam("to"),
	}
	f := models.AuditFilter{DomainID: form.Domain, ApplicationID: form.Application, Actor: form.Actor}
	errs := models.FieldErrors{}
	if form.Type != "" {
		if slices.Contains(models.AuditEventTypes, form.Type) {
			f.Type = form.Type
		} else {
			errs["type"] = "Unknown event type."
		}
	}
	if form.From != "" {
		if t, err := time.Parse(time.DateOnly, form.From); err != nil {
			errs["from"] = "Use a date such as 2026-01-31."
		} else {
			f.From = t
		}
	}
	if form.To != "" {
		if t, err := time.Parse(time.DateOnly, form.To); err != nil {
			errs["to"] = "Use a date such as 2026-01-31."
		} else {
			f.To = t.AddDate(0, 0, 1) // the whole "to" day is included
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs["to"] = "The end date must not be before the start date."
		f.To = time.Time{}
	}
	f.Page, _ = strconv.Atoi(c.QueryParam("page"))
	result, err := h.Store.AuditEvents(ctx, f)
	if err != nil {
		return err
	}
	domainNames, appNames, err := h.Store.AuditNames(ctx, append(result.Events, models.AuditEvent{ApplicationID: f.ApplicationID}))
	if err != nil {
		return err
	}
	domains, err := h.Store.Domains(ctx, "")
	if err != nil {
		return err
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	return render(c, status, views.Audit(views.AuditPage{
		Page: h.page(c, "Audit log", "audit"), Filter: form, Errors: errs, Result: result,
		Domains: domains, DomainNames: domainNames, AppNames: appNames, EventTypes: models.AuditEventTypes,
	}))
}
