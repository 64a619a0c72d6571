package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Expiry time units. MONTHS and YEARS are calendar units (time.AddDate), so
// "3 MONTHS" from 15 January is 15 April, whatever the month lengths. Go
// normalises impossible dates forward: 31 January + 1 month is 3 March (2 March
// in a leap year), because "31 February" overflows into March.
const (
	UnitNone    = "NONE" // application override only: secrets never expire
	UnitSeconds = "SECONDS"
	UnitMinutes = "MINUTES"
	UnitHours   = "HOURS"
	UnitDays    = "DAYS"
	UnitWeeks   = "WEEKS"
	UnitMonths  = "MONTHS"
	UnitYears   = "YEARS"
)

// ExpiryUnits lists the units a domain policy may use, in display order.
var ExpiryUnits = []string{UnitSeconds, UnitMinutes, UnitHours, UnitDays, UnitWeeks, UnitMonths, UnitYears}

// AppExpiryUnits lists the units an application override may use.
var AppExpiryUnits = append([]string{UnitNone}, ExpiryUnits...)

// Defaults offered when a policy is first switched on.
const (
	DefaultExpiryUnit     = UnitMonths
	DefaultExpiryDuration = 3
)

// MaxExpiry bounds every policy: a secret's lifetime is at most 100 years, so
// no duration can overflow time arithmetic into the past.
const maxExpiryYears = 100

// ExpiryPolicy is a duration in a unit; Enabled false means "no policy".
type ExpiryPolicy struct {
	Enabled  bool
	Unit     string
	Duration int
}

// String describes the policy for people and the audit log.
func (p ExpiryPolicy) String() string {
	switch {
	case !p.Enabled:
		return "no expiry"
	case p.Unit == UnitNone:
		return "never expires"
	}
	return "expires after " + p.Length()
}

// Length is the policy's duration in words, such as "90 days" or
// "1 month"; for a policy without a duration it says so.
func (p ExpiryPolicy) Length() string {
	if !p.Enabled || p.Unit == UnitNone {
		return "no expiry"
	}
	unit := strings.ToLower(p.Unit)
	if p.Duration == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%d %s", p.Duration, unit)
}

// EffectivePolicy is the policy that applies to an application's secrets:
// its override when enabled, the domain's otherwise.
func EffectivePolicy(domain, app ExpiryPolicy) ExpiryPolicy {
	if app.Enabled {
		return app
	}
	return domain
}

// AddExpiry returns t plus duration units; ok is false for an unknown unit.
func AddExpiry(t time.Time, unit string, duration int) (time.Time, bool) {
	d := time.Duration(duration)
	switch unit {
	case UnitSeconds:
		return t.Add(d * time.Second), true
	case UnitMinutes:
		return t.Add(d * time.Minute), true
	case UnitHours:
		return t.Add(d * time.Hour), true
	case UnitDays:
		return t.AddDate(0, 0, duration), true
	case UnitWeeks:
		return t.AddDate(0, 0, 7*duration), true
	case UnitMonths:
		return t.AddDate(0, duration, 0), true
	case UnitYears:
		return t.AddDate(duration, 0, 0), true
	}
	return t, false
}

// maxDuration is the largest duration of a unit that stays within
// maxExpiryYears (checked before any arithmetic, so nothing can overflow).
func maxDuration(unit string) int {
	const days = maxExpiryYears * 36525 / 100 // 100 years of 365.25 days
	switch unit {
	case UnitSeconds:
		return days * 24 * 3600
	case UnitMinutes:
		return days * 24 * 60
	case UnitHours:
		return days * 24
	case UnitDays:
		return days
	case UnitWeeks:
		return days / 7
	case UnitMonths:
		return maxExpiryYears * 12
	case UnitYears:
		return maxExpiryYears
	}
	return 0
}

// ComputeExpiry is the one rule for a new or renewed secret's expiresAt:
// an application override decides alone (NONE: never, even when the domain
// has a policy); otherwise the domain policy applies when enabled; otherwise
// the secret never expires. nil means never.
func ComputeExpiry(now time.Time, domain, app ExpiryPolicy) *time.Time {
	p := EffectivePolicy(domain, app)
	if !p.Enabled || p.Unit == UnitNone || p.Duration < 1 {
		return nil
	}
	at, ok := AddExpiry(now, p.Unit, p.Duration)
	if !ok {
		return nil
	}
	return &at
}

// ExpiryInput is a policy as typed into a form or an API body.
type ExpiryInput struct {
	Enabled  bool
	Unit     string
	Duration string
	// Never is Gravitee's "expiryTimeSeconds 0": secrets never expire. It
	// is stored as the unit NONE, for a domain too (whose forms offer no
	// NONE), so that the policy reads back as it was sent.
	Never bool
}

// Parse validates the input into a policy; allowNone admits NONE (the
// application override). Messages are keyed "unit" and "duration". A
// disabled policy keeps whatever valid unit and duration were given, so the
// form shows them again, but needs none.
func (in ExpiryInput) Parse(allowNone bool) (ExpiryPolicy, FieldErrors) {
	return in.parse(allowNone, durationWords{required: "Enter a duration.", subject: "The duration"})
}

// ParseAPI is Parse worded for the Management API: the duration's
// messages name its field, durField (for example
// "secretSettings.expiryTimeDuration").
func (in ExpiryInput) ParseAPI(allowNone bool, durField string) (ExpiryPolicy, FieldErrors) {
	return in.parse(allowNone, durationWords{required: durField + " is required when enabled is true.", subject: durField, prefix: durField + ": "})
}

// durationWords words the duration's messages: required when it is
// missing, subject for the rules on its value, prefix before the others.
type durationWords struct{ required, subject, prefix string }

func (in ExpiryInput) parse(allowNone bool, w durationWords) (ExpiryPolicy, FieldErrors) {
	if in.Never {
		return ExpiryPolicy{Enabled: in.Enabled, Unit: UnitNone}, nil
	}
	errs := FieldErrors{}
	p := ExpiryPolicy{Enabled: in.Enabled, Unit: strings.ToUpper(strings.TrimSpace(in.Unit))}
	units := ExpiryUnits
	if allowNone {
		units = AppExpiryUnits
	}
	known := false
	for _, u := range units {
		known = known || u == p.Unit
	}
	if !known {
		if in.Enabled {
			errs["unit"] = "Choose a unit from the list."
		}
		p.Unit = ""
	}
	if p.Unit == UnitNone {
		return p, errs.nilIfEmpty()
	}
	raw := strings.TrimSpace(in.Duration)
	n, err := strconv.Atoi(raw)
	switch {
	case !in.Enabled && (raw == "" || err != nil || n < 1):
		p.Duration = 0
	case raw == "":
		errs["duration"] = w.required
	case err != nil && strings.HasPrefix(raw, "-") && isDigits(raw[1:]):
		// A negative number too large for an int is still negative.
		errs["duration"] = w.subject + " must be at least 1."
	case err != nil && isDigits(strings.TrimPrefix(raw, "+")):
		errs["duration"] = w.prefix + "This duration is too long."
	case err != nil:
		errs["duration"] = w.prefix + "Enter a whole number, such as 3."
	case n < 1:
		errs["duration"] = w.subject + " must be at least 1."
	case p.Unit == UnitYears && n > maxDuration(p.Unit):
		errs["duration"] = fmt.Sprintf("%s must be at most %d years.", w.subject, maxDuration(p.Unit))
	case p.Unit != "" && n > maxDuration(p.Unit):
		errs["duration"] = fmt.Sprintf("%s must be at most %d %s (100 years).", w.subject, maxDuration(p.Unit), strings.ToLower(p.Unit))
	default:
		p.Duration = n
	}
	return p, errs.nilIfEmpty()
}

func (f FieldErrors) nilIfEmpty() FieldErrors {
	if len(f) == 0 {
		return nil
	}
	return f
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
