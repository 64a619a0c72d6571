package models

import (
	"testing"
	"time"
)

func TestRelativeTime(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{now, "just now"},
		{now.Add(-30 * time.Second), "just now"},
		{now.Add(30 * time.Second), "in less than a minute"},
		{now.Add(-2 * time.Minute), "2 minutes ago"},
		{now.Add(time.Minute), "in 1 minute"},
		{now.Add(59*time.Minute + 50*time.Second), "in 1 hour"},
		{now.Add(-3 * time.Hour), "3 hours ago"},
		{now.Add(time.Hour + 59*time.Minute), "in 1 hour 59 minutes"},
		{now.Add(24*time.Hour - time.Second), "in 1 day"},
		{now.Add(-24 * time.Hour), "1 day ago"},
		// Read a moment after creation, nothing is understated.
		{now.AddDate(0, 0, 2).Add(-time.Second), "in 2 days"},
		{now.Add(47 * time.Hour), "in 1 day 23 hours"},
		{now.AddDate(0, 0, 29).Add(-time.Second), "in 29 days"},
		{now.AddDate(0, 0, 30).Add(-time.Second), "in 1 month"}, // November has 30 days
		{now.AddDate(0, 0, 12).Add(time.Hour), "in 12 days 1 hour"},
		{now.AddDate(0, 3, 0).Add(-time.Second), "in 3 months"},
		{now.AddDate(0, 3, 0), "in 3 months"},
		{now.AddDate(0, 2, 10), "in 2 months 10 days"},
		{now.AddDate(0, 12, 0).Add(-time.Minute), "in 1 year"},
		{now.AddDate(1, 6, 0), "in 1 year 6 months"},
		{now.AddDate(-3, 0, 0), "3 years ago"},
		{now.AddDate(2, 0, 20), "in 2 years 1 month"},
	} {
		if got := RelativeTime(tt.at, now); got != tt.want {
			t.Errorf("RelativeTime(%v) = %q, want %q", tt.at.Sub(now), got, tt.want)
		}
	}
}
