package models

import (
	"fmt"
	"time"
)

// ExpiryPresetDays are the lifetimes offered for one secret, as Entra
// offers them; 180 days is the recommended one.
var ExpiryPresetDays = []int{90, 180, 365, 545, 730}

// RecommendedPresetDays is the preset marked "recommended".
const RecommendedPresetDays = 180

// ExpiryChoice is the expiry asked for one new or renewed secret. The zero
// value asks for the policy's own expiry (the default).
type ExpiryChoice struct {
	// At is a chosen date; nil: none chosen.
	At *time.Time
	// Never asks for no expiry; only allowed without a policy.
	Never bool
}

// ExpiryBound is the longest expiry a secret may have under the domain
// policy and the application override: ComputeExpiry's result, both the
// default and the maximum; nil means there is no maximum.
func ExpiryBound(now time.Time, domain, app ExpiryPolicy) *time.Time {
	return ComputeExpiry(now, domain, app)
}

// ChooseExpiry is the one rule for an expiry chosen per secret: the
// policy's expiry is the default and the maximum (a chosen date is never
// later); a chosen date must be in the future and within 100 years; "never"
// only when there is no policy. A refusal is a FieldErrors keyed
// "expiresAt" that says the bound.
func ChooseExpiry(now time.Time, domain, app ExpiryPolicy, c ExpiryChoice) (*time.Time, error) {
	bound := ExpiryBound(now, domain, app)
	switch {
	case c.Never && c.At != nil:
		return nil, FieldErrors{"expiresAt": "Choose either a date or no expiry, not both."}
	case c.Never && bound != nil:
		return nil, FieldErrors{"expiresAt": "The policy requires an expiry: choose a date no later than " + bound.UTC().Format(time.RFC3339) + "."}
	case c.Never:
		return nil, nil
	case c.At == nil:
		return bound, nil
	}
	at := c.At.UTC()
	if !at.After(now) {
		return nil, FieldErrors{"expiresAt": "The expiry must be in the future."}
	}
	if bound != nil && at.After(*bound) {
		return nil, FieldErrors{"expiresAt": "The expiry must be no later than " + bound.UTC().Format(time.RFC3339) + ", the longest the policy allows."}
	}
	if limit := now.AddDate(maxExpiryYears, 0, 0); at.After(limit) {
		return nil, FieldErrors{"expiresAt": fmt.Sprintf("The expiry must be within %d years.", maxExpiryYears)}
	}
	return &at, nil
}

// PresetsWithin returns the presets (in days) that end no later than the
// bound; all of them when bound is nil.
func PresetsWithin(now time.Time, bound *time.Time) []int {
	var out []int
	for _, d := range ExpiryPresetDays {
		if bound == nil || !now.AddDate(0, 0, d).After(*bound) {
			out = append(out, d)
		}
	}
	return out
}
