package monthly

import (
	"context"
	"time"

	"vigil/internal/auth"
	"vigil/internal/duty"
	"vigil/internal/errs"
	"vigil/internal/i18n"
)

// The report is generated on the first working day of the month, in
// Vietnam. A day is not a working day when it is a Saturday or a Sunday,
// one of the fixed public holidays of the Labour Code 2019 (art. 112)
// that can fall on a month's first days — New Year's Day (1/1),
// Reunification Day (30/4), Labour Day (1/5), National Day (2/9 and the
// day the government adds next to it, taken here as 1/9 and 3/9) — or
// one of the Tết days off as the duty roster's preset estimates them
// (duty.TetHoliday, the hub's one calendar of Tết). The Hùng Kings'
// day (10/3 lunar) never falls on the 1st-3rd of a month in the years
// the hub knows and is not computed.
var fixedHolidays = map[[2]int]bool{{1, 1}: true, {4, 30}: true, {5, 1}: true, {9, 1}: true, {9, 2}: true, {9, 3}: true}

// WorkingDay reports whether day (any time in it, in Vietnam) is a
// working day.
func WorkingDay(day time.Time) bool {
	d := day.In(i18n.Location)
	if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		return false
	}
	if fixedHolidays[[2]int{int(d.Month()), d.Day()}] {
		return false
	}
	midnight := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, i18n.Location)
	for _, y := range []int{d.Year(), d.Year() + 1} {
		h := duty.TetHoliday(y)
		if !midnight.Before(h.First) && !midnight.After(h.Last) {
			return false
		}
	}
	return true
}

// FirstWorkingDay is the first working day of the month t falls in, at
// midnight in Vietnam.
func FirstWorkingDay(t time.Time) time.Time {
	y, m, _ := t.In(i18n.Location).Date()
	d := time.Date(y, m, 1, 0, 0, 0, 0, i18n.Location)
	for !WorkingDay(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// RunScheduled is the monthly-report job: from the first working day of
// a month on, last month's report of the whole organisation is generated
// once (a draft for the IT Center to review) when it does not exist yet.
// It reports the report generated, or nil.
func (s *Service) RunScheduled(ctx context.Context) (*Report, error) {
	now := s.now()
	if now.Before(FirstWorkingDay(now)) {
		return nil, nil
	}
	ctx = auth.WithPrincipal(ctx, auth.System)
	if root, _, err := rootPath(ctx, s.DB); err != nil || root == "" {
		return nil, err // no organisation yet
	}
	month := PreviousMonth(now)
	_, err := s.Find(ctx, month, "")
	if err == nil {
		return nil, nil
	}
	if errs.Code(err) != errs.ENOTFOUND {
		return nil, err
	}
	r, err := s.Generate(ctx, month, "")
	if err != nil {
		return nil, err
	}
	s.logger().Info("monthly report generated", "month", month, "unit", r.Unit, "report", r.ID)
	return r, nil
}

// Run is RunScheduled for the scheduler.
func (s *Service) Run(ctx context.Context) error {
	_, err := s.RunScheduled(ctx)
	return err
}
