package format

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// seed adds the testdata files matching glob to f's corpus.
func seed(f *testing.F, globs ...string) {
	for _, g := range globs {
		files, _ := filepath.Glob(g)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
}

// checkResult holds for any input: problems name the file, indicators
// have a kind and a normalised value.
func checkResult(t *testing.T, res *Result, err error) {
	if err != nil {
		return
	}
	for _, p := range res.Skipped {
		if p.Reason == "" || p.File == "" {
			t.Fatalf("problem without reason or file: %+v", p)
		}
	}
	for _, ind := range res.Indicators {
		if ind.Kind == "" || ind.Value == "" {
			t.Fatalf("empty indicator %+v", ind)
		}
		if k, ok := parseIOCKind(ind.Kind); !ok {
			t.Fatalf("kind %q", ind.Kind)
		} else if _, err := normalize(k, ind.Value); err != nil {
			t.Fatalf("value %q not normal: %v", ind.Value, err)
		}
	}
}

func FuzzReadSTIX(f *testing.F) {
	seed(f, "testdata/*.json")
	f.Add([]byte(`{"type":"indicator","pattern":"[a:b = 'c']"}`))
	f.Add([]byte(`{"type":"observed-data","objects":{"0":{"type":"file","hashes":{"MD5":"x"}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := ReadAs("stix", "f.json", bytes.NewReader(b), ReadOptions{MaxObjects: 1000})
		checkResult(t, res, err)
	})
}

func FuzzReadCSV(f *testing.F) {
	seed(f, "testdata/*.csv")
	f.Add([]byte("type,value,comment\nip,1.2.3.4,x\n"))
	f.Add([]byte("value,type,tlp,valid_until\nx.example,domain,red,31/12/2026\n"))
	f.Add([]byte("ip,\"1.2.3.4\nx\",c\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := ReadAs("csv", "f.csv", bytes.NewReader(b), ReadOptions{MaxObjects: 1000})
		checkResult(t, res, err)
	})
}

func FuzzReadPaste(f *testing.F) {
	seed(f, "testdata/*.txt")
	f.Add([]byte("hxxp://evil[.]example/x 1.2.3.4\naccount:x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := ReadAs("paste", "paste", bytes.NewReader(b), ReadOptions{MaxObjects: 1000})
		checkResult(t, res, err)
	})
}

func FuzzPattern(f *testing.F) {
	for _, p := range patternCases {
		f.Add(p.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		comps, err := ParsePattern(s)
		if err == nil && len(comps) == 0 {
			t.Fatalf("%q: no error and no comparison", s)
		}
	})
}

func FuzzReadMISP(f *testing.F) {
	seed(f, "testdata/misp*.json")
	f.Add([]byte(`{"response":[{"Event":{"Attribute":[{"type":"domain|ip","value":"a|b"}]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := ReadAs("misp", "f.json", bytes.NewReader(b), ReadOptions{MaxObjects: 1000})
		checkResult(t, res, err)
		ReadMISPManifest(bytes.NewReader(b))
	})
}

func FuzzReadXLSX(f *testing.F) {
	if b, err := Template(); err == nil {
		f.Add(b)
	}
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := ReadAs("xlsx", "f.xlsx", bytes.NewReader(b), ReadOptions{MaxObjects: 1000, MaxRows: 1000})
		checkResult(t, res, err)
	})
}

// TestReasonFormats: every problem the readers make uses a listed format,
// and its Reason is that format with its Args.
func TestReasonFormats(t *testing.T) {
	var all []Problem
	for _, p := range []string{"testdata/bundle21.json", "testdata/bundle20.json", "testdata/misp_event.json"} {
		all = append(all, readFile(t, p, ReadOptions{}).Skipped...)
	}
	for _, in := range []string{"ip,x\nbanana,1\nip\n", "value,type,tlp,confidence,first_seen,action,severity\n" +
		"a.example,domain,x,,,,\na.example,domain,,x,,,\na.example,domain,,,x,,\na.example,domain,,,,x,\na.example,domain,,,,,x\n"} {
		res, err := ReadAs("csv", "f.csv", strings.NewReader(in), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, res.Skipped...)
	}
	res, _ := ReadAs("paste", "p", strings.NewReader("?!"), ReadOptions{})
	all = append(all, res.Skipped...)
	seen := map[string]bool{}
	for _, p := range all {
		if !slices.Contains(ReasonFormats, p.Format) {
			t.Errorf("format %q of %+v not in ReasonFormats", p.Format, p)
		}
		if fmt.Sprintf(p.Format, p.Args...) != p.Reason {
			t.Errorf("reason %q is not its format with its args", p.Reason)
		}
		seen[p.Format] = true
	}
	t.Logf("%d of %d reason formats seen", len(seen), len(ReasonFormats))
}

func TestProblemDataError(t *testing.T) {
	p := newProblem("l.csv", 3, "", "tlp", reasonUnknownTLP, "purple")
	if got := p.DataError().Error(); got != `l.csv:3: field "tlp": unknown TLP marking "purple"` {
		t.Errorf("%s", got)
	}
	if got := p.Error(); got != `l.csv:3 tlp: unknown TLP marking "purple"` {
		t.Errorf("%s", got)
	}
}
