package models

import (
	"context"
	"strings"
	"testing"
	"time"
)

func date(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestComputeExpiry(t *testing.T) {
	now := date(2026, time.November, 26, 12, 0)
	on := func(unit string, n int) ExpiryPolicy { return ExpiryPolicy{Enabled: true, Unit: unit, Duration: n} }
	off := ExpiryPolicy{}
	useDomain := ExpiryPolicy{Enabled: false, Unit: UnitHours, Duration: 5} // stored but not applied
	tests := []struct {
		name        string
		now         time.Time
		domain, app ExpiryPolicy
		want        *time.Time
	}{
		{"nothing enabled: never", now, off, off, nil},
		{"domain off, app uses domain rules: never", now, off, useDomain, nil},
		{"domain seconds", now, on(UnitSeconds, 90), off, ptr(now.Add(90 * time.Second))},
		{"domain minutes", now, on(UnitMinutes, 45), off, ptr(now.Add(45 * time.Minute))},
		{"domain hours", now, on(UnitHours, 1), off, ptr(now.Add(time.Hour))},
		{"domain days", now, on(UnitDays, 2), off, ptr(date(2026, time.November, 28, 12, 0))},
		{"domain weeks", now, on(UnitWeeks, 3), off, ptr(date(2026, time.December, 17, 12, 0))},
		{"domain months", now, on(UnitMonths, 3), off, ptr(date(2027, time.February, 26, 12, 0))},
		{"domain years", now, on(UnitYears, 2), off, ptr(date(2028, time.November, 26, 12, 0))},
		{"app override wins over domain", now, on(UnitYears, 1), on(UnitHours, 1), ptr(now.Add(time.Hour))},
		{"app override with domain off", now, off, on(UnitDays, 10), ptr(date(2026, time.December, 6, 12, 0))},
		{"app NONE ignores the domain", now, on(UnitDays, 2), ExpiryPolicy{Enabled: true, Unit: UnitNone}, nil},
		{"app NONE with domain off", now, off, ExpiryPolicy{Enabled: true, Unit: UnitNone}, nil},
		{"app uses domain rules", now, on(UnitDays, 2), useDomain, ptr(date(2026, time.November, 28, 12, 0))},
		{"domain disabled keeps stored values but applies nothing", now, ExpiryPolicy{Unit: UnitDays, Duration: 2}, off, nil},
		// Calendar arithmetic, with Go's normalisation of impossible dates.
		{"31 January + 1 month normalises to 3 March", date(2027, time.January, 31, 8, 0), on(UnitMonths, 1), off, ptr(date(2027, time.March, 3, 8, 0))},
		{"31 January + 1 month in a leap year is 2 March", date(2028, time.January, 31, 8, 0), on(UnitMonths, 1), off, ptr(date(2028, time.March, 2, 8, 0))},
		{"30 November + 3 months is 30 February → 2 March", date(2026, time.November, 30, 0, 0), on(UnitMonths, 3), off, ptr(date(2027, time.March, 2, 0, 0))},
		{"29 February + 1 year normalises to 1 March", date(2028, time.February, 29, 0, 0), on(UnitYears, 1), off, ptr(date(2029, time.March, 1, 0, 0))},
		{"29 February + 4 years is 29 February", date(2028, time.February, 29, 0, 0), on(UnitYears, 4), off, ptr(date(2032, time.February, 29, 0, 0))},
		{"28 February + 1 day in a leap year", date(2028, time.February, 28, 0, 0), on(UnitDays, 1), off, ptr(date(2028, time.February, 29, 0, 0))},
		{"months are not 30 days", date(2026, time.January, 1, 0, 0), on(UnitMonths, 12), off, ptr(date(2027, time.January, 1, 0, 0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ComputeExpiry(tt.now, tt.domain, tt.app)
			switch {
			case tt.want == nil && got != nil:
				t.Fatalf("got %v, want never", *got)
			case tt.want != nil && got == nil:
				t.Fatalf("got never, want %v", *tt.want)
			case tt.want != nil && !got.Equal(*tt.want):
				t.Fatalf("got %v, want %v", *got, *tt.want)
			}
		})
	}
}

func ptr(t time.Time) *time.Time { return &t }

func TestExpiryInputParse(t *testing.T) {
	tests := []struct {
		name      string
		in        ExpiryInput
		allowNone bool
		want      ExpiryPolicy
		errField  string
		errText   string
	}{
		{name: "3 months", in: ExpiryInput{true, "MONTHS", "3", false}, want: ExpiryPolicy{true, UnitMonths, 3}},
		{name: "lower-case unit and spaces", in: ExpiryInput{true, " days ", " 2 ", false}, want: ExpiryPolicy{true, UnitDays, 2}},
		{name: "zero", in: ExpiryInput{true, "DAYS", "0", false}, errField: "duration", errText: "at least 1"},
		{name: "negative", in: ExpiryInput{true, "DAYS", "-5", false}, errField: "duration", errText: "at least 1"},
		{name: "non-numeric", in: ExpiryInput{true, "DAYS", "abc", false}, errField: "duration", errText: "whole number"},
		{name: "decimal", in: ExpiryInput{true, "DAYS", "1.5", false}, errField: "duration", errText: "whole number"},
		{name: "empty", in: ExpiryInput{true, "DAYS", "", false}, errField: "duration", errText: "Enter a duration"},
		{name: "huge beyond int", in: ExpiryInput{true, "SECONDS", "99999999999999999999999", false}, errField: "duration", errText: "too long"},
		{name: "huge years", in: ExpiryInput{true, "YEARS", "1000000", false}, errField: "duration", errText: "at most 100"},
		{name: "100 years is fine", in: ExpiryInput{true, "YEARS", "100", false}, want: ExpiryPolicy{true, UnitYears, 100}},
		{name: "huge seconds", in: ExpiryInput{true, "SECONDS", "9223372036", false}, errField: "duration", errText: "at most"},
		{name: "unknown unit", in: ExpiryInput{true, "FORTNIGHTS", "2", false}, errField: "unit", errText: "Choose a unit"},
		{name: "NONE refused for domains", in: ExpiryInput{true, "NONE", "", false}, errField: "unit"},
		{name: "NONE allowed for applications", in: ExpiryInput{true, "NONE", "", false}, allowNone: true, want: ExpiryPolicy{true, UnitNone, 0}},
		{name: "disabled needs nothing", in: ExpiryInput{false, "", "", false}, want: ExpiryPolicy{false, "", 0}},
		{name: "disabled keeps valid choice", in: ExpiryInput{false, "WEEKS", "2", false}, want: ExpiryPolicy{false, UnitWeeks, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := tt.in.Parse(tt.allowNone)
			if tt.errField != "" {
				if !strings.Contains(errs[tt.errField], tt.errText) || errs[tt.errField] == "" {
					t.Fatalf("errors = %v, want %s containing %q", errs, tt.errField, tt.errText)
				}
				return
			}
			if errs != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, errs, tt.want)
			}
		})
	}
}

// No accepted duration of any unit overflows into the past.
func TestMaxDurationsStayInTheFuture(t *testing.T) {
	now := date(2026, time.November, 26, 12, 0)
	for _, u := range ExpiryUnits {
		at, ok := AddExpiry(now, u, maxDuration(u))
		if !ok || !at.After(now) || at.Year() > now.Year()+maxExpiryYears+1 {
			t.Errorf("%s × %d → %v", u, maxDuration(u), at)
		}
		if _, errs := (ExpiryInput{Enabled: true, Unit: u, Duration: "1"}).Parse(false); errs != nil {
			t.Errorf("%s: 1 refused: %v", u, errs)
		}
	}
}

func TestPoliciesApplyToNewAndRenewedSecretsOnly(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	now := date(2026, time.November, 26, 12, 0)
	s.Now = func() time.Time { return now }
	a, first := newTestApp(t, s, "app")
	if first.ExpiresAt != nil {
		t.Fatal("default secret expires without any policy")
	}
	if _, _, err := s.UpdateDomainSecretPolicy(ctx, Actor{}, a.DomainID, ExpiryInput{true, "DAYS", "2", false}); err != nil {
		t.Fatal(err)
	}
	// Existing secrets keep their expiry.
	if cs, _ := s.SecretByID(ctx, a.ID, first.ID); cs.ExpiresAt != nil {
		t.Fatal("a policy change altered an existing secret")
	}
	ns, err := s.CreateSecret(ctx, Actor{}, a.ID, "two days")
	if err != nil || ns.ExpiresAt == nil || !ns.ExpiresAt.Equal(now.AddDate(0, 0, 2)) {
		t.Fatalf("new secret expires %v, %v", ns.ExpiresAt, err)
	}
	if _, _, err := s.UpdateAppSecretPolicy(ctx, Actor{}, a.DomainID, a.ID, ExpiryInput{true, "NONE", "", false}); err != nil {
		t.Fatal(err)
	}
	rn, err := s.RenewSecret(ctx, Actor{}, a.ID, ns.ID)
	if err != nil || rn.ExpiresAt != nil {
		t.Fatalf("renewed under NONE expires %v, %v", rn.ExpiresAt, err)
	}
	if _, _, err := s.UpdateAppSecretPolicy(ctx, Actor{}, a.DomainID, a.ID, ExpiryInput{true, "HOURS", "1", false}); err != nil {
		t.Fatal(err)
	}
	rn, _ = s.RenewSecret(ctx, Actor{}, a.ID, ns.ID)
	if rn.ExpiresAt == nil || !rn.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("renewed under 1 HOURS expires %v", rn.ExpiresAt)
	}
	// Invalid input saves nothing.
	if _, _, err := s.UpdateAppSecretPolicy(ctx, Actor{}, a.DomainID, a.ID, ExpiryInput{true, "DAYS", "0", false}); err == nil {
		t.Fatal("duration 0 accepted")
	}
	app, _ := s.ApplicationByID(ctx, a.DomainID, a.ID)
	if got := app.SecretPolicy(); got != (ExpiryPolicy{true, UnitHours, 1}) {
		t.Fatalf("policy after refused update = %+v", got)
	}
	// Stored as chosen: unit and duration come back exactly.
	d, _ := s.DomainByID(ctx, a.DomainID)
	if got := d.SecretPolicy(); got != (ExpiryPolicy{true, UnitDays, 2}) {
		t.Fatalf("domain policy = %+v", got)
	}
	// Statuses and counts.
	s.ExpiringSoon = 20 * 24 * time.Hour
	if st := rn.Status(now, s.ExpiringSoon); st != SecretExpiringSoon {
		t.Fatalf("status = %s", st)
	}
	if st := rn.Status(now.Add(2*time.Hour), s.ExpiringSoon); st != SecretExpired {
		t.Fatalf("status later = %s", st)
	}
	if st := first.Status(now, s.ExpiringSoon); st != SecretActive {
		t.Fatalf("status of never-expiring = %s", st)
	}
	c, err := s.SecretExpiryCounts(ctx, a.DomainID, "")
	if err != nil || c != (ExpiryCounts{Expiring: 1}) {
		t.Fatalf("domain counts = %+v, %v", c, err)
	}
	s.Now = func() time.Time { return now.Add(2 * time.Hour) }
	c, _ = s.SecretExpiryCounts(ctx, a.DomainID, a.ID)
	if c != (ExpiryCounts{Expired: 1}) {
		t.Fatalf("app counts later = %+v", c)
	}
}
