package i18n

import "testing"

func TestFold(t *testing.T) {
	cases := map[string]string{
		"Hà Nội":             "ha noi",
		"Đắk Lắk":            "dak lak",
		"  Thừa   Thiên Huế": "thua thien hue",
		"Bà Rịa – Vũng Tàu":  "ba ria – vung tau",
		"ĐỒNG THÁP":          "dong thap",
	}
	for in, want := range cases {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}
