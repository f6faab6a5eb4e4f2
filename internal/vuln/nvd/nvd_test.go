package nvd

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"vigil/internal/vuln/internal/vulntest"
	"vigil/internal/vuln/kb"
)

func parseAll(t *testing.T, path string) (recs []Record, skipped []string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = Parse(f, filepath.Base(path), Handler{
		CVE:  func(r Record) error { recs = append(recs, r); return nil },
		Skip: func(err error) error { skipped = append(skipped, err.Error()); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, skipped
}

// The shared API samples: CVE and cpeMatch counts against a plain text
// count of the same files ("id": "CVE-..." and "criteria" keys).
func TestSharedSamplesMatchAnIndependentCount(t *testing.T) {
	dir := vulntest.Shared(t, "nvd")
	idRe := regexp.MustCompile(`"id"\s*:\s*"CVE-`)
	critRe := regexp.MustCompile(`"criteria"\s*:`)
	for _, name := range []string{"full-page.json", "single-entry.json"} {
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		recs, skipped := parseAll(t, path)
		matches := 0
		for _, r := range recs {
			matches += len(r.Matches)
			if r.CVE.Published.IsZero() || r.CVE.Modified.IsZero() || r.CVE.Description == "" {
				t.Errorf("%s: %s incomplete: %+v", name, r.CVE.ID, r.CVE)
			}
		}
		if want := len(idRe.FindAll(b, -1)); len(recs)+len(skipped) != want || len(recs) == 0 {
			t.Errorf("%s: %d records + %d skipped, independent count %d", name, len(recs), len(skipped), want)
		}
		if want := len(critRe.FindAll(b, -1)); matches != want {
			t.Errorf("%s: %d cpe matches, independent count %d", name, matches, want)
		}
		t.Logf("%s: %d CVEs, %d cpe matches", name, len(recs), matches)
	}
}

func TestFixture(t *testing.T) {
	recs, skipped := parseAll(t, filepath.Join("testdata", "two.json"))
	if len(recs) != 2 || len(skipped) != 1 || !strings.Contains(skipped[0], "two.json: record 3 (CVE-XX-1): field \"cve.id\"") {
		t.Fatalf("recs %d, skipped %q", len(recs), skipped)
	}
	a := recs[0]
	if a.CVE.CVSS != 7.5 || a.CVE.Severity != kb.SeverityHigh || !strings.Contains(a.CVE.Vector, "A:H") || a.CVE.Description != "Example Server before 2.4.58 allows a crash. More text." ||
		a.CVE.Title != "Example Server before 2.4.58 allows a crash." || len(a.CVE.CWE) != 1 || a.CVE.CWE[0] != "CWE-400" || a.CVE.Source != "nvd" {
		t.Errorf("cve = %+v", a.CVE)
	}
	if len(a.Matches) != 2 {
		t.Fatalf("matches = %+v", a.Matches)
	}
	m := a.Matches[0]
	if m.Vendor != "example" || m.Product != "server" || m.Version != "*" || m.Part != "a" || m.VersionStartIncluding != "2.4.0" || m.VersionEndExcluding != "2.4.58" ||
		!m.Vulnerable || m.ConfigOperator != "AND" || m.Operator != "OR" || m.Node != 0 {
		t.Errorf("match 0 = %+v", m)
	}
	if o := a.Matches[1]; o.Part != "o" || o.Vulnerable || o.Node != 1 || o.Version != "1.0" {
		t.Errorf("match 1 = %+v", o)
	}
	b := recs[1]
	if b.CVE.CVSS != 7.5 || b.CVE.Severity != kb.SeverityHigh || b.Matches[0].Vendor != `ex\:ample` || b.Matches[0].Version != `1.2\:3` {
		t.Errorf("second = %+v %+v", b.CVE, b.Matches)
	}
}

func TestBadInput(t *testing.T) {
	good, _ := os.ReadFile(filepath.Join("testdata", "two.json"))
	for name, in := range map[string]string{
		"truncated": string(good[:len(good)*2/3]),
		"kev":       `{"catalogVersion":"1","count":0}`,
		"array":     `[1,2]`,
		"empty":     ``,
		"bad cpe":   `{"vulnerabilities":[{"cve":{"id":"CVE-2023-1234","configurations":[{"nodes":[{"cpeMatch":[{"criteria":"cpe:/a:x"}]}]}]}}]}`,
	} {
		err := Parse(strings.NewReader(in), "page.json", Handler{})
		if err == nil || !strings.HasPrefix(err.Error(), "page.json") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// Pages concatenated in one file (as a sync writes them) read as one.
func TestConcatenatedPages(t *testing.T) {
	good, _ := os.ReadFile(filepath.Join("testdata", "two.json"))
	n := 0
	err := Parse(bytes.NewReader(append(append([]byte{}, good...), good...)), "pages.json", Handler{CVE: func(Record) error { n++; return nil }, Skip: func(error) error { return nil }})
	if err != nil || n != 4 {
		t.Fatalf("n = %d, err = %v", n, err)
	}
}

func FuzzParse(f *testing.F) {
	b, _ := os.ReadFile(filepath.Join("testdata", "two.json"))
	f.Add(b)
	f.Add([]byte(`{"vulnerabilities":[{"cve":{"id":"CVE-2023-1234"}}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		Parse(bytes.NewReader(in), "fuzz", Handler{
			CVE: func(r Record) error {
				if r.CVE.ID == "" {
					t.Fatal("record without id")
				}
				return nil
			},
			Skip: func(error) error { return nil },
		})
	})
}
