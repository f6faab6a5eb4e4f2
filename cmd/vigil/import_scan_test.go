package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store/storetest"
)

// TestImportScanCommand runs `vigil import scan` against a hub: the
// summary line, --json, a refused file and the exit status.
func TestImportScanCommand(t *testing.T) {
	nessus := filepath.Join("..", "..", "..", "shared", "data", "scans", "nessus", "nessus_v_unknown.xml")
	trivy := filepath.Join("..", "..", "..", "shared", "data", "scans", "trivy", "scheme_2_many_vulns.json")
	if _, err := os.Stat(nessus); err != nil {
		storetest.SkipOrFail(t, "data", "no scanner samples in ../shared/data/scans")
	}
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
	if _, err := h.Org.CreateUser(sys, org.UserInput{Email: "officer@e2e.vigil", Name: "Cán bộ", Password: pw, Role: "officer", Unit: "T66"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Server.Handler())
	defer srv.Close()
	tok := apiToken(t, srv.URL, "officer@e2e.vigil", pw)

	out, err := exec.Command(bin, "import", "scan", "--server", srv.URL, "--token", tok, "--unit", "T66", nessus).CombinedOutput()
	if err != nil {
		t.Fatalf("vigil import scan: %v\n%s", err, out)
	}
	line := strings.TrimSpace(string(out))
	t.Log(line)
	if strings.Count(line, "\n") != 0 || !strings.Contains(line, "Nessus, 296 records") || !strings.Contains(line, "hosts 7 new") || !strings.Contains(line, "information, not a vulnerability") {
		t.Errorf("summary: %s", line)
	}
	bad := filepath.Join(t.TempDir(), "cut.nessus")
	whole, _ := os.ReadFile(nessus)
	os.WriteFile(bad, whole[:len(whole)/2], 0o600)
	cmd := exec.Command(bin, "import", "scan", "--server", srv.URL, "--token", tok, "--unit", "T66", "--host", "10.66.0.20", "--json", trivy, bad)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("a refused file should end with status 1: %v", err)
	}
	sc := bufio.NewScanner(&stdout)
	var objs []map[string]any
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("--json line %q: %v", sc.Text(), err)
		}
		objs = append(objs, m)
	}
	if len(objs) != 2 || objs[0]["records_read"] != float64(5) || objs[0]["findings_new"] != float64(5) || objs[0]["hosts_new"] != float64(1) {
		t.Errorf("--json: %v", objs)
	}
	if len(objs) == 2 && !strings.Contains(objs[1]["error"].(string), "cut.nessus") {
		t.Errorf("refused file: %v", objs[1])
	}
}
