package web

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/i18n"
	"vigil/internal/org"
)

// The vulnerability views of issue 11 (measure 3): a unit's dashboard
// (open by severity, overdue, KEV, the trend, the units under it rolled
// up), the Microsoft 2023 high/critical view the directive asks for, and
// the due-date settings. Figures come from internal/findings.

// scoreText is a CVSS score as people write it ("9,8" in Vietnamese).
func scoreText(v float64, lang string) string {
	if v <= 0 {
		return ""
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// epssText is an EPSS probability as a percentage.
func epssText(v float64, lang string) string {
	if v <= 0 {
		return ""
	}
	s := strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
	if lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// unitSortKeys are the columns the roll-up by unit sorts by.
var unitSortKeys = []string{"unit", "open", "critical", "high", "medium", "low", "overdue", "kev", "hosts", "accepted"}

func tallyValue(u findings.UnitTally, key string) int {
	switch key {
	case "open":
		return u.Open
	case "critical", "high", "medium", "low":
		return u.BySeverity[key]
	case "overdue":
		return u.Overdue
	case "kev":
		return u.KEV
	case "hosts":
		return u.Hosts
	case "accepted":
		return u.Accepted
	}
	return 0
}

// sortTallies orders a roll-up in place: by unit code, or by a figure
// (ties by code).
func sortTallies(rows []findings.UnitTally, key string, desc bool) {
	slices.SortStableFunc(rows, func(a, b findings.UnitTally) int {
		c := 0
		if key != "" && key != "unit" {
			c = cmp.Compare(tallyValue(a, key), tallyValue(b, key))
		}
		if c == 0 {
			c = cmp.Compare(a.Code, b.Code)
		}
		if desc {
			c = -c
		}
		return c
	})
}

// tallyPage pages a roll-up held in memory.
func tallyPage(rows []findings.UnitTally, lp listParams) []findings.UnitTally {
	from := min(lp.Offset, len(rows))
	to := min(from+lp.Limit, len(rows))
	return rows[from:to]
}

// tallyExportColumns are the roll-up's export columns.
func tallyExportColumns(lang string) []exportColumn[findings.UnitTally] {
	n := func(key string) func(findings.UnitTally) string {
		return func(u findings.UnitTally) string { return strconv.Itoa(tallyValue(u, key)) }
	}
	return []exportColumn[findings.UnitTally]{
		{"vuln.unit_code", func(u findings.UnitTally) string { return u.Code }},
		{"common.unit", func(u findings.UnitTally) string {
			if u.Self {
				return u.Name + " " + i18n.T(lang, "vuln.self")
			}
			return u.Name
		}},
		{"vuln.open", n("open")},
		{"severity.critical", n("critical")},
		{"severity.high", n("high")},
		{"severity.medium", n("medium")},
		{"severity.low", n("low")},
		{"vuln.overdue", n("overdue")},
		{"vuln.kev", n("kev")},
		{"vuln.hosts", n("hosts")},
		{"finding.accepted_risk", n("accepted")},
	}
}

// rollupList serves a roll-up as a page's list: sorted, paged, or
// exported (true when it wrote the export).
func rollupList(w http.ResponseWriter, r *http.Request, lp listParams, rows []findings.UnitTally, name string) (bool, error) {
	sortTallies(rows, lp.Sort, lp.Desc)
	if lp.Format == "" {
		return false, nil
	}
	err := exportList(w, r, lp, name, tallyExportColumns(exportLang(r)), func(offset, limit int) ([]findings.UnitTally, int, error) {
		return tallyPage(rows, listParams{Offset: offset, Limit: limit}), len(rows), nil
	})
	return true, err
}

type vulnDashData struct {
	Unit     findings.UnitRef
	Units    []*org.Unit // the unit chooser
	Total    findings.Tally
	Rows     []findings.UnitTally
	Pager    *pager
	Trend    []findings.WeekPoint
	Chart    template.HTML
	Filter   url.Values
	Sevs     []string
	MS2023   bool // the page is the Microsoft 2023 view
	Findings []ms2023Row
	FPager   *pager
	IsAdmin  bool
	Weeks    int
	Base     string // the findings queue's filter for this view's figures
}

// uiVulnerabilities is a unit's vulnerability dashboard.
func (s *Server) uiVulnerabilities(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lp, err := readList(r, unitSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	weeks := 8
	if v := q.Get("weeks"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 26 {
			s.uiError(w, r, errs.Invalid("weeks", "must be a number of weeks from 1 to 26"))
			return
		}
		weeks = n
	}
	dash, err := s.Findings.VulnDashboard(r.Context(), q.Get("unit"), weeks, false)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if done, err := rollupList(w, r, lp, dash.Units, "vulnerabilities-"+dash.Unit.Code); done {
		if err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	units, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lang := langOf(r)
	d := &vulnDashData{Unit: dash.Unit, Units: units, Total: dash.Total, Rows: tallyPage(dash.Units, lp), Trend: dash.Trend, Filter: q,
		Sevs: findings.Severities, Weeks: weeks, IsAdmin: principalOf(r).Role == auth.RoleAdmin,
		Base: "/findings?kind=vulnerability,missing_update&status=active&sort=priority&order=desc&unit=" + url.QueryEscape(dash.Unit.Code)}
	d.Pager = newPager(r, lp, len(d.Rows), len(dash.Units))
	d.Chart = trendChart(dash.Trend, lang)
	p := s.newPage(r, "vulnerabilities", "vuln.title", d)
	s.render(w, r, http.StatusOK, "vulns", p)
}

// trendChart draws the open count over the weeks as bars (server-side SVG,
// no script), with the figure in each bar's title for screen readers.
func trendChart(points []findings.WeekPoint, lang string) template.HTML {
	if len(points) == 0 {
		return ""
	}
	top := 1
	for _, p := range points {
		top = max(top, p.Open)
	}
	const width, height, gap = 480, 120, 6
	bw := (width - gap*(len(points)+1)) / len(points)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="trend" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`, width, height+18, width, height+18, template.HTMLEscapeString(i18n.T(lang, "vuln.trend")))
	for i, p := range points {
		h := p.Open * height / top
		x := gap + i*(bw+gap)
		label := fmt.Sprintf("%s: %s", i18n.FormatDate(p.End, lang), i18n.Number(p.Open, lang))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="currentColor" opacity="0.7"><title>%s</title></rect>`, x, height-h, bw, max(h, 1), template.HTMLEscapeString(label))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle">%s</text>`, x+bw/2, height+14, template.HTMLEscapeString(i18n.Number(p.Open, lang)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// ms2023Row is a Microsoft 2023 fix a host lacks, for the view.
type ms2023Row struct {
	*findings.Finding
	KB       string
	Product  string
	CVEs     []string
	Document string
	CVSSText string
}

func ms2023Rows(list []*findings.Finding, lang string) []ms2023Row {
	out := make([]ms2023Row, 0, len(list))
	for _, f := range list {
		row := ms2023Row{Finding: f, CVSSText: scoreText(f.CVSS, lang)}
		var ev findings.MissingUpdateEvidence
		if json.Unmarshal(f.Evidence, &ev) == nil {
			row.KB, row.Product, row.CVEs, row.Document = ev.KB, ev.Product, ev.CVEs, ev.Document
			if row.KB == "" {
				row.KB = strings.TrimPrefix(strings.ToUpper(ev.Update), "KB")
			}
		}
		if row.KB == "" {
			row.KB = strings.TrimPrefix(f.Key, "kb:")
		}
		out = append(out, row)
	}
	return out
}

// ms2023SortKeys are the Microsoft 2023 list's columns.
var ms2023SortKeys = []string{"priority", "severity", "host", "unit", "due", "cvss", "title", "status"}

// uiMS2023 is the Microsoft 2023 high/critical view: for the unit (its
// subtree rolled up, unit by unit), the hosts still missing a 2023 high or
// critical Microsoft fix and the KB that closes each.
func (s *Server) uiMS2023(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("status") {
		q.Set("status", "active")
		r.URL.RawQuery = q.Encode()
	}
	lp, err := readList(r, ms2023SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := findingFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	u, err := s.Findings.ResolveUnit(r.Context(), q.Get("unit"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f.Unit, f.MS2023, f.Kinds = u.Code, true, nil
	if lp.Sort == "" {
		lp.Sort, lp.Desc = "priority", true
	}
	if lp.Format != "" {
		if err := s.exportMS2023(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Findings.List(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	tally, rows, err := s.Findings.Rollup(r.Context(), u, true)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	sortTallies(rows, "open", true)
	units, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &vulnDashData{Unit: u, Units: units, Total: tally, Rows: rows, Filter: q, MS2023: true, Sevs: []string{findings.SeverityCritical, findings.SeverityHigh},
		Findings: ms2023Rows(list, langOf(r)), FPager: newPager(r, lp, len(list), total)}
	s.render(w, r, http.StatusOK, "vuln_ms2023", s.newPage(r, "vulnerabilities", "vuln.ms2023.title", d))
}

// exportMS2023 writes the Microsoft 2023 list as CSV or XLSX: one row per
// host and KB, with the unit, the CVEs and the dates.
func (s *Server) exportMS2023(w http.ResponseWriter, r *http.Request, lp listParams, f findings.Filter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return i18n.FormatDate(t, lang)
	}
	cols := []exportColumn[ms2023Row]{
		{"vuln.unit_code", func(x ms2023Row) string { return x.Unit }},
		{"common.unit", func(x ms2023Row) string { return x.UnitName }},
		{"hosts.hostname", func(x ms2023Row) string { return x.Hostname }},
		{"vuln.kb", func(x ms2023Row) string { return "KB" + x.KB }},
		{"vuln.product", func(x ms2023Row) string { return x.Product }},
		{"finding.severity", func(x ms2023Row) string { return i18n.T(lang, "severity."+x.Severity) }},
		{"vuln.cves", func(x ms2023Row) string { return strings.Join(x.CVEs, " ") }},
		{"vuln.cvss", func(x ms2023Row) string { return scoreText(x.CVSS, lang) }},
		{"vuln.kev", func(x ms2023Row) string { return yesNo(lang, x.KEV) }},
		{"vuln.kev_due", func(x ms2023Row) string { return date(x.KEVDue) }},
		{"vuln.document", func(x ms2023Row) string { return x.Document }},
		{"vuln.priority", func(x ms2023Row) string { return strconv.Itoa(x.Priority) }},
		{"finding.due", func(x ms2023Row) string { return date(x.DueAt) }},
		{"vuln.overdue", func(x ms2023Row) string { return yesNo(lang, x.Overdue) }},
		{"common.status", func(x ms2023Row) string { return i18n.T(lang, "finding."+x.Status) }},
		{"finding.owner", func(x ms2023Row) string { return x.Owner }},
		{"finding.first_seen", func(x ms2023Row) string { return date(x.FirstSeen) }},
	}
	return exportList(w, r, lp, "microsoft-2023", cols, func(offset, limit int) ([]ms2023Row, int, error) {
		f.Offset, f.Limit = offset, limit
		list, total, err := s.Findings.List(r.Context(), f)
		return ms2023Rows(list, lang), total, err
	})
}

type dueDaysData struct {
	Settings []findings.DueSetting
	Kinds    []string
	Sevs     []string
	Days     map[string]int // kind/severity → days
	CanEdit  bool
	Form     *formState
}

func (s *Server) renderDueDays(w http.ResponseWriter, r *http.Request, status int, fm *formState) {
	list, err := s.Findings.DueDays(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &dueDaysData{Settings: list, Kinds: findings.Kinds, Sevs: findings.Severities, Days: map[string]int{}, Form: fm,
		CanEdit: principalOf(r).Role == auth.RoleAdmin}
	for _, x := range list {
		d.Days[x.Kind+"/"+x.Severity] = x.Days
	}
	s.render(w, r, status, "vuln_due", s.newPage(r, "vulnerabilities", "vuln.due.title", d))
}

// uiDueDays shows the due-date settings (administrators change them).
func (s *Server) uiDueDays(w http.ResponseWriter, r *http.Request) {
	s.renderDueDays(w, r, http.StatusOK, nil)
}

// uiSetDueDays saves the settings form: one number of days per kind and
// severity, named "kind/severity".
func (s *Server) uiSetDueDays(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	var in []findings.DueSetting
	var fields []string
	var bad error
	for _, k := range findings.Kinds {
		for _, sev := range findings.Severities {
			name := k + "/" + sev
			fields = append(fields, name)
			v := strings.TrimSpace(r.PostForm.Get(name))
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(v)
			if err != nil && bad == nil {
				bad = errs.Invalid(name, "give a number of days from 1 to %d", findings.MaxDueDays)
			}
			if err == nil && (n < 1 || n > findings.MaxDueDays) && bad == nil {
				bad = errs.Invalid(name, "give a number of days from 1 to %d", findings.MaxDueDays)
			}
			in = append(in, findings.DueSetting{Kind: k, Severity: sev, Days: n})
		}
	}
	if bad == nil {
		_, bad = s.Findings.SetDueDays(r.Context(), in)
	}
	if bad != nil {
		if !formError(bad) {
			s.uiError(w, r, bad)
			return
		}
		s.renderDueDays(w, r, statusOf(errs.Code(bad)), newFormState(r, bad, fields...))
		return
	}
	redirectSaved(w, r, "/vulnerabilities/due-days")
}

// vulnCard is the dashboard's measure 3: the caller's open vulnerabilities
// and missing updates (true totals of its scope), the critical and high
// ones, the overdue, the KEV, and the hosts still missing Microsoft 2023
// high/critical fixes.
func (s *Server) vulnCard(r *http.Request) (*measureCard, error) {
	ctx := r.Context()
	u, err := s.Findings.ResolveUnit(ctx, "")
	if err != nil {
		if errs.Code(err) == errs.ENOTFOUND {
			return nil, nil
		}
		return nil, err
	}
	all, _, err := s.Findings.Rollup(ctx, u, false)
	if err != nil {
		return nil, err
	}
	ms, _, err := s.Findings.Rollup(ctx, u, true)
	if err != nil {
		return nil, err
	}
	if all.Open == 0 && all.Accepted == 0 {
		return nil, nil
	}
	lang := langOf(r)
	base := "/findings?kind=vulnerability,missing_update&status=active&sort=priority&order=desc&unit=" + url.QueryEscape(u.Code)
	ch := all.BySeverity[findings.SeverityCritical] + all.BySeverity[findings.SeverityHigh]
	return &measureCard{Link: "/vulnerabilities?unit=" + url.QueryEscape(u.Code), Stats: []cardStat{
		{Label: i18n.T(lang, "vuln.card.open"), Value: i18n.Number(all.Open, lang), Link: base},
		{Label: i18n.T(lang, "vuln.card.critical_high"), Value: i18n.Number(ch, lang), Bad: ch > 0, Link: base + "&severity=critical,high"},
		{Label: i18n.T(lang, "vuln.card.overdue"), Value: i18n.Number(all.Overdue, lang), Bad: all.Overdue > 0, Link: base + "&overdue=true"},
		{Label: i18n.T(lang, "vuln.card.kev"), Value: i18n.Number(all.KEV, lang), Bad: all.KEV > 0, Link: base + "&kev=true"},
		{Label: i18n.T(lang, "vuln.card.ms2023"), Value: i18n.Number(ms.Hosts, lang), Bad: ms.Hosts > 0, Link: "/vulnerabilities/ms2023?unit=" + url.QueryEscape(u.Code)},
	}}, nil
}

// vulnUnitSection adds the unit's vulnerabilities (its subtree rolled up)
// to its page, with links to the two views.
func (s *Server) vulnUnitSection(r *http.Request, u *org.Unit) (*unitSection, error) {
	ctx := r.Context()
	ref, err := s.Findings.ResolveUnit(ctx, u.Code)
	if err != nil {
		if errs.Code(err) == errs.ENOTFOUND {
			return nil, nil
		}
		return nil, err
	}
	all, _, err := s.Findings.Rollup(ctx, ref, false)
	if err != nil {
		return nil, err
	}
	if all.Open == 0 && all.Accepted == 0 {
		return nil, nil
	}
	ms, _, err := s.Findings.Rollup(ctx, ref, true)
	if err != nil {
		return nil, err
	}
	lang := langOf(r)
	code := url.QueryEscape(u.Code)
	ch := all.BySeverity[findings.SeverityCritical] + all.BySeverity[findings.SeverityHigh]
	return &unitSection{Title: i18n.T(lang, "vuln.title"), Link: "/vulnerabilities?unit=" + code, Stats: []cardStat{
		{Label: i18n.T(lang, "vuln.card.open"), Value: i18n.Number(all.Open, lang)},
		{Label: i18n.T(lang, "vuln.card.critical_high"), Value: i18n.Number(ch, lang), Bad: ch > 0},
		{Label: i18n.T(lang, "vuln.card.overdue"), Value: i18n.Number(all.Overdue, lang), Bad: all.Overdue > 0},
		{Label: i18n.T(lang, "vuln.card.ms2023"), Value: i18n.Number(ms.Hosts, lang), Bad: ms.Hosts > 0, Link: "/vulnerabilities/ms2023?unit=" + code},
	}}, nil
}
