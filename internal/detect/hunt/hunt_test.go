package hunt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/detect/sigma"
)

const rule = `title: Whoami
id: 11111111-0000-4000-8000-000000000001
level: high
logsource: {product: windows, category: process_creation}
detection:
    sel:
        Image|endswith: '\whoami.exe'
    condition: sel
`

func event(rec int, image string) string {
	return fmt.Sprintf(`{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"EventRecordID":%d,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"h"},"EventData":{"Image":%q}}}`, rec, image)
}

// TestRunOrder checks that matches come out per file in record order and
// files in input order, whatever the number of workers.
func TestRunOrder(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for f := 0; f < 6; f++ {
		var lines []string
		for r := 1; r <= 200; r++ {
			img := `C:\x.exe`
			if r%7 == 0 {
				img = `C:\Windows\whoami.exe`
			}
			lines = append(lines, event(r, img))
		}
		p := filepath.Join(dir, fmt.Sprintf("f%d.json", f))
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	rules, _ := sigma.Parse([]byte(rule), "r.yml")
	rs, errs := sigma.Compile(rules, sigma.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	inputs, ierrs := Inputs([]string{dir})
	if len(ierrs) > 0 || len(inputs) != 6 {
		t.Fatalf("inputs %v %v", inputs, ierrs)
	}
	var want string
	for _, workers := range []int{1, 4} {
		var b strings.Builder
		sum, err := Run(context.Background(), Config{Rules: rs, Workers: workers}, files, func(r *Record) error {
			fmt.Fprintf(&b, "%s:%d %s\n", filepath.Base(r.Source), r.Record, r.Fields)
			return nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Events != 1200 || sum.Matches["high"] != 6*28 {
			t.Errorf("workers %d: %d events, matches %v", workers, sum.Events, sum.Matches)
		}
		if want == "" {
			want = b.String()
		} else if b.String() != want {
			t.Errorf("output differs with %d workers", workers)
		}
		if len(sum.Sources) != 1 || sum.Sources[0].Applicable != 1 {
			t.Errorf("sources %+v", sum.Sources)
		}
	}
}

// TestRunChunks checks a file with more matches than one chunk: all come
// out, in record order.
func TestRunChunks(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	n := 3*chunkRecords + 5
	for r := 1; r <= n; r++ {
		lines = append(lines, event(r, `C:\Windows\whoami.exe`))
	}
	p := filepath.Join(dir, "big.json")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(dir, "small.json")
	os.WriteFile(small, []byte(event(1, `C:\Windows\whoami.exe`)), 0o600)
	rules, _ := sigma.Parse([]byte(rule), "r.yml")
	rs, _ := sigma.Compile(rules, sigma.Options{})
	var got []string
	sum, err := Run(context.Background(), Config{Rules: rs, Workers: 2}, []string{p, small}, func(r *Record) error {
		got = append(got, fmt.Sprintf("%s:%d", filepath.Base(r.Source), r.Record))
		return nil
	}, nil)
	if err != nil || sum.Events != int64(n+1) || len(got) != n+1 {
		t.Fatalf("err %v, events %d, records %d", err, sum.Events, len(got))
	}
	for i := 0; i < n; i++ {
		if got[i] != fmt.Sprintf("big.json:%d", i+1) {
			t.Fatalf("record %d is %s", i, got[i])
		}
	}
	if got[n] != "small.json:1" {
		t.Errorf("last record %s", got[n])
	}
}
