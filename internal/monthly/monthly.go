// Package monthly is the IT Center's monthly technical security report
// (Báo cáo kỹ thuật tình hình an toàn thông tin hàng tháng, issue 15 part
// 3): for a month (YYYY-MM) and a unit's subtree (the whole organisation
// from the root), the figures of every capability — alerts by unit and
// severity, top rules, findings opened and closed, the Microsoft patch
// state, training completion, incidents by category — counted through
// measure.Provider and the incident service's MonthlySummary, laid out as
// JSON, a PDF and a DOCX with charts drawn on the server.
//
// A report is generated as a draft, marked reviewed and published by the
// IT Center (the root unit's officers and administrators). Publishing
// freezes it: the PDF and DOCX as rendered then, with their SHA-256, and
// next month's warning list attached as CSV and STIX 2.1. Units
// acknowledge a published report; the IT Center sees who has not. A job
// generates last month's organisation report on the first working day of
// the month (see schedule.go).
//
// Gaps: a metric no provider answers for any unit of the report is shown
// as "no data", never as 0. Within a metric that has data, a unit with no
// count sample counted 0 (providers group by unit, so a unit with no
// alert has no row), while a unit with no share sample shows a gap.
package monthly

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/intel"
	"vigil/internal/measure"
	"vigil/internal/store"
)

// IncidentSummaries counts a month's incident cases (*incident.Service).
type IncidentSummaries interface {
	MonthlySummary(ctx context.Context, unitCode, month string) (*incident.Summary, error)
}

// WarningLists finds and exports the warning lists (*intel.Service).
type WarningLists interface {
	Lists(ctx context.Context, f intel.ListFilter) ([]*intel.List, int, error)
	ListIndicators(ctx context.Context, listID int64) (*intel.List, []intel.Indicator, error)
}

// Service keeps the monthly reports.
type Service struct {
	DB *store.DB
	// Providers are every capability's measure.Provider (wiring passes
	// web.Services' list); the report asks them all and keeps the keys it
	// shows.
	Providers []measure.Provider
	Incidents IncidentSummaries // nil: the incident section is a gap
	Lists     WarningLists      // nil: nothing is attached at publish
	Now       func() time.Time
	Logger    *slog.Logger
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

// TopRules is how many rules the report names.
const TopRules = 10

// Keys are the metric keys the report reads.
var Keys = []string{
	measure.KeyAlertsBySeverity, measure.KeyAlertsByRule, measure.KeyAlertsAckedInTime,
	measure.KeyFindingsOpened, measure.KeyFindingsClosed, measure.KeyFindingsOverdue,
	measure.KeyMSPatchState, measure.KeyFindingsMS2023Open,
	measure.KeyTrainingCompleted, measure.KeyTrainingPassed,
}

// Count is a figure under a key, with the key's label.
type Count struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int64  `json:"count"`
}

// Share is Num of Den; Percent is 0 when Den is 0.
type Share struct {
	Num     int64   `json:"num"`
	Den     int64   `json:"den"`
	Percent float64 `json:"percent"`
}

func share(num, den float64) *Share {
	sh := &Share{Num: int64(math.Round(num)), Den: int64(math.Round(den))}
	if sh.Den > 0 {
		sh.Percent = math.Round(float64(sh.Num)*1000/float64(sh.Den)) / 10
	}
	return sh
}

// UnitRow is a unit of the report (a child of the report's unit with its
// subtree rolled up, or the report's unit's own objects).
type UnitRow struct {
	Unit string `json:"unit"`
	Name string `json:"name"`
	// Alerts by severity in Severities order, and their total.
	Alerts      []int64 `json:"alerts"`
	AlertsTotal int64   `json:"alerts_total"`
	Opened      int64   `json:"findings_opened"`
	Closed      int64   `json:"findings_closed"`
	// Training completion; nil: no sample (a gap).
	Completed *Share `json:"training_completed"`
	Passed    *Share `json:"training_passed"`
}

// Severities of alerts, most severe first: the alert queue's.
var Severities = alerts.Severities

// Figures are every number of a report; the JSON, the page, the PDF and
// the DOCX are all written from them.
type Figures struct {
	Month       string    `json:"month"`
	Unit        string    `json:"unit"`
	UnitName    string    `json:"unit_name"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Now         time.Time `json:"as_of"`
	GeneratedAt time.Time `json:"generated_at"`

	Units []UnitRow `json:"units"`

	AlertsTotal      int64   `json:"alerts_total"`
	AlertsBySeverity []Count `json:"alerts_by_severity"`
	TopRules         []Count `json:"top_rules"`
	AlertsAcked      *Share  `json:"alerts_acked_in_time"`

	FindingsOpened      []Count `json:"findings_opened"`
	FindingsClosed      []Count `json:"findings_closed"`
	FindingsOpenedTotal int64   `json:"findings_opened_total"`
	FindingsClosedTotal int64   `json:"findings_closed_total"`
	FindingsOverdue     *int64  `json:"findings_overdue"`

	PatchState []Count    `json:"ms_patch_state"`
	MS2023Open *int64     `json:"ms2023_open"`
	Completed  *Share     `json:"training_completed"`
	Passed     *Share     `json:"training_passed"`
	Incidents  *Incidents `json:"incidents"`

	// Gaps are the sections no capability gave data for.
	Gaps []string `json:"gaps"`
}

// Incidents are the month's incident cases (incident.Summary).
type Incidents struct {
	Total         int     `json:"total"`
	Open          int     `json:"open"`
	Closed        int     `json:"closed"`
	Contained     int     `json:"contained"`
	ByCategory    []Count `json:"by_category"`
	MedianContain int64   `json:"median_contain_seconds"`
	MeanContain   int64   `json:"mean_contain_seconds"`
	InitialLate   int     `json:"initial_reports_late"`
}

// Sections of the report, in order; a gap names one.
const (
	SectionAlerts    = "alerts"
	SectionRules     = "rules"
	SectionFindings  = "findings"
	SectionPatch     = "patch"
	SectionTraining  = "training"
	SectionIncidents = "incidents"
)

// Sections lists them.
var Sections = []string{SectionAlerts, SectionRules, SectionFindings, SectionPatch, SectionTraining, SectionIncidents}

// ParseMonth reads YYYY-MM; the period is [first day, first day of the
// next month) in Asia/Ho_Chi_Minh.
func ParseMonth(month string) (from, to time.Time, err error) {
	month = strings.TrimSpace(month)
	t, perr := time.ParseInLocation("2006-01", month, i18n.Location)
	if perr != nil || len(month) != 7 || t.Year() < 2000 || t.Year() > 2999 {
		return time.Time{}, time.Time{}, errs.Invalid("month", "%q is not a month: write it as YYYY-MM (2026-11)", month)
	}
	return t, t.AddDate(0, 1, 0), nil
}

// MonthOf is the month (YYYY-MM) of t in Vietnam.
func MonthOf(t time.Time) string { return t.In(i18n.Location).Format("2006-01") }

// PreviousMonth is the month before the one t falls in.
func PreviousMonth(t time.Time) string {
	y, m, _ := t.In(i18n.Location).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, i18n.Location).AddDate(0, -1, 0).Format("2006-01")
}

// unit is a row of the unit tree.
type unit struct {
	ID       int64
	Code     string
	Name     string
	Path     string
	ParentID int64
}

func (s *Service) units(ctx context.Context, q store.Queryer) ([]unit, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, code, name, path, COALESCE(parent_id, 0) FROM units ORDER BY path`)
	if err != nil {
		return nil, fmt.Errorf("monthly: units: %w", err)
	}
	defer rows.Close()
	var out []unit
	for rows.Next() {
		var u unit
		if err := rows.Scan(&u.ID, &u.Code, &u.Name, &u.Path, &u.ParentID); err != nil {
			return nil, fmt.Errorf("monthly: units: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// reportUnit resolves the unit a caller asks the report of: code, or
// the caller's own unit (the root for those who see every unit). A unit
// outside the caller's subtree is "not found".
func (s *Service) reportUnit(ctx context.Context, p *auth.Principal, code string) (unit, error) {
	var u unit
	code = strings.TrimSpace(code)
	var err error
	switch {
	case code != "":
		err = s.DB.QueryRow(ctx, `SELECT id, code, name, path, COALESCE(parent_id, 0) FROM units WHERE code = ?`, code).Scan(&u.ID, &u.Code, &u.Name, &u.Path, &u.ParentID)
	case p.SeesAllUnits() || p.UnitPath == "/":
		err = s.DB.QueryRow(ctx, `SELECT id, code, name, path, 0 FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&u.ID, &u.Code, &u.Name, &u.Path, &u.ParentID)
	default:
		err = s.DB.QueryRow(ctx, `SELECT id, code, name, path, COALESCE(parent_id, 0) FROM units WHERE id = ?`, p.UnitID).Scan(&u.ID, &u.Code, &u.Name, &u.Path, &u.ParentID)
	}
	if err := p.CheckRead(err, func() string { return u.Path }, errs.NotFound("unit "+code)); err != nil {
		if errs.Code(err) != errs.ENOTFOUND {
			return unit{}, fmt.Errorf("monthly: unit: %w", err)
		}
		return unit{}, err
	}
	return u, nil
}

// label names a dimension of a section in Vietnamese (the report's
// language); an unknown one is shown as the provider wrote it.
func label(prefix, key string) string {
	if l, ok := i18n.Lookup("vi", prefix+key); ok {
		return l
	}
	return key
}

// patchLabel names a Microsoft patch state "open/critical".
func patchLabel(dim string) string {
	state, sev, _ := strings.Cut(dim, "/")
	l := label("monthly.patch.", state)
	if sev != "" {
		l += " — " + label("severity.", sev)
	}
	return l
}

// gathered is what the providers said of a month: every unit's samples.
type gathered struct {
	month          string
	from, to, asOf time.Time
	units          []unit
	samples        []measure.Sample
}

// gather asks every provider for a month's samples: [From, To) = the
// month in Vietnam, Now = its end (or now while the month runs).
func (s *Service) gather(ctx context.Context, month string) (*gathered, error) {
	from, to, err := ParseMonth(month)
	if err != nil {
		return nil, err
	}
	now := s.now()
	asOf := to
	if now.Before(to) {
		asOf = now
	}
	if !from.Before(now) {
		return nil, errs.Invalid("month", "%s has not begun", month)
	}
	g := &gathered{month: month, from: from, to: to, asOf: asOf}
	if g.units, err = s.units(ctx, s.DB); err != nil {
		return nil, err
	}
	req := measure.Request{From: from.UTC(), To: to.UTC(), Now: asOf.UTC(), Keys: map[string]bool{}}
	for _, k := range Keys {
		req.Keys[k] = true
	}
	for _, p := range s.Providers {
		got, err := p.Samples(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("monthly: %T samples: %w", p, err)
		}
		g.samples = append(g.samples, got...)
	}
	return g, nil
}

// compute counts the figures of a month for unit u.
func (s *Service) compute(ctx context.Context, month string, u unit) (*Figures, error) {
	g, err := s.gather(ctx, month)
	if err != nil {
		return nil, err
	}
	return s.figuresFor(ctx, g, u)
}

// figuresFor lays out the gathered samples of u's subtree; incidents come
// from MonthlySummary.
func (s *Service) figuresFor(ctx context.Context, g *gathered, u unit) (*Figures, error) {
	month, from, to, asOf, all := g.month, g.from, g.to, g.asOf, g.units
	// Each unit of the subtree belongs to a row: a child of u and its
	// subtree, or u itself (its own objects).
	rowOf := map[int64]int{}
	f := &Figures{Month: month, Unit: u.Code, UnitName: u.Name, From: from, To: to, Now: asOf, GeneratedAt: s.now()}
	rows := map[int64]int{} // row unit id -> index
	own := -1
	for _, x := range all {
		if x.ID == u.ID {
			own = len(f.Units)
			rows[x.ID] = own
			f.Units = append(f.Units, UnitRow{Unit: x.Code, Name: x.Name})
		} else if x.ParentID == u.ID {
			rows[x.ID] = len(f.Units)
			f.Units = append(f.Units, UnitRow{Unit: x.Code, Name: x.Name})
		}
	}
	for _, x := range all {
		if !strings.HasPrefix(x.Path, u.Path) {
			continue
		}
		for _, y := range all { // the row whose path prefixes x's
			if i, ok := rows[y.ID]; ok && y.ID != u.ID && strings.HasPrefix(x.Path, y.Path) {
				rowOf[x.ID] = i
			}
		}
		if _, ok := rowOf[x.ID]; !ok {
			rowOf[x.ID] = own
		}
	}
	samples := g.samples
	wanted := map[string]bool{}
	for _, k := range Keys {
		wanted[k] = true
	}
	seen := map[string]bool{}
	sev := map[string]int64{}
	rules := map[string]int64{}
	opened, closed, patch := map[string]int64{}, map[string]int64{}, map[string]int64{}
	type frac struct{ num, den float64 }
	rowShare := map[string]map[int]*frac{measure.KeyTrainingCompleted: {}, measure.KeyTrainingPassed: {}}
	totals := map[string]*frac{}
	var overdue, ms2023 int64
	for _, sm := range samples {
		i, in := rowOf[sm.UnitID]
		if !in || !wanted[sm.Key] {
			continue
		}
		seen[sm.Key] = true
		n := int64(math.Round(sm.Num))
		switch sm.Key {
		case measure.KeyAlertsBySeverity:
			sev[sm.Dim] += n
			if j := slices.Index(Severities, sm.Dim); j >= 0 && i >= 0 {
				if f.Units[i].Alerts == nil {
					f.Units[i].Alerts = make([]int64, len(Severities))
				}
				f.Units[i].Alerts[j] += n
			}
			if i >= 0 {
				f.Units[i].AlertsTotal += n
			}
		case measure.KeyAlertsByRule:
			rules[sm.Dim] += n
		case measure.KeyFindingsOpened:
			opened[sm.Dim] += n
			if i >= 0 {
				f.Units[i].Opened += n
			}
		case measure.KeyFindingsClosed:
			closed[sm.Dim] += n
			if i >= 0 {
				f.Units[i].Closed += n
			}
		case measure.KeyMSPatchState:
			patch[sm.Dim] += n
		case measure.KeyFindingsOverdue:
			overdue += n
		case measure.KeyFindingsMS2023Open:
			ms2023 += n
		case measure.KeyTrainingCompleted, measure.KeyTrainingPassed, measure.KeyAlertsAckedInTime:
			t := totals[sm.Key]
			if t == nil {
				t = &frac{}
				totals[sm.Key] = t
			}
			t.num, t.den = t.num+sm.Num, t.den+sm.Den
			if m := rowShare[sm.Key]; m != nil && i >= 0 {
				if m[i] == nil {
					m[i] = &frac{}
				}
				m[i].num, m[i].den = m[i].num+sm.Num, m[i].den+sm.Den
			}
		}
	}
	for i := range f.Units {
		if f.Units[i].Alerts == nil {
			f.Units[i].Alerts = make([]int64, len(Severities))
		}
		if x := rowShare[measure.KeyTrainingCompleted][i]; x != nil {
			f.Units[i].Completed = share(x.num, x.den)
		}
		if x := rowShare[measure.KeyTrainingPassed][i]; x != nil {
			f.Units[i].Passed = share(x.num, x.den)
		}
	}
	// The report's own unit shows as a row only when it has objects.
	if own >= 0 && len(f.Units) > 1 {
		r := f.Units[own]
		if r.AlertsTotal == 0 && r.Opened == 0 && r.Closed == 0 && r.Completed == nil && r.Passed == nil {
			f.Units = slices.Delete(f.Units, own, own+1)
		}
	}

	if seen[measure.KeyAlertsBySeverity] {
		for _, k := range Severities {
			f.AlertsBySeverity = append(f.AlertsBySeverity, Count{Key: k, Label: label("alert.sev.", k), Count: sev[k]})
			f.AlertsTotal += sev[k]
		}
		for k, n := range sev { // a severity the report does not know still counts
			if !slices.Contains(Severities, k) {
				f.AlertsBySeverity = append(f.AlertsBySeverity, Count{Key: k, Label: label("alert.sev.", k), Count: n})
				f.AlertsTotal += n
			}
		}
	} else {
		f.Gaps = append(f.Gaps, SectionAlerts)
	}
	if seen[measure.KeyAlertsByRule] {
		f.TopRules = top(rules, TopRules, func(k string) string { return k })
	} else {
		f.Gaps = append(f.Gaps, SectionRules)
	}
	if t := totals[measure.KeyAlertsAckedInTime]; t != nil {
		f.AlertsAcked = share(t.num, t.den)
	}
	if seen[measure.KeyFindingsOpened] || seen[measure.KeyFindingsClosed] {
		kinds := map[string]bool{}
		for k := range opened {
			kinds[k] = true
		}
		for k := range closed {
			kinds[k] = true
		}
		for _, k := range sortedKinds(kinds) {
			f.FindingsOpened = append(f.FindingsOpened, Count{Key: k, Label: label("finding.kind.", k), Count: opened[k]})
			f.FindingsClosed = append(f.FindingsClosed, Count{Key: k, Label: label("finding.kind.", k), Count: closed[k]})
			f.FindingsOpenedTotal += opened[k]
			f.FindingsClosedTotal += closed[k]
		}
	} else {
		f.Gaps = append(f.Gaps, SectionFindings)
	}
	if seen[measure.KeyFindingsOverdue] {
		f.FindingsOverdue = &overdue
	}
	if seen[measure.KeyMSPatchState] {
		keys := make([]string, 0, len(patch))
		for k := range patch {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool {
			return patchRank(keys[a]) < patchRank(keys[b]) || patchRank(keys[a]) == patchRank(keys[b]) && keys[a] < keys[b]
		})
		for _, k := range keys {
			f.PatchState = append(f.PatchState, Count{Key: k, Label: patchLabel(k), Count: patch[k]})
		}
	} else {
		f.Gaps = append(f.Gaps, SectionPatch)
	}
	if seen[measure.KeyFindingsMS2023Open] {
		f.MS2023Open = &ms2023
	}
	if t := totals[measure.KeyTrainingCompleted]; t != nil {
		f.Completed = share(t.num, t.den)
	}
	if t := totals[measure.KeyTrainingPassed]; t != nil {
		f.Passed = share(t.num, t.den)
	}
	if f.Completed == nil && f.Passed == nil {
		f.Gaps = append(f.Gaps, SectionTraining)
	}
	if s.Incidents != nil {
		sum, err := s.Incidents.MonthlySummary(auth.WithPrincipal(ctx, auth.System), u.Code, month)
		if err != nil {
			return nil, err
		}
		inc := &Incidents{Total: sum.Total, Open: sum.Open, Closed: sum.Closed, Contained: sum.Contained, InitialLate: sum.InitialLate,
			MedianContain: int64(time.Duration(sum.MedianContain) / time.Second), MeanContain: int64(time.Duration(sum.MeanContain) / time.Second)}
		for _, c := range sum.ByCategory {
			inc.ByCategory = append(inc.ByCategory, Count{Key: c.Key, Label: label("inc.cat.", c.Key), Count: int64(c.Count)})
		}
		f.Incidents = inc
	} else {
		f.Gaps = append(f.Gaps, SectionIncidents)
	}
	if f.Gaps == nil {
		f.Gaps = []string{}
	}
	return f, nil
}

// patchRank orders patch states: open before accepted before closed,
// critical before high.
func patchRank(dim string) int {
	state, sev, _ := strings.Cut(dim, "/")
	r := 3
	switch state {
	case "open":
		r = 0
	case "accepted":
		r = 1
	case "closed":
		r = 2
	}
	if j := slices.Index(Severities, sev); j >= 0 {
		return r*10 + j
	}
	return r*10 + len(Severities)
}

func sortedKinds(kinds map[string]bool) []string {
	order := []string{"malware", "vulnerability", "missing_update", "warning_list"}
	var out []string
	for _, k := range order {
		if kinds[k] {
			out = append(out, k)
			delete(kinds, k)
		}
	}
	var rest []string
	for k := range kinds {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// top returns the n largest counts, ties by key.
func top(m map[string]int64, n int, lab func(string) string) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{Key: k, Label: lab(k), Count: v})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Count != out[b].Count {
			return out[a].Count > out[b].Count
		}
		return out[a].Key < out[b].Key
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Preview counts a month's figures for a unit the caller reads (code "":
// their own unit, the whole organisation for those who see every unit)
// without storing anything.
func (s *Service) Preview(ctx context.Context, month, unitCode string) (*Figures, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, err := ParseMonth(month); err != nil {
		return nil, err
	}
	u, err := s.reportUnit(ctx, p, unitCode)
	if err != nil {
		return nil, err
	}
	return s.compute(ctx, month, u)
}
