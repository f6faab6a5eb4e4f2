package natreport

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/auth"
	"vigil/internal/escalate"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// The summary (Mẫu 05) is sent by the members of the response network
// "before 20/06 and 15/12" (vn-reporting.md, deadlines Vigil tracks): the
// first half-year's by 20 June, the second half's (or the year's) by 15
// December. A deadline's summary is the one whose period ends in June or
// December of that year; it counts as sent once a version of it was handed
// to the outbox.

// SummaryRemindDays is how many days before a summary deadline its
// reminder goes out.
const SummaryRemindDays = 7

// SummaryDeadline is a reporting unit's next summary deadline.
type SummaryDeadline struct {
	UnitID     int64     `json:"-"`
	Unit       string    `json:"unit"`
	UnitName   string    `json:"unit_name"`
	PeriodFrom string    `json:"period_from"` // YYYY-MM: the half-year
	PeriodTo   string    `json:"period_to"`
	Due        time.Time `json:"due"` // 00:00 (Vietnam) of 20/06 or 15/12: "before" it
	DaysLeft   int       `json:"days_left"`
	Overdue    bool      `json:"overdue"`
	ReportID   int64     `json:"report_id,omitempty"` // the period's summary, if drafted
	Sent       bool      `json:"sent"`
	SentAt     time.Time `json:"sent_at,omitzero"`
}

// DaysOver is how many days past the deadline it is (0 before it).
func (d *SummaryDeadline) DaysOver() int { return max(0, -d.DaysLeft) }

// summaryDeadlines are the two deadlines of year y, in order, with the
// half-year each closes.
func summaryDeadlines(y int) [2]SummaryDeadline {
	return [2]SummaryDeadline{
		{PeriodFrom: fmt.Sprintf("%d-01", y), PeriodTo: fmt.Sprintf("%d-06", y), Due: time.Date(y, 6, 20, 0, 0, 0, 0, i18n.Location)},
		{PeriodFrom: fmt.Sprintf("%d-07", y), PeriodTo: fmt.Sprintf("%d-12", y), Due: time.Date(y, 12, 15, 0, 0, 0, 0, i18n.Location)},
	}
}

// currentSummaryDeadline is the deadline the units work towards at now:
// 20/06 from January to June, 15/12 from July to December (past it and
// not sent, it is overdue until the half-year ends).
func currentSummaryDeadline(now time.Time) SummaryDeadline {
	now = now.In(i18n.Location)
	ds := summaryDeadlines(now.Year())
	if now.Month() <= 6 {
		return ds[0]
	}
	return ds[1]
}

// SummaryDeadlines are the next summary deadline of each reporting unit
// (a unit with a reporting profile) in the caller's scope, soonest first:
// the half-year, the due date, the days left and whether its summary was
// sent.
func (s *Service) SummaryDeadlines(ctx context.Context) ([]*SummaryDeadline, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := p.Scope("u.path")
	return s.summaryDeadlines(ctx, cond, args)
}

func (s *Service) summaryDeadlines(ctx context.Context, cond string, args []any) ([]*SummaryDeadline, error) {
	now := s.now()
	cur := currentSummaryDeadline(now)
	rows, err := s.DB.Query(ctx, `SELECT u.id, u.code, u.name,
			COALESCE((SELECT MAX(r.id) FROM natreports r WHERE r.unit_id = u.id AND r.case_id = 0 AND r.period_to = ?), 0),
			COALESCE((SELECT MIN(v.sent_at) FROM natreports r JOIN natreport_versions v ON v.report_id = r.id
				WHERE r.unit_id = u.id AND r.case_id = 0 AND r.period_to = ? AND v.sent_at > 0), 0)
		FROM natreport_profiles pr JOIN units u ON u.id = pr.unit_id WHERE `+cond+` ORDER BY u.code`,
		append([]any{cur.PeriodTo, cur.PeriodTo}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("natreport: summary deadlines: %w", err)
	}
	defer rows.Close()
	var out []*SummaryDeadline
	for rows.Next() {
		d := cur
		var sent int64
		if err := rows.Scan(&d.UnitID, &d.Unit, &d.UnitName, &d.ReportID, &sent); err != nil {
			return nil, err
		}
		if sent > 0 {
			d.Sent, d.SentAt = true, store.Time(sent)
		}
		left := d.Due.Sub(now)
		d.Overdue = left < 0 && !d.Sent
		d.DaysLeft = int(left.Hours() / 24)
		if left < 0 {
			d.DaysLeft = -int((-left).Hours()/24) - 1
		}
		out = append(out, &d)
	}
	return out, rows.Err()
}

// Reminders send reminders through the escalation channels;
// *escalate.Service implements it.
type Reminders interface {
	Remind(ctx context.Context, r escalate.Reminder) (int, error)
}

// RemindSummaries sends each reporting unit whose summary is not sent a
// reminder SummaryRemindDays before its deadline and one more once the
// deadline is past, through the unit's escalation channels and to the
// profile's contact, event "report.summary_due". Each goes out once (the
// escalation outbox keeps its key); it returns how many were queued. The
// hub runs it every hour.
func (s *Service) RemindSummaries(ctx context.Context, to Reminders) (int, error) {
	if to == nil {
		return 0, nil
	}
	ds, err := s.summaryDeadlines(ctx, "1=1", nil)
	if err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	for _, d := range ds {
		if d.Sent || now.Before(d.Due.AddDate(0, 0, -SummaryRemindDays)) {
			continue
		}
		key, subject := fmt.Sprintf("natreport:summary:%d:%s", d.UnitID, d.PeriodTo), "nr.remind_summary_subject"
		if d.Overdue {
			key, subject = key+":overdue", "nr.remind_summary_overdue_subject"
		}
		period := func(lang string) string {
			return fmt.Sprintf(i18n.T(lang, "nr.period_months"), i18n.FormatMonth(d.PeriodFrom, lang), i18n.FormatMonth(d.PeriodTo, lang))
		}
		link := "/reports?from=" + d.PeriodFrom + "&to=" + d.PeriodTo + "&unit=" + d.Unit
		rm := escalate.Reminder{Key: key, Event: "report.summary_due", UnitID: d.UnitID, Severity: "medium", Link: link,
			Subject: fmt.Sprintf(i18n.T("vi", subject), d.UnitName, period("vi")),
			Body: fmt.Sprintf(i18n.T("vi", "nr.remind_summary_body"), d.UnitName, period("vi"), i18n.FormatDate(d.Due, "vi"), link) + "\n\n" +
				fmt.Sprintf(i18n.T("en", "nr.remind_summary_body"), d.UnitName, period("en"), i18n.FormatDate(d.Due, "en"), link)}
		var contact string
		if err := s.DB.QueryRow(ctx, `SELECT contact_email FROM natreport_profiles WHERE unit_id = ?`, d.UnitID).Scan(&contact); err == nil && contact != "" {
			rm.Emails = []string{contact}
		}
		made, err := to.Remind(ctx, rm)
		if err != nil {
			return n, err
		}
		if made > 0 {
			n++
		}
	}
	return n, nil
}
