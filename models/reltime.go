package models

import (
	"fmt"
	"time"
)

// RelativeTime describes t as seen at now, for people: "in 1 day 23 hours",
// "2 months 3 days ago", "just now". The console's tables, the bell, the
// Notifications page, e-mails and log lines all use it, so they say the same
// thing about the same moment.
//
// It gives the two largest units, the second rounded to the nearest: a
// countdown never drops a whole unit the way rounding down did (a 2-day
// secret read a second after it was created is "in 2 days", not "in 1 day";
// one expiring in 47 hours is "in 1 day 23 hours"). Months and years are
// calendar months and years counted from the earlier of the two moments,
// as expiry computes them with time.AddDate.
func RelativeTime(t, now time.Time) string {
	d := t.Sub(now)
	future := d > 0
	from := now
	if !future {
		d = -d
		from = t
	}
	if d < time.Minute {
		if future {
			return "in less than a minute"
		}
		return "just now"
	}
	var text string
	switch r := d.Round(time.Minute); {
	case r < time.Hour:
		text = units(int64(r/time.Minute), "minute", 0, "")
	case r < 24*time.Hour:
		m := int64(r / time.Minute)
		text = units(m/60, "hour", m%60, "minute")
	default:
		text = calendarSpan(from, from.Add(d.Round(time.Hour)))
	}
	if future {
		return "in " + text
	}
	return text + " ago"
}

// calendarSpan says how long it is from from to to (to at least a day
// later, on a whole hour from from) in days and hours, months and days, or
// years and months.
func calendarSpan(from, to time.Time) string {
	months := 0
	for !from.AddDate(0, months+1, 0).After(to) {
		months++
	}
	if months == 0 {
		h := int64(to.Sub(from) / time.Hour)
		return units(h/24, "day", h%24, "hour")
	}
	if months < 12 {
		base := from.AddDate(0, months, 0)
		days := int64(to.Sub(base).Round(24*time.Hour) / (24 * time.Hour))
		// Rounded up to the next month's length: that is one more month.
		if !base.AddDate(0, 0, int(days)).Before(from.AddDate(0, months+1, 0)) {
			months, days = months+1, 0
		}
		if months == 12 {
			return units(1, "year", 0, "")
		}
		return units(int64(months), "month", days, "day")
	}
	years, rest := months/12, months%12
	// The rest of a month counts as one from its middle on.
	base := from.AddDate(0, months, 0)
	if to.Sub(base)*2 >= from.AddDate(0, months+1, 0).Sub(base) {
		rest++
	}
	if rest == 12 {
		years, rest = years+1, 0
	}
	return units(int64(years), "year", int64(rest), "month")
}

// units writes "n unit" and, when m is not zero, " m unit2".
func units(n int64, unit string, m int64, unit2 string) string {
	s := plural(n, unit)
	if m != 0 {
		s += " " + plural(m, unit2)
	}
	return s
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
