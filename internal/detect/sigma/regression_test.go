package sigma_test

import (
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"vigil/internal/detect"
	"vigil/internal/detect/internal/testdatadir"
	"vigil/internal/detect/parse"
	"vigil/internal/detect/sigma"
)

var (
	allRulesOnce sync.Once
	allRules     *sigma.LoadResult
	allRulesErr  error
)

// sigmaHQ loads every SigmaHQ rule folder of the shared data once.
func sigmaHQ(tb testing.TB) *sigma.LoadResult {
	tb.Helper()
	dir := testdatadir.Shared(tb, "sigma")
	allRulesOnce.Do(func() {
		var paths []string
		for _, d := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting", "rules-compliance", "rules-dfir"} {
			if st, err := os.Stat(filepath.Join(dir, d)); err == nil && st.IsDir() {
				paths = append(paths, filepath.Join(dir, d))
			}
		}
		allRules, allRulesErr = sigma.Load(paths, sigma.Filter{Statuses: []string{"stable", "test", "experimental", "deprecated", "unsupported", ""}}, sigma.Options{})
	})
	if allRulesErr != nil {
		tb.Fatal(allRulesErr)
	}
	return allRules
}

type regressionCase struct {
	dir, ruleID, title string
	samples            []string
}

func regressionCases(tb testing.TB, ext string) []regressionCase {
	dir := testdatadir.Shared(tb, "sigma/regression_data")
	var out []regressionCase
	for _, info := range testdatadir.Files(tb, dir, ".yml") {
		if filepath.Base(info) != "info.yml" {
			continue
		}
		data, err := os.ReadFile(info)
		if err != nil {
			tb.Fatal(err)
		}
		var meta struct {
			RuleMetadata []struct {
				ID    string `yaml:"id"`
				Title string `yaml:"title"`
			} `yaml:"rule_metadata"`
		}
		if err := yaml.Unmarshal(data, &meta); err != nil || len(meta.RuleMetadata) == 0 {
			tb.Fatalf("%s: %v", info, err)
		}
		c := regressionCase{dir: filepath.Dir(info), ruleID: meta.RuleMetadata[0].ID, title: meta.RuleMetadata[0].Title}
		ents, _ := os.ReadDir(c.dir)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ext) {
				c.samples = append(c.samples, filepath.Join(c.dir, e.Name()))
			}
		}
		out = append(out, c)
	}
	return out
}

// firing runs the rule set over a file and returns the ids of rules that
// fired, with counts.
func firing(tb testing.TB, rs *sigma.RuleSet, path string) (map[string]int, int) {
	f, err := parse.OpenFile(path)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	m := rs.NewMatcher()
	got := map[string]int{}
	var ev detect.Event
	n := 0
	for {
		err := f.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		n++
		for _, c := range m.Match(&ev) {
			got[c.ID]++
		}
	}
	return got, n
}

func runRegression(t *testing.T, ext string) {
	res := sigmaHQ(t)
	byID := map[string]bool{}
	for _, c := range res.Rules.Rules() {
		byID[c.ID] = true
	}
	refused := map[string]error{}
	for _, e := range res.Refused {
		refused[e.ID] = e
	}
	cases := regressionCases(t, ext)
	pass, total := 0, 0
	for _, c := range cases {
		if len(c.samples) == 0 {
			continue // e.g. a .raw sample of a non-Windows rule
		}
		total++
		if !byID[c.ruleID] {
			t.Errorf("%s: rule %s (%s) not loaded: %v", c.dir, c.ruleID, c.title, refused[c.ruleID])
			continue
		}
		ok := true
		for _, s := range c.samples {
			got, n := firing(t, res.Rules, s)
			if got[c.ruleID] == 0 {
				ok = false
				var others []string
				for id := range got {
					others = append(others, id)
				}
				sort.Strings(others)
				t.Errorf("%s: rule %s (%s) did not fire on %d events (others fired: %v)", s, c.ruleID, c.title, n, others)
			}
		}
		if ok {
			pass++
		}
	}
	t.Logf("regression %s: %d/%d cases fire their rule", ext, pass, total)
}

// TestRegressionJSON checks that each SigmaHQ regression rule fires on its
// sample as JSON.
func TestRegressionJSON(t *testing.T) { runRegression(t, ".json") }

// TestRegressionEVTX checks the same on the original EVTX samples.
func TestRegressionEVTX(t *testing.T) { runRegression(t, ".evtx") }

// TestRegressionRaw checks the samples kept as raw log lines (network
// devices, Linux).
func TestRegressionRaw(t *testing.T) { runRegression(t, ".raw") }
