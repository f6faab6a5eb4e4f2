package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/store/storetest"
)

// TestAgentScanReportEndToEnd: an offline review on an enrolled host
// (`vigil agent scan --report`) lands in the findings queue as a hub
// scan's would, an officer closes the finding, and a report that could
// not reach the hub waits in the agent's queue until `vigil agent run`
// sends it. Without enrolment --report fails before scanning.
func TestAgentScanReportEndToEnd(t *testing.T) {
	bin := vigilBin(t)
	ctx := context.Background()
	db := storetest.Open(t, "sqlite")
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "e2e-password-123"
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@e2e.vigil", AdminPassword: pw}); err != nil {
		t.Fatal(err)
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	if _, err := h.Org.CreateUnit(sys, org.UnitInput{Code: "T66", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: "province", Parent: org.RootCode}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Org.CreateUser(sys, org.UserInput{Email: "officer@e2e.vigil", Name: "Cán bộ Đắk Lắk", Password: pw, Role: "officer", Unit: "T66"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Server.Handler())
	defer srv.Close()
	officer := apiToken(t, srv.URL, "officer@e2e.vigil", pw)
	api := func(method, path string, body, out any) int {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+officer)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if out != nil {
			if err := json.Unmarshal(data, out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, data)
			}
		}
		return resp.StatusCode
	}

	// A tree with one file whose digest is on the unit's list.
	dir := t.TempDir()
	sample := []byte("vigil --report sample, not malware")
	os.MkdirAll(filepath.Join(dir, "home", "u"), 0o755)
	os.WriteFile(filepath.Join(dir, "home", "u", "invoice.pdf.exe"), sample, 0o644)
	os.WriteFile(filepath.Join(dir, "home", "u", "notes.txt"), []byte("clean"), 0o644)
	sum := sha256.Sum256(sample)
	digest := hex.EncodeToString(sum[:])
	list := filepath.Join(t.TempDir(), "list.csv")
	os.WriteFile(list, []byte("type,value,comment\nsha256,"+digest+",Cảnh báo tháng 11\n"), 0o644)
	scanCmd := func(state string) (string, int) {
		cmd := exec.Command(bin, "agent", "scan", "--paths", dir, "--ioc", list, "--no-live", "--report", "--state-dir", state)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return stderr.String(), code
	}

	// Not enrolled: a clear refusal, before any scanning.
	msg, code := scanCmd(filepath.Join(t.TempDir(), "nothing-here"))
	if code != 1 || !strings.Contains(msg, "not enrolled") || !strings.Contains(msg, "vigil agent enroll --server URL --token TOKEN") || strings.Contains(msg, "scanned") {
		t.Fatalf("--report without enrolment: exit %d\n%s", code, msg)
	}

	var tok struct{ Token string }
	if st := api("POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "T66", "expires_in": "1h", "max_uses": 1}, &tok); st != 201 {
		t.Fatalf("enrolment token: %d", st)
	}
	state := t.TempDir()
	if out, err := exec.Command(bin, "agent", "enroll", "--server", srv.URL, "--token", tok.Token, "--state-dir", state).CombinedOutput(); err != nil {
		t.Fatalf("vigil agent enroll: %v\n%s", err, out)
	}
	var hostList struct{ Items []struct{ ID int64 } }
	api("GET", "/api/v1/hosts?unit=T66", nil, &hostList)
	if len(hostList.Items) != 1 {
		t.Fatalf("hosts after enrolment: %+v", hostList.Items)
	}
	hid := itoa64(hostList.Items[0].ID)

	msg, code = scanCmd(state)
	if code != 3 || !strings.Contains(msg, "reported to "+srv.URL) {
		t.Fatalf("scan --report: exit %d\n%s", code, msg)
	}
	type finding struct {
		ID        int64
		Kind      string
		Status    string
		Note      string
		TimesSeen int `json:"times_seen"`
		Evidence  struct {
			TaskID    string `json:"task_id"`
			Indicator string
			Comment   string
			Path      string
			SHA256    string
		}
	}
	var fs struct{ Items []finding }
	api("GET", "/api/v1/findings?host="+hid, nil, &fs)
	if len(fs.Items) != 1 {
		t.Fatalf("findings after scan --report: %+v", fs.Items)
	}
	f := fs.Items[0]
	if f.Kind != "malware" || f.Status != "open" || f.Evidence.SHA256 != digest || f.Evidence.Indicator != digest ||
		f.Evidence.Comment != "Cảnh báo tháng 11" || f.Evidence.Path != filepath.Join(dir, "home", "u", "invoice.pdf.exe") {
		t.Fatalf("finding %+v", f)
	}
	var tasks struct {
		Items []struct {
			ID, Kind, Status, Origin string
			Report                   struct{ Files int }
		}
	}
	api("GET", "/api/v1/hosts/"+hid+"/tasks", nil, &tasks)
	if len(tasks.Items) != 1 || tasks.Items[0].Origin != "agent" || tasks.Items[0].Kind != "scan" || tasks.Items[0].Status != "done" ||
		tasks.Items[0].Report.Files != 2 || tasks.Items[0].ID != f.Evidence.TaskID {
		t.Fatalf("host tasks after scan --report: %+v (finding from task %q)", tasks.Items, f.Evidence.TaskID)
	}

	// The same review again: the same finding, seen twice.
	if msg, code = scanCmd(state); code != 3 {
		t.Fatalf("second scan --report: exit %d\n%s", code, msg)
	}
	api("GET", "/api/v1/findings?host="+hid, nil, &fs)
	if len(fs.Items) != 1 || fs.Items[0].TimesSeen != 2 {
		t.Fatalf("findings after a second report: %+v", fs.Items)
	}

	// The officer closes it.
	fid := itoa64(f.ID)
	if st := api("PATCH", "/api/v1/findings/"+fid, map[string]any{"status": "resolved", "note": "Đã xoá tệp và quét lại sạch"}, nil); st != 200 {
		t.Fatalf("resolve: %d", st)
	}
	var got finding
	api("GET", "/api/v1/findings/"+fid, nil, &got)
	if got.Status != "resolved" || got.Note != "Đã xoá tệp và quét lại sạch" {
		t.Fatalf("after resolving: %+v", got)
	}

	// The hub unreachable: the report waits in the queue, and `vigil agent
	// run` delivers it; the file is still there, so the finding reopens.
	var id map[string]any
	b, _ := os.ReadFile(filepath.Join(state, "identity.json"))
	json.Unmarshal(b, &id)
	id["server"] = "http://127.0.0.1:1"
	b, _ = json.Marshal(id)
	os.WriteFile(filepath.Join(state, "identity.json"), b, 0o600)
	msg, code = scanCmd(state)
	if code != 3 || !strings.Contains(msg, "waits in "+filepath.Join(state, "queue")) {
		t.Fatalf("scan --report, hub unreachable: exit %d\n%s", code, msg)
	}
	id["server"] = srv.URL
	b, _ = json.Marshal(id)
	os.WriteFile(filepath.Join(state, "identity.json"), b, 0o600)
	run := exec.Command(bin, "agent", "run", "--state-dir", state, "--heartbeat", "1s")
	var runLog strings.Builder
	run.Stdout, run.Stderr = &runLog, &runLog
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		run.Process.Signal(syscall.SIGTERM)
		run.Wait()
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		api("GET", "/api/v1/findings/"+fid, nil, &got)
		if got.Status == "open" || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if got.Status != "open" || got.TimesSeen != 3 {
		t.Fatalf("after the queued report: %+v\nagent log:\n%s", got, runLog.String())
	}
	api("GET", "/api/v1/hosts/"+hid+"/tasks", nil, &tasks)
	if len(tasks.Items) != 3 {
		t.Errorf("host tasks: %+v", tasks.Items)
	}

	// In a browser, in Vietnamese: the finding, the scans the agent
	// reported, and its last heartbeat.
	browserCheck(t, srv.URL, "officer@e2e.vigil", pw, "/hosts/"+hid, []string{
		"invoice.pdf.exe", i18n.T("vi", "hosts.task_from_agent"), i18n.T("vi", "hosts.heartbeat"),
	})
}
