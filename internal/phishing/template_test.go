package phishing_test

import (
	"strings"
	"testing"

	"vigil/internal/phishing"
)

func TestCheckText(t *testing.T) {
	if err := phishing.CheckText("body", "Chào {name} ({department}),\nBấm {link} trước {date}. {{không phải chỗ điền}}"); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"Chào {nmae}":          "line 1, column 6: unknown placeholder {nmae}",
		"Dòng 1\nChào {name":   "line 2, column 6: a placeholder is not closed",
		"a}":                   "line 1, column 2: a } without its {",
		"{link\n}":             "not closed",
		"Chào {name}, {Link}!": "unknown placeholder {Link}",
	} {
		if err := phishing.CheckText("body", in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	got := phishing.Render("Chào {name}, {{x}} {link}", map[string]string{"name": "An", "link": "https://h/p/1.x"}, nil)
	if got != "Chào An, {x} https://h/p/1.x" {
		t.Errorf("render: %q", got)
	}
}

func FuzzCheckText(f *testing.F) {
	f.Add("Chào {name}, bấm {link}")
	f.Add("{{}}{")
	f.Fuzz(func(t *testing.T, s string) {
		if phishing.CheckText("body", s) == nil {
			out := phishing.Render(s, map[string]string{"name": "N", "link": "L"}, nil)
			_ = out
		}
	})
}
