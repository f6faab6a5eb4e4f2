package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"vigil/internal/agent/agentapi"
	"vigil/internal/agent/scan"
	"vigil/internal/datafile"
)

// TestAgentAndDetectShareVerdicts reads one indicator file three ways:
// `vigil agent scan --ioc` over files, `vigil detect --ioc` over events
// carrying the same files' digests, and the agent's run mode, which gets
// the indicators from the hub in the agentapi wire form. One model and
// one matcher (internal/detect/ioc) must give one verdict per file.
func TestAgentAndDetectShareVerdicts(t *testing.T) {
	t.Setenv("VIGIL_RULES", "")
	dir := t.TempDir()
	files := map[string][]byte{
		"listed-upper.bin": []byte("listed, written in capitals in the feed"),
		"listed-alias.bin": []byte("listed under the type name sha-256"),
		"clean.txt":        []byte("clean"),
		"md5-only.bin":     []byte("listed by MD5 only: the agent hashes with SHA-256"),
	}
	sums := map[string]string{}
	for name, data := range files {
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
		s := sha256.Sum256(data)
		sums[name] = hex.EncodeToString(s[:])
	}
	// A feed with its columns in another order, as another tool writes it.
	feed := "value,type,comment\n" +
		strings.ToUpper(sums["listed-upper.bin"]) + ",sha256,upper\n" +
		sums["listed-alias.bin"] + ",sha-256,alias\n" +
		strings.Repeat("ab", 32) + ",sha256,absent file\n" +
		"0123456789abcdef0123456789abcdef,md5,md5 only\n" +
		"203.0.113.0/24,cidr,net\n" +
		"bad.example,domain,\n"
	feedPath := filepath.Join(t.TempDir(), "feed.csv")
	os.WriteFile(feedPath, []byte(feed), 0o644)
	want := []string{"listed-alias.bin", "listed-upper.bin"}

	// vigil agent scan --ioc
	code, out, errs := runVigil(t, "agent", "scan", "--paths", dir, "--ioc", feedPath, "--no-live")
	if code != 3 {
		t.Fatalf("agent scan: exit %d, want 3 (findings); %s", code, errs)
	}
	var byAgent []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		for name := range files {
			if strings.Contains(l, `path="`+filepath.Join(dir, name)+`"`) {
				byAgent = append(byAgent, name)
			}
		}
	}
	slices.Sort(byAgent)

	// vigil detect --ioc, over one event per file carrying its digests.
	var events strings.Builder
	for name := range files {
		ev, _ := json.Marshal(map[string]string{"Image": filepath.Join(dir, name), "Hashes": "MD5=00000000000000000000000000000000,SHA256=" + sums[name], "EventID": "1"})
		events.Write(ev)
		events.WriteByte('\n')
	}
	evPath := filepath.Join(t.TempDir(), "events.jsonl")
	os.WriteFile(evPath, []byte(events.String()), 0o644)
	code, out, errs = runVigil(t, "detect", "--ioc", feedPath, "--format", "jsonl", evPath)
	if code != 0 {
		t.Fatalf("detect: exit %d: %s", code, errs)
	}
	var byDetect []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec struct {
			Indicator string            `json:"indicator"`
			Fields    map[string]string `json:"fields"`
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		for name, sum := range sums {
			if rec.Indicator == sum {
				byDetect = append(byDetect, name)
			}
		}
	}
	slices.Sort(byDetect)

	// The agent's run mode: the hub sends the indicators as wire structs.
	c, err := datafile.NewCSV(strings.NewReader(feed), "feed.csv", &datafile.Spec{Columns: []datafile.Column{{Name: "type"}, {Name: "value"}, {Name: "comment"}}})
	if err != nil {
		t.Fatal(err)
	}
	var wire []agentapi.Indicator
	for c.Next() == nil {
		wire = append(wire, agentapi.Indicator{Type: c.Get("type"), Value: c.Get("value"), Comment: c.Get("comment")})
	}
	set, skipped := agentapi.IndicatorSet(wire)
	if skipped != 0 || set.Len() != 6 {
		t.Fatalf("wire set: %d indicators, %d skipped", set.Len(), skipped)
	}
	var rep scan.Report
	if err := scan.Files(context.Background(), scan.Options{Paths: []string{dir}, Indicators: set}, &rep); err != nil {
		t.Fatal(err)
	}
	var byRun []string
	for _, f := range rep.Findings {
		byRun = append(byRun, filepath.Base(f.Path))
	}
	slices.Sort(byRun)

	if !slices.Equal(byAgent, want) || !slices.Equal(byDetect, want) || !slices.Equal(byRun, want) {
		t.Errorf("verdicts differ:\n agent scan --ioc %v\n detect --ioc     %v\n agent run (wire) %v\n want             %v", byAgent, byDetect, byRun, want)
	}
}
