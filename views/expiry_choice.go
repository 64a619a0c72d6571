package views

import (
	"strconv"
	"time"

	"latchkey/models"
)

// Expiry choices of the New and Renew dialogs besides the presets, which
// are their number of days ("90", "180", …).
const (
	ExpiryPolicy = "policy"
	ExpiryDate   = "date"
	ExpiryNever  = "never"
)

// DateLayout is the value of an input type=date.
const DateLayout = "2006-01-02"

// ExpiryForm is the expiry part of the New and Renew dialogs: the policy's
// own expiry (the default), Entra's presets and a date, bounded by the
// policy (models.ChooseExpiry decides; this only shows the bound).
type ExpiryForm struct {
	Now time.Time
	// Policy is the policy that applies; Bound its expiry from Now (nil: no
	// policy, so "Never" is offered and is the default).
	Policy models.ExpiryPolicy
	Bound  *time.Time
	// Choice is ExpiryPolicy, ExpiryDate, ExpiryNever or a preset's days;
	// Date the date typed (DateLayout).
	Choice, Date string
	Error        string
}

// expiryPreset is one preset as the dialog shows it.
type expiryPreset struct {
	Days                  int
	Value, Label, Too     string
	Recommended, Disabled bool
}

func (f ExpiryForm) presets() []expiryPreset {
	within := map[int]bool{}
	for _, d := range models.PresetsWithin(f.Now, f.Bound) {
		within[d] = true
	}
	out := make([]expiryPreset, 0, len(models.ExpiryPresetDays))
	for _, d := range models.ExpiryPresetDays {
		p := expiryPreset{Days: d, Value: strconv.Itoa(d), Label: strconv.Itoa(d) + " days",
			Recommended: d == models.RecommendedPresetDays, Disabled: !within[d]}
		if p.Disabled {
			p.Too = "Longer than the policy allows (" + f.Policy.Length() + ")."
		}
		out = append(out, p)
	}
	return out
}

// chosen reports whether value is the selected choice. Nothing chosen is
// the policy's expiry, which without a policy is "never".
func (f ExpiryForm) chosen(value string) bool {
	c := f.Choice
	if c == "" {
		c = ExpiryPolicy
	}
	if c == ExpiryPolicy && f.Bound == nil {
		c = ExpiryNever
	}
	return c == value
}

// policyLabel names the default choice: "Policy: 90 days".
func (f ExpiryForm) policyLabel() string {
	return "Policy: " + f.Policy.Length()
}

// dateMin and dateMax bound the date input as the server will: from
// tomorrow to the policy's expiry.
func (f ExpiryForm) dateMin() string { return f.Now.UTC().AddDate(0, 0, 1).Format(DateLayout) }

func (f ExpiryForm) dateMax() string {
	if f.Bound == nil {
		return ""
	}
	return f.Bound.UTC().Format(DateLayout)
}
