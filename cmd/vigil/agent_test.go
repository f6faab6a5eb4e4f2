package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/asset"
)

// buildVigil builds the binary once per test run.
var buildVigil = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "vigil-agent-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "vigil")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return bin, nil
})

func vigilBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin, err := buildVigil()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return bin
}

func TestAgentCollectPrintsInventory(t *testing.T) {
	bin := vigilBin(t)
	cmd := exec.Command(bin, "agent", "collect", "--state-dir", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	t.Logf("vigil agent collect: %s, %d bytes", time.Since(start).Round(time.Millisecond), len(out))
	var m map[string]json.RawMessage
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"hostname", "os", "interfaces", "software", "hotfixes", "accounts", "listening", "controls"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q in the output", k)
		}
	}
	if _, err := asset.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("output does not decode as an inventory: %v", err)
	}
}

func TestAgentScanFindsAndExitsThree(t *testing.T) {
	bin := vigilBin(t)
	dir := t.TempDir()
	sample := []byte("test sample, not malware")
	os.WriteFile(filepath.Join(dir, "a.bin"), sample, 0o644)
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("clean"), 0o644)
	sum := sha256.Sum256(sample)
	ioc := filepath.Join(dir, "iocs.csv")
	os.WriteFile(ioc, []byte("type,value,comment\nsha256,"+hex.EncodeToString(sum[:])+",unit test\n"), 0o644)

	cmd := exec.Command(bin, "agent", "scan", "--paths", dir, "--ioc", ioc, "--no-live")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("exit %v, want 3; stderr %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), `FOUND file sha256:`+hex.EncodeToString(sum[:])+` (unit test) path="`+filepath.Join(dir, "a.bin")+`"`) {
		t.Errorf("stdout: %s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "scanned 3 files") {
		t.Errorf("stderr: %s", stderr.String())
	}

	// An empty indicator list works: the scan counts and exits 0.
	if out, err := exec.Command(bin, "agent", "scan", dir, "--no-live").CombinedOutput(); err != nil {
		t.Errorf("scan without indicators: %v %s", err, out)
	}
	// A bad indicator file names file and line, and exits 1.
	os.WriteFile(ioc, []byte("sha256,abc\n"), 0o644)
	out, err := exec.Command(bin, "agent", "scan", dir, "--ioc", ioc, "--no-live").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), ioc+":1: ") {
		t.Errorf("bad ioc: %v %s", err, out)
	}
}

// miniHub is the least of the hub an agent process needs.
type miniHub struct {
	mu       sync.Mutex
	inv      *asset.Inventory
	fulls    int
	beats    int
	lastBeat agentapi.HeartbeatRequest
	enrolled bool
}

func (h *miniHub) handler() http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	authed := func(r *http.Request) bool {
		id, secret, err := agentapi.ParseBearer(r.Header.Get("Authorization"))
		return err == nil && id == "ag1" && secret == "pw"
	}
	mux.HandleFunc("POST "+agentapi.PathEnroll, func(w http.ResponseWriter, r *http.Request) {
		var req agentapi.EnrollRequest
		json.NewDecoder(r.Body).Decode(&req)
		if r.Header.Get("Authorization") != "Bearer tok" || req.Inventory == nil || req.Inventory.Validate() != nil {
			reply(w, 401, agentapi.ErrorResponse{Error: "bad token"})
			return
		}
		h.mu.Lock()
		req.Inventory.Normalize()
		h.inv, h.enrolled = req.Inventory, true
		h.mu.Unlock()
		reply(w, 200, agentapi.EnrollResponse{AgentID: "ag1", Secret: "pw"})
	})
	mux.HandleFunc("POST "+agentapi.PathHeartbeat, func(w http.ResponseWriter, r *http.Request) {
		if !authed(r) {
			reply(w, 401, agentapi.ErrorResponse{Error: "unknown agent"})
			return
		}
		h.mu.Lock()
		h.beats++
		json.NewDecoder(r.Body).Decode(&h.lastBeat)
		h.mu.Unlock()
		reply(w, 200, agentapi.HeartbeatResponse{Tasks: []agentapi.Task{}})
	})
	mux.HandleFunc("POST "+agentapi.PathInventory, func(w http.ResponseWriter, r *http.Request) {
		if !authed(r) {
			reply(w, 401, agentapi.ErrorResponse{Error: "unknown agent"})
			return
		}
		var req agentapi.InventoryRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			reply(w, 400, agentapi.ErrorResponse{Error: err.Error()})
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if req.Full {
			req.Inventory.Normalize()
			h.inv = req.Inventory
			h.fulls++
		} else {
			next, err := req.Changes.Apply(h.inv)
			if err != nil {
				reply(w, 409, agentapi.ErrorResponse{Error: err.Error(), Hash: h.inv.Hash()})
				return
			}
			h.inv = next
		}
		reply(w, 200, agentapi.InventoryResponse{Hash: h.inv.Hash()})
	})
	return mux
}

// TestAgentEnrollAndRun runs the real agent process against a test hub and
// measures what it costs while idle.
func TestAgentEnrollAndRun(t *testing.T) {
	bin := vigilBin(t)
	hub := &miniHub{}
	srv := httptest.NewServer(hub.handler())
	defer srv.Close()
	state := t.TempDir()

	out, err := exec.Command(bin, "agent", "enroll", "--server", srv.URL, "--token", "nope", "--state-dir", state).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "401 bad token") {
		t.Fatalf("bad token: %v %s", err, out)
	}
	out, err = exec.Command(bin, "agent", "enroll", "--server", srv.URL, "--token", "tok", "--state-dir", state).CombinedOutput()
	if err != nil {
		t.Fatalf("enroll: %v %s", err, out)
	}
	if fi, err := os.Stat(filepath.Join(state, "identity.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("identity.json: %v", err)
	}

	cmd := exec.Command(bin, "agent", "run", "--heartbeat", "300ms")
	cmd.Env = append(os.Environ(), "VIGIL_AGENT_STATE_DIR="+state)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	for {
		hub.mu.Lock()
		ok := hub.fulls >= 1 && hub.beats >= 2
		hub.mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent did not report; log:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	hub.mu.Lock()
	host, sw, hash := hub.inv.Hostname, len(hub.inv.Software), hub.inv.Hash()
	beatHash := hub.lastBeat.InventoryHash
	hub.mu.Unlock()
	name, _ := os.Hostname()
	if host != strings.ToLower(strings.SplitN(name, ".", 2)[0]) || sw == 0 {
		t.Errorf("hub holds host %q with %d packages", host, sw)
	}

	if runtime.GOOS == "linux" {
		// Idle cost: RSS and CPU over a few heartbeats.
		pid := strconv.Itoa(cmd.Process.Pid)
		ticks0 := cpuTicks(t, pid)
		const idle = 3 * time.Second
		time.Sleep(idle)
		ticks := cpuTicks(t, pid) - ticks0
		rss := rssKB(t, pid)
		cpu := float64(ticks) / 100 / idle.Seconds() * 100 // USER_HZ is 100
		t.Logf("vigil agent run idle (300 ms heartbeat): RSS %d KiB, CPU %.2f%% of a core", rss, cpu)
		if rss > 25*1024 {
			t.Errorf("idle RSS %d KiB over the 25 MiB budget", rss)
		}
	}
	if beatHash != "" && beatHash != hash {
		t.Logf("heartbeat hash %s, hub %s (a delta may have been in flight)", beatHash, hash)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("agent exit on SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Error("agent did not stop on SIGTERM")
	}
}

func cpuTicks(t *testing.T, pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return utime + stime
}

func rssKB(t *testing.T, pid string) int64 {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			n, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return n
		}
	}
	return 0
}
