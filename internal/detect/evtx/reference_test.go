package evtx

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/detect"
	"vigil/internal/detect/internal/testdatadir"
)

// refEvent is what the reference reader says about one record.
type refEvent struct {
	RecordID string
	EventID  string
	Time     time.Time
	Data     []detect.Field // EventData and UserData, named as the mapping names them
}

// xmlEvent is the subset of the rendered event XML the comparison uses.
type xmlEvent struct {
	System struct {
		EventID       string `xml:"EventID"`
		EventRecordID string `xml:"EventRecordID"`
		Channel       string `xml:"Channel"`
		Computer      string `xml:"Computer"`
		Provider      struct {
			Name string `xml:"Name,attr"`
		} `xml:"Provider"`
		TimeCreated struct {
			SystemTime string `xml:"SystemTime,attr"`
		} `xml:"TimeCreated"`
	} `xml:"System"`
	EventData *struct {
		Data []struct {
			Name  *string `xml:"Name,attr"`
			Value string  `xml:",chardata"`
		} `xml:"Data"`
	} `xml:"EventData"`
	UserData *struct {
		Inner []byte `xml:",innerxml"`
	} `xml:"UserData"`
}

// evtxexportEvents runs libyal's evtxexport over path. ok is false when
// the reference rejects the file.
func evtxexportEvents(t *testing.T, tool, path string) (events []refEvent, ok bool) {
	var err error
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err2 := exec.CommandContext(ctx, tool, "-f", "xml", path).Output()
	err = err2
	if err != nil {
		return nil, false
	}
	events, err = parseReferenceXML(out)
	if err != nil {
		t.Logf("%s: evtxexport output: %v", path, err)
		return nil, false
	}
	return events, true
}

// parseReferenceXML reads the events a reference tool rendered as XML.
func parseReferenceXML(out []byte) ([]refEvent, error) {
	var events []refEvent
	if i := bytes.Index(out, []byte("<Event ")); i >= 0 {
		out = out[i:]
	} else {
		return nil, nil
	}
	// Reference tools write control characters from binary-ish strings
	// raw, which XML forbids; blank them here and in our values
	// (normalize).
	out = bytes.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return -1
		}
		return r
	}, out)
	dec := xml.NewDecoder(bytes.NewReader(out))
	dec.Strict = false
	for {
		var x xmlEvent
		err := dec.Decode(&x)
		if err == io.EOF {
			break
		}
		if err != nil {
			if _, ok := err.(xml.UnmarshalError); !ok && len(events) > 0 && bytes.Contains(out[dec.InputOffset()-20:], []byte("</Events>")) {
				break
			}
			return events, err
		}
		e := refEvent{RecordID: x.System.EventRecordID, EventID: strings.TrimSpace(x.System.EventID)}
		e.Time, _ = time.Parse(time.RFC3339Nano, x.System.TimeCreated.SystemTime)
		if e.Time.IsZero() {
			// python-evtx: "2006-01-02 15:04:05.999999", UTC.
			e.Time, _ = time.Parse("2006-01-02 15:04:05.999999999", x.System.TimeCreated.SystemTime)
		}
		if x.EventData != nil {
			var unnamed []string
			for _, d := range x.EventData.Data {
				if d.Name != nil {
					e.Data = append(e.Data, detect.Field{Name: *d.Name, Value: d.Value})
				} else {
					unnamed = append(unnamed, d.Value)
				}
			}
			var u detect.Event
			detect.AddUnnamedData(&u, unnamed)
			e.Data = append(e.Data, u.Fields...)
		}
		for _, f := range [][2]string{{"Channel", x.System.Channel}, {"Computer", x.System.Computer}, {"Provider_Name", x.System.Provider.Name}} {
			if f[1] != "" {
				e.Data = append(e.Data, detect.Field{Name: f[0], Value: f[1]})
			}
		}
		if x.UserData != nil {
			e.Data = append(e.Data, xmlLeaves(x.UserData.Inner)...)
		}
		events = append(events, e)
	}
	return events, nil
}

func readAllEvents(path string) ([]*detect.Event, Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Stats{}, err
	}
	defer f.Close()
	r := NewReader(f, path)
	var out []*detect.Event
	var ev detect.Event
	for {
		err := r.Next(&ev)
		if err == io.EOF {
			return out, r.EVTXStats(), nil
		}
		if err != nil {
			return out, r.EVTXStats(), err
		}
		out = append(out, ev.Clone())
	}
}

// sampleFiles lists the shared EVTX samples.
func sampleFiles(t testing.TB) []string {
	var files []string
	for _, sub := range []string{"evtx/sbousseaden", "sigma/regression_data"} {
		dir := testdatadir.Shared(t, sub)
		files = append(files, testdatadir.Files(t, dir, ".evtx")...)
	}
	return files
}

// TestAgainstEvtxexport compares every record of the shared samples with
// libyal's evtxexport: record id, EventID, time, Provider_Name, Channel,
// Computer and each EventData and UserData value.
func TestAgainstEvtxexport(t *testing.T) {
	files := sampleFiles(t)
	tool, err := exec.LookPath("evtxexport")
	if err != nil {
		testdatadir.Missing(t, "evtxexport (Debian package libevtx-utils) not installed")
	}
	compareWithReference(t, "evtxexport", files, func(path string) ([]refEvent, bool) {
		return evtxexportEvents(t, tool, path)
	})
}

// TestAgainstPythonEvtx does the same against python-evtx's evtx_dump.py,
// a second, independent reader. It is slow (pure Python, ~0.2 s a file),
// so it covers 30 small samples, all the SigmaHQ regression samples under
// VIGIL_TEST_REQUIRE=all, or every sample with VIGIL_EVTX_PYTHON_ALL=1. python-evtx renders an array substitution
// as one <Data> where Windows and evtxexport repeat the element, so
// unnamed Data values are not compared when the counts differ.
func TestAgainstPythonEvtx(t *testing.T) {
	if testing.Short() && !testdatadir.RequireAll() {
		t.Skip("python-evtx comparison is slow; skipped in -short mode")
	}
	dir := testdatadir.Shared(t, "sigma/regression_data")
	files := testdatadir.Files(t, dir, ".evtx")
	switch {
	case os.Getenv("VIGIL_EVTX_PYTHON_ALL") != "":
		files = sampleFiles(t) // every sample: minutes
	case !testdatadir.RequireAll() || testing.Short():
		// Single-chunk files of both sets, at most 30.
		all := sampleFiles(t)
		files = files[:0]
		for i := 0; i < len(all) && len(files) < 30; i += 3 {
			if st, err := os.Stat(all[i]); err == nil && st.Size() <= fileHeaderSize+chunkSize {
				files = append(files, all[i])
			}
		}
	}
	tool, err := exec.LookPath("evtx_dump.py")
	if err != nil {
		testdatadir.Missing(t, "evtx_dump.py (Debian package python3-evtx) not installed")
	}
	// Run the slow reference on all cores ahead of the comparison.
	type result struct {
		events []refEvent
		ok     bool
	}
	results := make([]result, len(files))
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i, path := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, tool, path).Output()
			if err != nil {
				return
			}
			events, err := parseReferenceXML(out)
			results[i] = result{events, err == nil}
		}()
	}
	wg.Wait()
	index := make(map[string]int, len(files))
	for i, p := range files {
		index[p] = i
	}
	compareWithReference(t, "python-evtx", files, func(path string) ([]refEvent, bool) {
		r := results[index[path]]
		return r.events, r.ok
	})
}

func compareWithReference(t *testing.T, refName string, files []string, reference func(path string) ([]refEvent, bool)) {
	t.Helper()
	var filesSame, filesRejected, filesDiffer, recSame, recDiffer, recMissing, recExtra int
	var diffs []string
	for _, path := range files {
		ref, ok := reference(path)
		if !ok {
			filesRejected++
			t.Logf("%s: %s rejects it", path, refName)
			continue
		}
		ours, _, err := readAllEvents(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
		}
		byID := make(map[string]*detect.Event, len(ours))
		for _, e := range ours {
			id, _ := e.Get("EventRecordID")
			byID[id] = e
		}
		fileOK := true
		for _, r := range ref {
			e := byID[r.RecordID]
			if e == nil {
				recMissing++
				fileOK = false
				diffs = append(diffs, fmt.Sprintf("%s: record %s: missing", path, r.RecordID))
				continue
			}
			delete(byID, r.RecordID)
			if d := compareEvent(r, e); d != "" {
				recDiffer++
				fileOK = false
				diffs = append(diffs, fmt.Sprintf("%s: record %s: %s", path, r.RecordID, d))
				continue
			}
			recSame++
		}
		recExtra += len(byID)
		if fileOK {
			filesSame++
		} else {
			filesDiffer++
		}
	}
	sort.Strings(diffs)
	seen := map[string]bool{}
	for _, d := range diffs {
		// One line per file and kind of difference.
		kind := d
		if i := strings.Index(d, ": record "); i >= 0 {
			rest := d[i+len(": record "):]
			if j := strings.IndexByte(rest, ':'); j >= 0 {
				kind = d[:i] + rest[j:]
				if k := strings.IndexAny(kind, "=,"); k >= 0 {
					kind = kind[:k]
				}
			}
		}
		if seen[kind] || len(seen) > 60 {
			continue
		}
		seen[kind] = true
		t.Log(d)
	}
	t.Logf("%s: %d files agree, %d differ, %d rejected by %s; records: %d agree, %d differ, %d missing, %d only ours",
		refName, filesSame, filesDiffer, filesRejected, refName, recSame, recDiffer, recMissing, recExtra)
	if recDiffer+recMissing > 0 {
		t.Errorf("%d records differ from %s, %d missing", recDiffer, refName, recMissing)
	}
}

func compareEvent(r refEvent, e *detect.Event) string {
	refUnnamed, ourUnnamed := 0, 0
	for _, f := range r.Data {
		if isUnnamedData(f.Name) {
			refUnnamed++
		}
	}
	for _, f := range e.Fields {
		if isUnnamedData(f.Name) {
			ourUnnamed++
		}
	}
	if id, _ := e.Get("EventID"); id != r.EventID {
		return fmt.Sprintf("EventID %q, reference %q", id, r.EventID)
	}
	// python-evtx converts FILETIME through floating point and is off by
	// up to a few microseconds; allow that.
	if d := r.Time.Sub(e.Time); !r.Time.IsZero() && (d >= 5*time.Microsecond || d <= -5*time.Microsecond) {
		return fmt.Sprintf("time %v, reference %v", e.Time, r.Time)
	}
	for _, f := range r.Data {
		if isUnnamedData(f.Name) && refUnnamed != ourUnnamed {
			continue // see TestAgainstPythonEvtx
		}
		v, ok := e.Get(f.Name)
		if !ok {
			return fmt.Sprintf("no field %s (reference %q)", f.Name, trunc(f.Value))
		}
		if !sameValue(v, f.Value) {
			return fmt.Sprintf("%s = %q, reference %q", f.Name, trunc(v), trunc(f.Value))
		}
	}
	return ""
}

// normalize forgives differences of rendering, not of content: line ends
// (XML parsing folds \r\n) and trailing space.
// sameValue compares a value of ours with a reference's, forgiving how
// each renders it (normalize), and times within python-evtx's floating
// point error.
func sameValue(ours, ref string) bool {
	if t1, ok := parseRefTime(ours); ok {
		if t2, ok := parseRefTime(ref); ok {
			d := t1.Sub(t2)
			return d < 5*time.Microsecond && d > -5*time.Microsecond
		}
	}
	return normalize(ours) == normalize(ref)
}

func parseRefTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func normalize(s string) string {
	if s == "True" || s == "False" {
		return strings.ToLower(s) // python-evtx writes Python's booleans
	}
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		return strings.ToUpper(s) // GUIDs: python-evtx writes lower case
	}
	if strings.HasPrefix(s, "0x") {
		if n, err := strconv.ParseUint(s[2:], 16, 64); err == nil {
			return "0x" + strconv.FormatUint(n, 16)
		}
	}
	// Control characters: evtxexport writes them raw (blanked before XML
	// parsing), python-evtx drops them.
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return -1
		}
		return r
	}, s)
	// python-evtx wraps string array values in <string> tags.
	s = strings.ReplaceAll(strings.ReplaceAll(s, "<string>", ""), "</string>", "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimRight(s, " \n\t\x00")
}

func isUnnamedData(name string) bool {
	if !strings.HasPrefix(name, "Data") {
		return false
	}
	_, err := strconv.Atoi(name[4:])
	return name == "Data" || err == nil
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// xmlLeaves flattens XML as the reader flattens UserData: leaf elements
// and non-namespace attributes by local name.
func xmlLeaves(inner []byte) []detect.Field {
	var out []detect.Field
	dec := xml.NewDecoder(bytes.NewReader(inner))
	dec.Strict = false
	type open struct {
		name     string
		text     strings.Builder
		hasChild bool
	}
	var stack []*open
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > 0 {
				stack[len(stack)-1].hasChild = true
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				out = append(out, detect.Field{Name: a.Name.Local, Value: a.Value})
			}
			stack = append(stack, &open{name: t.Name.Local})
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		case xml.EndElement:
			if len(stack) == 0 {
				return out
			}
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if !top.hasChild && len(stack) > 0 {
				out = append(out, detect.Field{Name: top.name, Value: top.text.String()})
			}
		}
	}
}

// TestDamagedSample damages a real multi-chunk file the ways evidence gets
// damaged and checks every record is still read, where evtxexport (logged
// for comparison) loses some or all.
func TestDamagedSample(t *testing.T) {
	dir := testdatadir.Shared(t, "evtx/sbousseaden")
	path := filepath.Join(dir, "Discovery", "dicovery_4661_net_group_domain_admins_target.evtx")
	orig, err := os.ReadFile(path)
	if err != nil {
		testdatadir.Missing(t, "sample "+path)
	}
	want, _, err := readAllEvents(path)
	if err != nil || len(want) < 60 {
		t.Fatalf("%d events, %v", len(want), err)
	}
	tool, _ := exec.LookPath("evtxexport")
	damages := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"file header overwritten", func(b []byte) []byte { copy(b, bytes.Repeat([]byte{0x5a}, 512)); return b }},
		{"header chunk count 1, bad checksum", func(b []byte) []byte { b[42], b[43], b[124] = 1, 0, b[124]^0xff; return b }},
		{"chunk checksums wrong", func(b []byte) []byte { b[fileHeaderSize+124] ^= 0xff; b[fileHeaderSize+52] ^= 0xff; return b }},
		{"second chunk signature damaged", func(b []byte) []byte { copy(b[fileHeaderSize+chunkSize:], "XXXXXXXX"); return b }},
		{"template definition in second chunk damaged", func(b []byte) []byte {
			o := fileHeaderSize + chunkSize + 600
			copy(b[o:o+100], bytes.Repeat([]byte{0xff}, 100))
			return b
		}},
	}
	// Truncated in the middle of a chunk's records (copied while written,
	// or cut short): the records before the cut are all read.
	for _, cut := range []int{fileHeaderSize + 30000, fileHeaderSize + chunkSize + 20000} {
		t.Run(fmt.Sprintf("truncated at %d", cut), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "cut.evtx")
			if err := os.WriteFile(file, orig[:cut], 0o644); err != nil {
				t.Fatal(err)
			}
			got, _, err := readAllEvents(file)
			if err != nil {
				t.Fatal(err)
			}
			peer := -1
			if tool != "" {
				ref, _ := evtxexportEvents(t, tool, file)
				peer = len(ref)
			}
			t.Logf("vigil %d records, evtxexport %d", len(got), peer)
			if len(got) == 0 || len(got) >= len(want) || len(got) < peer {
				t.Fatalf("read %d records of %d (evtxexport %d)", len(got), len(want), peer)
			}
			for i := range got {
				if got[i].Record != want[i].Record {
					t.Fatalf("record %d: id %d, want %d", i, got[i].Record, want[i].Record)
				}
			}
		})
	}
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			damaged := d.damage(append([]byte(nil), orig...))
			file := filepath.Join(t.TempDir(), "damaged.evtx")
			if err := os.WriteFile(file, damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			got, _, err := readAllEvents(file)
			if err != nil {
				t.Fatal(err)
			}
			peer := -1
			if tool != "" {
				if ref, ok := evtxexportEvents(t, tool, file); ok {
					peer = len(ref)
				} else {
					peer = 0
				}
			}
			t.Logf("vigil %d of %d records, evtxexport %d", len(got), len(want), peer)
			if len(got) != len(want) {
				t.Fatalf("read %d records, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].Record != want[i].Record {
					t.Fatalf("record %d: id %d, want %d", i, got[i].Record, want[i].Record)
				}
			}
		})
	}
}
