package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/agent/agentapi"
	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store/storetest"
)

// TestAgentEndToEnd enrols a real agent process on this machine with a
// test hub, lets it send its inventory and run a scan task, and checks the
// host, its software, its controls and the finding in its unit through the
// API and in a browser.
func TestAgentEndToEnd(t *testing.T) {
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
	for _, u := range []org.UnitInput{{Code: "T66", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: "province", Parent: org.RootCode},
		{Code: "T01", Name: "Bảo hiểm xã hội thành phố Hà Nội", Kind: "province", Parent: org.RootCode}} {
		if _, err := h.Org.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []org.UserInput{{Email: "officer@e2e.vigil", Name: "Cán bộ Đắk Lắk", Password: pw, Role: "officer", Unit: "T66"},
		{Email: "other@e2e.vigil", Name: "Cán bộ Hà Nội", Password: pw, Role: "officer", Unit: "T01"}} {
		if _, err := h.Org.CreateUser(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(h.Server.Handler())
	defer srv.Close()

	api := func(email, method, path string, body any, out any) int {
		t.Helper()
		tok := apiToken(t, srv.URL, email, pw)
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if out != nil {
			json.Unmarshal(data, out)
		}
		if resp.StatusCode >= 300 {
			t.Logf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
		return resp.StatusCode
	}

	var tok struct{ Token string }
	if st := api("officer@e2e.vigil", "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "T66", "expires_in": "1h", "max_uses": 1}, &tok); st != 201 {
		t.Fatalf("enrolment token: %d", st)
	}
	state := t.TempDir()
	out, err := exec.Command(bin, "agent", "enroll", "--server", srv.URL, "--token", tok.Token, "--state-dir", state).CombinedOutput()
	if err != nil {
		t.Fatalf("vigil agent enroll: %v\n%s", err, out)
	}
	// The token was for one use: a second enrolment is refused.
	if out, err := exec.Command(bin, "agent", "enroll", "--server", srv.URL, "--token", tok.Token, "--state-dir", t.TempDir()).CombinedOutput(); err == nil {
		t.Fatalf("second enrolment with a one-use token succeeded:\n%s", out)
	}

	var list struct {
		Items []struct {
			ID       int64
			Hostname string
			Unit     string
			Controls []map[string]any
		}
	}
	api("officer@e2e.vigil", "GET", "/api/v1/hosts?unit=T66", nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("hosts in T66 after enrolment: %+v", list.Items)
	}
	host := list.Items[0]
	name, _ := os.Hostname()
	if !strings.EqualFold(host.Hostname, name) && !strings.HasPrefix(strings.ToLower(name), strings.ToLower(host.Hostname)) {
		t.Errorf("host %q, this machine is %q", host.Hostname, name)
	}
	// The other province's officer cannot see it.
	var other struct{ Items []any }
	api("other@e2e.vigil", "GET", "/api/v1/hosts", nil, &other)
	if len(other.Items) != 0 {
		t.Fatalf("officer of T01 sees %d hosts of T66", len(other.Items))
	}

	// A scan task over a directory holding a file on the indicator list.
	dir := t.TempDir()
	sample := []byte("vigil e2e sample — not malware")
	os.WriteFile(filepath.Join(dir, "sample.bin"), sample, 0o644)
	os.WriteFile(filepath.Join(dir, "clean.txt"), []byte("clean"), 0o644)
	sum := sha256.Sum256(sample)
	e2eIndicator := hex.EncodeToString(sum[:])
	h.Hosts.IndicatorSources = append(h.Hosts.IndicatorSources, func(ctx context.Context) ([]agentapi.Indicator, error) {
		return []agentapi.Indicator{{Type: "sha256", Value: e2eIndicator, Comment: "e2e test sample"}}, nil
	})
	hid := itoa64(host.ID)
	if st := api("officer@e2e.vigil", "POST", "/api/v1/hosts/"+hid+"/scan", map[string]any{"paths": []string{dir}}, nil); st != 201 {
		t.Fatalf("scan task: %d", st)
	}

	run := exec.Command(bin, "agent", "run", "--state-dir", state, "--heartbeat", "1s", "--inventory-interval", "2s")
	var runLog strings.Builder
	run.Stdout, run.Stderr = &runLog, &runLog
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		run.Process.Signal(syscall.SIGTERM)
		run.Wait()
	}()
	var findings struct {
		Items []struct {
			Kind     string
			Status   string
			Evidence struct {
				Path   string
				SHA256 string
			}
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		api("officer@e2e.vigil", "GET", "/api/v1/findings?host="+hid, nil, &findings)
		if len(findings.Items) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("finding arrived %s after the agent started", time.Since(deadline.Add(-60*time.Second)).Round(time.Millisecond))
	if len(findings.Items) != 1 || findings.Items[0].Kind != "malware" || findings.Items[0].Status != "open" ||
		findings.Items[0].Evidence.SHA256 != e2eIndicator || !strings.HasSuffix(findings.Items[0].Evidence.Path, "sample.bin") {
		t.Fatalf("findings after the scan: %+v\nagent log:\n%s", findings.Items, runLog.String())
	}

	var detail struct {
		Inventory struct {
			Software []struct{ Name string }
			Controls []struct{ Kind, Product string }
		}
		Status struct {
			AgentSeen bool `json:"agent_seen"`
		}
	}
	api("officer@e2e.vigil", "GET", "/api/v1/hosts/"+hid, nil, &detail)
	if len(detail.Inventory.Software) == 0 {
		t.Error("host has no software")
	}
	if len(detail.Inventory.Controls) == 0 {
		t.Error("host has no security controls listed")
	}
	if !detail.Status.AgentSeen {
		t.Error("agent not seen")
	}
	var cov struct {
		Hosts     int
		AgentSeen int `json:"agent_seen"`
	}
	api("officer@e2e.vigil", "GET", "/api/v1/units/T66/coverage", nil, &cov)
	if cov.Hosts != 1 || cov.AgentSeen != 1 {
		t.Errorf("coverage of T66: %+v", cov)
	}

	// The same in a browser: the officer sees the host with its software,
	// its controls and the finding.
	browserCheck(t, srv.URL, "officer@e2e.vigil", pw, "/hosts/"+hid, []string{
		host.Hostname, detail.Inventory.Software[0].Name, detail.Inventory.Controls[0].Product, "sample.bin",
	})
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func apiToken(t *testing.T, base, email, pw string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	resp, err := http.Post(base+"/api/v1/auth/token", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&out)
	if out.Token == "" {
		t.Fatalf("no token for %s (%d)", email, resp.StatusCode)
	}
	return out.Token
}

// browserCheck signs in through the login form in headless Chromium, opens
// path and requires each text on the page.
func browserCheck(t *testing.T, base, email, pw, path string, texts []string) {
	t.Helper()
	exe, err := exec.LookPath("chromium")
	if err != nil {
		storetest.SkipOrFail(t, "chromium", "no chromium on PATH for the browser half of the end-to-end test")
		return
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true)}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/login?next="+url.QueryEscape(path)),
		chromedp.SendKeys(`input[name=email]`, email),
		chromedp.SendKeys(`input[name=password]`, pw),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`#findings-table`),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.textContent`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range texts {
		if !strings.Contains(text, want) {
			t.Errorf("host page lacks %q", want)
		}
	}
}
