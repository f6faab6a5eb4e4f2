// Package watchlist turns published warning lists into work (issue 12):
// it matches a list against every unit's inventory (host addresses,
// hostnames, accounts, executable hashes) and, over a number of days,
// against stored alert events; it stores each match once per (indicator,
// object); and it files findings of kind warning_list with the action the
// unit must take and a deadline, which a later clean scan or inventory
// verifies and closes.
package watchlist

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"vigil/internal/auth"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// Service matches published warning lists and keeps the clean-up queue.
type Service struct {
	DB     *store.DB
	Now    func() time.Time // for tests; time.Now when nil
	Logger *slog.Logger     // nil: slog.Default()

	mu      sync.Mutex
	running bool // a worker drains the queued runs
	again   bool // a run was queued while the worker was finishing
	cache   *matchSet
	holder  string
	// wg lets tests wait for the background worker (Wait).
	wg sync.WaitGroup
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) holderName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holder == "" {
		host, _ := os.Hostname()
		s.holder = host + ":" + strconv.Itoa(os.Getpid())
	}
	return s.holder
}

// Objects a warning-list indicator is seen on.
const (
	ObjectHostAddress = "host_address" // an address of the host (inventory or last seen)
	ObjectHostname    = "hostname"     // the host's name or FQDN
	ObjectAccount     = "account"      // a local account or a logged-on user
	ObjectFileHash    = "file_hash"    // the hash of a running executable
	ObjectAlert       = "alert"        // an event kept with a stored alert
)

// ObjectKinds lists the objects, in display order.
var ObjectKinds = []string{ObjectHostAddress, ObjectHostname, ObjectAccount, ObjectFileHash, ObjectAlert}

// Run statuses.
const (
	RunQueued  = "queued"
	RunRunning = "running"
	RunDone    = "done"
	RunFailed  = "failed"
)

// Run phases, in order.
const (
	PhaseIndicators = "indicators" // reading the list and building the set
	PhaseHosts      = "hosts"      // matching inventories
	PhaseAlerts     = "alerts"     // the retro-hunt over stored alert events
	PhaseFindings   = "findings"   // filing what was found
)

// Causes of a run.
const (
	CausePublish   = "publish"   // the list was published
	CauseInventory = "inventory" // hosts' inventories changed (list 0: every published list)
	CauseRequest   = "request"   // someone asked for it again
)

// staleAfter is how long a running run may go without a heartbeat before
// another worker (or this one after a restart) takes it up again.
const staleAfter = 3 * time.Minute

// Start records a run matching the list and starts the background worker;
// it returns at once (intel.Service.OnPublish calls it after the commit).
// A list already waiting for a run is not queued twice; a list being
// matched gets a second run after the first, for entries added meanwhile.
func (s *Service) Start(ctx context.Context, listID int64) error {
	by := "system"
	if p := auth.FromContext(ctx); p != nil {
		by = p.Email
	}
	if err := s.queue(ctx, listID, CausePublish, by); err != nil {
		return err
	}
	s.kick()
	return nil
}

func (s *Service) queue(ctx context.Context, listID int64, cause, by string) error {
	now := store.Micros(s.now())
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM watchlist_runs WHERE list_id = ? AND status = 'queued'`, listID).Scan(&n); err != nil {
		return fmt.Errorf("watchlist: queue run: %w", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := s.DB.Exec(ctx, `INSERT INTO watchlist_runs (list_id, cause, status, created_by, created_at) VALUES (?, ?, 'queued', ?, ?)`,
		listID, cause, by, now); err != nil {
		return fmt.Errorf("watchlist: queue run: %w", err)
	}
	return nil
}

// kick starts the worker unless one is running, in which case it looks
// again when it is done.
func (s *Service) kick() {
	s.mu.Lock()
	if s.running {
		s.again = true
		s.mu.Unlock()
		return
	}
	s.running = true
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		for {
			if _, err := s.RunPending(context.Background()); err != nil {
				s.logger().Error("watchlist: matching failed", "err", err)
			}
			s.mu.Lock()
			if !s.again {
				s.running = false
				s.mu.Unlock()
				return
			}
			s.again = false
			s.mu.Unlock()
		}
	}()
}

// Wait blocks until the background worker has no more work (tests).
func (s *Service) Wait() { s.wg.Wait() }

// RunPending runs every queued run, and every run a stopped worker left
// running, one at a time, and returns how many it ran. The hub calls it
// every minute (a restart resumes what was pending); Start calls it in the
// background.
func (s *Service) RunPending(ctx context.Context) (int, error) {
	n := 0
	for {
		id, listID, ok, err := s.claim(ctx)
		if err != nil || !ok {
			return n, err
		}
		n++
		if err := s.execute(ctx, id, listID); err != nil {
			s.logger().Error("watchlist: run failed", "run", id, "list", listID, "err", err)
		}
	}
}

// claim takes the oldest queued (or abandoned) run whose list no other
// worker is matching.
func (s *Service) claim(ctx context.Context) (id, listID int64, ok bool, err error) {
	now := s.now()
	stale := store.Micros(now.Add(-staleAfter))
	rows, err := s.DB.Query(ctx, `SELECT r.id, r.list_id FROM watchlist_runs r
		WHERE (r.status = 'queued' OR (r.status = 'running' AND r.heartbeat_at < ?))
		  AND NOT EXISTS (SELECT 1 FROM watchlist_runs o WHERE o.list_id = r.list_id AND o.id <> r.id AND o.status = 'running' AND o.heartbeat_at >= ?)
		ORDER BY r.id LIMIT 5`, stale, stale)
	if err != nil {
		return 0, 0, false, fmt.Errorf("watchlist: claim run: %w", err)
	}
	var cand [][2]int64
	for rows.Next() {
		var c [2]int64
		if err := rows.Scan(&c[0], &c[1]); err != nil {
			rows.Close()
			return 0, 0, false, err
		}
		cand = append(cand, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, false, err
	}
	holder := s.holderName()
	for _, c := range cand {
		res, err := s.DB.Exec(ctx, `UPDATE watchlist_runs SET status = 'running', holder = ?, started_at = ?, heartbeat_at = ?, finished_at = 0, error = ''
			WHERE id = ? AND (status = 'queued' OR (status = 'running' AND heartbeat_at < ?))`,
			holder, store.Micros(now), store.Micros(now), c[0], stale)
		if err != nil {
			return 0, 0, false, fmt.Errorf("watchlist: claim run: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 1 {
			return c[0], c[1], true, nil
		}
	}
	return 0, 0, false, nil
}

// requiredAction is the action a hit asks for when its entry names none
// (intel stores "" for an entry whose file gave no action), by what
// matched: an account (or one seen in an alert's events) → a password
// reset, or disabling it for an administrator account; a hash of a process found running → its
// removal; a host's own address or name, a contact with an address,
// domain, URL or e-mail, a hash seen in an alert's events → a full
// malware scan.
func requiredAction(kind, object string, admin bool) string {
	switch {
	case object == ObjectAccount || kind == format.KindAccount:
		if admin {
			return format.ActionDisableAccount
		}
		return format.ActionPasswordReset
	case object == ObjectFileHash:
		return format.ActionRemoval
	}
	return format.ActionScan
}
