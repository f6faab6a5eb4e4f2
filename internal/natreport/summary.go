package natreport

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Mẫu 05: a unit's six-monthly or annual summary, counted from the cases
// of its subtree detected in the period.

func (s *Service) summaryCases(ctx context.Context, u *unitRow, from, to time.Time) ([]*Case, error) {
	if s.Cases == nil {
		return nil, nil
	}
	return s.Cases.ReportCases(ctx, u.Code, from, to)
}

// SummaryPreview fills Mẫu 05 for a unit ("" the caller's) and period
// without storing it; when the unit has a stored summary of the period,
// that (latest version) is returned instead.
func (s *Service) SummaryPreview(ctx context.Context, unit, from, to string) (*Report, error) {
	per, a, b, err := ParsePeriod(from, to)
	if err != nil {
		return nil, err
	}
	u, err := s.callerUnit(ctx, unit)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.DB.QueryRow(ctx, `SELECT id FROM natreports WHERE case_id = 0 AND unit_id = ? AND period_from = ? AND period_to = ?`, u.ID, per.From, per.To).Scan(&id)
	if err == nil {
		return s.Get(ctx, id, 0)
	}
	if !store.IsNoRows(err) {
		return nil, fmt.Errorf("natreport: summary: %w", err)
	}
	pr, err := s.profile(ctx, s.DB, u)
	if err != nil {
		return nil, err
	}
	cases, err := s.summaryCases(ctx, u, a, b)
	if err != nil {
		return nil, err
	}
	r := &Report{Form: FormSummary, Unit: u.Code, UnitID: u.ID, UnitPath: u.Path, PeriodFrom: per.From, PeriodTo: per.To, Status: StatusDraft,
		Fields: fillSummary(pr, per, s.now()), Rows: Tally(cases)}
	return r, s.finish(ctx, r, nil)
}

// CreateSummary drafts a unit's summary for a period (one per unit and
// period), counted from its cases.
func (s *Service) CreateSummary(ctx context.Context, unit, from, to string) (*Report, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	per, a, b, err := ParsePeriod(from, to)
	if err != nil {
		return nil, err
	}
	u, err := s.callerUnit(ctx, unit)
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(u.Path) {
		return nil, errs.Forbidden("only the unit's officers and administrators draft its summary reports")
	}
	cases, err := s.summaryCases(ctx, u, a, b)
	if err != nil {
		return nil, err
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM natreports WHERE case_id = 0 AND unit_id = ? AND period_from = ? AND period_to = ?`,
			u.ID, per.From, per.To).Scan(&n); err != nil {
			return fmt.Errorf("natreport: summary: %w", err)
		}
		if n > 0 {
			return errs.Conflict("from", "unit %s already has a summary for %s: edit it", u.Code, per.Text())
		}
		pr, err := s.profile(ctx, tx, u)
		if err != nil {
			return err
		}
		id, err = s.insert(ctx, tx, FormSummary, 0, u, per, fillSummary(pr, per, s.now()), Tally(cases))
		return err
	})
	if store.IsUniqueViolation(err) {
		return nil, errs.Conflict("from", "unit %s already has a summary for %s: edit it", u.Code, per.Text())
	}
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, 0)
}

// Filter selects reports for List.
type Filter struct {
	Form   string
	Status string
	Unit   string
	Case   int64
	Sort   string // a SortKeys key; "" newest first
	Desc   bool
	Offset int
	Limit  int
}

// List lists the reports of the caller's units, newest first: their latest
// versions. Case reports are listed for those who may read the case's
// unit (the case source is the judge when one is opened).
func (s *Service) List(ctx context.Context, f Filter) ([]*Report, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := validStatus(f.Status); err != nil {
		return nil, 0, err
	}
	if f.Form != "" && f.Form != string(FormInitial) && f.Form != string(FormFinal) && f.Form != string(FormSummary) {
		return nil, 0, errs.Invalid("form", "must be initial, final or summary")
	}
	l := store.NewList("r.id DESC", f.Limit, 50).Scope(p, "u.path").Skip(f.Offset)
	if f.Sort != "" {
		expr, ok := sortExprs[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "must be one of %s", strings.Join(SortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	if f.Form != "" {
		l.Where("r.form = ?", f.Form)
	}
	if f.Status != "" {
		l.Where("v.status = ?", f.Status)
	}
	if f.Case > 0 {
		l.Where("r.case_id = ?", f.Case)
	}
	if f.Unit != "" {
		u, err := s.callerUnit(ctx, f.Unit)
		if err != nil {
			return nil, 0, err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(u.Path))
	}
	list, total, err := store.FetchPage(ctx, s.DB, l, "SELECT "+versionColumns, versionFrom+` AND v.version = r.version`, scanReport)
	if err != nil {
		return nil, 0, fmt.Errorf("natreport: list: %w", err)
	}
	opts, err := s.allOptions(ctx)
	if err != nil {
		return nil, 0, err
	}
	for _, r := range list {
		if r.Problems = Check(r.Form, r.Fields, opts); r.Problems == nil {
			r.Problems = []Problem{}
		}
	}
	return list, total, nil
}

// SortKeys are the keys List sorts by.
var SortKeys = []string{"updated", "number", "form", "status", "unit"}

var sortExprs = map[string]string{"updated": "v.updated_at", "number": "(r.ref_year * 100000 + r.ref_seq)", "form": "r.form", "status": "v.status", "unit": "u.code"}

// ReportID is a stored report's id as text (for links).
func (r *Report) ReportID() string { return strconv.FormatInt(r.ID, 10) }
