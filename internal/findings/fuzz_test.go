package findings_test

import (
	"strings"
	"testing"

	"vigil/internal/findings"
)

// FuzzParseCVE: a CVE id from a query never panics, and one accepted is
// upper case, CVE-, a four-digit year, a dash and at least four digits.
func FuzzParseCVE(f *testing.F) {
	for _, s := range []string{"CVE-2023-21554", "cve-2023-44487", "CVE-23-1", "CVE-2023-", "", "CVE-2023-1234567890123456789012", "CVE-２０２３-1234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := findings.ParseCVE(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(c, "CVE-") || len(c) < 13 || c[8] != '-' || strings.ToUpper(c) != c {
			t.Fatalf("%q accepted as %q", s, c)
		}
		for i, r := range c[4:] {
			if i != 4 && (r < '0' || r > '9') {
				t.Fatalf("%q accepted as %q", s, c)
			}
		}
	})
}
