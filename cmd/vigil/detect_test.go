package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/cli"
)

func runVigil(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Execute(context.Background(), root(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDetectJSONL(t *testing.T) {
	t.Setenv("VIGIL_RULES", "")
	code, out, errs := runVigil(t, "detect", "--rules", "testdata/detect/rule.yml", "--rules", "testdata/detect/bad.yml",
		"--ioc", "testdata/detect/iocs.csv", "--format", "jsonl", "testdata/detect/events.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want a rule and an indicator match, got:\n%s", out)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rule_id", "title", "level", "timestamp", "host", "source"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("record lacks %q: %s", k, lines[0])
		}
	}
	if rec["rule_id"] != "5f0e8f0e-0000-4000-8000-000000000001" || rec["host"] != "ws01.corp.example" || rec["timestamp"] != "2026-01-02T03:04:05Z" {
		t.Errorf("record = %s", lines[0])
	}
	if !strings.Contains(lines[1], `"rule_id":"ioc:ip"`) {
		t.Errorf("indicator record = %s", lines[1])
	}
	for _, want := range []string{"refused", "5f0e8f0e-0000-4000-8000-000000000002", "nosuchmodifier", "1 loaded, 1 refused", "matches: 2 (high 1, medium 1)"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

func TestDetectFormats(t *testing.T) {
	for _, f := range []string{"table", "csv"} {
		code, out, errs := runVigil(t, "detect", "--rules", "testdata/detect/rule.yml", "--format", f, "testdata/detect")
		if code != 0 || !strings.Contains(out, "Whoami Run From Command Shell") {
			t.Errorf("--format %s: exit %d, out %q, err %q", f, code, out, errs)
		}
	}
}

func TestDetectExitStatus(t *testing.T) {
	t.Setenv("VIGIL_RULES", "")
	t.Setenv("VIGIL_IOC", "")
	if code, _, errs := runVigil(t, "detect", "testdata/detect/events.json"); code != 2 || !strings.Contains(errs, "--rules") {
		t.Errorf("no rules: exit %d, %q", code, errs)
	}
	if code, _, _ := runVigil(t, "detect", "--rules", "testdata/detect/rule.yml"); code != 2 {
		t.Errorf("no input: exit %d", code)
	}
	if code, _, _ := runVigil(t, "detect", "--rules", "testdata/detect/rule.yml", "--format", "xml", "testdata/detect/events.json"); code != 2 {
		t.Errorf("bad format: exit %d", code)
	}
	if code, _, errs := runVigil(t, "detect", "--rules", "testdata/detect/rule.yml", "testdata/detect/events.json", "testdata/detect/missing.evtx"); code != 1 || !strings.Contains(errs, "missing.evtx") {
		t.Errorf("unreadable input: exit %d, %q", code, errs)
	}
	t.Setenv("VIGIL_RULES", "testdata/detect/rule.yml")
	if code, _, errs := runVigil(t, "detect", "testdata/detect/events.json"); code != 0 {
		t.Errorf("VIGIL_RULES: exit %d, %q", code, errs)
	}
}

func TestDetectCorrelation(t *testing.T) {
	code, out, errs := runVigil(t, "detect", "--rules", "testdata/detect/rule.yml", "--rules", "testdata/detect/correlation.yml", "--format", "jsonl", "testdata/detect/twice.jsonl")
	if code != 0 || !strings.Contains(out, `"title":"Whoami Twice"`) || !strings.Contains(errs, "1 correlation rules") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
}

// TestDetectPlaceholders: a rule whose expand placeholder has no value is
// refused, with the reason counted and the placeholder named; with
// --placeholders it loads and fires.
func TestDetectPlaceholders(t *testing.T) {
	t.Setenv("VIGIL_RULES", "")
	t.Setenv("VIGIL_PLACEHOLDERS", "")
	code, out, errs := runVigil(t, "detect", "--rules", "testdata/detect/expand.yml", "--format", "jsonl", "testdata/detect/events.json")
	if code != 0 || out != "" {
		t.Fatalf("without values: exit %d, out %q", code, out)
	}
	for _, want := range []string{"0 loaded, 1 refused (placeholder without a value 1)", "placeholders without values: %system_dirs%", "--placeholders"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	code, out, errs = runVigil(t, "detect", "--rules", "testdata/detect/expand.yml", "--placeholders", "testdata/detect/placeholders.yml", "--format", "jsonl", "testdata/detect/events.json")
	if code != 0 || !strings.Contains(out, `"rule_id":"5f0e8f0e-0000-4000-8000-000000000005"`) || !strings.Contains(errs, "1 loaded, 0 refused") {
		t.Errorf("with values: exit %d\n%s\n%s", code, out, errs)
	}
}

// TestDetectUnusableInputs: an empty file says "no events", an .xz file
// is skipped with a note, and neither fails the hunt.
func TestDetectUnusableInputs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "empty.evtx"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old.evtx.xz"), []byte("\xfd7zXZ\x00\x00\x04junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runVigil(t, "detect", "--rules", "testdata/detect/rule.yml", "testdata/detect/events.json", dir)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	for _, want := range []string{"events from 2 files", filepath.Join(dir, "empty.evtx") + "  no events: empty file", filepath.Join(dir, "old.evtx.xz") + "  skipped: xz-compressed, not read"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// TestDetectTable: the table has one line per match, sorted by time
// (or by level), in fixed-width columns with the rule id, level, ATT&CK
// ids and details; a multi-line value is shown on one line and cut with
// an ellipsis; --tz shows local times.
func TestDetectTable(t *testing.T) {
	t.Setenv("VIGIL_RULES", "")
	args := []string{"detect", "--rules", "testdata/detect/rule.yml", "--rules", "testdata/detect/shadow.yml", "testdata/detect/analyst.jsonl"}
	code, out, errs := runVigil(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 lines:\n%s", out)
	}
	header := lines[0]
	for _, col := range []string{"TIME (UTC)", "LEVEL", "RULE", "TITLE", "HOST", "ATT&CK", "SOURCE:RECORD", "DETAILS"} {
		if !strings.Contains(header, col) {
			t.Errorf("header lacks %s: %q", col, header)
		}
	}
	// Sorted by time: records 22 (03:00), 23 (04:00), 21 (05:00).
	for i, want := range []string{"2026-01-02 03:00:00", "2026-01-02 04:00:00", "2026-01-02 05:00:00"} {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("line %d = %q, want time %s first", i+1, lines[i+1], want)
		}
	}
	// Stable widths: every column starts where the header's does.
	for _, col := range []string{"LEVEL", "RULE", "TITLE", "HOST", "ATT&CK", "SOURCE:RECORD", "DETAILS"} {
		at := runeIndex(header, col)
		for _, l := range lines[1:] {
			if r := []rune(l); len(r) <= at || r[at-1] != ' ' || r[at-2] != ' ' || r[at] == ' ' {
				t.Errorf("column %s does not start at %d in %q", col, at, l)
			}
		}
	}
	shadow := lines[2]
	for _, want := range []string{"high", "5f0e8f0e", "T1490", "analyst.jsonl:23", "CommandLine=vssadmin.exe delete shadows /all /quiet", "User=CORP\\operator"} {
		if !strings.Contains(shadow, want) {
			t.Errorf("line lacks %q: %s", want, shadow)
		}
	}
	multi := lines[1]
	if !strings.Contains(multi, "whoami /all & echo line two and a third line") || !strings.Contains(multi, "…") {
		t.Errorf("multi-line value not on one line, cut: %s", multi)
	}
	// Per-rule and per-file summary.
	for _, want := range []string{"matches by rule", "Shadow Copies Deleted With Vssadmin", "Whoami Run From Command Shell", "2 hosts",
		"files (1, 0 without a match)", "analyst.jsonl  Microsoft-Windows-Sysmon/Operational"} {
		if !strings.Contains(errs, want) {
			t.Errorf("summary lacks %q:\n%s", want, errs)
		}
	}

	_, out, _ = runVigil(t, append(args, "--sort", "level", "--tz", "Asia/Ho_Chi_Minh")...)
	lines = strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "TIME (+07:00)") || !strings.HasPrefix(lines[1], "2026-01-02 11:00:00  high") || !strings.HasPrefix(lines[2], "2026-01-02 10:00:00  med") {
		t.Errorf("--sort level --tz Asia/Ho_Chi_Minh:\n%s", out)
	}
	if code, _, errs := runVigil(t, append(args, "--tz", "Mars/Olympus")...); code != 2 || !strings.Contains(errs, "--tz") {
		t.Errorf("bad --tz: exit %d %s", code, errs)
	}
}

func runeIndex(s, sub string) int {
	i := strings.Index(s, sub)
	if i < 0 {
		return -1
	}
	return len([]rune(s[:i]))
}

// TestDetectCSVKeepsJSONL: every JSONL key is a CSV column, with the
// same value; JSONL carries the rule's description, references and known
// false positives.
func TestDetectCSVKeepsJSONL(t *testing.T) {
	t.Setenv("VIGIL_RULES", "")
	base := []string{"detect", "--rules", "testdata/detect/shadow.yml", "--ioc", "testdata/detect/iocs.csv", "--tz", "+07:00"}
	_, jl, errs := runVigil(t, append(base, "--format", "jsonl", "testdata/detect/analyst.jsonl", "testdata/detect/events.json")...)
	_, cs, _ := runVigil(t, append(base, "--format", "csv", "testdata/detect/analyst.jsonl", "testdata/detect/events.json")...)
	recs := strings.Split(strings.TrimSpace(jl), "\n")
	rows, err := csv.NewReader(strings.NewReader(cs)).ReadAll()
	if err != nil || len(rows) != len(recs)+1 || len(recs) != 2 {
		t.Fatalf("jsonl %d records, csv %d rows (%v):\n%s\n%s\n%s", len(recs), len(rows), err, jl, cs, errs)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for n, line := range recs {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		for k, v := range rec {
			i, ok := col[k]
			if !ok {
				t.Errorf("CSV lacks JSONL column %q", k)
				continue
			}
			if s, isStr := v.(string); isStr && rows[n+1][i] != s {
				t.Errorf("record %d %s: csv %q, jsonl %q", n, k, rows[n+1][i], s)
			}
		}
	}
	var shadow map[string]any
	json.Unmarshal([]byte(recs[0]), &shadow)
	if shadow["timestamp"] != "2026-01-02T11:00:00+07:00" || !strings.HasPrefix(fmt.Sprint(shadow["description"]), "Detects vssadmin deleting") ||
		fmt.Sprint(shadow["references"]) != "[https://attack.mitre.org/techniques/T1490/]" || fmt.Sprint(shadow["falsepositives"]) != "[Backup software rotating its own shadow copies]" {
		t.Errorf("record = %s", recs[0])
	}
	if d, _ := shadow["details"].(map[string]any); d["CommandLine"] != "vssadmin.exe delete shadows /all /quiet" {
		t.Errorf("details = %v", shadow["details"])
	}
}

// TestDetectExplain: --explain prints the compiled rule, found by id or
// the short id the table shows.
func TestDetectExplain(t *testing.T) {
	t.Setenv("VIGIL_RULES", "")
	code, out, errs := runVigil(t, "detect", "--rules", "testdata/detect/shadow.yml", "--rules", "testdata/detect/rule.yml", "--explain", "5f0e8f0e-0000-4000-8000-000000000006")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Shadow Copies Deleted With Vssadmin", "applies to: microsoft-windows-sysmon/operational EventID 1", `Image ends with "\\vssadmin.exe"`,
		`CommandLine all of:`, `contains "delete"`, `contains "shadows"`, "prefilter:"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := runVigil(t, "detect", "--rules", "testdata/detect/shadow.yml", "--rules", "testdata/detect/rule.yml", "--explain", "5f0e8f0e"); code != 2 || !strings.Contains(errs, "2 rules") {
		t.Errorf("ambiguous prefix: exit %d %s", code, errs)
	}
	if code, _, errs := runVigil(t, "detect", "--rules", "testdata/detect/shadow.yml", "--explain", "nope"); code != 1 || !strings.Contains(errs, "no loaded rule") {
		t.Errorf("unknown id: exit %d %s", code, errs)
	}
}
