package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/asset"
)

// fakeHub implements the agent side of the hub API as docs/agent-protocol.md
// describes it, with switches for outages.
type fakeHub struct {
	t  *testing.T
	mu sync.Mutex

	tokens   map[string]int // enrolment token -> uses left
	agents   map[string]string
	inv      map[string]*asset.Inventory // agent id -> stored inventory
	fulls    int
	deltas   int
	conflict int
	tasks    []agentapi.Task
	results  map[string][]agentapi.TaskResult
	inds     []agentapi.Indicator
	outage   atomic.Bool
	failed   atomic.Int64 // requests refused during outages
	onBeat   func(h *fakeHub)
}

func newFakeHub(t *testing.T) (*fakeHub, *httptest.Server) {
	h := &fakeHub{t: t, tokens: map[string]int{"tok-unit7": 1}, agents: map[string]string{},
		inv: map[string]*asset.Inventory{}, results: map[string][]agentapi.TaskResult{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+agentapi.PathEnroll, h.enroll)
	mux.HandleFunc("POST "+agentapi.PathHeartbeat, h.auth(h.heartbeat))
	mux.HandleFunc("POST "+agentapi.PathInventory, h.auth(h.inventory))
	mux.HandleFunc("GET "+agentapi.PathIndicators, h.auth(h.indicators))
	mux.HandleFunc("POST /api/v1/agents/tasks/{id}/result", h.auth(h.result))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.outage.Load() {
			h.failed.Add(1)
			writeJSON(w, http.StatusServiceUnavailable, agentapi.ErrorResponse{Error: "maintenance"})
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return h, srv
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (h *fakeHub) enroll(w http.ResponseWriter, r *http.Request) {
	var req agentapi.EnrollRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, 400, agentapi.ErrorResponse{Error: err.Error()})
		return
	}
	// The enrolment token travels in the Authorization header.
	req.Token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tokens[req.Token] <= 0 {
		writeJSON(w, 401, agentapi.ErrorResponse{Error: "enrolment token invalid, expired, revoked or used up"})
		return
	}
	if req.Inventory == nil || req.Inventory.Validate() != nil {
		writeJSON(w, 400, agentapi.ErrorResponse{Error: "invalid inventory"})
		return
	}
	h.tokens[req.Token]--
	id := fmt.Sprintf("ag%d", len(h.agents)+1)
	secret := "s3cr3t-" + id
	h.agents[id] = secret
	req.Inventory.Normalize()
	h.inv[id] = req.Inventory
	writeJSON(w, 200, agentapi.EnrollResponse{AgentID: id, Secret: secret})
}

func (h *fakeHub) auth(next func(w http.ResponseWriter, r *http.Request, agent string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, secret, err := agentapi.ParseBearer(r.Header.Get("Authorization"))
		h.mu.Lock()
		ok := err == nil && h.agents[id] == secret
		h.mu.Unlock()
		if !ok {
			writeJSON(w, 401, agentapi.ErrorResponse{Error: "unknown agent"})
			return
		}
		next(w, r, id)
	}
}

func (h *fakeHub) heartbeat(w http.ResponseWriter, r *http.Request, agent string) {
	var req agentapi.HeartbeatRequest
	json.NewDecoder(r.Body).Decode(&req)
	h.mu.Lock()
	var open []agentapi.Task
	for _, t := range h.tasks {
		if !h.finished(t.ID) {
			open = append(open, t)
		}
	}
	full := h.inv[agent] == nil || (req.InventoryHash != "" && h.inv[agent].Hash() != req.InventoryHash)
	hook := h.onBeat
	h.onBeat = nil
	h.mu.Unlock()
	writeJSON(w, 200, agentapi.HeartbeatResponse{Tasks: open, FullInventory: full})
	if hook != nil {
		hook(h)
	}
}

func (h *fakeHub) finished(id string) bool {
	for _, r := range h.results[id] {
		if r.Status == agentapi.StatusDone || r.Status == agentapi.StatusFailed {
			return true
		}
	}
	return false
}

func (h *fakeHub) inventory(w http.ResponseWriter, r *http.Request, agent string) {
	var req agentapi.InventoryRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, asset.MaxDocumentBytes)).Decode(&req); err != nil {
		writeJSON(w, 400, agentapi.ErrorResponse{Error: err.Error()})
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.Full {
		if req.Inventory == nil {
			writeJSON(w, 400, agentapi.ErrorResponse{Error: "required", Path: "inventory"})
			return
		}
		if err := req.Inventory.Validate(); err != nil {
			writeJSON(w, 400, agentapi.ErrorResponse{Error: err.Error()})
			return
		}
		req.Inventory.Normalize()
		h.inv[agent] = req.Inventory
		h.fulls++
		writeJSON(w, 200, agentapi.InventoryResponse{Hash: req.Inventory.Hash()})
		return
	}
	base := h.inv[agent]
	if base == nil || req.Changes == nil {
		writeJSON(w, 409, agentapi.ErrorResponse{Error: "no stored inventory"})
		h.conflict++
		return
	}
	next, err := req.Changes.Apply(base)
	if errors.Is(err, asset.ErrBaseMismatch) {
		h.conflict++
		writeJSON(w, 409, agentapi.ErrorResponse{Error: err.Error(), Hash: base.Hash()})
		return
	}
	if err == nil {
		err = next.Validate()
	}
	if err != nil {
		writeJSON(w, 400, agentapi.ErrorResponse{Error: err.Error()})
		return
	}
	h.inv[agent] = next
	h.deltas++
	writeJSON(w, 200, agentapi.InventoryResponse{Hash: next.Hash()})
}

func (h *fakeHub) indicators(w http.ResponseWriter, r *http.Request, agent string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cursor := fmt.Sprintf("v%d", len(h.inds))
	if r.URL.Query().Get("since") == cursor {
		writeJSON(w, 200, agentapi.IndicatorsResponse{Cursor: cursor, Indicators: []agentapi.Indicator{}})
		return
	}
	writeJSON(w, 200, agentapi.IndicatorsResponse{Cursor: cursor, Full: true, Indicators: h.inds})
}

func (h *fakeHub) result(w http.ResponseWriter, r *http.Request, agent string) {
	id := r.PathValue("id")
	var res agentapi.TaskResult
	if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
		writeJSON(w, 400, agentapi.ErrorResponse{Error: err.Error()})
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	known := false
	for _, t := range h.tasks {
		known = known || t.ID == id
	}
	if !known {
		writeJSON(w, 404, agentapi.ErrorResponse{Error: "no such task"})
		return
	}
	h.results[id] = append(h.results[id], res)
	writeJSON(w, 200, struct{}{})
}

func (h *fakeHub) snapshot() (fulls, deltas, conflicts int, inv *asset.Inventory) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, i := range h.inv {
		inv = i
	}
	return h.fulls, h.deltas, h.conflict, inv
}

func (h *fakeHub) doneResult(id string) *agentapi.TaskResult {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.results[id] {
		if r.Status == agentapi.StatusDone || r.Status == agentapi.StatusFailed {
			return &r
		}
	}
	return nil
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeInventory changes a little on each collection, as a real host does.
type fakeInventory struct {
	n atomic.Int64
}

func (f *fakeInventory) collect(ctx context.Context) (*asset.Inventory, error) {
	n := f.n.Add(1)
	inv := &asset.Inventory{
		Source: asset.SourceAgent, CollectedAt: time.Date(2026, 11, 28, 6, 0, int(n%60), 0, time.UTC),
		Hostname: "ws-042", OS: asset.OS{Name: "Debian GNU/Linux", Version: "12", Build: "bookworm"},
		Interfaces: []asset.Interface{{Name: "eth0", MAC: "52:54:00:00:00:01", Addresses: []string{"192.0.2.10/24"}}},
		Software: []asset.Software{
			{Name: "openssl", Version: fmt.Sprintf("3.0.%d", 10+n/3), Vendor: "Debian", Source: asset.SoftwareDpkg},
			{Name: "bash", Version: "5.2", Source: asset.SoftwareDpkg},
		},
		Accounts: []asset.Account{{Name: "root", Admin: true, Enabled: true}},
		Controls: []asset.Control{{Kind: asset.ControlFirewall, Product: "nftables", Enabled: true}},
	}
	return inv, nil
}

func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func TestEnrollRunOutageAndRetry(t *testing.T) {
	hub, srv := newFakeHub(t)
	evil := []byte("pretend malware sample, test only")
	sum := sha256.Sum256(evil)
	hub.inds = []agentapi.Indicator{{Type: "sha256", Value: hex.EncodeToString(sum[:]), Comment: "test sample"}, {Type: "domain", Value: "bad.example"}}
	scanDir := t.TempDir()
	os.WriteFile(filepath.Join(scanDir, "clean.txt"), []byte("hello"), 0o644)
	os.MkdirAll(filepath.Join(scanDir, "tmp"), 0o755)
	os.WriteFile(filepath.Join(scanDir, "tmp", "payload"), evil, 0o755)
	no := false
	hub.tasks = []agentapi.Task{{ID: "t1", Kind: agentapi.TaskScan, Scan: &agentapi.ScanParams{Paths: []string{scanDir}, Processes: &no, Connections: &no}}}

	st, err := OpenState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fi := &fakeInventory{}
	inv, _ := fi.collect(context.Background())
	c := &Client{Server: srv.URL, Version: "test"}

	// A wrong token is refused with the hub's message.
	if _, err := Enroll(context.Background(), st, c, "nope", inv); err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "used up") {
		t.Fatalf("bad token: %v", err)
	}
	id, err := Enroll(context.Background(), st, c, "tok-unit7", inv)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(st.Dir, identityFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("identity file: %v %v", fi.Mode(), err)
	}
	if _, err := Enroll(context.Background(), st, c, "tok-unit7", inv); err == nil {
		t.Fatal("second enrolment into the same state dir accepted")
	}

	c.AgentID, c.Secret = id.AgentID, id.Secret
	r := &Runner{State: st, Client: c, Collect: fi.collect, Log: quietLog(),
		Heartbeat: 20 * time.Millisecond, InventoryEvery: 30 * time.Millisecond, FullEvery: time.Hour,
		BackoffMin: 20 * time.Millisecond, BackoffMax: 160 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- r.Run(ctx) }()

	// Changes flow as deltas on top of the enrolment inventory, and the
	// scan task reports its finding.
	waitFor(t, "deltas", 5*time.Second, func() bool { _, d, _, _ := hub.snapshot(); return d >= 3 })
	waitFor(t, "t1 result", 5*time.Second, func() bool { return hub.doneResult("t1") != nil })
	res := hub.doneResult("t1")
	if res.Status != agentapi.StatusDone || res.Report == nil || len(res.Report.Findings) != 1 || res.Report.Findings[0].Path != filepath.Join(scanDir, "tmp", "payload") {
		t.Fatalf("t1 result: %+v", res)
	}
	fulls, _, _, stored := hub.snapshot()
	if fulls != 1 {
		t.Errorf("%d full inventories sent, want 1 at start", fulls)
	}
	latest, _ := fi.collect(context.Background())
	_ = latest
	if stored.Software[1].Name != "openssl" || stored.Software[1].Version == "3.0.10" {
		t.Errorf("stored inventory not updated: %+v", stored.Software)
	}

	// Outage: the hub hands out t2 and goes down. The scan runs offline
	// on the local indicator copy and its result waits on disk.
	hub.mu.Lock()
	hub.tasks = append(hub.tasks, agentapi.Task{ID: "t2", Kind: agentapi.TaskScan, Scan: &agentapi.ScanParams{Paths: []string{scanDir}, Processes: &no, Connections: &no}})
	hub.onBeat = func(h *fakeHub) { h.outage.Store(true) }
	hub.mu.Unlock()
	waitFor(t, "queued t2 result", 5*time.Second, func() bool { return st.queued() == 1 })
	outageStart := time.Now()
	before := hub.failed.Load()
	time.Sleep(600 * time.Millisecond)
	tries := hub.failed.Load() - before
	// Without backoff a 20 ms heartbeat would try ~30 times in 600 ms; with
	// backoff from 20 ms doubling to 160 ms it is well under that.
	if tries > 12 || tries < 2 {
		t.Errorf("%d requests during a %s outage; backoff not working", tries, time.Since(outageStart).Round(time.Millisecond))
	}
	hub.outage.Store(false)
	waitFor(t, "t2 result after the outage", 5*time.Second, func() bool { return hub.doneResult("t2") != nil })
	waitFor(t, "empty queue", 2*time.Second, func() bool { return st.queued() == 0 })

	// The hub loses its copy (restored from backup): the next delta is
	// refused with 409 and the agent sends a full inventory.
	hub.mu.Lock()
	for k := range hub.inv {
		other := *hub.inv[k]
		other.Hostname = "restored"
		hub.inv[k] = &other
	}
	hub.mu.Unlock()
	waitFor(t, "full inventory after conflict", 5*time.Second, func() bool {
		f, _, _, s := hub.snapshot()
		return f >= 2 && s.Hostname == "ws-042"
	})

	cancel()
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	// The hub's copy and the agent's acknowledged copy agree, or, when the
	// stop cut off a reply the hub had already acted on, agree again after
	// the next start (full inventory at start).
	agree := func() bool {
		_, _, _, stored := hub.snapshot()
		a := st.loadAcked()
		return a != nil && a.Hash == stored.Hash()
	}
	if !agree() {
		r2 := &Runner{State: st, Client: c, Collect: fi.collect, Log: quietLog(),
			Heartbeat: 20 * time.Millisecond, InventoryEvery: time.Hour, FullEvery: time.Hour,
			BackoffMin: 20 * time.Millisecond, BackoffMax: 160 * time.Millisecond}
		ctx2, cancel2 := context.WithCancel(context.Background())
		done2 := make(chan struct{})
		go func() { r2.Run(ctx2); close(done2) }()
		waitFor(t, "agent and hub to agree after a restart", 5*time.Second, agree)
		cancel2()
		<-done2
	}
}

func TestBackoff(t *testing.T) {
	prevMax := time.Duration(0)
	for n := 1; n <= 12; n++ {
		d := backoff(time.Second, time.Minute, n)
		want := time.Second << (n - 1)
		if want > time.Minute {
			want = time.Minute
		}
		if d < want/2 || d > want {
			t.Errorf("n=%d: %s not in [%s, %s]", n, d, want/2, want)
		}
		if want < prevMax {
			t.Errorf("n=%d: ceiling shrank", n)
		}
		prevMax = want
	}
}

func TestQueuedTaskNotRunAgain(t *testing.T) {
	st, _ := OpenState(t.TempDir())
	st.enqueue(queuedMessage{TaskID: "t5", Result: agentapi.TaskResult{Status: agentapi.StatusDone}})
	r := &Runner{State: st, Log: quietLog(), seen: map[string]bool{}}
	r.accept([]agentapi.Task{{ID: "t5", Kind: agentapi.TaskScan, Scan: &agentapi.ScanParams{Paths: []string{"/"}}}, {ID: "t6", Kind: agentapi.TaskScan, Scan: &agentapi.ScanParams{Paths: []string{"/"}}}})
	if len(r.tasks) != 1 || r.tasks[0].ID != "t6" {
		t.Fatalf("tasks %+v", r.tasks)
	}
}

func TestRevokedAgentKeepsResults(t *testing.T) {
	hub, srv := newFakeHub(t)
	hub.tasks = []agentapi.Task{{ID: "t9"}}
	st, _ := OpenState(t.TempDir())
	st.enqueue(queuedMessage{TaskID: "t9", Result: agentapi.TaskResult{Status: agentapi.StatusDone}})
	c := &Client{Server: srv.URL, AgentID: "ghost", Secret: "x"}
	err := st.flush(func(m queuedMessage) error { return c.TaskResult(context.Background(), m.TaskID, m.Result) },
		func(queuedMessage, error) { t.Error("dropped a result on 401") })
	if StatusOf(err) != 401 || st.queued() != 1 {
		t.Fatalf("err %v, queued %d", err, st.queued())
	}
}
