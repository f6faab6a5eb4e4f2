package monthly_test

import (
	"testing"

	"vigil/internal/monthly"
)

// FuzzParseMonth: a month from a query string or a form either parses to
// a month that writes back as itself, one month long, or is refused.
func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-11", "2026-13", "26-11", " 2026-01 ", "2026-1", "", "9999-12", "2026-11-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := monthly.ParseMonth(s)
		if err != nil {
			return
		}
		m := monthly.MonthOf(from)
		if back, _, err := monthly.ParseMonth(m); err != nil || !back.Equal(from) {
			t.Fatalf("%q: %s does not parse back: %v", s, m, err)
		}
		if monthly.MonthOf(to) != monthly.NextMonth(m) || monthly.NextMonth(m) == "" {
			t.Fatalf("%q: the month after %s is %s", s, m, monthly.MonthOf(to))
		}
		_ = monthly.FirstWorkingDay(from)
	})
}
