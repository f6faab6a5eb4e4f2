package readiness

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/measure"
	"vigil/internal/store"
)

// target is a campaign's target unit.
type target struct {
	id         int64
	code, name string
	path       string
}

func (s *Service) targets(ctx context.Context, campaignID int64, cond string, args ...any) ([]*target, error) {
	rows, err := s.DB.Query(ctx, `SELECT u.id, u.code, u.name, u.path FROM readiness_campaign_units t JOIN units u ON u.id = t.unit_id
		WHERE t.campaign_id = ? AND `+cond+` ORDER BY u.path`, append([]any{campaignID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("readiness: target units: %w", err)
	}
	defer rows.Close()
	var out []*target
	for rows.Next() {
		var t target
		if err := rows.Scan(&t.id, &t.code, &t.name, &t.path); err != nil {
			return nil, err
		}
		out = append(out, &t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	treeOrder(out)
	return out, nil
}

// treeOrder sorts units depth first, siblings by code (T01 before T46,
// where the paths' ids would put /1/46/ before /1/5/): each unit's key is
// the codes along its path, ids standing in for ancestors not listed. A
// subtree stays one run after its root, which refresh relies on.
func treeOrder(units []*target) {
	code := make(map[string]string, len(units))
	for _, u := range units {
		code[strconv.FormatInt(u.id, 10)] = u.code
	}
	keys := make(map[*target][]string, len(units))
	for _, u := range units {
		var k []string
		for _, id := range strings.Split(strings.Trim(u.path, "/"), "/") {
			if c, ok := code[id]; ok {
				k = append(k, c)
			} else {
				k = append(k, fmt.Sprintf("%020s", id))
			}
		}
		keys[u] = k
	}
	slices.SortStableFunc(units, func(a, b *target) int { return slices.Compare(keys[a], keys[b]) })
}

// figure is a (num, den) pair.
type figure struct{ num, den float64 }

// RefreshResult says what a refresh computed.
type RefreshResult struct {
	Campaign int64         `json:"campaign"`
	Units    int           `json:"units"`
	Rows     int           `json:"rows"`
	Took     time.Duration `json:"-"`
	TookMS   int64         `json:"took_ms"`
	At       time.Time     `json:"at"`
}

// Refresh recomputes a campaign's snapshots from the providers, as the
// IT Center (the job runs as the system).
func (s *Service) Refresh(ctx context.Context, id int64) (*RefreshResult, error) {
	p, err := s.requireITCenter(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.load(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	res, err := s.refresh(ctx, c, true)
	if err != nil {
		return nil, err
	}
	if p.Via != "system" {
		err = audit.Log(ctx, s.DB, audit.Entry{Action: "readiness.refresh", ObjectType: "readiness_campaign", ObjectID: strconv.FormatInt(id, 10),
			After: map[string]any{"targets": res.Units}})
	}
	return res, err
}

// RefreshDue refreshes every campaign whose deadline is ahead (from the
// day it opens: units prepare before the period starts), and once more a
// campaign whose deadline passed since its last refresh (its final
// figures); the hub runs it every five minutes (wiring.go jobs()).
func (s *Service) RefreshDue(ctx context.Context) (int, error) {
	sys := auth.WithPrincipal(ctx, auth.System)
	now := store.Micros(s.now())
	rows, err := s.DB.Query(sys, `SELECT id FROM readiness_campaigns WHERE due_at > ? OR refreshed_at < due_at ORDER BY id`, now)
	if err != nil {
		return 0, fmt.Errorf("readiness: due campaigns: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		c, err := s.load(sys, s.DB, id)
		if err != nil {
			return n, err
		}
		if _, err := s.refresh(sys, c, true); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// samples asks every provider once for the keys of cs over the campaign's
// period; it returns key → unit → figure (dimensions summed).
func (s *Service) samples(ctx context.Context, c *Campaign, now time.Time) (map[string]map[int64]figure, error) {
	keys := map[string]bool{}
	for _, cr := range c.Criteria {
		if cr.Kind == KindMetric {
			keys[cr.Metric] = true
		}
	}
	out := map[string]map[int64]figure{}
	if len(keys) == 0 {
		return out, nil
	}
	// The deadline is the last microsecond of its day: the period is
	// [start, deadline], so [From, To) ends a microsecond later (whole
	// hours for the roster).
	req := measure.Request{From: c.StartsAt, To: c.DueAt.Add(time.Microsecond), Now: now, Keys: keys}
	sys := auth.WithPrincipal(ctx, auth.System)
	for _, p := range s.Providers {
		ss, err := p.Samples(sys, req)
		if err != nil {
			return nil, fmt.Errorf("readiness: samples from %T: %w", p, err)
		}
		for _, x := range ss {
			if !keys[x.Key] {
				continue
			}
			m := out[x.Key]
			if m == nil {
				m = map[int64]figure{}
				out[x.Key] = m
			}
			f := m[x.UnitID]
			f.num += x.Num
			f.den += x.Den
			m[x.UnitID] = f
		}
	}
	return out, nil
}

// snapshot is one stored row.
type snapshot struct {
	unitID    int64
	criterion string
	status    string
	since     time.Time
	has       bool
	num, den  float64
}

func (s *Service) snapshots(ctx context.Context, q store.Queryer, campaignID int64) (map[string]*snapshot, error) {
	rows, err := q.QueryContext(ctx, s.DB.Rebind(`SELECT unit_id, criterion, status, since, has_data, num, den FROM readiness_snapshots WHERE campaign_id = ?`), campaignID)
	if err != nil {
		return nil, fmt.Errorf("readiness: snapshots: %w", err)
	}
	defer rows.Close()
	out := map[string]*snapshot{}
	for rows.Next() {
		var x snapshot
		var since int64
		if err := rows.Scan(&x.unitID, &x.criterion, &x.status, &since, &x.has, &x.num, &x.den); err != nil {
			return nil, err
		}
		x.since = store.Time(since)
		out[snapKey(x.unitID, x.criterion)] = &x
	}
	return out, rows.Err()
}

func snapKey(unit int64, criterion string) string {
	return strconv.FormatInt(unit, 10) + "|" + criterion
}

// attestStates returns unit → criterion → state of a campaign.
func (s *Service) attestStates(ctx context.Context, q store.Queryer, campaignID int64) (map[int64]map[string]string, error) {
	rows, err := q.QueryContext(ctx, s.DB.Rebind(`SELECT unit_id, criterion, state FROM readiness_attestations WHERE campaign_id = ?`), campaignID)
	if err != nil {
		return nil, fmt.Errorf("readiness: attestations: %w", err)
	}
	defer rows.Close()
	out := map[int64]map[string]string{}
	for rows.Next() {
		var u int64
		var k, st string
		if err := rows.Scan(&u, &k, &st); err != nil {
			return nil, err
		}
		if out[u] == nil {
			out[u] = map[string]string{}
		}
		out[u][k] = st
	}
	return out, rows.Err()
}

func (s *Service) socUnit(ctx context.Context) (int64, error) {
	if s.SOCUnit == nil {
		return 0, nil
	}
	return s.SOCUnit(auth.WithPrincipal(ctx, auth.System))
}

// applies reports whether criterion c is measured for unit u.
func applies(c *Criterion, u int64, soc int64) bool { return !c.SOCOnly || (soc != 0 && u == soc) }

// refresh computes every (target unit, criterion) of c and stores the
// snapshots and today's history points. With metrics false, the metric
// criteria keep their stored figures (an attestation changed).
func (s *Service) refresh(ctx context.Context, c *Campaign, metrics bool) (*RefreshResult, error) {
	start := time.Now()
	now := s.now()
	units, err := s.targets(ctx, c.ID, "1=1")
	if err != nil {
		return nil, err
	}
	soc, err := s.socUnit(ctx)
	if err != nil {
		return nil, err
	}
	var data map[string]map[int64]figure
	if metrics {
		if data, err = s.samples(ctx, c, now); err != nil {
			return nil, err
		}
	}
	old, err := s.snapshots(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	attests, err := s.attestStates(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	// subtree[i] lists the target units under units[i] (itself included):
	// units are sorted by path, so a subtree is a run after its root.
	subtree := make([][]*target, len(units))
	for i, u := range units {
		for j := i; j < len(units) && strings.HasPrefix(units[j].path, u.path); j++ {
			subtree[i] = append(subtree[i], units[j])
		}
	}
	var rows []*snapshot
	for i, u := range units {
		for _, cr := range c.Criteria {
			if !applies(cr, u.id, soc) {
				continue
			}
			x := &snapshot{unitID: u.id, criterion: cr.Key}
			prev := old[snapKey(u.id, cr.Key)]
			switch {
			case cr.Kind == KindAttest:
				worst := ""
				for _, v := range subtree[i] {
					if !applies(cr, v.id, soc) {
						continue
					}
					st := attestStatus(attests[v.id][cr.Key], now, c.DueAt)
					x.den++
					if st == StatusMet {
						x.num++
					}
					worst = Worst(worst, st)
				}
				x.has, x.status = true, worst
			case !metrics:
				if prev == nil {
					x.status = cr.Evaluate(0, 0, false)
				} else {
					x.has, x.num, x.den, x.status = prev.has, prev.num, prev.den, prev.status
				}
			default:
				byUnit, has := data[cr.Metric]
				if has {
					if cr.OrgWide {
						for _, f := range byUnit {
							x.num += f.num
							x.den += f.den
						}
					} else {
						for _, v := range subtree[i] {
							f := byUnit[v.id]
							x.num += f.num
							x.den += f.den
						}
					}
				}
				x.has, x.status = has, cr.Evaluate(x.num, x.den, has)
			}
			x.since = now
			if prev != nil && prev.status == x.status {
				x.since = prev.since
			}
			rows = append(rows, x)
		}
	}
	day := now.In(i18n.Location).Format("2006-01-02")
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if tx.Dialect() == store.Postgres {
			// One refresh of a campaign at a time across hubs (the job and
			// the button): the second waits and replaces the first's rows
			// instead of colliding with them. SQLite has one writer anyway.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7326029, ?)`, int32(c.ID)); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM readiness_snapshots WHERE campaign_id = ?`, c.ID); err != nil {
			return err
		}
		ts := store.Micros(now)
		const batch = 100
		for i := 0; i < len(rows); i += batch {
			part := rows[i:min(i+batch, len(rows))]
			var sb strings.Builder
			args := make([]any, 0, 9*len(part))
			sb.WriteString(`INSERT INTO readiness_snapshots (campaign_id, unit_id, criterion, status, since, has_data, num, den, refreshed_at) VALUES `)
			for j, x := range part {
				if j > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, c.ID, x.unitID, x.criterion, x.status, store.Micros(x.since), x.has, x.num, x.den, ts)
			}
			if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
				return err
			}
		}
		if metrics {
			if err := s.writeHistory(ctx, tx, c, rows, day); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE readiness_campaigns SET refreshed_at = ? WHERE id = ?`, ts, c.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("readiness: store snapshots of campaign %d: %w", c.ID, err)
	}
	took := time.Since(start)
	return &RefreshResult{Campaign: c.ID, Units: len(units), Rows: len(rows), Took: took, TookMS: took.Milliseconds(), At: now}, nil
}

// writeHistory writes today's point of each (unit, measure): its status
// and how many of its criteria are met.
func (s *Service) writeHistory(ctx context.Context, tx *store.Tx, c *Campaign, rows []*snapshot, day string) error {
	byKey := map[string]*Criterion{}
	for _, cr := range c.Criteria {
		byKey[cr.Key] = cr
	}
	type point struct {
		status     string
		met, total int
	}
	points := map[int64]map[int]*point{}
	for _, x := range rows {
		cr := byKey[x.criterion]
		if cr == nil || x.status == StatusInfo {
			continue
		}
		if points[x.unitID] == nil {
			points[x.unitID] = map[int]*point{}
		}
		pt := points[x.unitID][cr.Measure]
		if pt == nil {
			pt = &point{}
			points[x.unitID][cr.Measure] = pt
		}
		pt.status = Worst(pt.status, x.status)
		pt.total++
		if x.status == StatusMet {
			pt.met++
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM readiness_history WHERE campaign_id = ? AND day = ?`, c.ID, day); err != nil {
		return err
	}
	for u, ms := range points {
		for m, pt := range ms {
			if _, err := tx.Exec(ctx, `INSERT INTO readiness_history (campaign_id, unit_id, measure, day, status, met, total) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				c.ID, u, m, day, pt.status, pt.met, pt.total); err != nil {
				return err
			}
		}
	}
	return nil
}

// errNoCampaign is returned for a campaign out of the caller's sight.
func errNoCampaign(id int64) error { return errs.NotFound("campaign " + strconv.FormatInt(id, 10)) }
