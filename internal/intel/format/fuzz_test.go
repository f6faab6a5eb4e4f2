package format

import (
	"bytes"
	"os"
	"path/filepath"
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
