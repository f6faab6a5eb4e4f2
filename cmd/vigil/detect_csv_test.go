package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDetectCSVNeutralisesFormulas feeds an event whose host name and a
// rule whose title a spreadsheet would run as formulas: the CSV must hold
// them as text.
func TestDetectCSVNeutralisesFormulas(t *testing.T) {
	dir := t.TempDir()
	rule := `title: '=HYPERLINK("http://evil.example/","x")'
id: 5f0e8f0e-0000-4000-8000-0000000000aa
level: high
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\whoami.exe'
    condition: selection
`
	event := `{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"EventRecordID":7,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"@SUM(1+1)","TimeCreated":{"#attributes":{"SystemTime":"2026-01-02T03:04:05Z"}}},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all"}}}` + "\n"
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	code, out, errs := runVigil(t, "detect", "--rules", write("rule.yml", rule), "--format", "csv", write("events.json", event))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv %q: %v", out, err)
	}
	for _, cell := range rows[1] {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Errorf("cell %q would run as a formula", cell)
		}
	}
	if rows[1][2] != `'=HYPERLINK("http://evil.example/","x")` || rows[1][5] != "'@SUM(1+1)" {
		t.Errorf("title %q, host %q", rows[1][2], rows[1][5])
	}
}
