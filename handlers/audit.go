package handlers

import (
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

// AuditLog lists recorded events, newest first, filtered by domain,
// application, event type, actor and date range, 50 to a page, paged by
// keyset (?after= for older events, ?before= for newer ones).
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
	_, req := listRequest(c)
	result, err := h.Store.AuditEventsPage(ctx, f, req)
	if err != nil {
		return err
	}
	domains, domainNames, appNames, err := h.Store.AuditPageNames(ctx, append(result.Items, models.AuditEvent{ApplicationID: f.ApplicationID}))
	if err != nil {
		return err
	}
	pager := listPager("/audit", map[string]string{
		"domain": form.Domain, "application": form.Application, "type": form.Type,
		"actor": form.Actor, "from": form.From, "to": form.To,
	}, result.Prev, result.Next, views.AuditListID)
	pager.PrevLabel, pager.NextLabel, pager.Label = "← Newer", "Older →", "Older and newer events"
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	return render(c, status, views.Audit(views.AuditPage{
		Page: h.page(c, "Audit log", "audit"), Filter: form, Errors: errs, Events: result.Items, Pager: pager,
		Domains: domains, DomainNames: domainNames, AppNames: appNames, EventTypes: models.AuditEventTypes,
	}))
}
