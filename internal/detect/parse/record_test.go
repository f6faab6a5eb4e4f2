package parse

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"vigil/internal/detect"
)

// TestRecordAgreesWithReaders parses every line of the line-shaped
// fixtures one by one and checks each event is the one the file reader
// returns for that line: a record from the bus reads exactly as the same
// record in a file.
func TestRecordAgreesWithReaders(t *testing.T) {
	for _, c := range []struct {
		file string
		json bool
	}{
		{"syslog.log", false}, {"access.log", false},
		{"eve.json", true}, {"wazuh_alerts.json", true}, {"generic.jsonl", true}, {"win_lines.jsonl", true},
		{"journal.json", true},
	} {
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			f, err := NewFile(bytes.NewReader(data), "x")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var want []*detect.Event
			var ev detect.Event
			for {
				err := f.Next(&ev)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, ev.Clone())
			}
			p := NewParser()
			got := 0
			for i, line := range bytes.Split(data, []byte{'\n'}) {
				if c.json {
					err = p.JSON(&ev, line)
				} else {
					err = p.Line(&ev, line)
				}
				if errors.Is(err, ErrContainer) {
					v, _ := parseJSON(line)
					recs := v.elems
					if r := containerRecords(&v); r != nil {
						recs = r
					}
					n := 0 // the reader skips those that are not objects
					for _, r := range recs {
						if r.kind == jsonObject {
							n++
						}
					}
					want = want[n:]
					continue
				}
				if err != nil {
					continue // a line the reader skips too
				}
				if len(want) == 0 {
					t.Fatalf("line %d: an event the reader does not return", i+1)
				}
				w := want[0]
				want = want[1:]
				ev.Source, ev.Record = w.Source, w.Record
				if !reflect.DeepEqual(ev.Fields, w.Fields) || ev.Host != w.Host || !ev.Time.Equal(w.Time) ||
					ev.Product != w.Product || ev.Service != w.Service || ev.Category != w.Category {
					t.Fatalf("line %d:\n got %+v\nwant %+v", i+1, ev, *w)
				}
				got++
			}
			if len(want) > 0 {
				t.Fatalf("%d events of the reader not parsed one by one", len(want))
			}
			if got == 0 {
				t.Fatal("no line compared")
			}
		})
	}
}

func TestRecordErrors(t *testing.T) {
	p := NewParser()
	var ev detect.Event
	for _, c := range []struct {
		json   bool
		in     string
		reason string
	}{
		{false, "  \r\n", "empty"},
		{true, "", "empty"},
		{true, `{"a":`, "json_syntax"},
		{true, `[{"a":1}]`, "container"},
		{true, `{"Records":[{"a":1}]}`, "container"},
		{true, `"text"`, "not_object"},
		{false, "CEF:0|x", "format"},
	} {
		var err error
		if c.json {
			err = p.JSON(&ev, []byte(c.in))
		} else {
			err = p.Line(&ev, []byte(c.in))
		}
		if got := Reason(err); got != c.reason {
			t.Errorf("%q: reason %q (%v), want %q", c.in, got, err, c.reason)
		}
	}
	if err := p.Line(&ev, bytes.Repeat([]byte("a"), maxLineLen+1)); !errors.Is(err, ErrTooLong) {
		t.Errorf("long line: %v", err)
	}
}

// TestRecordAllocations holds the per-record cost down: a syslog line
// and a Windows JSON event, parsed again and again by one Parser.
func TestRecordAllocations(t *testing.T) {
	p := NewParser()
	var ev detect.Event
	line := []byte("<34>Oct 11 22:14:15 mymachine sshd[230]: Failed password for root from 192.0.2.1 port 22 ssh2")
	js := []byte(`{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"h1","EventRecordID":1},"EventData":{"Image":"C:\\a.exe","CommandLine":"a.exe -x"}}}`)
	for _, c := range []struct {
		name string
		max  float64
		run  func()
	}{
		{"line", 12, func() { _ = p.Line(&ev, line) }},
		{"json", 16, func() { _ = p.JSON(&ev, js) }},
	} {
		if n := testing.AllocsPerRun(200, c.run); n > c.max {
			t.Errorf("%s: %.0f allocations per record, want at most %.0f", c.name, n, c.max)
		}
	}
}
