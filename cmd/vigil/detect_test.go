package main

import (
	"bytes"
	"context"
	"encoding/json"
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
	for _, want := range []string{"events from 2 files", "no events: " + filepath.Join(dir, "empty.evtx") + " (empty file)", "skipped: " + filepath.Join(dir, "old.evtx.xz") + ": xz-compressed, not read"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}
