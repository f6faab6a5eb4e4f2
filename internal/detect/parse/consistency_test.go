package parse

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"vigil/internal/detect"
	"vigil/internal/detect/internal/testdatadir"
)

// TestEVTXAndJSONAgree reads each SigmaHQ regression sample both as .evtx
// and as the .json converted from it: a rule must see the same fields
// either way. The converter trimmed trailing spaces from values (Windows
// keeps them: ParentCommandLine "...cmd.exe\" "), which the JSON cannot
// give back; those are forgiven.
func TestEVTXAndJSONAgree(t *testing.T) {
	dir := testdatadir.Shared(t, "sigma/regression_data")
	pairs, agree := 0, 0
	for _, evtxPath := range testdatadir.Files(t, dir, ".evtx") {
		jsonPath := strings.TrimSuffix(evtxPath, ".evtx") + ".json"
		if _, err := os.Stat(jsonPath); err != nil {
			continue
		}
		pairs++
		fromEVTX := readEvents(t, evtxPath)
		fromJSON := readEvents(t, jsonPath)
		if len(fromEVTX) != len(fromJSON) {
			t.Errorf("%s: %d events from EVTX, %d from JSON", evtxPath, len(fromEVTX), len(fromJSON))
			continue
		}
		ok := true
		for i := range fromEVTX {
			e, j := fromEVTX[i], fromJSON[i]
			// The converter wrote microseconds; FILETIME has 100 ns.
			if !e.Time.Truncate(time.Microsecond).Equal(j.Time) || e.Host != j.Host || e.Record != j.Record {
				t.Errorf("%s event %d: time/host/record %v %q %d vs JSON %v %q %d", evtxPath, i, e.Time, e.Host, e.Record, j.Time, j.Host, j.Record)
				ok = false
			}
			for _, f := range e.Fields {
				v, found := j.Get(f.Name)
				if !found || v != f.Value && v != strings.TrimRight(f.Value, " ") {
					t.Errorf("%s event %d: %s = %q from EVTX, %q (present %v) from JSON", evtxPath, i, f.Name, f.Value, v, found)
					ok = false
				}
			}
			for _, f := range j.Fields {
				if _, found := e.Get(f.Name); !found {
					t.Errorf("%s event %d: %s only from JSON", evtxPath, i, f.Name)
					ok = false
				}
			}
		}
		if ok {
			agree++
		}
	}
	t.Logf("%d of %d EVTX/JSON sample pairs agree field for field", agree, pairs)
	if pairs == 0 {
		t.Error("no EVTX/JSON pairs found")
	}
}

func readEvents(t *testing.T, path string) []*detect.Event {
	t.Helper()
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*detect.Event
	var ev detect.Event
	for {
		err := f.Next(&ev)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, ev.Clone())
	}
}
