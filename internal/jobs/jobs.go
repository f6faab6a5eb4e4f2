// Package jobs runs the hub's periodic background work. Several hub
// processes may share one PostgreSQL; each run of a job is claimed by
// inserting (job, time slot) into job_runs, which only one process can do,
// so no job runs twice for the same slot.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"vigil/internal/store"
)

// Job is periodic work.
type Job struct {
	Name  string
	Every time.Duration
	Run   func(ctx context.Context) error
}

// Scheduler runs jobs on their period.
type Scheduler struct {
	DB     *store.DB
	Logger *slog.Logger
	Holder string // identifies this process in job_runs
	jobs   []Job
}

// New returns a scheduler for db.
func New(db *store.DB, logger *slog.Logger) *Scheduler {
	host, _ := os.Hostname()
	return &Scheduler{DB: db, Logger: logger, Holder: host + ":" + strconv.Itoa(os.Getpid())}
}

// Add registers a job.
func (s *Scheduler) Add(j Job) { s.jobs = append(s.jobs, j) }

// Claim tries to take the run of job name for the slot containing t. It
// reports whether this process won it.
func (s *Scheduler) Claim(ctx context.Context, name string, every time.Duration, t time.Time) (bool, error) {
	slot := t.UnixMicro() / every.Microseconds()
	res, err := s.DB.Exec(ctx, `INSERT INTO job_runs (name, slot, holder, started_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		name, slot, s.Holder, store.Now())
	if err != nil {
		return false, fmt.Errorf("jobs: claim %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

func (s *Scheduler) finish(ctx context.Context, name string, every time.Duration, t time.Time, runErr error) {
	slot := t.UnixMicro() / every.Microseconds()
	msg := ""
	if runErr != nil {
		msg = runErr.Error()
	}
	s.DB.Exec(ctx, `UPDATE job_runs SET finished_at = ?, error = ? WHERE name = ? AND slot = ?`, store.Now(), msg, name, slot)
}

// Start runs every job on its period until ctx ends; Wait blocks until the
// running jobs have returned.
func (s *Scheduler) Start(ctx context.Context) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, j := range s.jobs {
		wg.Add(1)
		go func(j Job) {
			defer wg.Done()
			s.loop(ctx, j)
		}(j)
	}
	return &wg
}

func (s *Scheduler) loop(ctx context.Context, j Job) {
	for {
		now := time.Now()
		// Wake at the start of the next slot (plus a little spread so hubs
		// do not stampede the claim).
		next := now.Truncate(j.Every).Add(j.Every).Add(time.Duration(now.UnixNano()%1000) * time.Millisecond)
		s.tick(ctx, j, now)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
	}
}

func (s *Scheduler) tick(ctx context.Context, j Job, now time.Time) {
	won, err := s.Claim(ctx, j.Name, j.Every, now)
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Warn("job claim failed", "job", j.Name, "err", err)
		}
		return
	}
	if !won {
		return
	}
	err = j.Run(ctx)
	s.finish(context.WithoutCancel(ctx), j.Name, j.Every, now, err)
	if err != nil {
		s.Logger.Warn("job failed", "job", j.Name, "err", err)
	}
}

// Prune deletes job_runs rows older than keep (itself a job).
func (s *Scheduler) Prune(ctx context.Context, keep time.Duration) error {
	_, err := s.DB.Exec(ctx, `DELETE FROM job_runs WHERE started_at < ?`, time.Now().Add(-keep).UnixMicro())
	return err
}
