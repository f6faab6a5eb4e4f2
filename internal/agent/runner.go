package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"slices"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/agent/scan"
	"vigil/internal/asset"
	"vigil/internal/detect/ioc"
)

// Runner is `vigil agent run`: it heartbeats, keeps the hub's copy of the
// inventory current (full at start and every FullEvery, changes in
// between), runs the tasks the hub hands out, and rides out hub outages by
// keeping results on disk and retrying with exponential backoff and jitter.
type Runner struct {
	State  *State
	Client *Client
	// Collect returns the current inventory; nil uses a Collector with
	// the state directory's hash cache.
	Collect func(ctx context.Context) (*asset.Inventory, error)
	Log     *slog.Logger

	Heartbeat      time.Duration // default 1m
	InventoryEvery time.Duration // how often to collect and send changes; default 15m
	FullEvery      time.Duration // default 6h
	BackoffMin     time.Duration // default 5s
	BackoffMax     time.Duration // default 15m
	ProgressEvery  time.Duration // scan progress reports; default 30s
	ScanWorkers    int           // default 1: a scan task uses one core at most

	// The run's state, owned by the loop goroutine.
	acked       *ackedInventory
	pending     *asset.Inventory // collected, not yet accepted
	lastCollect time.Time
	forceFull   bool
	failures    int
	tasks       []agentapi.Task // accepted, not finished; tasks[0] may be running
	running     string          // id of the task in progress
	done        chan taskDone
	seen        map[string]bool // task ids accepted in this run
	hashes      *HashCache
}

type taskDone struct {
	id     string
	result agentapi.TaskResult
}

func (r *Runner) defaults() {
	if r.Heartbeat <= 0 {
		r.Heartbeat = time.Minute
	}
	if r.InventoryEvery <= 0 {
		r.InventoryEvery = 15 * time.Minute
	}
	if r.FullEvery <= 0 {
		r.FullEvery = 6 * time.Hour
	}
	if r.BackoffMin <= 0 {
		r.BackoffMin = 5 * time.Second
	}
	if r.BackoffMax <= 0 {
		r.BackoffMax = 15 * time.Minute
	}
	if r.ProgressEvery <= 0 {
		r.ProgressEvery = 30 * time.Second
	}
	if r.ScanWorkers <= 0 {
		r.ScanWorkers = 1
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	if r.Collect == nil {
		r.hashes = LoadHashCache(r.State.path(hashesFile))
		col := &Collector{Version: r.Client.Version, Hashes: r.hashes}
		r.Collect = col.Collect
	}
}

// Run loops until ctx is done. It returns nil on cancellation.
func (r *Runner) Run(ctx context.Context) error {
	r.defaults()
	r.acked = r.State.loadAcked()
	// A full inventory at every start: the hub may have been restored, and
	// a restart is rare enough that the bytes do not matter.
	r.forceFull = true
	r.tasks = r.State.loadTasks()
	r.seen = map[string]bool{}
	for _, t := range r.tasks {
		r.seen[t.ID] = true
	}
	r.done = make(chan taskDone, 1)
	// What the binary's other packages allocated at start (the hub shares
	// it) is garbage for the agent; hand it back to the OS now, and after
	// each round, so the idle resident set stays small.
	debug.FreeOSMemory()
	r.Log.Info("agent running", "server", r.Client.Server, "agent_id", r.Client.AgentID, "queued", r.State.queued(), "tasks", len(r.tasks))

	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			r.Log.Info("agent stopping")
			return nil
		case d := <-r.done:
			r.finishTask(d)
			// Send the result now rather than at the next heartbeat.
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			timer.Reset(0)
			continue
		case <-timer.C:
		}
		collected := r.lastCollect
		wait := r.cycle(ctx)
		if r.lastCollect != collected {
			debug.FreeOSMemory() // a collection's garbage is megabytes
			trimWorkingSet()
		}
		timer.Reset(wait)
	}
}

// cycle is one round: heartbeat, inventory if due, queued results, next
// task. It returns how long to wait before the next round: the heartbeat
// interval, or the backoff after a failure.
func (r *Runner) cycle(ctx context.Context) time.Duration {
	err := r.round(ctx)
	if err == nil {
		if r.failures > 0 {
			r.Log.Info("hub reachable again", "after_failures", r.failures)
		}
		r.failures = 0
		r.startTask(ctx)
		return jitter(r.Heartbeat, 0.1)
	}
	if ctx.Err() != nil {
		return 0
	}
	r.failures++
	wait := backoff(r.BackoffMin, r.BackoffMax, r.failures)
	r.Log.Warn("hub request failed; will retry", "err", err, "failures", r.failures, "retry_in", wait.Round(time.Millisecond))
	r.startTask(ctx) // scans run offline too; results wait in the queue
	return wait
}

// backoff is min(max, base*2^(n-1)) with "equal jitter": half fixed, half
// random, so agents that lost the hub together do not return together.
func backoff(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// jitter spreads d by ±frac.
func jitter(d time.Duration, frac float64) time.Duration {
	f := 1 + frac*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

// authRetry reports whether an error should keep the message for a later
// round: the hub is unreachable, or it refused our credentials (a hub
// restored from backup, a clock problem) and an operator may fix it.
func authRetry(err error) bool {
	s := StatusOf(err)
	return Retryable(err) || s == http.StatusUnauthorized || s == http.StatusForbidden
}

func (r *Runner) round(ctx context.Context) error {
	hb := agentapi.HeartbeatRequest{AgentVersion: r.Client.Version, Queued: r.State.queued(), Running: r.running}
	if r.acked != nil {
		hb.InventoryHash = r.acked.Hash
	}
	resp, err := r.Client.Heartbeat(ctx, hb)
	if err != nil {
		if StatusOf(err) == http.StatusUnauthorized {
			r.Log.Error("the hub refused this agent's credentials; it may have been revoked (enroll again)", "agent_id", r.Client.AgentID)
		}
		return err
	}
	if resp.FullInventory {
		// A hub that keeps disagreeing (a bug, a proxy mangling bodies)
		// must not get a full inventory every minute: at most one per
		// inventory interval on its say-so.
		if r.acked == nil || time.Since(r.acked.FullAt) >= r.InventoryEvery {
			r.forceFull = true
		} else {
			r.Log.Debug("hub asked for a full inventory again; waiting for the next interval")
		}
	}
	r.accept(resp.Tasks)
	if err := r.syncInventory(ctx); err != nil {
		return err
	}
	return r.State.flush(
		func(m queuedMessage) error {
			if m.ScanReport != nil {
				_, err := r.Client.ScanReport(ctx, *m.ScanReport)
				return err
			}
			return r.Client.TaskResult(ctx, m.TaskID, m.Result)
		},
		func(m queuedMessage, err error) {
			if m.ScanReport != nil {
				r.Log.Warn("hub refused a scan report; dropped", "report", m.ScanReport.ID, "err", err)
				return
			}
			r.Log.Warn("hub refused a task result; dropped", "task", m.TaskID, "err", err)
		})
}

// accept adds new tasks and persists the list.
func (r *Runner) accept(tasks []agentapi.Task) {
	changed := false
	var done map[string]bool
	for _, t := range tasks {
		if t.ID == "" || r.seen[t.ID] {
			continue
		}
		if done == nil {
			done = r.State.queuedTaskIDs()
		}
		if done[t.ID] {
			r.seen[t.ID] = true // finished before a restart; the result is on its way
			continue
		}
		r.seen[t.ID] = true
		switch t.Kind {
		case agentapi.TaskInventory:
			r.forceFull = true
			_ = r.State.enqueue(queuedMessage{TaskID: t.ID, Result: agentapi.TaskResult{Status: agentapi.StatusDone}})
			continue
		case agentapi.TaskScan:
			if t.Scan == nil || len(t.Scan.Paths) == 0 && t.Scan.Processes != nil && !*t.Scan.Processes && t.Scan.Connections != nil && !*t.Scan.Connections {
				_ = r.State.enqueue(queuedMessage{TaskID: t.ID, Result: agentapi.TaskResult{Status: agentapi.StatusFailed, Error: "scan task without parameters"}})
				continue
			}
		default:
			_ = r.State.enqueue(queuedMessage{TaskID: t.ID, Result: agentapi.TaskResult{Status: agentapi.StatusFailed, Error: fmt.Sprintf("this agent does not know task kind %q", t.Kind)}})
			continue
		}
		r.Log.Info("task accepted", "task", t.ID, "kind", t.Kind)
		r.tasks = append(r.tasks, t)
		changed = true
	}
	if changed {
		if err := r.State.saveTasks(r.tasks); err != nil {
			r.Log.Error("save tasks", "err", err)
		}
	}
}

// syncInventory collects when due and sends a full inventory or the
// changes since the last accepted one.
func (r *Runner) syncInventory(ctx context.Context) error {
	now := time.Now()
	full := r.forceFull || r.acked == nil || now.Sub(r.acked.FullAt) >= r.FullEvery
	if r.pending == nil && (full || now.Sub(r.lastCollect) >= r.InventoryEvery) {
		inv, err := r.Collect(ctx)
		if err != nil {
			r.Log.Error("collect inventory", "err", err)
			return nil // not the hub's fault; try at the next interval
		}
		r.lastCollect = now
		inv.Normalize()
		r.pending = inv
		if r.hashes != nil {
			if err := r.hashes.Save(r.State.path(hashesFile)); err != nil {
				r.Log.Debug("save hash cache", "err", err)
			}
		}
	}
	if r.pending == nil {
		return nil
	}
	inv := r.pending
	if !full {
		d := asset.MakeDelta(r.acked.Inventory, inv)
		if d.Empty() {
			r.pending = nil
			return nil
		}
		resp, err := r.Client.Inventory(ctx, agentapi.InventoryRequest{Full: false, Changes: d})
		switch {
		case err == nil:
			return r.acceptInventory(inv, resp.Hash, false)
		case StatusOf(err) == http.StatusConflict:
			r.Log.Info("hub holds another inventory than this agent's last; sending a full one")
		case StatusOf(err) == http.StatusBadRequest || StatusOf(err) == http.StatusRequestEntityTooLarge:
			r.Log.Error("hub refused the inventory changes; sending a full inventory", "err", err)
		default:
			return err
		}
	}
	resp, err := r.Client.Inventory(ctx, agentapi.InventoryRequest{Full: true, Inventory: inv})
	if err != nil {
		if s := StatusOf(err); s == http.StatusBadRequest || s == http.StatusRequestEntityTooLarge {
			// Retrying the same document cannot help; try a fresh one at
			// the next interval.
			r.Log.Error("hub refused the inventory", "err", err)
			r.pending = nil
			return nil
		}
		return err
	}
	return r.acceptInventory(inv, resp.Hash, true)
}

func (r *Runner) acceptInventory(inv *asset.Inventory, hubHash string, full bool) error {
	h := inv.Hash()
	if hubHash != "" && hubHash != h {
		r.Log.Warn("hub's inventory hash differs from the agent's; next inventory is full", "hub", hubHash, "agent", h)
		r.forceFull = true
	} else {
		r.forceFull = false
	}
	a := &ackedInventory{Hash: h, Inventory: inv}
	if full {
		a.FullAt = time.Now().UTC()
	} else if r.acked != nil {
		a.FullAt = r.acked.FullAt
	}
	r.acked = a
	r.pending = nil
	if err := r.State.saveAcked(a); err != nil {
		r.Log.Error("save inventory state", "err", err)
	}
	r.Log.Info("inventory sent", "full", full, "software", len(inv.Software), "hash", h[:12])
	return nil
}

// startTask starts the next accepted task if none is running.
func (r *Runner) startTask(ctx context.Context) {
	if r.running != "" || len(r.tasks) == 0 {
		return
	}
	t := r.tasks[0]
	r.running = t.ID
	set, err := r.indicators(ctx)
	if err != nil {
		// Without indicators a scan only counts files; wait for the hub.
		r.Log.Warn("cannot fetch indicators; scan postponed", "task", t.ID, "err", err)
		r.running = ""
		return
	}
	go func() {
		res := r.runScan(ctx, t, set)
		select {
		case r.done <- taskDone{t.ID, res}:
		case <-ctx.Done():
		}
	}()
}

// indicators refreshes the local indicator copy from the hub (changes
// since the last cursor) and returns the set to scan with.
func (r *Runner) indicators(ctx context.Context) (*ioc.Set, error) {
	st := r.State.loadIndicators()
	resp, err := r.Client.Indicators(ctx, st.Cursor)
	if err != nil {
		if st.FetchedAt.IsZero() {
			return nil, err
		}
		r.Log.Warn("indicators not refreshed; using the local copy", "fetched_at", st.FetchedAt, "err", err)
		return r.indicatorSet(st), nil
	}
	st.merge(resp, time.Now().UTC())
	if err := r.State.writeJSON(indicatorsFile, st); err != nil {
		r.Log.Error("save indicators", "err", err)
	}
	return r.indicatorSet(st), nil
}

func (r *Runner) indicatorSet(st *indicatorStore) *ioc.Set {
	set, skipped := st.set()
	if skipped > 0 {
		r.Log.Warn("indicators of unknown types or with bad values skipped", "skipped", skipped, "kept", set.Len())
	}
	return set
}

func (r *Runner) runScan(ctx context.Context, t agentapi.Task, set *ioc.Set) agentapi.TaskResult {
	p := t.Scan
	opts := ScanOptions{
		Options: scan.Options{Paths: p.Paths, MaxSize: p.MaxSize, Workers: r.ScanWorkers, Indicators: set,
			ProgressEvery: r.ProgressEvery,
			Progress: func(pr scan.Progress) {
				// Progress is best effort and not queued.
				pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				_ = r.Client.TaskResult(pctx, t.ID, agentapi.TaskResult{Status: agentapi.StatusRunning, Progress: &pr})
			}},
		SkipProcesses:   p.Processes != nil && !*p.Processes,
		SkipConnections: p.Connections != nil && !*p.Connections,
		Hashes:          r.hashes,
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = 100 << 20
	}
	r.Log.Info("scan started", "task", t.ID, "paths", p.Paths)
	rep, err := Review(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return agentapi.TaskResult{} // stopping: the task stays for the next start
		}
		return agentapi.TaskResult{Status: agentapi.StatusFailed, Error: err.Error(), Report: rep}
	}
	r.Log.Info("scan finished", "task", t.ID, "files", rep.Files, "findings", len(rep.Findings))
	return agentapi.TaskResult{Status: agentapi.StatusDone, Report: rep}
}

func (r *Runner) finishTask(d taskDone) {
	r.running = ""
	if d.result.Status == "" {
		return
	}
	if err := r.State.enqueue(queuedMessage{TaskID: d.id, Result: d.result}); err != nil {
		r.Log.Error("queue task result", "task", d.id, "err", err)
	}
	r.tasks = slices.DeleteFunc(r.tasks, func(t agentapi.Task) bool { return t.ID == d.id })
	if err := r.State.saveTasks(r.tasks); err != nil {
		r.Log.Error("save tasks", "err", err)
	}
}

// Enroll registers this host with the hub and saves the identity.
func Enroll(ctx context.Context, st *State, c *Client, token string, inv *asset.Inventory) (Identity, error) {
	if _, err := st.LoadIdentity(); err == nil {
		return Identity{}, fmt.Errorf("agent: %s already holds an identity; remove it to enroll again", st.path(identityFile))
	} else if !errors.Is(err, ErrNotEnrolled) {
		return Identity{}, err
	}
	resp, err := c.Enroll(ctx, token, inv.Hostname, inv)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{Server: c.Server, AgentID: resp.AgentID, Secret: resp.Secret, Hostname: inv.Hostname, EnrolledAt: time.Now().UTC()}
	if err := st.SaveIdentity(id); err != nil {
		return Identity{}, err
	}
	// The enrolment carried a full inventory: it is the hub's copy now.
	inv.Normalize()
	_ = st.saveAcked(&ackedInventory{Hash: inv.Hash(), FullAt: id.EnrolledAt, Inventory: inv})
	return id, nil
}
