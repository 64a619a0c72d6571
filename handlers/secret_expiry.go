package handlers

import (
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

// expiryForm is the expiry part of the New and Renew dialogs for
// application a of domain d, as seen now: the policy's bound and the
// presets within it.
func (h *Handler) expiryForm(d *models.Domain, a *models.Application) views.ExpiryForm {
	now := h.Store.Now().UTC()
	dp, ap := d.SecretPolicy(), a.SecretPolicy()
	return views.ExpiryForm{Now: now, Policy: models.EffectivePolicy(dp, ap), Bound: models.ExpiryBound(now, dp, ap)}
}

// postedExpiry reads the dialog's expiry (the radio "expiry" and the date
// "expiresOn") into the form to show again and the models' choice. Only
// the reading happens here: models.ChooseExpiry decides what is allowed. A
// date is that day at the current time of day (UTC), so the date of a
// preset's end is the preset's expiry.
func postedExpiry(c echo.Context, f views.ExpiryForm) (views.ExpiryForm, models.ExpiryChoice, error) {
	f.Choice, f.Date = c.FormValue("expiry"), c.FormValue("expiresOn")
	now := f.Now
	switch f.Choice {
	case "", views.ExpiryPolicy:
		return f, models.ExpiryChoice{}, nil
	case views.ExpiryNever:
		return f, models.ExpiryChoice{Never: true}, nil
	case views.ExpiryDate:
		day, err := time.Parse(views.DateLayout, f.Date)
		if err != nil {
			return f, models.ExpiryChoice{}, models.FieldErrors{"expiresAt": "Enter the expiry date as YYYY-MM-DD."}
		}
		at := day.Add(now.Sub(now.Truncate(24 * time.Hour)))
		return f, models.ExpiryChoice{At: &at}, nil
	}
	days, err := strconv.Atoi(f.Choice)
	if err != nil || !slices.Contains(models.ExpiryPresetDays, days) {
		return f, models.ExpiryChoice{}, models.FieldErrors{"expiresAt": "Choose one of the offered expiries."}
	}
	at := now.AddDate(0, 0, days)
	return f, models.ExpiryChoice{At: &at}, nil
}

// expiryRefusal puts the models' refusal of the chosen expiry into the
// form; ok is false when err is about something else.
func expiryRefusal(f *views.ExpiryForm, err error) bool {
	fe, ok := models.AsFieldErrors(err)
	if !ok || fe["expiresAt"] == "" {
		return false
	}
	f.Error = fe["expiresAt"]
	return true
}
