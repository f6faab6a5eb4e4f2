package i18n

import (
	"testing"
	"time"
)

func TestParseLifetime(t *testing.T) {
	now := time.Date(2026, 1, 10, 15, 0, 0, 0, Location) // 15:00 on 10/01/2026
	day := 24 * time.Hour
	for in, want := range map[string]time.Duration{
		"3":          3 * day,
		"3 ngày":     3 * day,
		"3ngày":      3 * day,
		" 30 Ngày ":  30 * day,
		"3 days":     3 * day,
		"3d":         3 * day,
		"72h":        72 * time.Hour,
		"90m":        90 * time.Minute,
		"11/01/2026": 33 * time.Hour, // to midnight ending 11/01
		"2026-01-11": 33 * time.Hour,
		"1/2/2026":   (9 + 24*22) * time.Hour, // to midnight ending 01/02
		"09/01/2026": -15 * time.Hour,         // in the past: the caller refuses it
	} {
		got, ok := ParseLifetime(in, now)
		if !ok || got != want {
			t.Errorf("ParseLifetime(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "ba ngày", "3 tuần", "31/02/2026", "-", "3 ngày nữa", "1e9", "99999999999999999999"} {
		if d, ok := ParseLifetime(in, now); ok {
			t.Errorf("ParseLifetime(%q) = %v, want refused", in, d)
		}
	}
}

func FuzzParseLifetime(f *testing.F) {
	for _, s := range []string{"3", "3 ngày", "72h", "31/12/2026", "2026-12-31", "x"} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, s string) {
		ParseLifetime(s, now) // must not panic
	})
}
