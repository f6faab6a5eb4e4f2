package readiness

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/escalate"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Reminders send reminders through the escalation channels;
// *escalate.Service implements it.
type Reminders interface {
	Remind(ctx context.Context, r escalate.Reminder) (int, error)
}

// RemindBefore is how long before a campaign's period starts its
// reminders begin: the run-up to the holiday is when units get ready.
const RemindBefore = 14 * 24 * time.Hour

// Remind tells each target unit at risk or failing in a campaign under
// way (from RemindBefore its start until its deadline, computed), once a
// day, through its escalation channels: which criteria are not met,
// their value and target, and what to do. It returns how many units it
// reminded. The hub runs it every hour (wiring.go jobs()).
func (s *Service) Remind(ctx context.Context, to Reminders) (int, error) {
	if to == nil {
		return 0, nil
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	now := s.now()
	rows, err := s.DB.Query(sys, `SELECT id FROM readiness_campaigns WHERE starts_at <= ? AND due_at > ? AND refreshed_at > 0 ORDER BY id`,
		store.Micros(now.Add(RemindBefore)), store.Micros(now))
	if err != nil {
		return 0, fmt.Errorf("readiness: campaigns to remind: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	day := now.In(i18n.Location).Format("2006-01-02")
	n := 0
	for _, id := range ids {
		sb, err := s.Scoreboard(sys, id, ScoreFilter{})
		if err != nil {
			return n, err
		}
		c := sb.Campaign
		for _, r := range sb.Units {
			if r.Status != StatusFailed && r.Status != StatusAtRisk {
				continue
			}
			var vi, en []string
			for _, m := range r.Measures {
				for _, cl := range m.Criteria {
					if cl.Status != StatusFailed && cl.Status != StatusAtRisk {
						continue
					}
					vi = append(vi, fmt.Sprintf("- %s: %s (%s %s) — %s", cl.Label, FormatValue(cl, "vi"), i18n.T("vi", "rd.target"), FormatTarget(cl, "vi"), cl.Todo))
					en = append(en, fmt.Sprintf("- %s: %s (%s %s) — %s", orEn(cl.LabelEn, cl.Label), FormatValue(cl, "en"), i18n.T("en", "rd.target"), FormatTarget(cl, "en"), orEn(cl.TodoEn, cl.Todo)))
				}
			}
			severity := "medium"
			if r.Status == StatusFailed {
				severity = "high"
			}
			rm := escalate.Reminder{Key: fmt.Sprintf("readiness:%d:%s:%s", id, r.Unit, day), Event: "readiness.at_risk", Link: fmt.Sprintf("/readiness/%d/units/%s", id, r.Unit), UnitID: r.unitID, Severity: severity,
				Subject: fmt.Sprintf(i18n.T("vi", "rd.remind_subject"), c.Name, r.Name),
				Body: fmt.Sprintf(i18n.T("vi", "rd.remind_body"), r.Name, c.Name, i18n.FormatDate(c.DueAt, "vi"), strings.Join(vi, "\n"), id, r.Unit) + "\n\n" +
					fmt.Sprintf(i18n.T("en", "rd.remind_body"), r.Name, c.Name, i18n.FormatDate(c.DueAt, "en"), strings.Join(en, "\n"), id, r.Unit)}
			k, err := to.Remind(ctx, rm)
			if err != nil {
				return n, err
			}
			if k > 0 {
				n++
			}
		}
	}
	return n, nil
}

func orEn(en, vi string) string {
	if en != "" {
		return en
	}
	return vi
}

// FormatValue writes a cell's value for people: "87,5 %", "12", or the
// words for no data.
func FormatValue(c *Cell, lang string) string {
	if c.Value == nil {
		if c.Status == StatusMet {
			return i18n.T(lang, "rd.nothing")
		}
		return i18n.T(lang, "rd.status.no_data")
	}
	return formatNumber(*c.Value, c.Share(), lang)
}

// FormatTarget writes a cell's target: "≥ 95 %", "≤ 0".
func FormatTarget(c *Cell, lang string) string {
	switch {
	case c.Direction == Info:
		return "—"
	case c.Kind == KindAttest:
		return i18n.T(lang, "rd.accepted")
	case c.Direction == MinShare:
		return "≥ " + formatNumber(c.Target, true, lang)
	}
	return "≤ " + formatNumber(c.Target, c.Share(), lang)
}

func formatNumber(v float64, pct bool, lang string) string {
	s := fmt.Sprintf("%.1f", v)
	s = strings.TrimSuffix(s, ".0")
	if lang == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	if pct {
		return s + " %"
	}
	return s
}
