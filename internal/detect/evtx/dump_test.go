package evtx

import (
	"fmt"
	"io"
	"os"
	"testing"

	"vigil/internal/detect"
)

// TestDumpEnv prints the events of one file, for looking into a file the
// reader handles unexpectedly:
//
//	EVTX_DUMP=path/to/file.evtx go test ./internal/detect/evtx -run DumpEnv -v
func TestDumpEnv(t *testing.T) {
	path := os.Getenv("EVTX_DUMP")
	if path == "" {
		t.Skip("set EVTX_DUMP to a file to print its events")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := NewReader(f, path)
	var ev detect.Event
	for {
		err := r.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("record", ev.Record, ev.Time, ev.Host)
		for _, f := range ev.Fields {
			fmt.Printf("  %s = %q\n", f.Name, f.Value)
		}
	}
	fmt.Printf("%+v\n", r.EVTXStats())
}
