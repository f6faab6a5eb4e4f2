package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/asset"
	"vigil/internal/detect/ioc"
)

// DefaultStateDir is where the agent keeps its identity, queue and caches:
// /var/lib/vigil-agent on Unix, %ProgramData%\Vigil\Agent on Windows.
func DefaultStateDir() string {
	if runtime.GOOS == "windows" {
		pd := os.Getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return filepath.Join(pd, "Vigil", "Agent")
	}
	return "/var/lib/vigil-agent"
}

// Files of the state directory.
const (
	identityFile   = "identity.json"
	inventoryFile  = "inventory.json"  // the inventory the hub last accepted
	indicatorsFile = "indicators.json" // indicators pulled from the hub
	tasksFile      = "tasks.json"      // tasks accepted and not finished
	hashesFile     = "hashes.json"
	queueDir       = "queue"
)

// Identity is the agent's enrolment: which hub, and who it is there. The
// file is written 0600: the secret is the agent's password.
type Identity struct {
	Server     string    `json:"server"`
	AgentID    string    `json:"agent_id"`
	Secret     string    `json:"secret"`
	Hostname   string    `json:"hostname"`
	EnrolledAt time.Time `json:"enrolled_at"`
}

// ErrNotEnrolled is returned by LoadIdentity when the state directory has
// no identity.
var ErrNotEnrolled = errors.New("agent is not enrolled (run 'vigil agent enroll --server URL --token TOKEN')")

// State is the agent's state directory.
type State struct {
	Dir string
	mu  sync.Mutex
}

// OpenState creates the state directory (0700) if needed.
func OpenState(dir string) (*State, error) {
	if dir == "" {
		return nil, errors.New("agent: no state directory")
	}
	if err := os.MkdirAll(filepath.Join(dir, queueDir), 0o700); err != nil {
		return nil, fmt.Errorf("agent: state directory: %w", err)
	}
	return &State{Dir: dir}, nil
}

func (s *State) path(name string) string { return filepath.Join(s.Dir, name) }

func (s *State) writeJSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.path(name), b, 0o600); err != nil {
		return fmt.Errorf("agent: save %s: %w", s.path(name), err)
	}
	return nil
}

func (s *State) readJSON(name string, v any) error {
	b, err := os.ReadFile(s.path(name))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("agent: %s: %w", s.path(name), err)
	}
	return nil
}

// SaveIdentity writes the identity with mode 0600.
func (s *State) SaveIdentity(id Identity) error { return s.writeJSON(identityFile, id) }

// LoadIdentity reads the identity, or returns ErrNotEnrolled.
func (s *State) LoadIdentity() (Identity, error) {
	var id Identity
	err := s.readJSON(identityFile, &id)
	if errors.Is(err, fs.ErrNotExist) {
		return id, ErrNotEnrolled
	}
	if err == nil && (id.AgentID == "" || id.Secret == "" || id.Server == "") {
		err = fmt.Errorf("agent: %s: incomplete identity; enroll again", s.path(identityFile))
	}
	return id, err
}

// ackedInventory is the inventory the hub last accepted.
type ackedInventory struct {
	Hash      string           `json:"hash"`
	FullAt    time.Time        `json:"full_at"`
	Inventory *asset.Inventory `json:"inventory"`
}

func (s *State) loadAcked() *ackedInventory {
	var a ackedInventory
	if s.readJSON(inventoryFile, &a) != nil || a.Inventory == nil {
		return nil
	}
	return &a
}

func (s *State) saveAcked(a *ackedInventory) error { return s.writeJSON(inventoryFile, a) }

// indicatorStore is the local copy of the hub's indicators.
type indicatorStore struct {
	Cursor     string               `json:"cursor"`
	FetchedAt  time.Time            `json:"fetched_at"`
	Indicators []agentapi.Indicator `json:"indicators"`
}

func (s *State) loadIndicators() *indicatorStore {
	var st indicatorStore
	if s.readJSON(indicatorsFile, &st) != nil {
		return &indicatorStore{}
	}
	return &st
}

// merge applies an indicators response to the store.
func (st *indicatorStore) merge(r agentapi.IndicatorsResponse, now time.Time) {
	key := func(i agentapi.Indicator) string { return strings.ToLower(i.Type) + "\x00" + strings.ToLower(i.Value) }
	if r.Full {
		st.Indicators = nil
	}
	idx := map[string]int{}
	for i, ind := range st.Indicators {
		idx[key(ind)] = i
	}
	for _, ind := range r.Indicators {
		if i, ok := idx[key(ind)]; ok {
			st.Indicators[i] = ind
		} else {
			idx[key(ind)] = len(st.Indicators)
			st.Indicators = append(st.Indicators, ind)
		}
	}
	if len(r.Removed) > 0 {
		gone := map[string]bool{}
		for _, ind := range r.Removed {
			gone[key(ind)] = true
		}
		kept := st.Indicators[:0]
		for _, ind := range st.Indicators {
			if !gone[key(ind)] {
				kept = append(kept, ind)
			}
		}
		st.Indicators = kept
	}
	st.Cursor = r.Cursor
	st.FetchedAt = now
}

// set builds the indicator set; indicators it cannot hold are skipped
// and counted.
func (st *indicatorStore) set() (*ioc.Set, int) {
	return agentapi.IndicatorSet(st.Indicators)
}

func (s *State) loadTasks() []agentapi.Task {
	var t []agentapi.Task
	_ = s.readJSON(tasksFile, &t)
	return t
}

func (s *State) saveTasks(t []agentapi.Task) error { return s.writeJSON(tasksFile, t) }

// queuedMessage is a request waiting in the disk queue for the hub: a
// task result, or a scan report (`vigil agent scan --report` while the
// hub was unreachable).
type queuedMessage struct {
	TaskID     string               `json:"task_id"`
	Result     agentapi.TaskResult  `json:"result"`
	ScanReport *agentapi.ScanReport `json:"scan_report,omitempty"`
}

// QueueScanReport keeps a scan report for `vigil agent run` to send when
// the hub is reachable again.
func (s *State) QueueScanReport(r agentapi.ScanReport) error {
	return s.enqueue(queuedMessage{ScanReport: &r})
}

// maxQueued bounds the queue; past it the oldest messages are dropped.
const maxQueued = 1000

// enqueue stores a task result to send, durably, in order.
func (s *State) enqueue(m queuedMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	names, _ := s.queueNames()
	next := int64(1)
	if len(names) > 0 {
		last, _ := strconv.ParseInt(strings.TrimSuffix(names[len(names)-1], ".json"), 10, 64)
		next = last + 1
	}
	for len(names) >= maxQueued {
		os.Remove(filepath.Join(s.Dir, queueDir, names[0]))
		names = names[1:]
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.Dir, queueDir, fmt.Sprintf("%012d.json", next)), b, 0o600)
}

func (s *State) queueNames() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(s.Dir, queueDir))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// queuedTaskIDs returns the ids of tasks whose final result waits in the
// queue, so a task the hub hands out again before it hears the result is
// not run twice.
func (s *State) queuedTaskIDs() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := map[string]bool{}
	names, _ := s.queueNames()
	for _, n := range names {
		var m queuedMessage
		if b, err := os.ReadFile(filepath.Join(s.Dir, queueDir, n)); err == nil && json.Unmarshal(b, &m) == nil && m.TaskID != "" {
			ids[m.TaskID] = true
		}
	}
	return ids
}

// queued returns the number of messages waiting.
func (s *State) queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, _ := s.queueNames()
	return len(n)
}

// flush sends queued messages in order with send; it stops at the first
// error worth retrying (hub unreachable, 5xx, 401/403) and drops messages
// the hub refuses for good (other 4xx).
func (s *State) flush(send func(queuedMessage) error, drop func(queuedMessage, error)) error {
	s.mu.Lock()
	names, err := s.queueNames()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	for _, n := range names {
		p := filepath.Join(s.Dir, queueDir, n)
		var m queuedMessage
		b, err := os.ReadFile(p)
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err != nil {
			os.Remove(p) // unreadable: nothing to retry
			continue
		}
		if err := send(m); err != nil {
			if authRetry(err) {
				return err
			}
			drop(m, err)
		}
		os.Remove(p)
	}
	return nil
}

// Status is what `vigil agent status` shows.
type Status struct {
	Identity
	InventoryAt   time.Time // collection time of the inventory the hub last accepted
	InventoryHash string
	FullAt        time.Time
	Queued        int
	Tasks         int
	Indicators    int
	IndicatorsAt  time.Time
}

// Status reads the state directory. The secret is not part of it.
func (s *State) Status() (Status, error) {
	id, err := s.LoadIdentity()
	if err != nil {
		return Status{}, err
	}
	id.Secret = ""
	st := Status{Identity: id, Queued: s.queued(), Tasks: len(s.loadTasks())}
	if a := s.loadAcked(); a != nil {
		st.InventoryAt, st.InventoryHash, st.FullAt = a.Inventory.CollectedAt, a.Hash, a.FullAt
	}
	ind := s.loadIndicators()
	st.Indicators, st.IndicatorsAt = len(ind.Indicators), ind.FetchedAt
	return st, nil
}
