package parse

import (
	"io"
	"testing"

	"vigil/internal/detect"
	"vigil/internal/detect/internal/testdatadir"
)

// TestRegressionJSON reads every .json beside SigmaHQ's regression samples:
// each must yield events with the Sigma names rules look for.
func TestRegressionJSON(t *testing.T) {
	dir := testdatadir.Shared(t, "sigma/regression_data")
	files := testdatadir.Files(t, dir, ".json")
	if len(files) == 0 {
		t.Fatalf("no .json under %s", dir)
	}
	events := 0
	for _, path := range files {
		f, err := OpenFile(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var ev detect.Event
		n := 0
		for {
			err := f.Next(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			n++
			for _, name := range []string{"EventID", "Channel", "Provider_Name", "Computer"} {
				if v, ok := ev.Get(name); !ok || v == "" {
					t.Errorf("%s record %d: no %s in %v", path, ev.Record, name, ev.Fields)
				}
			}
			if ev.Time.IsZero() || ev.Host == "" || ev.Record == 0 || ev.Product != "windows" {
				t.Errorf("%s: time %v host %q record %d product %q", path, ev.Time, ev.Host, ev.Record, ev.Product)
			}
		}
		st := f.Stats()
		if st.Skipped > 0 || n == 0 {
			t.Errorf("%s: %d events, %d skipped: %v", path, n, st.Skipped, st.Errors)
		}
		events += n
		f.Close()
	}
	t.Logf("%d files, %d events", len(files), events)
}
