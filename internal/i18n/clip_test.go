package i18n

import (
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, c := range []struct {
		in        string
		n         int
		clip, sho string
	}{
		{"abc", 5, "abc", "abc"},
		{"abc", 3, "abc", "abc"},
		{"abcdef", 3, "abc", "abc…"},
		{"Đắk Lắk", 2, "Đ", "Đ…"},   // Đ is two bytes, ắ three
		{"Đắk Lắk", 4, "Đ", "Đ…"},   // the cut falls inside ắ
		{"Đắk Lắk", 5, "Đắ", "Đắ…"}, // right after ắ
		{"abc", 0, "", "…"},
		{"abc", -1, "", "…"},
	} {
		if got := Clip(c.in, c.n); got != c.clip || !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.n, got, c.clip)
		}
		if got := Shorten(c.in, c.n); got != c.sho {
			t.Errorf("Shorten(%q, %d) = %q, want %q", c.in, c.n, got, c.sho)
		}
	}
}
