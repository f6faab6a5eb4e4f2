package epss

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/vuln/internal/vulntest"
	"vigil/internal/vuln/kb"
)

func TestSharedExample(t *testing.T) {
	dir := vulntest.Shared(t, "epss")
	path := filepath.Join(dir, "example-1.csv")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Independent count: lines starting with "CVE-".
	want := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "CVE-") {
			want++
		}
	}
	var got []kb.EPSS
	hdr, err := Parse(bytes.NewReader(b), "example-1.csv", Handler{Score: func(s kb.EPSS) error { got = append(got, s); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != want || hdr.Model != "v2023.03.01" || hdr.Date.Format("2006-01-02") != "2025-02-20" {
		t.Errorf("%d scores (want %d), header %+v", len(got), want, hdr)
	}
	if got[0].CVE != "CVE-1999-0001" || got[0].Score != 0.00383 || got[0].Percentile != 0.73075 || !got[0].Date.Equal(hdr.Date) {
		t.Errorf("first = %+v", got[0])
	}
}

func TestFixtureBadRowNamesLineAndField(t *testing.T) {
	f, _ := os.Open(filepath.Join("testdata", "epss-small.csv"))
	defer f.Close()
	var reasons []string
	n := 0
	_, err := Parse(f, "epss-small.csv", Handler{Score: func(kb.EPSS) error { n++; return nil }, Skip: func(err error) error { reasons = append(reasons, err.Error()); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || len(reasons) != 1 || !strings.HasPrefix(reasons[0], "epss-small.csv:5:2: field \"epss\"") {
		t.Errorf("n = %d, reasons = %q", n, reasons)
	}
}

func TestBadInput(t *testing.T) {
	for name, in := range map[string]string{"no header": "#model_version:v1,score_date:2023-01-01T00:00:00+0000\n", "wrong columns": "a,b\n1,2\n", "bad date": "#model_version:v1,score_date:yesterday\ncve,epss,percentile\n"} {
		_, err := Parse(strings.NewReader(in), "e.csv", Handler{})
		if err == nil || !strings.HasPrefix(err.Error(), "e.csv") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if !Sniff([]byte("#model_version:v2023.03.01,score_date:x\ncve,epss")) || !Sniff([]byte("cve,epss,percentile\n")) || Sniff([]byte("{}")) {
		t.Error("Sniff")
	}
}

func FuzzParse(f *testing.F) {
	b, _ := os.ReadFile(filepath.Join("testdata", "epss-small.csv"))
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		Parse(bytes.NewReader(in), "fuzz", Handler{Score: func(s kb.EPSS) error {
			if s.CVE == "" || s.Score < 0 || s.Score > 1 {
				t.Fatalf("bad score %+v", s)
			}
			return nil
		}, Skip: func(error) error { return nil }})
	})
}
