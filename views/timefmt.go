package views

import (
	"fmt"
	"time"
)

// relativeTime describes t relative to now for people: "in 12 days",
// "3 hours ago", "just now". It rounds down to the largest whole unit.
func relativeTime(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	if !future {
		d = -d
	}
	var n int64
	var unit string
	switch {
	case d < time.Minute:
		if future {
			return "in less than a minute"
		}
		return "just now"
	case d < time.Hour:
		n, unit = int64(d/time.Minute), "minute"
	case d < 24*time.Hour:
		n, unit = int64(d/time.Hour), "hour"
	case d < 60*24*time.Hour:
		n, unit = int64(d/(24*time.Hour)), "day"
	case d < 730*24*time.Hour:
		n, unit = int64(d/(30*24*time.Hour)), "month"
	default:
		n, unit = int64(d/(365*24*time.Hour)), "year"
	}
	if n != 1 {
		unit += "s"
	}
	if future {
		return fmt.Sprintf("in %d %s", n, unit)
	}
	return fmt.Sprintf("%d %s ago", n, unit)
}
