package incident

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/intel/format"
	"vigil/internal/natreport"
	"vigil/internal/store"
)

func guessKind(v string) (string, string, bool) { return format.GuessKind(v) }

func isPrivate(ip string) bool { return natreport.IsInternal(ip) }

// Filter selects cases.
type Filter struct {
	Unit     string // a unit code: cases concerning it or a unit under it
	Status   string // one of Statuses, "open" for any but closed, "" any
	Severity string
	Category string
	Query    string // words of the number or title
	Mine     bool   // owned by the caller or with a task of theirs
	From, To time.Time
	Sort     string // a key of Sorts; "" is most severe open first, then newest
	Desc     bool
	Offset   int
	Limit    int
}

// Sorts are the columns a list of cases sorts by.
var Sorts = map[string]string{
	"ref":      "i.ref_year * 100000 + i.ref_seq",
	"title":    "i.title",
	"severity": "i.severity_rank",
	"status":   "CASE i.status WHEN 'new' THEN 0 WHEN 'triage' THEN 1 WHEN 'containment' THEN 2 WHEN 'eradication' THEN 3 WHEN 'recovery' THEN 4 ELSE 5 END",
	"category": "i.category",
	"unit":     "ou.code",
	"detected": "i.detected_at",
	"opened":   "i.opened_at",
	"updated":  "i.updated_at",
}

// SortKeys lists the keys of Sorts.
var SortKeys = func() []string {
	out := make([]string, 0, len(Sorts))
	for k := range Sorts {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}()

// scope adds the caller's scope to a list of cases i.
func scope(l *store.List, p *auth.Principal) {
	if p.SeesAllUnits() {
		return
	}
	cond, args := p.Scope("u.path")
	l.Where(`(EXISTS (SELECT 1 FROM incident_units iu JOIN units u ON u.id = iu.unit_id WHERE iu.incident_id = i.id AND `+cond+`)
		OR i.owner_id = ? OR EXISTS (SELECT 1 FROM incident_participants ip WHERE ip.incident_id = i.id AND ip.user_id = ?))`,
		append(append([]any(nil), args...), p.UserID, p.UserID)...)
}

func (s *Service) unitPath(ctx context.Context, p *auth.Principal, code string) (string, error) {
	var path string
	err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, strings.TrimSpace(code)).Scan(&path)
	if err != nil && !store.IsNoRows(err) {
		return "", fmt.Errorf("incident: unit: %w", err)
	}
	if err != nil || !p.CanRead(path) {
		return "", errs.NotFound("unit " + strconv.Quote(code))
	}
	return path, nil
}

func (s *Service) filter(ctx context.Context, p *auth.Principal, f Filter, l *store.List) error {
	scope(l, p)
	if f.Unit != "" {
		path, err := s.unitPath(ctx, p, f.Unit)
		if err != nil {
			return err
		}
		l.Where(`EXISTS (SELECT 1 FROM incident_units fu JOIN units u2 ON u2.id = fu.unit_id WHERE fu.incident_id = i.id AND u2.path LIKE ? ESCAPE '\')`, store.LikePrefix(path))
	}
	switch {
	case f.Status == "":
	case f.Status == "open":
		l.Where("i.status <> 'closed'")
	case slices.Contains(Statuses, f.Status):
		l.Where("i.status = ?", f.Status)
	default:
		return errs.Invalid("status", "must be one of %s", "open, "+strings.Join(Statuses, ", "))
	}
	if f.Severity != "" {
		if !slices.Contains(Severities, f.Severity) {
			return errs.Invalid("severity", "must be one of %s", strings.Join(Severities, ", "))
		}
		l.Where("i.severity = ?", f.Severity)
	}
	if f.Category != "" {
		if !slices.Contains(Categories, f.Category) {
			return errs.Invalid("category", "must be one of %s", strings.Join(Categories, ", "))
		}
		l.Where("i.category = ?", f.Category)
	}
	if f.Mine {
		l.Where(`(i.owner_id = ? OR EXISTS (SELECT 1 FROM incident_tasks mt WHERE mt.incident_id = i.id AND mt.owner = ? AND mt.done_at = 0))`, p.UserID, strings.ToLower(p.Email))
	}
	if !f.From.IsZero() {
		l.Where("i.detected_at >= ?", store.Micros(f.From))
	}
	if !f.To.IsZero() {
		l.Where("i.detected_at < ?", store.Micros(f.To))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		l.Where(`(i.ref LIKE ? ESCAPE '\' OR LOWER(i.title) LIKE ? ESCAPE '\')`, store.LikeContains(strings.ToUpper(q)), store.LikeContains(strings.ToLower(q)))
	}
	if f.Sort != "" {
		expr, ok := Sorts[f.Sort]
		if !ok {
			return errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(SortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	} else {
		l.OrderBy("CASE WHEN i.status = 'closed' THEN 0 ELSE i.severity_rank END", true)
	}
	return nil
}

// List returns the cases the caller may read, filtered, sorted and
// paged, with the true total.
func (s *Service) List(ctx context.Context, f Filter) ([]*Case, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	if p.Via == "agent" {
		return nil, 0, errs.Forbidden("agent credentials may call only the agent API")
	}
	l := store.NewList("i.id DESC", f.Limit, 50)
	if err := s.filter(ctx, p, f, l); err != nil {
		return nil, 0, err
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+columns, caseFrom, scanCase)
	if err != nil {
		return nil, 0, fmt.Errorf("incident: list: %w", err)
	}
	if err := s.fill(ctx, out, false); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Cell is one count of the open cases by unit and severity.
type Cell struct {
	Unit     string `json:"unit"`
	UnitName string `json:"unit_name"`
	Severity string `json:"severity"`
	Count    int    `json:"count"`
}

// OpenByUnit counts the open cases in scope by owning unit and severity.
func (s *Service) OpenByUnit(ctx context.Context) ([]Cell, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	l := store.NewList("i.id", 1000, 1000).Where("i.status <> 'closed'")
	scope(l, p)
	cond, args := l.Conditions()
	rows, err := s.DB.Query(ctx, `SELECT ou.code, ou.name, i.severity, COUNT(*)`+caseFrom+` WHERE `+cond+` GROUP BY ou.code, ou.name, ou.path, i.severity ORDER BY ou.path`, args...)
	if err != nil {
		return nil, fmt.Errorf("incident: open by unit: %w", err)
	}
	defer rows.Close()
	var out []Cell
	for rows.Next() {
		var c Cell
		if err := rows.Scan(&c.Unit, &c.UnitName, &c.Severity, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Entry is one line of a case's timeline.
type Entry struct {
	At    time.Time `json:"at"`
	Who   string    `json:"who"`
	Kind  string    `json:"kind"` // status, note, task, task_done, alert, observable, evidence, participant, owner, watchlist, report, delivery
	Text  string    `json:"text"`
	RefID int64     `json:"ref_id,omitempty"`
	// Delivery is a delivery line's data (Text says the same in codes).
	Delivery *Delivery `json:"delivery,omitempty"`
}

// TimelineFilter pages a timeline.
type TimelineFilter struct {
	Kind   string // "" every kind
	Oldest bool   // oldest first (newest first by default)
	Offset int
	Limit  int
}

// Timeline returns a page of a case's timeline (alerts, status changes,
// notes, tasks, observables, evidence, and the outbox's deliveries of its
// reports) with the true total.
func (s *Service) Timeline(ctx context.Context, id int64, f TimelineFilter) ([]Entry, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	if _, _, err := s.readable(ctx, s.DB, p, id); err != nil {
		return nil, 0, err
	}
	return s.timeline(ctx, id, f)
}

func (s *Service) timeline(ctx context.Context, id int64, f TimelineFilter) ([]Entry, int, error) {
	if f.Limit <= 0 || f.Limit > 20000 {
		f.Limit = 500
	}
	var deliveries []Entry
	if s.Deliveries != nil && (f.Kind == "" || f.Kind == "delivery") {
		ds, err := s.Deliveries.ForObject(ctx, ObjectType, strconv.FormatInt(id, 10))
		if err != nil {
			return nil, 0, err
		}
		for _, d := range ds {
			text := d.Purpose + " → " + d.Target + " (" + d.Channel + "): " + d.Status
			if d.LastError != "" {
				text += " — " + d.LastError
			}
			at := d.CreatedAt
			if d.DeliveredAt != nil {
				at = *d.DeliveredAt
			}
			deliveries = append(deliveries, Entry{At: at, Who: WhoOutbox, Kind: "delivery", Text: text, RefID: d.ID,
				Delivery: &Delivery{Purpose: d.Purpose, Channel: d.Channel, Target: d.Target, Status: d.Status, Error: d.LastError}})
			// Every attempt is a line of the case too: what each recipient
			// answered and when, not only the last error.
			for n, a := range d.Log {
				text := d.Purpose + " → " + d.Target + " (" + d.Channel + ") #" + strconv.Itoa(n+1) + ": " + a.Result
				if a.Detail != "" {
					text += " — " + a.Detail
				}
				deliveries = append(deliveries, Entry{At: a.At, Who: WhoOutbox, Kind: "delivery", Text: text, RefID: d.ID,
					Delivery: &Delivery{Purpose: d.Purpose, Channel: d.Channel, Target: d.Target, Status: d.Status, Attempt: n + 1, Result: a.Result, Detail: a.Detail}})
			}
		}
	}
	cond, args := "incident_id = ?", []any{id}
	if f.Kind != "" && f.Kind != "delivery" {
		cond += " AND kind = ?"
		args = append(args, f.Kind)
	}
	var stored int
	if f.Kind != "delivery" {
		if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM incident_events WHERE `+cond, args...).Scan(&stored); err != nil {
			return nil, 0, fmt.Errorf("incident: timeline: %w", err)
		}
	}
	total := stored + len(deliveries)
	order := "DESC"
	if f.Oldest {
		order = "ASC"
	}
	var out []Entry
	if f.Kind != "delivery" {
		// Deliveries and their attempts are few (an attempt at most every few
		// minutes, given up after days): take the stored page widened by them
		// and merge.
		rows, err := s.DB.Query(ctx, `SELECT at, who, kind, text, ref_id FROM incident_events WHERE `+cond+` ORDER BY at `+order+`, id `+order+` LIMIT ? OFFSET ?`,
			append(args, f.Limit+len(deliveries), max(0, f.Offset-len(deliveries)))...)
		if err != nil {
			return nil, 0, fmt.Errorf("incident: timeline: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e Entry
			var at int64
			if err := rows.Scan(&at, &e.Who, &e.Kind, &e.Text, &e.RefID); err != nil {
				return nil, 0, err
			}
			e.At = store.Time(at)
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
	}
	if len(deliveries) == 0 {
		if f.Offset > 0 && f.Kind != "delivery" {
			return out[:min(len(out), f.Limit)], total, nil
		}
		return out, total, nil
	}
	// Merge the deliveries into the window, then cut the page out of it.
	start := max(0, f.Offset-len(deliveries))
	all := append(out, deliveries...)
	sort.SliceStable(all, func(a, b int) bool {
		if f.Oldest {
			return all[a].At.Before(all[b].At)
		}
		return all[a].At.After(all[b].At)
	})
	lo := f.Offset - start
	if lo > len(all) {
		return nil, total, nil
	}
	return all[lo:min(len(all), lo+f.Limit)], total, nil
}

// TimerRow is a clock of a case on the timers view.
type TimerRow struct {
	Case  *Case `json:"case"`
	Clock Clock `json:"clock"`
}

// TimerFilter selects the running clocks.
type TimerFilter struct {
	Unit  string
	Legal bool // only the national deadlines
	Limit int
}

// TimerSorts are the keys the timers list sorts by ("" is "due").
var TimerSorts = []string{"due", "ref", "clock", "severity", "unit"}

// TimerPageFilter pages and sorts the running clocks.
type TimerPageFilter struct {
	TimerFilter
	Sort   string // one of TimerSorts; "" soonest due first
	Desc   bool
	Offset int
}

// TimerPage is one page of the running clocks in f's order, with the true
// total. The clocks are computed from the cases (working days, holidays),
// not stored, so the page is cut from every running clock of the scope
// (at most 5,000 cases).
func (s *Service) TimerPage(ctx context.Context, f TimerPageFilter) ([]TimerRow, int, error) {
	if f.Sort != "" && !slices.Contains(TimerSorts, f.Sort) {
		return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(TimerSorts, ", "))
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	f.Limit = 1 << 30
	all, err := s.timers(ctx, f.TimerFilter)
	if err != nil {
		return nil, 0, err
	}
	less := func(a, b TimerRow) int {
		var c int
		switch f.Sort {
		case "ref":
			c = strings.Compare(a.Case.Ref, b.Case.Ref)
		case "clock":
			c = strings.Compare(a.Clock.Name, b.Clock.Name)
		case "severity":
			c = severityRank(a.Case.Severity) - severityRank(b.Case.Severity)
		case "unit":
			c = strings.Compare(a.Case.Unit, b.Case.Unit)
		}
		if c == 0 {
			c = a.Clock.Due.Compare(b.Clock.Due)
		}
		if f.Desc {
			c = -c
		}
		return c
	}
	slices.SortStableFunc(all, less)
	total := len(all)
	lo := min(f.Offset, total)
	return all[lo:min(total, lo+limit)], total, nil
}

// Timers lists the clocks not yet stopped of the cases in scope, soonest
// deadline first (overdue ones first of all).
func (s *Service) Timers(ctx context.Context, f TimerFilter) ([]TimerRow, error) {
	if f.Limit <= 0 || f.Limit > 5000 {
		f.Limit = 1000
	}
	return s.timers(ctx, f)
}

func (s *Service) timers(ctx context.Context, f TimerFilter) ([]TimerRow, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	l := store.NewList("i.id DESC", 1000, 1000)
	if err := s.filter(ctx, p, Filter{Unit: f.Unit, Sort: "opened", Desc: true}, l); err != nil {
		return nil, err
	}
	l.Where(`(i.status <> 'closed' OR i.final_sent_at = 0 OR i.initial_sent_at = 0 OR (i.personal_data AND i.pd_notified_at = 0))`)
	cond, args := l.Conditions()
	rows, err := s.DB.Query(ctx, `SELECT `+columns+caseFrom+` WHERE `+cond+` ORDER BY i.id DESC LIMIT 5000`, args...)
	if err != nil {
		return nil, fmt.Errorf("incident: timers: %w", err)
	}
	var cases []*Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		cases = append(cases, c)
	}
	rows.Close()
	if err := s.fill(ctx, cases, false); err != nil {
		return nil, err
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []TimerRow
	for _, c := range cases {
		for _, k := range set.Clocks(c, now) {
			if !k.Done.IsZero() || (f.Legal && !k.Legal) {
				continue
			}
			// A closed case's SOC targets no longer run.
			if !c.Open() && !k.Legal {
				continue
			}
			out = append(out, TimerRow{Case: c, Clock: k})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Clock.Due.Before(out[b].Clock.Due) })
	if len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// Count is a number of cases under a key.
type Count struct {
	Key   string `json:"key"`
	Name  string `json:"name,omitempty"`
	Count int    `json:"count"`
}

// Summary sums up the cases detected in a period: counts by category,
// unit and severity, and the time to contain. The monthly report reuses
// it.
type Summary struct {
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	Unit          string    `json:"unit,omitempty"`
	Total         int       `json:"total"`
	Open          int       `json:"open"`
	Closed        int       `json:"closed"`
	ByCategory    []Count   `json:"by_category"` // every category, in the form's order
	ByUnit        []Count   `json:"by_unit"`
	BySeverity    []Count   `json:"by_severity"`
	Contained     int       `json:"contained"`
	MedianContain Duration  `json:"median_contain"` // detection to containment
	MeanContain   Duration  `json:"mean_contain"`
	MedianClose   Duration  `json:"median_close"`
	InitialLate   int       `json:"initial_late"` // initial reports sent late or overdue
}

// Duration is a duration written in JSON as seconds.
type Duration time.Duration

// MarshalJSON writes seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatInt(int64(time.Duration(d)/time.Second), 10)), nil
}

// Hours is the duration in hours.
func (d Duration) Hours() float64 { return time.Duration(d).Hours() }

// Text writes the duration as days and hours ("2 ngày 3 giờ").
func (d Duration) Text(lang string) string {
	t := time.Duration(d)
	if t <= 0 {
		return "—"
	}
	days, hours, mins := int(t/(24*time.Hour)), int(t%(24*time.Hour)/time.Hour), int(t%time.Hour/time.Minute)
	if lang == "en" {
		switch {
		case days > 0:
			return fmt.Sprintf("%dd %dh", days, hours)
		case hours > 0:
			return fmt.Sprintf("%dh %dmin", hours, mins)
		}
		if mins == 0 {
			return "< 1min"
		}
		return fmt.Sprintf("%dmin", mins)
	}
	switch {
	case days > 0:
		return fmt.Sprintf("%d ngày %d giờ", days, hours)
	case hours > 0:
		return fmt.Sprintf("%d giờ %d phút", hours, mins)
	}
	if mins == 0 {
		return "dưới 1 phút"
	}
	return fmt.Sprintf("%d phút", mins)
}

// MonthRange is [first day of month, first day of the next) in Vietnam;
// month is YYYY-MM.
func MonthRange(month string) (time.Time, time.Time, error) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(month), i18n.Location)
	if err != nil {
		return time.Time{}, time.Time{}, errs.Invalid("month", "%q is not a month written YYYY-MM", month)
	}
	return t, t.AddDate(0, 1, 0), nil
}

// Summarize sums up the cases of unitCode's subtree ("" every case the
// caller sees) detected in [from, to).
func (s *Service) Summarize(ctx context.Context, unitCode string, from, to time.Time) (*Summary, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	cases, err := s.casesIn(ctx, p, unitCode, from, to)
	if err != nil {
		return nil, err
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	sum := &Summary{From: from, To: to, Unit: unitCode, Total: len(cases)}
	cat, unit, sev := map[string]int{}, map[string]int{}, map[string]int{}
	names := map[string]string{}
	var contain, closeT []time.Duration
	now := s.now()
	for _, c := range cases {
		cat[c.Category]++
		unit[c.Unit]++
		names[c.Unit] = c.UnitName
		sev[c.Severity]++
		if c.Open() {
			sum.Open++
		} else {
			sum.Closed++
			closeT = append(closeT, c.ClosedAt.Sub(c.DetectedAt))
		}
		if !c.ContainedAt.IsZero() {
			contain = append(contain, c.ContainedAt.Sub(c.DetectedAt))
		}
		for _, k := range set.Clocks(c, now) {
			if k.Name == ClockInitial && (k.State == ClockLate || k.State == ClockOverdue) {
				sum.InitialLate++
			}
		}
	}
	for _, k := range Categories {
		sum.ByCategory = append(sum.ByCategory, Count{Key: k, Count: cat[k]})
	}
	for _, k := range Severities {
		sum.BySeverity = append(sum.BySeverity, Count{Key: k, Count: sev[k]})
	}
	for k, n := range unit {
		sum.ByUnit = append(sum.ByUnit, Count{Key: k, Name: names[k], Count: n})
	}
	sort.Slice(sum.ByUnit, func(a, b int) bool {
		if sum.ByUnit[a].Count != sum.ByUnit[b].Count {
			return sum.ByUnit[a].Count > sum.ByUnit[b].Count
		}
		return sum.ByUnit[a].Key < sum.ByUnit[b].Key
	})
	sum.Contained = len(contain)
	sum.MedianContain, sum.MeanContain = median(contain), mean(contain)
	sum.MedianClose = median(closeT)
	return sum, nil
}

// MonthlySummary is Summarize over one month (YYYY-MM) in Vietnam.
func (s *Service) MonthlySummary(ctx context.Context, unitCode, month string) (*Summary, error) {
	from, to, err := MonthRange(month)
	if err != nil {
		return nil, err
	}
	return s.Summarize(ctx, unitCode, from, to)
}

func median(d []time.Duration) Duration {
	if len(d) == 0 {
		return 0
	}
	x := slices.Clone(d)
	slices.Sort(x)
	if len(x)%2 == 1 {
		return Duration(x[len(x)/2])
	}
	return Duration((x[len(x)/2-1] + x[len(x)/2]) / 2)
}

func mean(d []time.Duration) Duration {
	if len(d) == 0 {
		return 0
	}
	var t time.Duration
	for _, v := range d {
		t += v
	}
	return Duration(t / time.Duration(len(d)))
}

// casesIn reads every case in scope detected in [from, to) (of unitCode's
// subtree when given), with their units.
func (s *Service) casesIn(ctx context.Context, p *auth.Principal, unitCode string, from, to time.Time) ([]*Case, error) {
	l := store.NewList("i.id", 1000, 1000)
	if err := s.filter(ctx, p, Filter{Unit: unitCode, From: from, To: to, Sort: "detected"}, l); err != nil {
		return nil, err
	}
	cond, args := l.Conditions()
	rows, err := s.DB.Query(ctx, `SELECT `+columns+caseFrom+` WHERE `+cond+` ORDER BY i.detected_at, i.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("incident: cases: %w", err)
	}
	var out []*Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := 0; i < len(out); i += 500 {
		if err := s.fill(ctx, out[i:min(len(out), i+500)], false); err != nil {
			return nil, err
		}
	}
	return out, nil
}
