package readiness

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Scoreboard is a campaign's units × measures, as the caller sees them.
type Scoreboard struct {
	Campaign *Campaign `json:"campaign"`
	Units    []*Row    `json:"units"`
}

// Row is one target unit: its subtree's figures.
type Row struct {
	Unit     string     `json:"unit"`
	Name     string     `json:"name"`
	Depth    int        `json:"depth"`
	Status   string     `json:"status"`
	Measures []*Measure `json:"measures"`
	unitID   int64
	path     string
}

// Measure is one measure of a unit.
type Measure struct {
	Measure int    `json:"measure"`
	Status  string `json:"status"`
	Met     int    `json:"met"`
	Total   int    `json:"total"`
	// Trend compares the share of criteria met with the last earlier
	// day's point: "up", "down", "same", or "" with no earlier point.
	Trend    string  `json:"trend,omitempty"`
	Criteria []*Cell `json:"criteria"`
}

// Cell is one criterion of a unit.
type Cell struct {
	Key       string    `json:"key"`
	Label     string    `json:"label"`
	LabelEn   string    `json:"label_en,omitempty"`
	Kind      string    `json:"kind"`
	Metric    string    `json:"metric,omitempty"`
	Direction string    `json:"direction,omitempty"`
	Value     *float64  `json:"value"`
	Target    float64   `json:"target"`
	Status    string    `json:"status"`
	Since     time.Time `json:"since"`
	Num       float64   `json:"num"`
	Den       float64   `json:"den"`
	Todo      string    `json:"todo,omitempty"`
	TodoEn    string    `json:"todo_en,omitempty"`
	// Link is the page listing the objects behind the figure (filled by
	// the web layer, which knows its pages).
	Link string `json:"link,omitempty"`
	// Attestation is the unit's own attestation of an attestation
	// criterion, when there is one.
	Attestation *Attestation `json:"attestation,omitempty"`
}

// Share reports whether the cell's value is a percentage.
func (c *Cell) Share() bool {
	return c.Kind == KindAttest || c.Direction == MinShare || c.Direction == MaxShare
}

// Cell returns the unit's cell of a criterion (nil when it does not apply).
func (r *Row) Cell(key string) *Cell {
	for _, m := range r.Measures {
		for _, c := range m.Criteria {
			if c.Key == key {
				return c
			}
		}
	}
	return nil
}

// Measure returns the unit's measure m (nil when none of its criteria applies).
func (r *Row) Measure(m int) *Measure {
	for _, x := range r.Measures {
		if x.Measure == m {
			return x
		}
	}
	return nil
}

// ScoreFilter narrows a scoreboard.
type ScoreFilter struct {
	Unit   string // a unit code: that unit and the target units under it
	Status string // only units whose overall status is this
}

// Scoreboard returns a campaign's snapshots for the target units in the
// caller's subtree. It reads only stored snapshots and history.
func (s *Service) Scoreboard(ctx context.Context, id int64, f ScoreFilter) (*Scoreboard, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return nil, errs.Invalid("status", "must be one of %s", joinStatuses())
	}
	cond, args := p.Scope("u.path")
	if f.Unit != "" {
		var path string
		err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, f.Unit).Scan(&path)
		if err != nil && !store.IsNoRows(err) {
			return nil, fmt.Errorf("readiness: unit: %w", err)
		}
		if err != nil || !p.CanRead(path) {
			return nil, errs.NotFound("unit " + strconv.Quote(f.Unit))
		}
		cond += ` AND u.path LIKE ? ESCAPE '\'`
		args = append(args, store.LikePrefix(path))
	}
	units, err := s.targets(ctx, id, cond, args...)
	if err != nil {
		return nil, err
	}
	sb := &Scoreboard{Campaign: c, Units: []*Row{}}
	if len(units) == 0 {
		return sb, nil
	}
	snaps, err := s.snapshots(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	trends, err := s.trends(ctx, id)
	if err != nil {
		return nil, err
	}
	mine, err := s.ownAttestations(ctx, id)
	if err != nil {
		return nil, err
	}
	minDepth := -1
	for _, u := range units {
		d := depthOf(u.path)
		if minDepth < 0 || d < minDepth {
			minDepth = d
		}
	}
	for _, u := range units {
		row := &Row{Unit: u.code, Name: u.name, Depth: depthOf(u.path) - minDepth, unitID: u.id, path: u.path}
		var overall []string
		for _, m := range Measures {
			cell := &Measure{Measure: m}
			var sts []string
			for _, cr := range c.Criteria {
				if cr.Measure != m {
					continue
				}
				x := snaps[snapKey(u.id, cr.Key)]
				if x == nil {
					continue // does not apply, or not computed yet
				}
				cl := &Cell{Key: cr.Key, Label: cr.Label, LabelEn: cr.LabelEn, Kind: cr.Kind, Metric: cr.Metric, Direction: cr.Direction,
					Target: cr.Target, Status: x.status, Since: x.since, Num: x.num, Den: x.den, Todo: cr.Todo, TodoEn: cr.TodoEn}
				if x.has {
					cl.Value = cr.Value(x.num, x.den)
				}
				if cr.Kind == KindAttest {
					cl.Attestation = mine[snapKey(u.id, cr.Key)]
				}
				cell.Criteria = append(cell.Criteria, cl)
				if x.status != StatusInfo {
					sts = append(sts, x.status)
					cell.Total++
					if x.status == StatusMet {
						cell.Met++
					}
				}
			}
			if len(cell.Criteria) == 0 {
				continue
			}
			cell.Status = Worst(sts...)
			cell.Trend = trends[trendKey(u.id, m)].direction(cell.Met, cell.Total)
			overall = append(overall, cell.Status)
			row.Measures = append(row.Measures, cell)
		}
		row.Status = Worst(overall...)
		if f.Status != "" && row.Status != f.Status {
			continue
		}
		sb.Units = append(sb.Units, row)
	}
	return sb, nil
}

func joinStatuses() string {
	out := ""
	for i, st := range Statuses {
		if i > 0 {
			out += ", "
		}
		out += st
	}
	return out
}

func depthOf(path string) int {
	n := 0
	for _, r := range path {
		if r == '/' {
			n++
		}
	}
	return n
}

// trend is the last point before today of a (unit, measure).
type trend struct {
	ok         bool
	met, total int
}

func (t trend) direction(met, total int) string {
	if !t.ok || t.total == 0 || total == 0 {
		return ""
	}
	before, now := float64(t.met)/float64(t.total), float64(met)/float64(total)
	switch {
	case now > before+epsilon:
		return "up"
	case now < before-epsilon:
		return "down"
	}
	return "same"
}

func trendKey(unit int64, m int) string { return strconv.FormatInt(unit, 10) + "|" + strconv.Itoa(m) }

// trends reads, per (unit, measure), the latest history point before
// today.
func (s *Service) trends(ctx context.Context, id int64) (map[string]trend, error) {
	today := s.now().In(i18n.Location).Format("2006-01-02")
	rows, err := s.DB.Query(ctx, `SELECT h.unit_id, h.measure, h.met, h.total FROM readiness_history h
		WHERE h.campaign_id = ? AND h.day = (SELECT MAX(day) FROM readiness_history WHERE campaign_id = ? AND day < ?)`, id, id, today)
	if err != nil {
		return nil, fmt.Errorf("readiness: trend: %w", err)
	}
	defer rows.Close()
	out := map[string]trend{}
	for rows.Next() {
		var u int64
		var m, met, total int
		if err := rows.Scan(&u, &m, &met, &total); err != nil {
			return nil, err
		}
		out[trendKey(u, m)] = trend{ok: true, met: met, total: total}
	}
	return out, rows.Err()
}

// Point is one day of a unit's measure.
type Point struct {
	Day     string `json:"day"` // yyyy-mm-dd, Vietnam
	Measure int    `json:"measure"`
	Status  string `json:"status"`
	Met     int    `json:"met"`
	Total   int    `json:"total"`
}

// Sheet is one unit's page of a campaign: its row, what to do next (the
// criteria not met, worst first) and its history.
type Sheet struct {
	Campaign *Campaign `json:"campaign"`
	Row      *Row      `json:"unit"`
	Next     []*Cell   `json:"next"`
	History  []Point   `json:"history"`
}

// Sheet returns a unit's sheet of a campaign; an empty code means the
// caller's own unit.
func (s *Service) Sheet(ctx context.Context, id int64, code string) (*Sheet, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if code == "" {
		code = p.UnitCode
	}
	if code == "" {
		return nil, errs.Invalid("unit", "name the unit")
	}
	sb, err := s.Scoreboard(ctx, id, ScoreFilter{Unit: code})
	if err != nil {
		return nil, err
	}
	var row *Row
	for _, r := range sb.Units {
		if r.Unit == code {
			row = r
		}
	}
	if row == nil {
		return nil, errs.NotFound("unit " + strconv.Quote(code))
	}
	sh := &Sheet{Campaign: sb.Campaign, Row: row, History: []Point{}}
	for _, st := range []string{StatusFailed, StatusAtRisk, StatusGap} {
		for _, m := range row.Measures {
			for _, c := range m.Criteria {
				if c.Status == st {
					sh.Next = append(sh.Next, c)
				}
			}
		}
	}
	rows, err := s.DB.Query(ctx, `SELECT day, measure, status, met, total FROM readiness_history WHERE campaign_id = ? AND unit_id = ? ORDER BY day, measure`, id, row.unitID)
	if err != nil {
		return nil, fmt.Errorf("readiness: history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pt Point
		if err := rows.Scan(&pt.Day, &pt.Measure, &pt.Status, &pt.Met, &pt.Total); err != nil {
			return nil, err
		}
		sh.History = append(sh.History, pt)
	}
	return sh, rows.Err()
}
