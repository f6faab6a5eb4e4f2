// Package readiness turns the directive's five measures into per-unit work
// with a deadline (issue 15): the IT Center opens a campaign ("Tết Đinh
// Mùi 2027": a period, the target units, a deadline) from a template of
// criteria, and every target unit sees, for each criterion, its value, its
// target, met / at risk / failed / no data, since when, and what to do.
//
// Templates. The built-in "directive-182-tet" is written into the database
// the first time it is needed; the IT Center then edits it (and any other
// template) without a code change: criteria added or removed, targets,
// margins and labels changed. A campaign takes a copy of its template's
// criteria when it opens, so editing a template never moves a running
// campaign's goal posts.
//
// Criteria. A metric criterion reads one measure key (internal/measure)
// from the capabilities' providers; an attestation criterion is met when
// the unit's officer attested it (note and evidence files, SHA-256 kept
// by internal/attach) and the IT Center accepted. Criteria marked
// SOCOnly (measure 5, the IT Center itself) apply to the SOC's unit
// (duty.SOCUnit) alone; OrgWide ones count the whole organisation's
// samples for it (the national link, incident reports).
//
// Status rules (status.go): a share is a percentage Num/Den; a count is
// Num. "min" criteria are met at or above target, at risk within Margin
// below it, failed further below; "max" criteria the other way round.
// No sample for a key anywhere in the hub is a gap ("no data"); a key the
// hub computes but a unit has no sample of means the unit has no objects
// of it: a count is 0, a share is 0 of 0, which is met when EmptyMet
// (nothing to close is nothing left open) and a gap otherwise (no hosts
// is no evidence of protected hosts). Rollup: a unit's figure sums Num and
// Den over the target units of its subtree; attestations roll up as the
// worst status of the subtree.
//
// Snapshots. Refresh (the readiness-refresh job, the refresh button, the
// API) asks every provider once for the campaign's keys, computes every
// target unit's figures and writes readiness_snapshots, keeping "since"
// while a status holds, and one history point a day per (unit, measure)
// for the trend. The scoreboard reads only snapshots.
//
// Rights. The IT Center (users who may write in the root unit) opens
// campaigns, edits templates, refreshes and reviews attestations; a
// unit's officer attests for the units of their subtree; everyone reads
// the campaigns and units of their subtree; admins and the SOC read all.
package readiness

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"vigil/internal/auth"
	"vigil/internal/duty"
	"vigil/internal/errs"
	"vigil/internal/measure"
	"vigil/internal/store"
)

// Statuses of a criterion, a measure or a unit.
const (
	StatusMet    = "met"
	StatusAtRisk = "at_risk"
	StatusFailed = "failed"
	StatusGap    = "no_data"
	// StatusInfo is a criterion shown for information (risk acceptances
	// counted apart): it has no target and weighs on no measure.
	StatusInfo = "info"
)

// Statuses lists the statuses from worst to best (info apart).
var Statuses = []string{StatusFailed, StatusAtRisk, StatusGap, StatusMet}

// Kinds of criterion.
const (
	KindMetric = "metric"
	KindAttest = "attest"
)

// Directions of a metric criterion.
const (
	MinShare = "min_share" // a percentage that must reach the target
	MaxShare = "max_share" // a percentage that must stay at or under the target
	MaxCount = "max_count" // a count that must stay at or under the target
	Info     = "info"      // a count shown for information
)

// Directions lists the directions a criterion may take.
var Directions = []string{MinShare, MaxShare, MaxCount, Info}

// Measures are the directive's five measures.
var Measures = []int{1, 2, 3, 4, 5}

// SOCFinder finds the unit that runs the SOC; *duty.Service implements it
// through SOCUnitID (wiring.go).
type SOCFinder func(ctx context.Context) (int64, error)

// Service keeps campaigns, templates, attestations and snapshots.
type Service struct {
	DB *store.DB
	// Providers are the capabilities' measure providers (wiring.go).
	Providers []measure.Provider
	// SOCUnit finds the SOC's unit, for measure 5; nil means none.
	SOCUnit SOCFinder
	Logger  *slog.Logger
	Now     func() time.Time // for tests; time.Now when nil
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

// rootPath is the path of the root unit ("" when there is none).
func (s *Service) rootPath(ctx context.Context) (string, error) {
	var path string
	err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&path)
	if err != nil && !store.IsNoRows(err) {
		return "", fmt.Errorf("readiness: root unit: %w", err)
	}
	return path, nil
}

// ITCenter reports whether the caller runs campaigns: a user who may
// write in the root unit (its officers, administrators).
func (s *Service) ITCenter(ctx context.Context) (bool, error) {
	p := auth.FromContext(ctx)
	if p == nil {
		return false, nil
	}
	root, err := s.rootPath(ctx)
	if err != nil {
		return false, err
	}
	return root != "" && p.CanWrite(root), nil
}

const notITCenter = "only the IT Center (the root unit's officers and administrators) runs readiness campaigns"

func (s *Service) requireITCenter(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := s.ITCenter(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Forbidden(notITCenter)
	}
	return p, nil
}

// seesAll reports whether the caller reads every campaign and unit.
func (s *Service) seesAll(ctx context.Context, p *auth.Principal) (bool, error) {
	if p.SeesAllUnits() {
		return true, nil
	}
	return s.ITCenter(ctx)
}

func placeholders(n int) string {
	if n == 0 {
		return ""
	}
	b := make([]byte, 0, 3*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// SOCOf finds the SOC's unit through the duty service (duty.SOCUnit).
func SOCOf(d *duty.Service) SOCFinder {
	return func(ctx context.Context) (int64, error) {
		soc, err := d.SOCUnit(ctx)
		if err != nil || soc == nil {
			return 0, err
		}
		return soc.UnitID, nil
	}
}
