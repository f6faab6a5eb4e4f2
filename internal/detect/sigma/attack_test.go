package sigma_test

import (
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"vigil/internal/detect"
	"vigil/internal/detect/internal/testdatadir"
	"vigil/internal/detect/parse"
	"vigil/internal/detect/sigma"
)

// TestAttackSamples runs every SigmaHQ rule over the EVTX files recorded
// during real attacks and logs, per file, the rules that fire; it reports
// the share of files with a match at level medium or higher and the share
// of SigmaHQ Windows rules that load.
func TestAttackSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("long: runs all rules over all attack samples")
	}
	dir := testdatadir.Shared(t, "evtx/sbousseaden")
	res := sigmaHQ(t)
	files := testdatadir.Files(t, dir, ".evtx")
	if len(files) == 0 {
		t.Fatalf("no .evtx under %s", dir)
	}
	withMedium, events := 0, 0
	for _, path := range files {
		f, err := parse.OpenFile(path)
		if err != nil {
			t.Logf("%s: cannot open: %v", path, err)
			continue
		}
		m := res.Rules.NewMatcher()
		fired := map[string]int{}
		levels := map[string]sigma.Level{}
		var ev detect.Event
		for {
			err := f.Next(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Logf("%s: %v", path, err)
				break
			}
			events++
			for _, c := range m.Match(&ev) {
				fired[c.Title]++
				levels[c.Title] = c.Level
			}
		}
		f.Close()
		medium := false
		var names []string
		for title, n := range fired {
			if levels[title] >= sigma.LevelMedium {
				medium = true
			}
			names = append(names, levels[title].String()+":"+title+"×"+itoa(n))
		}
		sort.Strings(names)
		if medium {
			withMedium++
		}
		rel, _ := filepath.Rel(dir, path)
		t.Logf("%s: %s", rel, strings.Join(names, "; "))
	}
	t.Logf("attack samples: %d events; %d/%d files (%.1f%%) with a medium+ match", events, withMedium, len(files), 100*float64(withMedium)/float64(len(files)))
	win, winLoaded := windowsRuleShare(t, res)
	t.Logf("SigmaHQ Windows rules loaded: %d/%d (%.1f%%)", winLoaded, win, 100*float64(winLoaded)/float64(win))
	if float64(withMedium)/float64(len(files)) < 0.636 {
		t.Errorf("medium+ share %.1f%% is below sigma-go's 63.6%%", 100*float64(withMedium)/float64(len(files)))
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// windowsRuleShare counts SigmaHQ rules with product windows and how many
// of them loaded.
func windowsRuleShare(t *testing.T, res *sigma.LoadResult) (total, loaded int) {
	for _, c := range res.Rules.Rules() {
		if c.Logsource.Product == "windows" {
			loaded++
		}
	}
	total = loaded
	for _, e := range res.Refused {
		if strings.Contains(filepath.ToSlash(e.Path), "/windows/") {
			total++
		}
	}
	return total, loaded
}
