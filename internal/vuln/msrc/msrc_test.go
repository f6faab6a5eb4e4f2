package msrc

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"vigil/internal/datafile"
	"vigil/internal/vuln/internal/vulntest"
	"vigil/internal/vuln/kb"
)

// independentCount counts a CVRF XML file's <Vulnerability> start tags and
// its distinct FullProductName ids with a plain line scan — no XML
// decoder — so the parser's counts are checked against something it did
// not compute.
func independentCount(t *testing.T, path string) (vulns int, products int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vulnRe := regexp.MustCompile(`<(?:[A-Za-z0-9_-]+:)?Vulnerability[\s>]`)
	prodRe := regexp.MustCompile(`<(?:[A-Za-z0-9_-]+:)?FullProductName ProductID="([^"]+)"`)
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		vulns += len(vulnRe.FindAllIndex(line, -1))
		for _, m := range prodRe.FindAllSubmatch(line, -1) {
			seen[string(m[1])] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vulns, len(seen)
}

func TestRealDocumentsCountsMatchAnIndependentCount(t *testing.T) {
	dir := vulntest.Shared(t, "msrc")
	files, _ := filepath.Glob(filepath.Join(dir, "cvrf-*.xml"))
	if len(files) == 0 {
		t.Fatalf("no cvrf-*.xml in %s", dir)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			wantV, wantP := independentCount(t, path)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var gotV, gotP, skipped, fixes int
			doc, err := Parse(f, filepath.Base(path), Handler{
				Product:       func(kb.Product) error { gotP++; return nil },
				Vulnerability: func(v Vulnerability) error { gotV++; fixes += len(v.Fixes); return nil },
				Skip: func(err error) error {
					skipped++
					var de *datafile.Error
					if !errors.As(err, &de) || de.File != filepath.Base(path) || de.Record == "" {
						t.Errorf("skip reason does not name file and record: %v", err)
					}
					return nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if gotV+skipped != wantV {
				t.Errorf("vulnerabilities: parsed %d + skipped %d, independent count %d", gotV, skipped, wantV)
			}
			if gotP != wantP {
				t.Errorf("products: parsed %d, independent count %d", gotP, wantP)
			}
			if doc.ID == "" || doc.Released.IsZero() || doc.Updated.IsZero() {
				t.Errorf("document header not read: %+v", doc)
			}
			if !strings.Contains(filepath.Base(path), doc.ID) {
				t.Errorf("document id %q does not match file %s", doc.ID, path)
			}
			if fixes == 0 {
				t.Error("no fixes")
			}
			t.Logf("%s: %d vulnerabilities (%d skipped), %d products, %d fixes", doc.ID, gotV, skipped, gotP, fixes)
		})
	}
}

func TestDecember2023ServerFix(t *testing.T) {
	dir := vulntest.Shared(t, "msrc")
	products, fixes, cves, err := ParseFile(filepath.Join(dir, "cvrf-2023-Dec.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(products, func(p kb.Product) bool { return p.ID == "11571" }); i < 0 || products[i].Name != "Windows Server 2019" {
		t.Errorf("product 11571 missing or misnamed")
	}
	i := slices.IndexFunc(fixes, func(f kb.MSFix) bool {
		return f.CVE == "CVE-2023-35628" && f.ProductID == "11571" && f.KB == "5033371"
	})
	if i < 0 {
		t.Fatal("no fix KB5033371 for CVE-2023-35628 on Windows Server 2019")
	}
	f := fixes[i]
	if f.FixedBuild != "10.0.17763.5206" || !slices.Equal(f.Supersedes, []string{"5031361"}) || f.Severity != kb.SeverityCritical ||
		f.SubType != "Security Update" || f.Document != "2023-Dec" || f.Released.Format("2006-01-02") != "2023-12-12" || !strings.Contains(f.URL, "KB5033371") {
		t.Errorf("fix = %+v", f)
	}
	j := slices.IndexFunc(cves, func(c kb.CVE) bool { return c.ID == "CVE-2023-35628" })
	if j < 0 {
		t.Fatal("CVE-2023-35628 missing")
	}
	c := cves[j]
	if c.CVSS != 8.1 || c.Severity != kb.SeverityCritical || !strings.HasPrefix(c.Vector, "CVSS:3.1/") || c.Source != "msrc" || c.Title == "" {
		t.Errorf("cve = %+v", c)
	}
	// Edge's fixes carry a build and no KB.
	k := slices.IndexFunc(fixes, func(f kb.MSFix) bool { return f.CVE == "CVE-2023-6508" && f.ProductID == "11655" })
	if k < 0 || fixes[k].KB != "" || fixes[k].FixedBuild != "120.0.2210.61" {
		t.Errorf("Edge fix: %+v", k)
	}
}

func TestExploitedFlags(t *testing.T) {
	dir := vulntest.Shared(t, "msrc")
	// Count "Exploited:Yes" independently with a plain scan.
	want := map[string]bool{}
	for _, name := range []string{"cvrf-2023-Jul.xml", "cvrf-2023-Feb.xml"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`<(?:vuln:)?CVE>([^<]+)</`)
		vulns := regexp.MustCompile(`<(?:vuln:)?Vulnerability[\s>]`).Split(string(b), -1)
		for _, v := range vulns[1:] {
			if m := re.FindStringSubmatch(v); m != nil && strings.Contains(v, "Exploited:Yes") {
				want[m[1]] = true
			}
		}
		_, _, cves, err := ParseFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cves {
			if c.ExploitedMSRC != want[c.ID] {
				t.Errorf("%s %s: exploited %v, scan says %v", name, c.ID, c.ExploitedMSRC, want[c.ID])
			}
		}
	}
	if len(want) == 0 {
		t.Error("no exploited CVE in July and February 2023")
	}
}

// The three forms of the same vulnerability give the same records.
func TestFormsAgree(t *testing.T) {
	for _, name := range []string{"cvrf-small.xml", "cvrf-small.json"} {
		t.Run(name, func(t *testing.T) {
			products, fixes, cves, err := ParseFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			if len(products) < 2 || products[0].ID != "11571" || products[0].Name != "Windows Server 2019" {
				t.Errorf("products = %+v", products)
			}
			c := cves[0]
			if c.ID != "CVE-2023-99901" || c.CVSS != 8.1 || c.Severity != kb.SeverityCritical || !c.ExploitedMSRC || !c.PubliclyKnown ||
				c.Description != "An example description." || c.Published.Format("2006-01-02") != "2023-12-12" {
				t.Errorf("cve = %+v", c)
			}
			var win []kb.MSFix
			for _, f := range fixes {
				if f.CVE == "CVE-2023-99901" {
					win = append(win, f)
				}
			}
			if len(win) != 2 {
				t.Fatalf("fixes = %+v", win)
			}
			if win[0].ProductID != "11571" || win[0].KB != "5033371" || win[0].Severity != kb.SeverityCritical ||
				!slices.Equal(win[0].Supersedes, []string{"5031361", "5032196"}) || win[0].FixedBuild != "10.0.17763.5206" || win[0].Document != "2023-Ex" {
				t.Errorf("fix 0 = %+v", win[0])
			}
			if win[1].ProductID != "11572" || win[1].Severity != kb.SeverityHigh {
				t.Errorf("fix 1 = %+v", win[1])
			}
		})
	}
	t.Run("csaf", func(t *testing.T) {
		products, fixes, cves, err := ParseFile(filepath.Join("testdata", "csaf-small.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(products) != 2 {
			t.Errorf("products = %+v", products)
		}
		if len(cves) != 1 || cves[0].CVSS != 9.8 || cves[0].Severity != kb.SeverityCritical || !cves[0].ExploitedMSRC || cves[0].PubliclyKnown ||
			!slices.Equal(cves[0].CWE, []string{"CWE-416"}) {
			t.Errorf("cves = %+v", cves)
		}
		if len(fixes) != 2 || fixes[0].KB != "5033371" || fixes[0].ProductID != "11571" || fixes[1].KB != "5033118" || fixes[1].ProductID != "11923" ||
			fixes[0].Document != "msrc_CVE-2023-99901" {
			t.Errorf("fixes = %+v", fixes)
		}
	})
}

func TestBadCVESkippedWithFileAndRecord(t *testing.T) {
	for _, name := range []string{"cvrf-small.xml", "cvrf-small.json"} {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		var reasons []string
		_, err = Parse(f, name, Handler{Skip: func(err error) error { reasons = append(reasons, err.Error()); return nil }})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(reasons) != 1 || !strings.Contains(reasons[0], name) || !strings.Contains(reasons[0], "CVE-23-1") || !strings.Contains(reasons[0], `field "CVE"`) {
			t.Errorf("%s: reasons = %q", name, reasons)
		}
		// Without a Skip func the same record stops the parse.
		f, _ = os.Open(filepath.Join("testdata", name))
		_, err = Parse(f, name, Handler{})
		f.Close()
		if err == nil || !strings.Contains(err.Error(), "CVE-23-1") {
			t.Errorf("%s: strict parse err = %v", name, err)
		}
	}
}

func TestEntityBombRefused(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "bomb.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = Parse(f, "bomb.xml", Handler{})
	if !errors.Is(err, ErrDoctype) || !strings.HasPrefix(err.Error(), "bomb.xml:") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadInput(t *testing.T) {
	small, _ := os.ReadFile(filepath.Join("testdata", "cvrf-small.xml"))
	smallJSON, _ := os.ReadFile(filepath.Join("testdata", "cvrf-small.json"))
	for name, in := range map[string]string{
		"truncated xml":   string(small[:len(small)/2]),
		"truncated json":  string(smallJSON[:len(smallJSON)/2]),
		"other xml":       `<?xml version="1.0"?><NessusClientData_v2></NessusClientData_v2>`,
		"other json":      `{"vulnerabilities": 3}`,
		"unknown json":    `{"a": 1}`,
		"csv":             "cve,epss\n",
		"mismatched tags": `<cvrfdoc><DocumentTitle>x</Title></cvrfdoc>`,
		"unclosed":        `<cvrfdoc><DocumentTitle>x</DocumentTitle>`,
		"empty":           "",
	} {
		_, err := Parse(strings.NewReader(in), "in.file", Handler{Skip: func(error) error { return nil }})
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "in.file") {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
}

func TestSniff(t *testing.T) {
	small, _ := os.ReadFile(filepath.Join("testdata", "cvrf-small.xml"))
	smallJSON, _ := os.ReadFile(filepath.Join("testdata", "cvrf-small.json"))
	csaf, _ := os.ReadFile(filepath.Join("testdata", "csaf-small.json"))
	bom := append([]byte{0xEF, 0xBB, 0xBF}, small...)
	for in, want := range map[string]string{string(small): "cvrf-xml", string(bom): "cvrf-xml", string(smallJSON): "cvrf-json", string(csaf): "csaf", `{"vulnerabilities":[]}`: ""} {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%.30q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"cvrf-small.xml", "cvrf-small.json", "csaf-small.json", "bomb.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		Parse(bytes.NewReader(in), "fuzz", Handler{
			Vulnerability: func(v Vulnerability) error {
				if v.CVE.ID == "" {
					t.Fatal("vulnerability without id")
				}
				for _, f := range v.Fixes {
					if f.ProductID == "" || f.CVE != v.CVE.ID {
						t.Fatalf("bad fix %+v", f)
					}
				}
				return nil
			},
			Skip: func(error) error { return nil },
		})
	})
}
