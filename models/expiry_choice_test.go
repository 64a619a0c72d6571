package models

import (
	"slices"
	"testing"
	"time"
)

func TestChooseExpiry(t *testing.T) {
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	days := func(n int) *time.Time { at := now.AddDate(0, 0, n); return &at }
	none := ExpiryPolicy{}
	oneYear := ExpiryPolicy{Enabled: true, Unit: UnitYears, Duration: 1}
	appNever := ExpiryPolicy{Enabled: true, Unit: UnitNone}
	past := now.Add(-time.Minute)
	for _, tc := range []struct {
		name        string
		domain, app ExpiryPolicy
		choice      ExpiryChoice
		want        *time.Time
		refused     bool
	}{
		{"no policy, default never", none, none, ExpiryChoice{}, nil, false},
		{"no policy, never", none, none, ExpiryChoice{Never: true}, nil, false},
		{"no policy, any preset", none, none, ExpiryChoice{At: days(730)}, days(730), false},
		{"no policy, beyond 100 years", none, none, ExpiryChoice{At: days(365*100 + 30)}, nil, true},
		{"policy is the default", oneYear, none, ExpiryChoice{}, days(365), false},
		{"shorter than the policy", oneYear, none, ExpiryChoice{At: days(90)}, days(90), false},
		{"exactly the policy", oneYear, none, ExpiryChoice{At: days(365)}, days(365), false},
		{"one second beyond the policy", oneYear, none, ExpiryChoice{At: ptr(days(365).Add(time.Second))}, nil, true},
		{"never under a policy", oneYear, none, ExpiryChoice{Never: true}, nil, true},
		{"in the past", none, none, ExpiryChoice{At: &past}, nil, true},
		{"now", none, none, ExpiryChoice{At: &now}, nil, true},
		{"both a date and never", none, none, ExpiryChoice{At: days(90), Never: true}, nil, true},
		{"app NONE lifts the domain bound", oneYear, appNever, ExpiryChoice{At: days(730)}, days(730), false},
		{"app NONE allows never", oneYear, appNever, ExpiryChoice{Never: true}, nil, false},
		{"app override is the bound", none, ExpiryPolicy{Enabled: true, Unit: UnitDays, Duration: 30}, ExpiryChoice{At: days(31)}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ChooseExpiry(now, tc.domain, tc.app, tc.choice)
			if tc.refused {
				fe, ok := AsFieldErrors(err)
				if !ok || fe["expiresAt"] == "" {
					t.Fatalf("got %v, %v; want a refusal keyed expiresAt", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tc.want == nil) || (got != nil && !got.Equal(*tc.want)) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPresetsWithin(t *testing.T) {
	now := time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	if got := PresetsWithin(now, nil); !slices.Equal(got, ExpiryPresetDays) {
		t.Errorf("no bound: %v", got)
	}
	year := now.AddDate(1, 0, 0)
	if got := PresetsWithin(now, &year); !slices.Equal(got, []int{90, 180, 365}) {
		t.Errorf("one year: %v", got)
	}
	month := now.AddDate(0, 1, 0)
	if got := PresetsWithin(now, &month); len(got) != 0 {
		t.Errorf("one month: %v", got)
	}
}
