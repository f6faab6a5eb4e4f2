package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"vigil/internal/datafile"
	"vigil/internal/detect"
	"vigil/internal/detect/internal/testdatadir"
)

// readAll returns every event of a file (cloned) and the reader's stats.
func readAll(t *testing.T, path string) ([]*detect.Event, detect.ReadStats) {
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
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, ev.Clone())
	}
	return out, f.Stats()
}

func get(ev *detect.Event, name string) string {
	v, _ := ev.Get(name)
	return v
}

func TestDetect(t *testing.T) {
	tests := []struct {
		head string
		want Format
	}{
		{"ElfFile\x00rest", FormatEVTX},
		{"\x1f\x8b\x08", FormatGzip},
		{"\xef\xbb\xbf  {\"a\":1}", FormatJSON},
		{"\n[{}]", FormatJSON},
		{"[\n  {\"a\": 1}]", FormatJSON},
		{"{}", FormatJSON},
		{"[2024-01-02 03:04:05] error: disk full", FormatText},
		{"[INFO] started", FormatText},
		{"{ts=1} plain", FormatText},
		{"<34>Oct 11 22:14:15 mymachine su: 'su root' failed", FormatText},
		{"", FormatText},
		{"ElfChnk\x00", FormatEVTX},
		{strings.Repeat("\x00", 4096) + "ElfChnk\x00", FormatEVTX},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.head)); got != tt.want {
			t.Errorf("Detect(%q) = %s, want %s", tt.head, got, tt.want)
		}
	}
}

func TestWindowsJSONArray(t *testing.T) {
	evs, st := readAll(t, filepath.Join("testdata", "win_array.json"))
	if len(evs) != 2 || st.Skipped != 0 {
		t.Fatalf("got %d events, stats %+v", len(evs), st)
	}
	e := evs[0]
	want := map[string]string{
		"EventID": "4688", "Qualifiers": "0", "Provider_Name": "Microsoft-Windows-Security-Auditing",
		"Channel": "Security", "SubjectUserName": "alice", "CommandLine": "", "Level": "0",
		"NewProcessName": `C:\Windows\System32\cmd.exe`,
	}
	for k, v := range want {
		if got, ok := e.Get(k); !ok || got != v {
			t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
		}
	}
	if !e.Time.Equal(time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)) || e.Host != "host-a.example.test" || e.Record != 7 {
		t.Errorf("time %v host %q record %d", e.Time, e.Host, e.Record)
	}
	if get(evs[1], "Data") != "first\nsecond" || get(evs[1], "Data1") != "first" || get(evs[1], "Data2") != "second" {
		t.Errorf("unnamed data: %v", evs[1].Fields)
	}
}

func TestJSONLinesSkipsBadLineAndGzip(t *testing.T) {
	for _, name := range []string{"win_lines.jsonl", "win_lines.jsonl.gz"} {
		evs, st := readAll(t, filepath.Join("testdata", name))
		if len(evs) != 2 || st.Skipped != 1 || len(st.Errors) != 1 {
			t.Fatalf("%s: %d events, stats %+v", name, len(evs), st)
		}
		if msg := st.Errors[0].Error(); !strings.Contains(msg, name+":2:") {
			t.Errorf("%s: error %q does not name line 2", name, msg)
		}
		if get(evs[1], "DestinationPort") != "443" || evs[1].Record != 2 {
			t.Errorf("%s: %v", name, evs[1])
		}
	}
}

func TestBzip2(t *testing.T) {
	plain, _ := readAll(t, filepath.Join("testdata", "syslog.log"))
	packed, st := readAll(t, filepath.Join("testdata", "syslog.log.bz2"))
	if len(packed) != len(plain) || st.Skipped != 1 {
		t.Errorf("%d events from bzip2, %d plain; skipped %d", len(packed), len(plain), st.Skipped)
	}
}

func TestSkipErrorsNamePosition(t *testing.T) {
	_, st := readAll(t, filepath.Join("testdata", "syslog.log"))
	if len(st.Errors) != 1 {
		t.Fatalf("errors %v", st.Errors)
	}
	var re *datafile.Error
	if !errors.As(st.Errors[0], &re) || re.Line != 9 || re.Field != "header" || !strings.Contains(re.Error(), `syslog.log:9: field "header":`) {
		t.Errorf("error %v does not name line 9, field header", st.Errors[0])
	}
}

func TestJSONStreams(t *testing.T) {
	obj := `{"a":{"b":"x}]\"y"}}`
	tests := []struct {
		name    string
		in      string
		events  int
		skipped int64
	}{
		{"one pretty object", "{\n  \"a\": 1\n}\n", 1, 0},
		{"concatenated", obj + obj + "\n" + obj, 3, 0},
		{"array", "[" + obj + ",\n" + obj + "]", 2, 0},
		{"arrays in sequence", "[" + obj + "]\n[" + obj + "," + obj + "]", 3, 0},
		{"nested array read whole", "[[" + obj + "," + obj + "]]", 2, 0},
		{"scalars skipped", "[" + obj + ",1,2]", 1, 2},
		{"garbage between objects", "{\n\"a\":1}\n{\"a\": nope}\n{\"a\":2}\n", 2, 1},
		{"unterminated at end", "{\n\"a\":1}\n{\"a\": \"open", 1, 1},
		{"BOM", "\xef\xbb\xbf{\n\"a\":1}", 1, 0},
		{"search result", "{\n \"took\": 3, \"hits\": {\"total\": 2, \"hits\": [{\"_id\": \"1\", \"_source\": " + obj + "}, {\"_source\": " + obj + "}]}}", 2, 0},
		{"search result on one line", "{\"hits\": {\"hits\": [{\"_source\": " + obj + "}, {\"_source\": " + obj + "}]}}\n" + obj + "\n", 3, 0},
		{"JSON lines holding arrays", obj + "\n[" + obj + "," + obj + "]\n[1]\n", 3, 1},
		{"CloudTrail", "{\"Records\": [" + obj + ", " + obj + ", " + obj + "]}", 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := NewFile(strings.NewReader(tt.in), "stream.json")
			if err != nil {
				t.Fatal(err)
			}
			var ev detect.Event
			n := 0
			for {
				err := f.Next(&ev)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if st := f.Stats(); n != tt.events || st.Skipped != tt.skipped {
				t.Errorf("%d events, %d skipped (%v); want %d, %d", n, st.Skipped, st.Errors, tt.events, tt.skipped)
			}
		})
	}
}

func TestStatsSurviveClose(t *testing.T) {
	f, err := OpenFile(filepath.Join("testdata", "win_lines.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	var ev detect.Event
	for f.Next(&ev) == nil {
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if st := f.Stats(); st.Events != 2 || st.Skipped != 1 {
		t.Errorf("stats after close %+v", st)
	}
	if err := f.Next(&ev); err == nil || err == io.EOF {
		t.Errorf("Next after Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestUTF16AndBinary(t *testing.T) {
	text := "Feb  3 04:05:06 web-1 sshd[1234]: Accepted for op\u00e9rateur \U0001F600\r\nsecond line\r\n"
	var le, be []byte
	le = append(le, 0xff, 0xfe)
	be = append(be, 0xfe, 0xff)
	for _, u := range utf16.Encode([]rune(text)) {
		le = append(le, byte(u), byte(u>>8))
		be = append(be, byte(u>>8), byte(u))
	}
	for name, data := range map[string][]byte{"le": le, "be": be} {
		f, err := NewFile(bytes.NewReader(data), "utf16.log")
		if err != nil {
			t.Fatal(err)
		}
		var ev detect.Event
		if err := f.Next(&ev); err != nil {
			t.Fatal(err)
		}
		if msg, _ := ev.Get("message"); msg != "Accepted for op\u00e9rateur \U0001F600" || ev.Host != "web-1" {
			t.Errorf("%s: %v", name, ev.Fields)
		}
		if err := f.Next(&ev); err != nil {
			t.Fatal(err)
		}
		if err := f.Next(&ev); err != io.EOF {
			t.Errorf("%s: third record: %v", name, err)
		}
	}
	binary := append([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), make([]byte, 200)...)
	if _, err := NewFile(bytes.NewReader(binary), "archive.zip"); err == nil || !strings.Contains(err.Error(), "archive.zip") {
		t.Errorf("binary input: error %v", err)
	}
}

// TestConcurrentFiles reads files from many goroutines at once, as a hunt
// does: the pooled buffers and readers must not be shared.
func TestConcurrentFiles(t *testing.T) {
	names := []string{"win_array.json", "win_lines.jsonl.gz", "syslog.log", "eve.json", "zeek_dns.log", "winlogbeat.json"}
	want := map[string]int{}
	for _, n := range names {
		evs, _ := readAll(t, filepath.Join("testdata", n))
		want[n] = len(evs)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				n := names[(g+i)%len(names)]
				f, err := OpenFile(filepath.Join("testdata", n))
				if err != nil {
					errs <- err
					return
				}
				var ev detect.Event
				count := 0
				for f.Next(&ev) == nil {
					count++
				}
				f.Close()
				if count != want[n] {
					errs <- fmt.Errorf("%s: %d events, want %d", n, count, want[n])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestEVTXStatsThroughFile(t *testing.T) {
	dir := testdatadir.Shared(t, "sigma/regression_data")
	files := testdatadir.Files(t, dir, ".evtx")
	f, err := OpenFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var ev detect.Event
	for f.Next(&ev) == nil {
	}
	f.Close()
	st, ok := f.EVTXStats()
	if !ok || st.Chunks == 0 || st.Events == 0 {
		t.Errorf("EVTX stats %+v, %v", st, ok)
	}
	j, _ := OpenFile(filepath.Join("testdata", "eve.json"))
	defer j.Close()
	if _, ok := j.EVTXStats(); ok {
		t.Error("EVTX stats for a JSON file")
	}
}
