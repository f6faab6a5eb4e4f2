package health

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// A check vouches for the interval that follows it: the target was up (or
// down) from the check until the next one is due. That time is added to
// the hour rows it falls in (split at the hour), so an hour holds at most
// an hour of up and down time and the rest of it is unknown — the hub was
// not running, or not checking. Uptime is up / (up + down) over the known
// time, and the unknown time is reported beside it, never counted as up.

// vouch splits [at, at+d) at hour boundaries: the start of each hour and
// the microseconds of the span in it.
func vouch(at time.Time, d time.Duration) (hours []int64, us []int64) {
	start, end := at.UnixMicro(), at.Add(d).UnixMicro()
	const hour = int64(time.Hour / time.Microsecond)
	for t := start; t < end; {
		h := t - t%hour
		next := min(h+hour, end)
		hours = append(hours, h)
		us = append(us, next-t)
		t = next
	}
	return hours, us
}

// Record stores a check of probe p: the result, the time it vouches for,
// the probe's last state; a probe failing for longer than its threshold
// begins a down episode (one alert), a probe answering again ends it.
func (s *Service) Record(ctx context.Context, p *Probe, r Result) error {
	var begun, ended *episode
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var downSince int64
		if err := tx.QueryRow(ctx, `SELECT down_since FROM health_probes WHERE id = ?`, p.ID).Scan(&downSince); err != nil {
			if store.IsNoRows(err) {
				return nil // deleted while it was checked
			}
			return fmt.Errorf("health: record probe %d: %w", p.ID, err)
		}
		at := store.Micros(r.At)
		lat := r.Latency.Microseconds()
		if _, err := tx.Exec(ctx, `INSERT INTO health_probe_results (probe_id, at, ok, latency_us, error_kind, error) VALUES (?, ?, ?, ?, ?, ?)`,
			p.ID, at, r.OK, lat, r.ErrKind, r.Error); err != nil {
			return fmt.Errorf("health: record probe %d: %w", p.ID, err)
		}
		hours, spans := vouch(r.At, p.Interval())
		for i, h := range hours {
			checks, failures, up, down, latSum, latMax := 0, 0, int64(0), int64(0), int64(0), int64(0)
			if i == 0 {
				checks = 1
				if r.OK {
					latSum, latMax = lat, lat
				} else {
					failures = 1
				}
			}
			if r.OK {
				up = spans[i]
			} else {
				down = spans[i]
			}
			if err := addHour(ctx, tx, p.ID, h, checks, failures, up, down, latSum, latMax); err != nil {
				return err
			}
		}
		switch {
		case r.OK:
			downSince = 0
		case downSince == 0:
			downSince = at
		}
		if _, err := tx.Exec(ctx, `UPDATE health_probes SET last_at = ?, last_ok = ?, last_latency_us = ?, last_error_kind = ?, last_error = ?, down_since = ? WHERE id = ?`,
			at, r.OK, lat, r.ErrKind, r.Error, downSince, p.ID); err != nil {
			return fmt.Errorf("health: record probe %d: %w", p.ID, err)
		}
		subject := strconv.FormatInt(p.ID, 10)
		if r.OK {
			var err error
			ended, err = endEpisode(ctx, tx, "probe", subject, at, "answering again")
			return err
		}
		if store.Time(downSince).Add(p.DownAfter()).After(r.At) {
			return nil
		}
		root, err := rootUnit(ctx, tx)
		if err != nil {
			return err
		}
		begun, err = beginEpisode(ctx, tx, episode{Kind: "probe", Subject: subject, UnitID: root, Title: p.Name, StartedAt: store.Time(downSince),
			Detail: r.ErrKind + ": " + r.Error}, at)
		return err
	})
	if err != nil {
		return err
	}
	if begun != nil {
		s.raise(ctx, alerts.Match{RuleID: RuleProbeDown, RuleTitle: "Connection to the national monitoring center down: " + p.Name, Level: "high",
			UnitID: begun.UnitID, Key: "probe:" + begun.Subject, Time: begun.StartedAt})
	}
	if ended != nil {
		s.recovered(ctx, ended)
	}
	return nil
}

func addHour(ctx context.Context, tx *store.Tx, probeID, hour int64, checks, failures int, up, down, latSum, latMax int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO health_probe_hours (probe_id, hour, checks, failures, up_us, down_us, latency_sum_us, latency_max_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (probe_id, hour) DO UPDATE SET checks = health_probe_hours.checks + excluded.checks,
			failures = health_probe_hours.failures + excluded.failures, up_us = health_probe_hours.up_us + excluded.up_us,
			down_us = health_probe_hours.down_us + excluded.down_us, latency_sum_us = health_probe_hours.latency_sum_us + excluded.latency_sum_us,
			latency_max_us = CASE WHEN excluded.latency_max_us > health_probe_hours.latency_max_us THEN excluded.latency_max_us ELSE health_probe_hours.latency_max_us END`,
		probeID, hour, checks, failures, up, down, latSum, latMax)
	if err != nil {
		return fmt.Errorf("health: roll up probe %d: %w", probeID, err)
	}
	return nil
}

// Uptime is a probe's record over a period.
type Uptime struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Up, Down and Unknown are seconds of the period; they add up to it.
	Up      float64 `json:"up_seconds"`
	Down    float64 `json:"down_seconds"`
	Unknown float64 `json:"unknown_seconds"`
	// Percent is Up / (Up + Down) × 100; nil when no time is known.
	Percent  *float64 `json:"percent"`
	Checks   int      `json:"checks"`
	Failures int      `json:"failures"`
}

// Known is the share of the period some check vouches for, in percent.
func (u *Uptime) Known() float64 {
	total := u.Up + u.Down + u.Unknown
	if total == 0 {
		return 0
	}
	return 100 * (u.Up + u.Down) / total
}

// Bucket is a stretch of a probe's history (an hour or a day).
type Bucket struct {
	Uptime
	LatencyAvgMS float64 `json:"latency_avg_ms"`
	LatencyMaxMS float64 `json:"latency_max_ms"`
}

// History is a probe's uptime over a period and, bucket by bucket, its
// course.
type History struct {
	Probe   *Probe    `json:"probe"`
	Uptime  Uptime    `json:"uptime"`
	Step    string    `json:"step"` // "hour" or "day"
	Buckets []*Bucket `json:"buckets"`
}

// MaxHistory is the longest period one history covers.
const MaxHistory = 400 * 24 * time.Hour

// ProbeHistory returns probe id's uptime from from to to, in hours when
// the period is at most eight days, in days (Vietnam's) otherwise.
func (s *Service) ProbeHistory(ctx context.Context, id int64, from, to time.Time) (*History, error) {
	p, err := s.GetProbe(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if to.IsZero() || to.After(now) {
		to = now
	}
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	if !from.Before(to) {
		return nil, errs.Invalid("since", "must be before the end of the period")
	}
	if to.Sub(from) > MaxHistory {
		return nil, errs.Invalid("since", "the period may be at most %d days", int(MaxHistory/(24*time.Hour)))
	}
	from = from.Truncate(time.Hour)
	h := &History{Probe: p, Step: "hour"}
	// Bucket edges: every hour, or every Vietnamese midnight.
	var edges []time.Time
	if to.Sub(from) <= 8*24*time.Hour {
		for t := from; t.Before(to); t = t.Add(time.Hour) {
			edges = append(edges, t)
		}
	} else {
		h.Step = "day"
		l := from.In(i18n.Location)
		for t := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, i18n.Location); t.Before(to); t = t.AddDate(0, 0, 1) {
			if t.Before(from) {
				edges = append(edges, from)
			} else {
				edges = append(edges, t)
			}
		}
	}
	edges = append(edges, to)
	for i := 0; i+1 < len(edges); i++ {
		h.Buckets = append(h.Buckets, &Bucket{Uptime: Uptime{From: edges[i].UTC(), To: edges[i+1].UTC()}})
	}
	rows, err := s.DB.Query(ctx, `SELECT hour, checks, failures, up_us, down_us, latency_sum_us, latency_max_us FROM health_probe_hours
		WHERE probe_id = ? AND hour >= ? AND hour < ? ORDER BY hour`, id, store.Micros(from), store.Micros(to))
	if err != nil {
		return nil, fmt.Errorf("health: probe %d history: %w", id, err)
	}
	defer rows.Close()
	latSums := make([]int64, len(h.Buckets))
	b := 0
	for rows.Next() {
		var hour, up, down, latSum, latMax int64
		var checks, failures int
		if err := rows.Scan(&hour, &checks, &failures, &up, &down, &latSum, &latMax); err != nil {
			return nil, err
		}
		start := store.Time(hour)
		for b+1 < len(h.Buckets) && !start.Before(h.Buckets[b].To) {
			b++
		}
		// An hour holds at most what of it has passed; more (checks
		// closer together than their interval) is scaled down.
		end := start.Add(time.Hour)
		if end.After(to) {
			end = to
		}
		span := end.Sub(start).Seconds()
		upS, downS := float64(up)/1e6, float64(down)/1e6
		// The hour the period ends in holds what the last check vouches
		// for beyond the end (the end is now, and the next check is still
		// ahead): take that off the last check's state.
		if !to.Before(start) && to.Before(start.Add(time.Hour)) && !p.LastAt.After(to) {
			ahead := p.LastAt.Add(p.Interval())
			if ahead.After(start.Add(time.Hour)) {
				ahead = start.Add(time.Hour)
			}
			if fut := ahead.Sub(to).Seconds(); fut > 0 {
				if p.LastOK {
					upS -= min(fut, upS)
				} else {
					downS -= min(fut, downS)
				}
			}
		}
		if k := upS + downS; k > span && k > 0 {
			upS, downS = upS*span/k, downS*span/k
		}
		bk := h.Buckets[b]
		bk.Up += upS
		bk.Down += downS
		bk.Checks += checks
		bk.Failures += failures
		latSums[b] += latSum
		bk.LatencyMaxMS = max(bk.LatencyMaxMS, float64(latMax)/1000)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	h.Uptime = Uptime{From: from.UTC(), To: to.UTC()}
	for i, bk := range h.Buckets {
		bk.Unknown = max(0, bk.To.Sub(bk.From).Seconds()-bk.Up-bk.Down)
		bk.Percent = percent(bk.Up, bk.Down)
		if ok := bk.Checks - bk.Failures; ok > 0 {
			bk.LatencyAvgMS = float64(latSums[i]) / float64(ok) / 1000
		}
		h.Uptime.Up += bk.Up
		h.Uptime.Down += bk.Down
		h.Uptime.Unknown += bk.Unknown
		h.Uptime.Checks += bk.Checks
		h.Uptime.Failures += bk.Failures
	}
	h.Uptime.Percent = percent(h.Uptime.Up, h.Uptime.Down)
	return h, nil
}

func percent(up, down float64) *float64 {
	if up+down <= 0 {
		return nil
	}
	v := 100 * up / (up + down)
	return &v
}

// ProbeResults returns a page of probe id's single checks, newest first.
func (s *Service) ProbeResults(ctx context.Context, id int64, offset, limit int) ([]*Result, int, error) {
	if _, err := s.GetProbe(ctx, id); err != nil {
		return nil, 0, err
	}
	l := store.NewList("id DESC", limit, 100).Where("probe_id = ?", id).Skip(offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT at, ok, latency_us, error_kind, error`, ` FROM health_probe_results`,
		func(sc store.Scanner) (*Result, error) {
			var r Result
			var at, lat int64
			if err := sc.Scan(&at, &r.OK, &lat, &r.ErrKind, &r.Error); err != nil {
				return nil, err
			}
			r.At, r.Latency = store.Time(at), time.Duration(lat)*time.Microsecond
			r.LatencyMS = float64(lat) / 1000
			return &r, nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("health: probe %d results: %w", id, err)
	}
	return out, total, nil
}

// Prune drops single checks older than ResultRetention and hour rows
// older than HourRetention (a job).
func (s *Service) Prune(ctx context.Context) error {
	keep, keepHours := s.ResultRetention, s.HourRetention
	if keep == 0 {
		keep = 3 * 24 * time.Hour
	}
	if keepHours == 0 {
		keepHours = 400 * 24 * time.Hour
	}
	now := s.now()
	if _, err := s.DB.Exec(ctx, `DELETE FROM health_probe_results WHERE at < ?`, store.Micros(now.Add(-keep))); err != nil {
		return fmt.Errorf("health: prune results: %w", err)
	}
	if _, err := s.DB.Exec(ctx, `DELETE FROM health_probe_hours WHERE hour < ?`, store.Micros(now.Add(-keepHours))); err != nil {
		return fmt.Errorf("health: prune hours: %w", err)
	}
	if _, err := s.DB.Exec(ctx, `DELETE FROM health_episodes WHERE ended_at <> 0 AND ended_at < ?`, store.Micros(now.Add(-keepHours))); err != nil {
		return fmt.Errorf("health: prune episodes: %w", err)
	}
	return nil
}
