package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/cli"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store/storetest"
)

// TestIntelCommands runs `vigil intel import|lists|publish|export`
// against a hub: the summary line in each language, each skipped
// problem on stderr, --json summed over the files, the list published,
// the export.
func TestIntelCommands(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "sqlite")
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.DiscardHandler), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "intel-password-123"
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@intel.vigil", AdminPassword: pw}); err != nil {
		t.Fatal(err)
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	if _, err := h.Org.CreateUnit(sys, org.UnitInput{Code: "T66", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: "province", Parent: org.RootCode}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Server.Handler())
	defer srv.Close()
	tok := apiToken(t, srv.URL, "admin@intel.vigil", pw)
	dir := t.TempDir()
	a := filepath.Join(dir, "thang12.csv")
	b := filepath.Join(dir, "bo-sung.txt")
	os.WriteFile(a, []byte("type,value,comment\nip,203.0.113.9,C2\ndomain,evil.example,\nbogus,zzz,\n"), 0o644)
	os.WriteFile(b, []byte("198.51.100.23\nhxxp://bad[.]example/x\n"), 0o644)
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := cli.Execute(ctx, root(), append(args, "--server", srv.URL, "--token", tok), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errOut := run("intel", "import", "--list", "Danh sách tháng 12", "--lang", "vi", a, b)
	if code != 0 || strings.TrimSpace(out) != "Đã đọc 5 đối tượng, nạp 4 chỉ báo, bỏ qua 1" {
		t.Fatalf("import: %d %q %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "thang12.csv, dòng 4") || !strings.Contains(errOut, "không được hỗ trợ") {
		t.Errorf("problems on stderr: %q", errOut)
	}
	code, out, _ = run("intel", "import", "--json", "--source", "NCSC", "--tlp", "green", a, b)
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || len(res) != 3 || res["objects_read"] != float64(5) || res["indicators_loaded"] != float64(4) {
		t.Fatalf("--json: %d %q", code, out)
	}
	if sk := res["skipped"].([]any); len(sk) != 1 || sk[0].(map[string]any)["file"] != a && sk[0].(map[string]any)["file"] != "thang12.csv" {
		t.Errorf("skipped: %v", res["skipped"])
	}
	code, out, _ = run("intel", "import", "--lang", "en", b)
	if code != 0 || strings.TrimSpace(out) != "2 objects read, 2 indicators loaded, 0 skipped" {
		t.Errorf("en summary: %q", out)
	}
	code, out, _ = run("intel", "lists", "--json")
	var lists []map[string]any
	if err := json.Unmarshal([]byte(out), &lists); code != 0 || err != nil || len(lists) != 1 || lists[0]["status"] != "published" {
		t.Fatalf("lists: %d %s", code, out)
	}
	id := fmt.Sprint(int64(lists[0]["id"].(float64)))
	if code, out, _ = run("intel", "lists", "--lang", "vi"); code != 0 || !strings.Contains(out, "Đã phát hành") || regexp.MustCompile(`\d{4}-\d\d`).MatchString(out) {
		t.Errorf("lists table: %q", out)
	}
	if code, _, errOut = run("intel", "publish", id); code == 0 || !strings.Contains(errOut, "draft") {
		t.Errorf("publishing a published list: %d %q", code, errOut)
	}
	exp := filepath.Join(dir, "out.csv")
	if code, _, errOut = run("intel", "export", id, "--format", "csv", "-o", exp); code != 0 {
		t.Fatalf("export: %q", errOut)
	}
	if data, _ := os.ReadFile(exp); !strings.Contains(string(data), "203.0.113.9") || !strings.Contains(string(data), "bad.example") {
		t.Errorf("export: %s", data)
	}
	if code, _, _ = run("intel", "export", id, "--format", "pdf"); code != 2 {
		t.Errorf("bad format: exit %d", code)
	}
	if code, _, _ = run("intel", "import"); code != 2 {
		t.Errorf("no file: exit %d", code)
	}

	// A file refused whole: a problem naming it in --json's skipped, its
	// reason and the failure count in Vietnamese, no Go error.
	wrong := filepath.Join(dir, "wrongcols.csv")
	os.WriteFile(wrong, []byte("foo,bar\nx,y\n"), 0o644)
	code, out, _ = run("intel", "import", "--json", wrong)
	if err := json.Unmarshal([]byte(out), &res); code != 1 || err != nil {
		t.Fatalf("--json refused: %d %q", code, out)
	}
	if sk := res["skipped"].([]any); len(sk) != 1 || sk[0].(map[string]any)["file"] != wrong || !strings.Contains(fmt.Sprint(sk[0]), "columns not understood") {
		t.Errorf("refused file in skipped: %v", res["skipped"])
	}
	code, _, errOut = run("intel", "import", "--lang", "vi", wrong)
	if code != 1 || !strings.Contains(errOut, "wrongcols.csv, dòng 1: không hiểu các cột") || !strings.Contains(errOut, "1 trên 1 tệp không nhập được") {
		t.Errorf("refused (vi): %d %q", code, errOut)
	}
	for _, e := range []string{"format:", "columns not understood", "files not imported", "does not exist"} {
		if strings.Contains(errOut, e) {
			t.Errorf("refused (vi) says %q: %q", e, errOut)
		}
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"Event":{"info":"x","Attribute":"oops"}}`), 0o644)
	if code, _, errOut = run("intel", "import", "--lang", "vi", bad); code != 1 || !strings.Contains(errOut, "Event.Attribute") || strings.Contains(errOut, "json: cannot") {
		t.Errorf("bad MISP (vi): %d %q", code, errOut)
	}
	// A hub error with arguments, in Vietnamese.
	code, _, errOut = run("intel", "import", "--lang", "vi", "--list", "Danh sách tháng 12", "--unit", "T48", b)
	if code != 1 || !strings.Contains(errOut, `Không có đơn vị "T48"`) || strings.Contains(errOut, "does not exist") {
		t.Errorf("unknown unit (vi): %d %q", code, errOut)
	}
	code, _, errOut = run("intel", "import", "--lang", "vi", "--tlp", "bogus", b)
	if code != 1 || !strings.Contains(errOut, "TLP:AMBER+STRICT") || strings.Contains(errOut, "amber+strict,") {
		t.Errorf("bad TLP (vi): %d %q", code, errOut)
	}
}
