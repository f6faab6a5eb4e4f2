package sigma_test

import (
	"io"

	"path/filepath"
	"testing"
	"vigil/internal/detect"
	"vigil/internal/detect/parse"

	"vigil/internal/detect/internal/testdatadir"
	"vigil/internal/detect/sigma"
)

// sigmaHQRules loads the named SigmaHQ rule files (relative to
// ../shared/data/sigma) with opts; every one must load.
func sigmaHQRules(t *testing.T, opts sigma.Options, files ...string) *sigma.RuleSet {
	t.Helper()
	dir := testdatadir.Shared(t, "sigma")
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(dir, f))
	}
	res, err := sigma.Load(paths, sigma.Filter{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Refused {
		t.Errorf("refused: %v", e)
	}
	if res.Rules.Len() != len(files) {
		t.Fatalf("loaded %d of %d rules", res.Rules.Len(), len(files))
	}
	return res.Rules
}

// firingByRecord runs rs over a fixture file and returns, per record
// number, the ids of the rules that fired.
func firingByRecord(t *testing.T, rs *sigma.RuleSet, path string) map[uint64][]string {
	t.Helper()
	out := map[uint64][]string{}
	eachEvent(t, path, func(ev *detectEvent) {
		for _, c := range rs.NewMatcher().Match(ev) {
			out[ev.Record] = append(out[ev.Record], c.ID)
		}
	})
	return out
}

// TestFieldNamesWithSpaces: Sigma writes event field names that hold
// spaces without them. Defender's "Source Name" and "Process Name" must
// meet SigmaHQ's SourceName and ProcessName, both to fire (AMSI trigger)
// and to filter (ASR LSASS access from svchost.exe is a known false
// positive the rule leaves out).
func TestFieldNamesWithSpaces(t *testing.T) {
	const (
		amsi = "ea9bf0fa-edec-4fb8-8b78-b119f2528186"
		asr  = "a0a278fe-2c0e-4de2-ac3c-c68b08a9ba98"
	)
	rs := sigmaHQRules(t, sigma.Options{},
		"rules/windows/builtin/windefend/win_defender_malware_detected_amsi_source.yml",
		"rules/windows/builtin/windefend/win_defender_asr_lsass_access.yml")
	got := firingByRecord(t, rs, "testdata/defender.xml")
	want := map[uint64][]string{7001: {amsi}, 7003: {asr}}
	for rec := uint64(7001); rec <= 7003; rec++ {
		if !sameIDs(got[rec], want[rec]) {
			t.Errorf("record %d: fired %v, want %v", rec, got[rec], want[rec])
		}
	}
}

func sameIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type detectEvent = detect.Event

// eachEvent reads every event of a fixture file.
func eachEvent(t *testing.T, path string, fn func(ev *detect.Event)) {
	t.Helper()
	f, err := parse.OpenFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	var ev detect.Event
	for {
		err := f.Next(&ev)
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		fn(&ev)
	}
}

// TestNullIsNotEmpty: in Sigma, null means the field is absent (or null)
// and ” the empty string. A firewall rule allowing everything, made in
// mmc.exe with an empty ApplicationPath, must not be taken for the
// "ApplicationPath: null" filter; the svchost.exe rule with an empty path
// is filtered by ” and the rule without ApplicationPath by null.
func TestNullIsNotEmpty(t *testing.T) {
	const id = "cde0a575-7d3d-4a49-9817-b8004a7bf105"
	rs := sigmaHQRules(t, sigma.Options{}, "rules/windows/builtin/firewall_as/win_firewall_as_add_rule.yml")
	got := firingByRecord(t, rs, "testdata/firewall.xml")
	want := map[uint64][]string{8001: {id}}
	for rec := uint64(8001); rec <= 8003; rec++ {
		if !sameIDs(got[rec], want[rec]) {
			t.Errorf("record %d: fired %v, want %v", rec, got[rec], want[rec])
		}
	}
}
