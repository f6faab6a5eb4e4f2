package health

import (
	"context"
	"fmt"
	"sync"
	"time"

	"vigil/internal/store"
)

// RunProbes checks every enabled probe on its interval until ctx ends.
// Each run of a probe is claimed by moving its next_at forward only if it
// still holds the value read, so hub processes sharing a database check a
// probe once per interval between them.
func (s *Service) RunProbes(ctx context.Context) {
	const maxParallel = 8
	sem := make(chan struct{}, maxParallel)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		wait, err := s.dispatch(ctx, func(p *Probe) {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				r := Check(ctx, p, s.RootCAs)
				if ctx.Err() != nil {
					return // stopping: a check cut short proves nothing
				}
				if err := s.Record(context.WithoutCancel(ctx), p, r); err != nil {
					s.logger().Error("health probe not recorded", "probe", p.Name, "err", err)
				}
			}()
		})
		if err != nil && ctx.Err() == nil {
			s.logger().Warn("health probes", "err", err)
			wait = 5 * time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// dispatch claims and starts the probes that are due, and says how long
// until the next one is (at most a few seconds, so new probes start soon).
func (s *Service) dispatch(ctx context.Context, start func(*Probe)) (time.Duration, error) {
	now := s.now()
	rows, err := s.DB.Query(ctx, probeCols+` FROM health_probes WHERE enabled ORDER BY next_at`)
	if err != nil {
		return 0, fmt.Errorf("health: due probes: %w", err)
	}
	var probes []*Probe
	for rows.Next() {
		p, err := s.scanProbe(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		probes = append(probes, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	wait := 2 * time.Second
	for _, p := range probes {
		due := store.Time(p.nextAt)
		if p.nextAt > 0 && due.After(now) {
			wait = min(wait, due.Sub(now))
			continue
		}
		// The next run is an interval after this one was due (no drift),
		// or after now when the hub was away for longer.
		next := due.Add(p.Interval())
		if p.nextAt == 0 || next.Before(now) {
			next = now.Add(p.Interval())
		}
		res, err := s.DB.Exec(ctx, `UPDATE health_probes SET next_at = ? WHERE id = ? AND next_at = ?`, store.Micros(next), p.ID, p.nextAt)
		if err != nil {
			return 0, fmt.Errorf("health: claim probe %d: %w", p.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			start(p)
		}
	}
	return max(wait, 50*time.Millisecond), nil
}

// CheckNow runs probe id once at once and records the result (the page's
// "check now"; administrators only).
func (s *Service) CheckNow(ctx context.Context, id int64) (*Result, error) {
	if _, err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	p, err := s.probe(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	r := Check(ctx, p, s.RootCAs)
	if err := s.Record(ctx, p, r); err != nil {
		return nil, err
	}
	return &r, nil
}
