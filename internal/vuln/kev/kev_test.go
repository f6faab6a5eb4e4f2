package kev

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

func TestCatalogMatchesAnIndependentCount(t *testing.T) {
	dir := vulntest.Shared(t, "kev")
	path := filepath.Join(dir, "known_exploited_vulnerabilities.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []kb.KEV
	skipped := 0
	hdr, err := Parse(bytes.NewReader(b), "known_exploited_vulnerabilities.json", Handler{
		Entry: func(k kb.KEV) error { got = append(got, k); return nil },
		Skip:  func(error) error { skipped++; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := len(regexp.MustCompile(`"cveID"\s*:`).FindAll(b, -1))
	if len(got)+skipped != want || skipped != 0 {
		t.Errorf("%d entries + %d skipped, independent count %d", len(got), skipped, want)
	}
	if hdr.Count != want || hdr.Version == "" || hdr.Released.IsZero() {
		t.Errorf("header = %+v (want count %d)", hdr, want)
	}
	ransom := 0
	for _, k := range got {
		if k.Ransomware {
			ransom++
		}
		if k.Added.IsZero() || k.Due.IsZero() {
			t.Errorf("%s: dates missing", k.CVE)
		}
	}
	if wantR := len(regexp.MustCompile(`"knownRansomwareCampaignUse"\s*:\s*"Known"`).FindAll(b, -1)); ransom != wantR {
		t.Errorf("ransomware %d, independent count %d", ransom, wantR)
	}
}

func TestFixture(t *testing.T) {
	f, _ := os.Open(filepath.Join("testdata", "kev-small.json"))
	defer f.Close()
	var got []kb.KEV
	var reasons []string
	_, err := Parse(f, "kev-small.json", Handler{Entry: func(k kb.KEV) error { got = append(got, k); return nil }, Skip: func(err error) error { reasons = append(reasons, err.Error()); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Ransomware || got[1].Ransomware || got[0].Due.Format("2006-01-02") != "2024-01-02" || got[0].Vendor != "Microsoft" {
		t.Errorf("got = %+v", got)
	}
	if len(reasons) != 1 || reasons[0] != `kev-small.json: entry 3 (CVE-2023-99903): field "dateAdded": "13/12/2023" is not a date (YYYY-MM-DD)` {
		t.Errorf("reasons = %q", reasons)
	}
}

func TestBadInput(t *testing.T) {
	for name, in := range map[string]string{"nvd": `{"vulnerabilities":[{"cve":{}}]}`, "truncated": `{"vulnerabilities":[{"cveID":"CVE-2023-1234"`, "empty": "", "list": "[]"} {
		_, err := Parse(strings.NewReader(in), "kev.json", Handler{})
		if err == nil || !strings.HasPrefix(err.Error(), "kev.json") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, _ := os.ReadFile(filepath.Join("testdata", "kev-small.json"))
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		Parse(bytes.NewReader(in), "fuzz", Handler{Entry: func(k kb.KEV) error {
			if k.CVE == "" {
				t.Fatal("entry without id")
			}
			return nil
		}, Skip: func(error) error { return nil }})
	})
}
