package findings

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// The figures of the vulnerability views (issue 11, item 6): a unit's
// subtree rolled up, row by row for the units directly under it, and the
// trend of the open count over the last weeks.

// VulnKinds are the kinds the vulnerability views count.
var VulnKinds = []string{KindVulnerability, KindMissingUpdate}

// UnitRef names a unit.
type UnitRef struct {
	ID   int64  `json:"-"`
	Code string `json:"code"`
	Name string `json:"name"`
	Path string `json:"-"`
}

// Tally is a roll-up of active findings.
type Tally struct {
	Open       int            `json:"open"` // open and in progress
	BySeverity map[string]int `json:"by_severity"`
	Overdue    int            `json:"overdue"`
	KEV        int            `json:"kev"`
	Hosts      int            `json:"hosts"` // hosts with at least one
	Accepted   int            `json:"accepted_risk"`
}

// UnitTally is one row of a roll-up: a unit and its subtree (Self: the
// unit's own hosts only, without the units under it).
type UnitTally struct {
	UnitRef
	Self bool `json:"self"`
	Tally
}

// WeekPoint is the trend's value at the end of a week.
type WeekPoint struct {
	End    time.Time `json:"end"`
	Open   int       `json:"open"`   // active at the end of the week, as far as the history tells (see Trend)
	New    int       `json:"new"`    // first seen that week
	Closed int       `json:"closed"` // closed that week and still closed
}

// Dashboard is a unit's vulnerability picture.
type Dashboard struct {
	Unit  UnitRef     `json:"unit"`
	Total Tally       `json:"total"`
	Units []UnitTally `json:"units"`
	Trend []WeekPoint `json:"trend"`
}

// ResolveUnit returns the unit a view is about: code when given (in the
// caller's scope), else the caller's own unit, or the top of the tree for
// those who see every unit.
func (s *Service) ResolveUnit(ctx context.Context, code string) (UnitRef, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return UnitRef{}, err
	}
	var u UnitRef
	switch {
	case code != "":
		err = s.DB.QueryRow(ctx, `SELECT id, code, name, path FROM units WHERE code = ?`, code).Scan(&u.ID, &u.Code, &u.Name, &u.Path)
	case p.SeesAllUnits():
		err = s.DB.QueryRow(ctx, `SELECT id, code, name, path FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&u.ID, &u.Code, &u.Name, &u.Path)
	default:
		err = s.DB.QueryRow(ctx, `SELECT id, code, name, path FROM units WHERE id = ?`, p.UnitID).Scan(&u.ID, &u.Code, &u.Name, &u.Path)
	}
	if err != nil && !store.IsNoRows(err) {
		return u, fmt.Errorf("findings: unit: %w", err)
	}
	if err != nil || !p.CanRead(u.Path) {
		return UnitRef{}, errs.NotFound("unit " + strconv.Quote(code))
	}
	return u, nil
}

// children are the units directly under u.
func (s *Service) children(ctx context.Context, u UnitRef) ([]UnitRef, error) {
	rows, err := s.DB.Query(ctx, `SELECT id, code, name, path FROM units WHERE parent_id = ? ORDER BY code`, u.ID)
	if err != nil {
		return nil, fmt.Errorf("findings: units: %w", err)
	}
	defer rows.Close()
	var out []UnitRef
	for rows.Next() {
		var c UnitRef
		if err := rows.Scan(&c.ID, &c.Code, &c.Name, &c.Path); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// vulnCondition is the condition of the views: the two vulnerability
// kinds, or the Microsoft 2023 selection.
func vulnCondition(ms2023 bool) string {
	if ms2023 {
		return MS2023Condition
	}
	return "f.kind IN ('vulnerability', 'missing_update')"
}

// Rollup counts the active findings of the views in u's subtree, in all
// and for each unit directly under u (and u's own hosts), in the caller's
// scope.
func (s *Service) Rollup(ctx context.Context, u UnitRef, ms2023 bool) (Tally, []UnitTally, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return Tally{}, nil, err
	}
	scope, sargs := p.Scope("u.path")
	cond := vulnCondition(ms2023) + ` AND u.path LIKE ? ESCAPE '\' AND ` + scope
	args := append([]any{store.LikePrefix(u.Path)}, sargs...)
	now := store.Micros(s.now())
	type agg struct {
		bySev               map[string]int
		overdue, kev, hosts int
		accepted            int
	}
	perPath := map[string]*agg{}
	get := func(path string) *agg {
		a := perPath[path]
		if a == nil {
			a = &agg{bySev: map[string]int{}}
			perPath[path] = a
		}
		return a
	}
	rows, err := s.DB.Query(ctx, `SELECT u.path, f.severity, f.status, COUNT(*),
		SUM(CASE WHEN f.due_at > 0 AND f.due_at < ? THEN 1 ELSE 0 END), SUM(CASE WHEN f.kev THEN 1 ELSE 0 END)
		FROM findings f JOIN hosts h ON h.id = f.host_id JOIN units u ON u.id = h.unit_id
		WHERE `+cond+` AND f.status IN ('open', 'in_progress', 'accepted_risk') GROUP BY u.path, f.severity, f.status`, append([]any{now}, args...)...)
	if err != nil {
		return Tally{}, nil, fmt.Errorf("findings: roll-up: %w", err)
	}
	for rows.Next() {
		var path, sev, status string
		var n, overdue, kev int
		if err := rows.Scan(&path, &sev, &status, &n, &overdue, &kev); err != nil {
			rows.Close()
			return Tally{}, nil, fmt.Errorf("findings: roll-up: %w", err)
		}
		a := get(path)
		if status == StatusAcceptedRisk {
			a.accepted += n
			continue
		}
		a.bySev[sev] += n
		a.overdue += overdue
		a.kev += kev
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Tally{}, nil, fmt.Errorf("findings: roll-up: %w", err)
	}
	// Hosts: each belongs to one unit, so per-unit counts add up.
	rows, err = s.DB.Query(ctx, `SELECT u.path, COUNT(DISTINCT f.host_id) FROM findings f JOIN hosts h ON h.id = f.host_id JOIN units u ON u.id = h.unit_id
		WHERE `+cond+` AND f.status IN ('open', 'in_progress') GROUP BY u.path`, args...)
	if err != nil {
		return Tally{}, nil, fmt.Errorf("findings: roll-up: %w", err)
	}
	for rows.Next() {
		var path string
		var n int
		if err := rows.Scan(&path, &n); err != nil {
			rows.Close()
			return Tally{}, nil, fmt.Errorf("findings: roll-up: %w", err)
		}
		get(path).hosts += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Tally{}, nil, fmt.Errorf("findings: roll-up: %w", err)
	}
	add := func(t *Tally, a *agg) {
		if t.BySeverity == nil {
			t.BySeverity = map[string]int{}
		}
		for k, v := range a.bySev {
			t.BySeverity[k] += v
			t.Open += v
		}
		t.Overdue += a.overdue
		t.KEV += a.kev
		t.Hosts += a.hosts
		t.Accepted += a.accepted
	}
	kids, err := s.children(ctx, u)
	if err != nil {
		return Tally{}, nil, err
	}
	var total Tally
	total.BySeverity = map[string]int{}
	self := UnitTally{UnitRef: u, Self: true}
	self.BySeverity = map[string]int{}
	rowsOut := make([]UnitTally, 0, len(kids)+1)
	for _, k := range kids {
		t := UnitTally{UnitRef: k}
		t.BySeverity = map[string]int{}
		rowsOut = append(rowsOut, t)
	}
	for path, a := range perPath {
		add(&total, a)
		if path == u.Path {
			add(&self.Tally, a)
			continue
		}
		for i := range rowsOut {
			if strings.HasPrefix(path, rowsOut[i].Path) {
				add(&rowsOut[i].Tally, a)
				break
			}
		}
	}
	// Units the caller cannot read stay out (an officer sees its subtree).
	visible := rowsOut[:0]
	for _, r := range rowsOut {
		if p.CanRead(r.Path) {
			visible = append(visible, r)
		}
	}
	if self.Open > 0 || self.Accepted > 0 || len(visible) == 0 {
		visible = append([]UnitTally{self}, visible...)
	}
	return total, visible, nil
}

// Trend returns, for each of the last weeks (ending Sunday 24:00 in
// Vietnam, the current week last, ending now), the findings of the views
// in u's subtree that were active at the week's end, new that week, and
// closed that week. "Active at the end of a week" is read from each
// finding's first sighting and its current status: one still active was
// active since it was first seen; one closed was active until it was
// closed. A finding closed, reopened and closed again counts from its
// first sighting to its last closing, and one accepted as a risk counts
// as closed from then on: the curve is the history as the findings tell
// it today, not a daily snapshot.
func (s *Service) Trend(ctx context.Context, u UnitRef, weeks int, ms2023 bool) ([]WeekPoint, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	weeks = min(max(weeks, 1), 26)
	now := s.now().In(i18n.Location)
	// The end of this week is now; earlier weeks end on Sunday midnight.
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, i18n.Location)
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	ends := make([]time.Time, weeks)
	ends[weeks-1] = now
	for i := weeks - 2; i >= 0; i-- {
		ends[i] = monday.AddDate(0, 0, -7*(weeks-2-i))
	}
	var cols []string
	var args []any
	for i, end := range ends {
		e := store.Micros(end)
		start := store.Micros(end.AddDate(0, 0, -7))
		if i == weeks-1 {
			start = store.Micros(monday)
		}
		cols = append(cols,
			`SUM(CASE WHEN f.first_seen <= ? AND (f.status IN ('open', 'in_progress') OR f.status_since > ?) THEN 1 ELSE 0 END)`,
			`SUM(CASE WHEN f.first_seen > ? AND f.first_seen <= ? THEN 1 ELSE 0 END)`,
			`SUM(CASE WHEN f.status NOT IN ('open', 'in_progress') AND f.status_since > ? AND f.status_since <= ? THEN 1 ELSE 0 END)`)
		args = append(args, e, e, start, e, start, e)
	}
	scope, sargs := p.Scope("u.path")
	args = append(args, store.LikePrefix(u.Path))
	args = append(args, sargs...)
	dest := make([]any, 3*weeks)
	vals := make([]*int64, 3*weeks)
	for i := range dest {
		var n sql0
		vals[i] = &n.v
		dest[i] = &n
	}
	err = s.DB.QueryRow(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM findings f JOIN hosts h ON h.id = f.host_id JOIN units u ON u.id = h.unit_id
		WHERE `+vulnCondition(ms2023)+` AND u.path LIKE ? ESCAPE '\' AND `+scope, args...).Scan(dest...)
	if err != nil {
		return nil, fmt.Errorf("findings: trend: %w", err)
	}
	out := make([]WeekPoint, weeks)
	for i := range out {
		out[i] = WeekPoint{End: ends[i], Open: int(*vals[3*i]), New: int(*vals[3*i+1]), Closed: int(*vals[3*i+2])}
	}
	return out, nil
}

// sql0 scans a SUM that is NULL over no rows as 0.
type sql0 struct{ v int64 }

func (n *sql0) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		n.v = 0
	case int64:
		n.v = x
	case float64:
		n.v = int64(x)
	case []byte:
		v, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return err
		}
		n.v = v
	case string:
		v, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return err
		}
		n.v = v
	default:
		return fmt.Errorf("findings: cannot read %T as a count", src)
	}
	return nil
}

// VulnDashboard is the per-unit dashboard: totals, the roll-up by unit
// and the trend over weeks.
func (s *Service) VulnDashboard(ctx context.Context, code string, weeks int, ms2023 bool) (*Dashboard, error) {
	u, err := s.ResolveUnit(ctx, code)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{Unit: u}
	if d.Total, d.Units, err = s.Rollup(ctx, u, ms2023); err != nil {
		return nil, err
	}
	if d.Trend, err = s.Trend(ctx, u, weeks, ms2023); err != nil {
		return nil, err
	}
	return d, nil
}
