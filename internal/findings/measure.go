package findings

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"vigil/internal/measure"
	"vigil/internal/store"
)

var _ measure.Provider = (*Service)(nil)

// Samples is the findings' side of measure.Provider: per unit (the
// findings of its own hosts, not its subtree's), the keys measure assigns
// to findings. Two grouped queries answer them all: one over every
// finding by unit, kind, Microsoft-ness, severity and state at r.Now (the
// shares closed, the overdue, the opened and closed of the period, the
// patch state), read from an index that holds every column it needs
// (findings_measure, migration 0032); one over the open and accepted
// Microsoft 2023 fixes by unit, state and approver, the only one that
// reads the findings' evidence.
//
// The rules:
//
//   - The state of a finding at Now is read as the vulnerability trend
//     reads it (Trend): from its first sighting and its current status.
//     One first seen after Now does not exist yet; one whose status is
//     resolved, accepted or false positive since a moment after Now was
//     open at Now. A finding closed and later reopened is open from its
//     first sighting: the history as the findings tell it today.
//   - "Closed" means resolved (fixed; a warning-list finding verified by
//     a later clean scan or inventory is resolved too). A risk accepted is
//     not closed; a false positive is no problem at all and is left out
//     of every share and of the patch state.
//   - An accepted risk whose acceptance has run out at Now (risk_expires_at
//     ≤ Now: the ExpireRisks job reopens it on its next pass) counts as
//     open, not accepted.
//   - Warning-list and malware findings closed: Num the closed ones at Now,
//     Den the ones seen by Now, false positives excepted.
//   - Overdue: open or in progress at Now, with a due date before Now (the
//     queue's ?overdue=true filter).
//   - Opened in [From, To): first seen then (a reopening is not a new
//     finding); closed in [From, To): resolved then and still resolved.
//     Dim is the kind (malware, vulnerability, missing_update,
//     warning_list).
//   - Microsoft findings (the patch state) are the missing updates the
//     hub computed from MSRC's data (kind missing_update, source msrc);
//     Dim is "open/", "closed/" or "accepted/" and the severity. The
//     Microsoft 2023 ones are MS2023Condition's, the same selection as the
//     Microsoft 2023 page: high or critical, from a 2023 monthly document
//     or fixing a CVE-2023-*. A scanner's report names no vendor, so
//     scanner findings are not among them.
//
// Every unit with hosts gets every key (zero counts included, each kind of
// opened and closed, each state and severity of the patch state, and
// ms2023_accepted with an empty Dim when nothing is accepted): no findings
// is a true zero. A unit with no hosts has no findings samples.
func (s *Service) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	now := r.Now
	if now.IsZero() {
		now = s.now()
	}
	period := !r.To.IsZero() && r.From.Before(r.To)
	wantTally := r.WantsAny(measure.KeyFindingsWatchlistClosed, measure.KeyFindingsMalwareClosed, measure.KeyFindingsOverdue, measure.KeyMSPatchState) ||
		period && r.WantsAny(measure.KeyFindingsOpened, measure.KeyFindingsClosed)
	want2023 := r.WantsAny(measure.KeyFindingsMS2023Open, measure.KeyFindingsMS2023Accepted)
	if !wantTally && !want2023 {
		return nil, nil
	}
	units, err := s.unitsWithHosts(ctx, store.Micros(now))
	if err != nil {
		return nil, err
	}
	var out []measure.Sample
	if wantTally {
		if out, err = s.tallySamples(ctx, r, store.Micros(now), period, units, out); err != nil {
			return nil, err
		}
	}
	if want2023 {
		if out, err = s.ms2023Samples(ctx, r, store.Micros(now), units, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// unitsWithHosts lists the units that have hosts first seen by now, in id
// order.
func (s *Service) unitsWithHosts(ctx context.Context, now int64) ([]int64, error) {
	rows, err := s.DB.Query(ctx, `SELECT DISTINCT unit_id FROM hosts WHERE first_seen_at <= ? ORDER BY unit_id`, now)
	if err != nil {
		return nil, fmt.Errorf("findings: samples: units: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("findings: samples: units: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// stateAt is a finding's state at a moment (five arguments, the moment):
// later (not seen yet), closed, false_positive, accepted or open.
const stateAt = `CASE WHEN f.first_seen > ? THEN 'later'
	WHEN f.status = 'resolved' AND f.status_since <= ? THEN 'closed'
	WHEN f.status = 'false_positive' AND f.status_since <= ? THEN 'false_positive'
	WHEN f.status = 'accepted_risk' AND f.status_since <= ? AND NOT (f.risk_expires_at > 0 AND f.risk_expires_at <= ?) THEN 'accepted'
	ELSE 'open' END`

func stateArgs(now int64) []any { return []any{now, now, now, now, now} }

// kindCounts are one unit's findings of one kind.
type kindCounts struct {
	byState                 map[string]int64
	overdue, opened, closed int64
}

// patchStates are the states of the Microsoft patch state, in order.
var patchStates = []string{"open", "closed", "accepted"}

// tallySamples reads every finding's kind, source, severity, status and
// times — the columns of index findings_measure, not the rows.
//
// Both queries name hosts first in a CROSS JOIN: SQLite then walks the
// hosts and seeks each one's findings in findings_measure whether or not
// the database was ever ANALYZEd (the hub does not); without it, and
// without statistics, SQLite scanned the findings table whole, evidence
// and all. PostgreSQL plans a CROSS JOIN with its WHERE as any join.
func (s *Service) tallySamples(ctx context.Context, r measure.Request, now int64, period bool, units []int64, out []measure.Sample) ([]measure.Sample, error) {
	var from, to int64 // an empty period counts nothing opened or closed
	if period {
		from, to = store.Micros(r.From), store.Micros(r.To)
	}
	args := stateArgs(now)
	args = append(args, now, now, now, from, to, from, to)
	rows, err := s.DB.Query(ctx, `SELECT unit_id, kind, ms, severity, state, COUNT(*), SUM(overdue), SUM(opened), SUM(closed) FROM (
		SELECT h.unit_id AS unit_id, f.kind AS kind, CASE WHEN f.kind = 'missing_update' AND f.source = 'msrc' THEN 1 ELSE 0 END AS ms,
			f.severity AS severity, `+stateAt+` AS state,
			CASE WHEN f.first_seen <= ? AND f.due_at > 0 AND f.due_at < ? AND (f.status IN ('open', 'in_progress') OR f.status_since > ?) THEN 1 ELSE 0 END AS overdue,
			CASE WHEN f.first_seen >= ? AND f.first_seen < ? THEN 1 ELSE 0 END AS opened,
			CASE WHEN f.status = 'resolved' AND f.status_since >= ? AND f.status_since < ? THEN 1 ELSE 0 END AS closed
		FROM hosts h CROSS JOIN findings f WHERE f.host_id = h.id) x
		GROUP BY unit_id, kind, ms, severity, state`, args...)
	if err != nil {
		return nil, fmt.Errorf("findings: samples: %w", err)
	}
	defer rows.Close()
	counts := map[int64]map[string]*kindCounts{}
	patch := map[int64]map[string]int64{} // unit -> "open/high" -> n
	for rows.Next() {
		var unit, ms, n, overdue, opened, closed int64
		var kind, severity, state string
		if err := rows.Scan(&unit, &kind, &ms, &severity, &state, &n, &overdue, &opened, &closed); err != nil {
			return nil, fmt.Errorf("findings: samples: %w", err)
		}
		byKind := counts[unit]
		if byKind == nil {
			byKind = map[string]*kindCounts{}
			counts[unit] = byKind
		}
		c := byKind[kind]
		if c == nil {
			c = &kindCounts{byState: map[string]int64{}}
			byKind[kind] = c
		}
		c.byState[state] += n
		c.overdue += overdue
		c.opened += opened
		c.closed += closed
		if ms == 1 {
			if patch[unit] == nil {
				patch[unit] = map[string]int64{}
			}
			patch[unit][state+"/"+severity] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("findings: samples: %w", err)
	}
	for _, unit := range units {
		byKind := counts[unit]
		get := func(kind string) *kindCounts {
			if c := byKind[kind]; c != nil {
				return c
			}
			return &kindCounts{byState: map[string]int64{}}
		}
		share := func(key, kind string) {
			if !r.Wants(key) {
				return
			}
			c := get(kind)
			closed := c.byState["closed"]
			out = append(out, measure.Sample{Key: key, UnitID: unit, Num: float64(closed), Den: float64(closed + c.byState["open"] + c.byState["accepted"])})
		}
		share(measure.KeyFindingsWatchlistClosed, KindWarningList)
		share(measure.KeyFindingsMalwareClosed, KindMalware)
		if r.Wants(measure.KeyFindingsOverdue) {
			var n int64
			for _, c := range byKind {
				n += c.overdue
			}
			out = append(out, measure.Sample{Key: measure.KeyFindingsOverdue, UnitID: unit, Num: float64(n)})
		}
		if r.Wants(measure.KeyMSPatchState) {
			for _, state := range patchStates {
				for _, sev := range Severities {
					dim := state + "/" + sev
					out = append(out, measure.Sample{Key: measure.KeyMSPatchState, UnitID: unit, Dim: dim, Num: float64(patch[unit][dim])})
				}
			}
		}
		if !period {
			continue
		}
		for _, kind := range Kinds {
			c := get(kind)
			if r.Wants(measure.KeyFindingsOpened) {
				out = append(out, measure.Sample{Key: measure.KeyFindingsOpened, UnitID: unit, Dim: kind, Num: float64(c.opened)})
			}
			if r.Wants(measure.KeyFindingsClosed) {
				out = append(out, measure.Sample{Key: measure.KeyFindingsClosed, UnitID: unit, Dim: kind, Num: float64(c.closed)})
			}
		}
	}
	return out, nil
}

// ms2023Samples counts the Microsoft 2023 fixes open or accepted at Now.
// Only they are read whole (MS2023Condition looks into the evidence);
// the index findings_measure narrows them to missing updates from MSRC,
// high or critical, open or accepted at Now, before a row is read.
func (s *Service) ms2023Samples(ctx context.Context, r measure.Request, now int64, units []int64, out []measure.Sample) ([]measure.Sample, error) {
	args := append(stateArgs(now), now, now)
	rows, err := s.DB.Query(ctx, `SELECT unit_id, state, approver, COUNT(*) FROM (
		SELECT h.unit_id AS unit_id, `+stateAt+` AS state, COALESCE(ra.email, '') AS approver
		FROM hosts h CROSS JOIN findings f LEFT JOIN users ra ON ra.id = f.risk_approver_id
		WHERE f.host_id = h.id AND f.kind = 'missing_update' AND f.source = 'msrc' AND f.severity IN ('critical', 'high') AND f.first_seen <= ?
			AND (f.status IN ('open', 'in_progress', 'accepted_risk') OR f.status_since > ?) AND `+MS2023Condition+`) x
		WHERE state IN ('open', 'accepted')
		GROUP BY unit_id, state, approver`, args...)
	if err != nil {
		return nil, fmt.Errorf("findings: samples: microsoft 2023: %w", err)
	}
	defer rows.Close()
	type unitMS struct {
		open     int64
		accepted map[string]int64 // approver -> n
	}
	byUnit := map[int64]*unitMS{}
	for rows.Next() {
		var unit, n int64
		var state, approver string
		if err := rows.Scan(&unit, &state, &approver, &n); err != nil {
			return nil, fmt.Errorf("findings: samples: microsoft 2023: %w", err)
		}
		u := byUnit[unit]
		if u == nil {
			u = &unitMS{accepted: map[string]int64{}}
			byUnit[unit] = u
		}
		if state == "open" {
			u.open += n
		} else {
			u.accepted[approver] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("findings: samples: microsoft 2023: %w", err)
	}
	for _, unit := range units {
		u := byUnit[unit]
		if u == nil {
			u = &unitMS{}
		}
		if r.Wants(measure.KeyFindingsMS2023Open) {
			out = append(out, measure.Sample{Key: measure.KeyFindingsMS2023Open, UnitID: unit, Num: float64(u.open)})
		}
		if r.Wants(measure.KeyFindingsMS2023Accepted) {
			if len(u.accepted) == 0 {
				out = append(out, measure.Sample{Key: measure.KeyFindingsMS2023Accepted, UnitID: unit})
			}
			for _, approver := range slices.Sorted(maps.Keys(u.accepted)) {
				out = append(out, measure.Sample{Key: measure.KeyFindingsMS2023Accepted, UnitID: unit, Dim: approver, Num: float64(u.accepted[approver])})
			}
		}
	}
	return out, nil
}
