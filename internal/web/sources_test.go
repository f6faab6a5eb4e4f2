package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/bus"
	"vigil/internal/detect"
	"vigil/internal/store/storetest"
)

// source registers an event source in unit as the administrator and
// returns its id and token.
func (w *world) source(t *testing.T, unit, name string) (id, token string) {
	t.Helper()
	r := w.call("admin", "POST", "/api/v1/sources", map[string]any{"unit": unit, "name": name, "kind": "ids"})
	if r.Status != 201 {
		t.Fatalf("register source %s in %s: %d %s", name, unit, r.Status, r.Body)
	}
	m := r.json(t)
	return strconv.FormatFloat(m["id"].(float64), 'f', 0, 64), m["token"].(string)
}

// journal gives the world's hub a real on-disk bus for the events API.
func (w *world) journal(t *testing.T, opts bus.JournalOptions) *bus.Journal {
	t.Helper()
	j, err := bus.OpenJournal(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	w.hub.Ingest.SetBus(j)
	return j
}

// postEvents sends a body as a source with its token.
func (w *world) postEvents(t *testing.T, token, path, contentType, encoding string, body []byte) response {
	t.Helper()
	req, _ := http.NewRequest("POST", w.srv.URL+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: data, Header: resp.Header}
}

// consumeAll reads what the journal holds (waiting up to 5 s for n).
func consumeAll(t *testing.T, j *bus.Journal, n int) []bus.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []bus.Record
	j.Consume(ctx, "test", func(_ context.Context, recs []bus.Record) error {
		for _, r := range recs {
			r.Data = append([]byte(nil), r.Data...)
			got = append(got, r)
		}
		if len(got) >= n {
			cancel()
		}
		return nil
	})
	return got
}

// An acknowledged batch is in the bus; refused lines say why; gzip
// bodies are read; a revoked or unknown token is refused before the
// body; a full bus answers 503 with Retry-After.
func TestEventsAPI(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		j := w.journal(t, bus.JournalOptions{})
		id, token := w.source(t, "A", "Suricata A")
		eve := `{"timestamp":"2026-12-03T10:00:00.000000+0700","event_type":"alert","src_ip":"10.1.0.5","dest_ip":"203.0.113.9","alert":{"signature_id":2010935,"signature":"ET POLICY Suspicious inbound to MSSQL port 1433","severity":2}}`
		wazuh := `{"timestamp":"2026-12-03T10:00:01.000+0700","rule":{"level":10,"description":"sshd: brute force","id":"5712"},"agent":{"id":"001","name":"web-01"},"full_log":"Failed password"}`
		body := eve + "\n" + wazuh + "\nnot json\n{\"s\":\"\xff\"}\n"
		r := w.postEvents(t, token, "/api/v1/events", "application/x-ndjson", "", []byte(body))
		expect(t, r, 202, "JSON lines")
		m := r.json(t)
		if m["accepted"] != 2.0 || m["refused"] != 2.0 {
			t.Fatalf("answer %s", r.Body)
		}
		errsList := m["errors"].([]any)
		if e := errsList[0].(map[string]any); e["line"] != 3.0 || e["reason"] != "malformed" {
			t.Errorf("first refusal %v", e)
		}
		got := consumeAll(t, j, 2)
		if len(got) != 2 || string(got[0].Data) != eve || string(got[1].Data) != wazuh || got[0].Format != bus.FormatJSON || strconv.FormatInt(got[0].SourceID, 10) != id {
			t.Fatalf("acknowledged events in the bus: %d %+v", len(got), got)
		}
		// A gzip-compressed JSON array.
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write([]byte("[" + eve + "," + wazuh + "," + eve + "]"))
		zw.Close()
		r = w.postEvents(t, token, "/api/v1/events", "application/json", "gzip", zb.Bytes())
		if expect(t, r, 202, "gzip array"); r.json(t)["accepted"] != 3.0 {
			t.Errorf("gzip array: %s", r.Body)
		}
		if got := consumeAll(t, j, 3); len(got) != 3 {
			t.Errorf("%d of the gzip array's events in the bus", len(got))
		}
		// Text lines.
		r = w.postEvents(t, token, "/api/v1/events", "text/plain", "", []byte("<13>Dec  3 10:00:00 host app: hi\n"))
		expect(t, r, 202, "text")
		// Tokens: none, unknown, revoked (after the revoke, at once).
		expect(t, w.postEvents(t, "", "/api/v1/events", "", "", []byte(eve)), 401, "no token")
		expect(t, w.postEvents(t, "vgs_notatoken", "/api/v1/events", "", "", []byte(eve)), 401, "unknown token")
		expect(t, w.call("admin", "DELETE", "/api/v1/sources/"+id, nil), 204, "revoke")
		r = w.postEvents(t, token, "/api/v1/events", "", "", []byte(eve))
		expect(t, r, 401, "revoked token")
		if !strings.Contains(string(r.Body), "revoked") {
			t.Errorf("revoked answer %s", r.Body)
		}
		// The counts reach the source (flushed in a batch).
		if err := w.hub.Sources.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		s := w.call("admin", "GET", "/api/v1/sources/"+id, nil).json(t)
		if s["accepted"] != 6.0 || s["refused"] != 3.0 {
			t.Errorf("source counts %v", s)
		}
	})
}

func TestEventsAPIPushBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	j := w.journal(t, bus.JournalOptions{MaxBytes: 16 << 10, SegmentBytes: 4 << 10})
	_, token := w.source(t, "A", "busy")
	line := []byte(`{"event_type":"alert","pad":"` + strings.Repeat("x", 900) + `"}` + "\n")
	var status int
	var r response
	for i := 0; i < 40 && status != 503; i++ {
		r = w.postEvents(t, token, "/api/v1/events", "", "", bytes.Repeat(line, 4))
		status = r.Status
	}
	if status != 503 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("a full bus answered %d (Retry-After %q): %s", status, r.Header.Get("Retry-After"), r.Body)
	}
	if j.Stats().Refused == 0 {
		t.Error("the journal refused nothing")
	}
	// The consumer catches up: the sender is taken again.
	consumeAll(t, j, int(j.Stats().Published))
	time.Sleep(300 * time.Millisecond) // the checkpoint frees segments
	expect(t, w.postEvents(t, token, "/api/v1/events", "", "", line), 202, "after the consumer caught up")
}

func TestEVTXUpload(t *testing.T) {
	t.Parallel()
	file, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "data", "evtx", "sbousseaden", "*", "*.evtx"))
	if len(file) == 0 {
		t.Skip("no EVTX sample in ../shared/data/evtx")
	}
	data, err := os.ReadFile(file[0])
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, storetest.Open(t, "sqlite"))
	j := w.journal(t, bus.JournalOptions{})
	_, token := w.source(t, "A", "Windows A")
	r := w.postEvents(t, token, "/api/v1/events/evtx?file=sample.evtx", "application/octet-stream", "", data)
	expect(t, r, 202, "EVTX upload")
	n := int(r.json(t)["accepted"].(float64))
	if n == 0 {
		t.Fatalf("no events from %s: %s", file[0], r.Body)
	}
	got := consumeAll(t, j, n)
	var ev detect.Event
	if len(got) != n || got[0].Format != bus.FormatEvent || bus.DecodeEvent(got[0].Data, &ev) != nil || len(ev.Fields) == 0 {
		t.Fatalf("%d records of %d; first decodes to %+v", len(got), n, ev)
	}
	r = w.postEvents(t, token, "/api/v1/events/evtx", "application/octet-stream", "", []byte("this is not an EVTX file at all, not even close"))
	expect(t, r, 400, "not EVTX")
}

// The sources page registers a source (the token shown once), keeps
// what was typed beside a bad field, lists the counts and offers the
// unknown senders for registration.
func TestSourcesPage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	status, body := w.postForm("officerA", "vi", "/sources", url.Values{"unit": {"A"}, "name": {"IDS tỉnh"}, "kind": {"ids"}, "interval_minutes": {"30"}, "senders": {"10.1.0.300"}})
	if status != 400 || !strings.Contains(fieldMessage(body, "senders"), "không phải địa chỉ IP") || !strings.Contains(body, `value="IDS tỉnh"`) {
		t.Fatalf("bad sender: %d, beside the field %q", status, fieldMessage(body, "senders"))
	}
	status, body = w.postForm("officerA", "en", "/sources", url.Values{"unit": {"A"}, "name": {"IDS tỉnh"}, "kind": {"ids"}, "interval_minutes": {"30"}, "senders": {"10.1.0.30, 10.1.1.0/24"}})
	if status != 200 || !strings.Contains(body, "copy it now") || !strings.Contains(body, "vgs_") || !strings.Contains(body, "10.1.1.0/24") {
		t.Fatalf("register: %d %s", status, body)
	}
	_, page := w.getPage("officerA", "vi", "/sources")
	if !strings.Contains(page, "IDS tỉnh") || strings.Contains(page, `id="new-token"`) || strings.Contains(page, "Địa chỉ gửi syslog chưa đăng ký") {
		t.Error("the list shows the token again, or an officer sees the unknown senders")
	}
	w.hub.Sources.NoteUnknownSender(netip.MustParseAddr("198.51.100.7"), 3, []byte("<13>hello from afar"))
	w.hub.Sources.Flush(context.Background())
	_, page = w.getPage("admin", "vi", "/sources")
	if !strings.Contains(page, "198.51.100.7") || !strings.Contains(page, "/sources?sender=198.51.100.7#new") || !strings.Contains(page, "Gói bị hệ điều hành bỏ") {
		t.Errorf("admin's page lacks the unknown sender or the UDP drops")
	}
	_, page = w.getPage("admin", "en", "/sources?sender=198.51.100.7")
	if !strings.Contains(page, `value="198.51.100.7"`) {
		t.Error("the register link does not fill the sender")
	}
}

// The sources list exports what the caller sees, in the reader's words.
func TestSourcesExport(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	w.source(t, "A", "Exported A")
	w.source(t, "B", "Hidden B")
	r := w.call("officerA", "GET", "/api/v1/sources?format=csv&lang=vi&sort=name", nil)
	body := string(r.Body)
	if r.Status != 200 || !strings.Contains(body, "Exported A") || strings.Contains(body, "Hidden B") || !strings.Contains(body, "Loại nguồn") {
		t.Fatalf("csv %d: %s", r.Status, body)
	}
	w.hub.Sources.NoteUnknownSender(netip.MustParseAddr("203.0.113.5"), 1, []byte("x"))
	w.hub.Sources.Flush(context.Background())
	r = w.call("analyst", "GET", "/api/v1/sources/unknown-senders?format=xlsx", nil)
	if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), "spreadsheet") {
		t.Fatalf("xlsx %d %s", r.Status, r.Header.Get("Content-Type"))
	}
}
