package incident

import (
	"testing"
	"unicode/utf8"
)

// FuzzParseTime: any text typed as a time of discovery, a task's due time
// or a report's sending time is a time or a reason, never a panic.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"31/12/2026 08:30", "2026-12-31 08:30", "2026-12-31T08:30:00+07:00", "31/02/2026 25:61", "", "\xff", "1/1/2026 7:05"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := ParseTime("detected_at", s); err != nil && err.Error() == "" {
			t.Fatal("an error without a reason")
		}
	})
}

// FuzzObservable: any pasted observable is refused with a reason or
// normalised to a value that normalises to itself.
func FuzzObservable(f *testing.F) {
	for _, s := range [][2]string{{"", "203.0.113.7"}, {"", "hxxp://evil[.]example/a"}, {"domain", "Evil.Example."}, {"sha256", "AB"},
		{"account", "CORP\\nguyen.van.a"}, {"ip", "10.0.0.0/8"}, {"", "\x00"}, {"bogus", "x"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, kind, value string) {
		k, v, err := normalizeObservable(kind, value)
		if err != nil {
			return
		}
		if !utf8.ValidString(v) && utf8.ValidString(value) {
			t.Fatalf("%q normalised to invalid UTF-8 %q", value, v)
		}
		k2, v2, err := normalizeObservable(k, v)
		if err != nil || k2 != k || v2 != v {
			t.Fatalf("%s %q → %s %q → %s %q (%v): not stable", kind, value, k, v, k2, v2, err)
		}
	})
}
