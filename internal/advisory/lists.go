package advisory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Filter selects advisories.
type Filter struct {
	Status   string // one of Statuses, "" for any
	Severity string // one of Severities, "" for any
	Unit     string // a unit code: advisories targeting it or a unit under it
	Overdue  bool   // only those with an overdue target unit in view
	// Waiting selects the issued advisories the caller's own unit has not
	// reported completed, soonest deadline first.
	Waiting bool
	Query   string // words of the reference or title
	Sort    string // a key of Sorts; "" is newest first
	Desc    bool
	Offset  int
	Limit   int
}

// Sorts are the columns a list of advisories sorts by.
var Sorts = map[string]string{
	"ref":      "a.ref_year * 100000 + a.ref_seq",
	"title":    "a.title",
	"severity": "CASE a.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END",
	"deadline": "CASE WHEN a.deadline = 0 THEN 9223372036854775807 ELSE a.deadline END",
	"issued":   "a.issued_at",
	"status":   "a.status",
	"issuer":   "a.issuer",
}

// SortKeys lists the keys of Sorts.
var SortKeys = sortedKeys(Sorts)

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// unitPath returns the path of a unit the caller reads, or not found.
func (s *Service) unitPath(ctx context.Context, p *auth.Principal, code string) (int64, string, error) {
	var id int64
	var path string
	err := s.DB.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, code).Scan(&id, &path)
	if err != nil && !store.IsNoRows(err) {
		return 0, "", fmt.Errorf("advisory: unit: %w", err)
	}
	if err != nil || !p.CanRead(path) {
		return 0, "", errs.NotFound("unit " + strconv.Quote(code))
	}
	return id, path, nil
}

// List returns the advisories the caller may read, filtered, sorted and
// paged, and the true total.
func (s *Service) List(ctx context.Context, f Filter) ([]*Advisory, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	all, err := s.seesAll(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("a.id DESC", f.Limit, 100)
	// targetIn is a condition on a target unit t/u of the advisory a, in
	// the caller's scope.
	scopeCond, scopeArgs := p.Scope("u.path")
	exists := func(cond string, args ...any) {
		l.Where(`EXISTS (SELECT 1 FROM advisory_targets t JOIN units u ON u.id = t.unit_id WHERE t.advisory_id = a.id AND `+scopeCond+` AND `+cond+`)`,
			append(append([]any(nil), scopeArgs...), args...)...)
	}
	if !all {
		exists("1=1")
	}
	if f.Status != "" {
		if !slices.Contains(Statuses, f.Status) {
			return nil, 0, errs.Invalid("status", "must be one of %s", errs.OneOf{Prefix: "adv.status.", Codes: Statuses})
		}
		l.Where("a.status = ?", f.Status)
	}
	if f.Severity != "" {
		if !slices.Contains(Severities, f.Severity) {
			return nil, 0, errs.Invalid("severity", "must be one of %s", errs.OneOf{Prefix: "severity.", Codes: Severities})
		}
		l.Where("a.severity = ?", f.Severity)
	}
	if f.Unit != "" {
		_, path, err := s.unitPath(ctx, p, f.Unit)
		if err != nil {
			return nil, 0, err
		}
		exists(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	now := store.Micros(s.now())
	if f.Overdue {
		l.Where("a.status = 'issued' AND a.deadline > 0 AND a.deadline < ?", now)
		exists("t.completed_at = 0")
	}
	if f.Waiting {
		l.Where("a.status = 'issued'")
		l.Where(`EXISTS (SELECT 1 FROM advisory_targets w WHERE w.advisory_id = a.id AND w.unit_id = ? AND w.completed_at = 0)`, p.UnitID)
		if f.Sort == "" {
			f.Sort = "deadline"
		}
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		l.Where(`(a.ref LIKE ? ESCAPE '\' OR LOWER(a.title) LIKE ? ESCAPE '\' OR a.cves LIKE ? ESCAPE '\')`,
			store.LikeContains(strings.ToUpper(q)), store.LikeContains(strings.ToLower(q)), store.LikeContains(strings.ToUpper(q)))
	}
	if f.Sort != "" {
		expr, ok := Sorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(SortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+columns, ` FROM advisories a`, scanAdvisory)
	if err != nil {
		return nil, 0, fmt.Errorf("advisory: list: %w", err)
	}
	if err := s.count(ctx, p, out); err != nil {
		return nil, 0, err
	}
	if p.UnitID != 0 && len(out) > 0 {
		if err := s.mine(ctx, p, out); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// mine fills each advisory's answer of the caller's own unit.
func (s *Service) mine(ctx context.Context, p *auth.Principal, as []*Advisory) error {
	byID := map[int64]*Advisory{}
	ids := []any{p.UnitID}
	for _, a := range as {
		byID[a.ID] = a
		ids = append(ids, a.ID)
	}
	rows, err := s.DB.Query(ctx, `SELECT t.advisory_id, `+targetColumns+` FROM advisory_targets t JOIN units u ON u.id = t.unit_id
		WHERE t.unit_id = ? AND t.advisory_id IN (`+placeholders(len(as))+`)`, ids...)
	if err != nil {
		return fmt.Errorf("advisory: own unit's answers: %w", err)
	}
	defer rows.Close()
	now := s.now()
	for rows.Next() {
		var id int64
		t, err := scanTarget(prefixed{rows, &id})
		if err != nil {
			return fmt.Errorf("advisory: own unit's answers: %w", err)
		}
		if a := byID[id]; a != nil {
			t.finish(a, now)
			a.Mine = t
		}
	}
	return rows.Err()
}

// prefixed scans one leading column into id before the rest.
type prefixed struct {
	sc store.Scanner
	id *int64
}

func (x prefixed) Scan(dest ...any) error { return x.sc.Scan(append([]any{x.id}, dest...)...) }

// TargetFilter selects an advisory's target units.
type TargetFilter struct {
	State   string // one of States, "" for any
	Overdue bool
	Sort    string // a key of TargetSorts; "" is the unit tree's order
	Desc    bool
	Offset  int
	Limit   int
}

// TargetSorts are the columns a list of target units sorts by.
var TargetSorts = map[string]string{
	"unit":      "u.code",
	"name":      "u.name",
	"acked":     "t.acked_at",
	"completed": "t.completed_at",
	"state":     "CASE WHEN t.completed_at > 0 THEN 2 WHEN t.acked_at > 0 THEN 1 ELSE 0 END",
}

// TargetSortKeys lists the keys of TargetSorts.
var TargetSortKeys = sortedKeys(TargetSorts)

// Targets lists an advisory's target units in the caller's scope, each
// with its answer, whether it is overdue and its open findings about the
// advisory's CVEs.
func (s *Service) Targets(ctx context.Context, id int64, f TargetFilter) ([]*Target, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("t.unit_id", f.Limit, 100).Scope(p, "u.path").Where("t.advisory_id = ?", id)
	switch f.State {
	case "":
	case StateWaiting:
		l.Where("t.acked_at = 0 AND t.completed_at = 0")
	case StateAcknowledged:
		l.Where("t.acked_at > 0 AND t.completed_at = 0")
	case StateCompleted:
		l.Where("t.completed_at > 0")
	default:
		return nil, 0, errs.Invalid("state", "must be one of %s", errs.OneOf{Prefix: "adv.state.", Codes: States})
	}
	if f.Overdue {
		if !a.PastDeadline(s.now()) {
			return nil, 0, nil
		}
		l.Where("t.completed_at = 0")
	}
	if f.Sort == "" {
		l.OrderBy("u.path", f.Desc)
	} else {
		expr, ok := TargetSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(TargetSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+targetColumns, ` FROM advisory_targets t JOIN units u ON u.id = t.unit_id`, scanTarget)
	if err != nil {
		return nil, 0, fmt.Errorf("advisory: targets: %w", err)
	}
	now := s.now()
	for _, t := range out {
		t.finish(a, now)
	}
	if err := s.countFindings(ctx, a, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// countFindings fills each target's open findings about the advisory's
// CVEs, over the unit's subtree (what /findings?unit=CODE&cve=... shows):
// findings whose CVE is one of them, and missing updates that fix one.
func (s *Service) countFindings(ctx context.Context, a *Advisory, ts []*Target) error {
	if len(a.CVEs) == 0 || len(ts) == 0 {
		return nil
	}
	cves := a.CVEs
	if len(cves) > 20 {
		cves = cves[:20]
	}
	for _, cve := range cves {
		// Open findings about cve per unit, then rolled up the tree.
		rows, err := s.DB.Query(ctx, `SELECT u.path, COUNT(*) FROM findings f JOIN hosts h ON h.id = f.host_id JOIN units u ON u.id = h.unit_id
			WHERE f.status IN ('open', 'in_progress') AND (f.cve = ? OR (f.kind = 'missing_update' AND f.evidence LIKE ? ESCAPE '\'))
			GROUP BY u.path`, cve, store.LikeContains(`"`+cve+`"`))
		if err != nil {
			return fmt.Errorf("advisory: findings about %s: %w", cve, err)
		}
		per := map[string]int{}
		for rows.Next() {
			var path string
			var n int
			if err := rows.Scan(&path, &n); err != nil {
				rows.Close()
				return fmt.Errorf("advisory: findings about %s: %w", cve, err)
			}
			per[path] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("advisory: findings about %s: %w", cve, err)
		}
		for _, t := range ts {
			n := 0
			for path, k := range per {
				if strings.HasPrefix(path, t.Path) {
					n += k
				}
			}
			if n > 0 {
				t.ByCVE = append(t.ByCVE, CVECount{CVE: cve, Count: n})
				t.Findings += n
			}
		}
	}
	return nil
}

// Late is an overdue target unit of an advisory.
type Late struct {
	ID       int64  `json:"id"`
	Ref      string `json:"ref"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Target
	Deadline time.Time `json:"deadline"`
}

// OverdueFilter selects overdue target units across advisories.
type OverdueFilter struct {
	Unit   string // a unit code: that unit and the units under it
	Sort   string // a key of OverdueSorts; "" is the oldest deadline first
	Desc   bool
	Offset int
	Limit  int
}

// OverdueSorts are the columns the overdue list sorts by.
var OverdueSorts = map[string]string{
	"deadline": "a.deadline",
	"unit":     "u.code",
	"ref":      "a.ref_year * 100000 + a.ref_seq",
	"severity": "CASE a.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END",
	"acked":    "t.acked_at",
}

// OverdueSortKeys lists the keys of OverdueSorts.
var OverdueSortKeys = sortedKeys(OverdueSorts)

// Overdue lists the target units in the caller's scope that have not
// reported completion of an issued advisory whose deadline has passed.
func (s *Service) Overdue(ctx context.Context, f OverdueFilter) ([]*Late, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	now := s.now()
	l := store.NewList("t.unit_id", f.Limit, 100).Scope(p, "u.path").
		Where("a.status = 'issued' AND a.deadline > 0 AND a.deadline < ? AND t.completed_at = 0", store.Micros(now))
	if f.Unit != "" {
		_, path, err := s.unitPath(ctx, p, f.Unit)
		if err != nil {
			return nil, 0, err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	sort := f.Sort
	if sort == "" {
		sort = "deadline"
	}
	expr, ok := OverdueSorts[sort]
	if !ok {
		return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(OverdueSortKeys, ", "))
	}
	// Ties keep one order: the advisory, then the unit.
	l.OrderBy(expr+(map[bool]string{true: " DESC", false: ""}[f.Desc])+", a.id", f.Desc)
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT a.id, a.ref, a.title, a.severity, a.deadline, `+targetColumns,
		` FROM advisory_targets t JOIN units u ON u.id = t.unit_id JOIN advisories a ON a.id = t.advisory_id`,
		func(sc store.Scanner) (*Late, error) {
			var x Late
			var deadline int64
			t, err := scanTarget(lateScan{sc, &x, &deadline})
			if err != nil {
				return nil, err
			}
			x.Target = *t
			x.Deadline = store.Time(deadline)
			x.Target.finish(&Advisory{Status: StatusIssued, Deadline: x.Deadline}, now)
			return &x, nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("advisory: overdue: %w", err)
	}
	return out, total, nil
}

type lateScan struct {
	sc       store.Scanner
	x        *Late
	deadline *int64
}

func (l lateScan) Scan(dest ...any) error {
	return l.sc.Scan(append([]any{&l.x.ID, &l.x.Ref, &l.x.Title, &l.x.Severity, l.deadline}, dest...)...)
}
