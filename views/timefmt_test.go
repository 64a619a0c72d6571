package views

import (
	"testing"
	"time"
)

func TestRelativeTime(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"},
		{-30 * time.Second, "just now"},
		{30 * time.Second, "in less than a minute"},
		{-2 * time.Minute, "2 minutes ago"},
		{time.Minute, "in 1 minute"},
		{-3 * time.Hour, "3 hours ago"},
		{time.Hour + 59*time.Minute, "in 1 hour"},
		{12*24*time.Hour + time.Hour, "in 12 days"},
		{-24 * time.Hour, "1 day ago"},
		{90 * 24 * time.Hour, "in 3 months"},
		{-3 * 365 * 24 * time.Hour, "3 years ago"},
	} {
		if got := relativeTime(now.Add(tt.d), now); got != tt.want {
			t.Errorf("relativeTime(now%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
