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
	"sort"
	"strconv"
	"strings"
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
	Data     []detect.Field // EventData, named as the mapping names them
}

// xmlEvent is the subset of the rendered event XML the comparison uses.
type xmlEvent struct {
	System struct {
		EventID       string `xml:"EventID"`
		EventRecordID string `xml:"EventRecordID"`
		TimeCreated   struct {
			SystemTime string `xml:"SystemTime,attr"`
		} `xml:"TimeCreated"`
	} `xml:"System"`
	EventData *struct {
		Data []struct {
			Name  *string `xml:"Name,attr"`
			Value string  `xml:",chardata"`
		} `xml:"Data"`
	} `xml:"EventData"`
}

// evtxexportEvents runs libyal's evtxexport over path. ok is false when
// the reference rejects the file.
func evtxexportEvents(t *testing.T, tool, path string) (events []refEvent, ok bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, tool, "-f", "xml", path).Output()
	if err != nil {
		return nil, false
	}
	if i := bytes.Index(out, []byte("<Event")); i >= 0 {
		out = out[i:]
	} else {
		return nil, true
	}
	// evtxexport writes control characters from binary-ish strings raw,
	// which XML forbids; blank them here and in our values (normalize).
	for i, c := range out {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			out[i] = ' '
		}
	}
	dec := xml.NewDecoder(bytes.NewReader(out))
	dec.Strict = false
	for {
		var x xmlEvent
		err := dec.Decode(&x)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Logf("%s: evtxexport output: %v", path, err)
			return nil, false
		}
		e := refEvent{RecordID: x.System.EventRecordID, EventID: strings.TrimSpace(x.System.EventID)}
		e.Time, _ = time.Parse(time.RFC3339Nano, x.System.TimeCreated.SystemTime)
		if x.EventData != nil {
			unnamed := 0
			for _, d := range x.EventData.Data {
				if d.Name != nil {
					e.Data = append(e.Data, detect.Field{Name: *d.Name, Value: d.Value})
				} else {
					e.Data = append(e.Data, detect.Field{Name: detect.UnnamedDataName(unnamed), Value: d.Value})
					unnamed++
				}
			}
		}
		events = append(events, e)
	}
	return events, true
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
// libyal's evtxexport: record id, EventID, time and each EventData value.
func TestAgainstEvtxexport(t *testing.T) {
	files := sampleFiles(t)
	tool, err := exec.LookPath("evtxexport")
	if err != nil {
		testdatadir.Missing(t, "evtxexport (Debian package libevtx-utils) not installed")
	}
	var filesSame, filesRejected, filesDiffer, recSame, recDiffer, recMissing, recExtra int
	var diffs []string
	for _, path := range files {
		ref, ok := evtxexportEvents(t, tool, path)
		if !ok {
			filesRejected++
			t.Logf("%s: evtxexport rejects it", path)
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
				diffs = append(diffs, fmt.Sprintf("%s: record %s missing", path, r.RecordID))
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
	t.Logf("evtxexport: %d files agree, %d differ, %d rejected by evtxexport; records: %d agree, %d differ, %d missing, %d only ours",
		filesSame, filesDiffer, filesRejected, recSame, recDiffer, recMissing, recExtra)
	if recDiffer+recMissing > 0 {
		t.Errorf("%d records differ from evtxexport, %d missing", recDiffer, recMissing)
	}
}

func compareEvent(r refEvent, e *detect.Event) string {
	if id, _ := e.Get("EventID"); id != r.EventID {
		return fmt.Sprintf("EventID %q, reference %q", id, r.EventID)
	}
	if !r.Time.IsZero() && !r.Time.Equal(e.Time) {
		return fmt.Sprintf("time %v, reference %v", e.Time, r.Time)
	}
	for _, f := range r.Data {
		v, ok := e.Get(f.Name)
		if !ok {
			return fmt.Sprintf("no field %s (reference %q)", f.Name, trunc(f.Value))
		}
		if normalize(v) != normalize(f.Value) {
			return fmt.Sprintf("%s = %q, reference %q", f.Name, trunc(v), trunc(f.Value))
		}
	}
	return ""
}

// normalize forgives differences of rendering, not of content: line ends
// (XML parsing folds \r\n) and trailing space.
func normalize(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(time.RFC3339Nano)
	}
	if strings.HasPrefix(s, "0x") {
		if n, err := strconv.ParseUint(s[2:], 16, 64); err == nil {
			return "0x" + strconv.FormatUint(n, 16)
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return ' '
		}
		return r
	}, s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimRight(s, " \n\t\x00")
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

var _ = filepath.Join
