package evtx

import (
	"fmt"
	"io"
	"os"
	"testing"

	"vigil/internal/detect"
)

func TestDumpEnv(t *testing.T) {
	path := os.Getenv("EVTX_DUMP")
	if path == "" {
		t.Skip()
	}
	f, _ := os.Open(path)
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
