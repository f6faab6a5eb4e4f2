package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"vigil/internal/auth"
	"vigil/internal/escalate"
	"vigil/internal/i18n"
)

// Reminders send reminders through the escalation channels;
// *escalate.Service implements it.
type Reminders interface {
	Remind(ctx context.Context, r escalate.Reminder) (int, error)
}

// Remind sends, once per clock, a reminder for each national deadline of
// an open-reporting case that is within the reminder window, and once
// more when it is past (an emergency report at once), to the owning unit's escalation channels and
// the owner; it returns how many clocks it reminded of. The hub runs it
// every minute (wiring.go jobs()).
func (s *Service) Remind(ctx context.Context, to Reminders) (int, error) {
	if to == nil {
		return 0, nil
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	rows, err := s.Timers(sys, TimerFilter{Legal: true, Limit: 5000})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		c, k := r.Case, r.Clock
		if k.State != ClockSoon && k.State != ClockOverdue {
			continue
		}
		// One reminder when the deadline nears, one more once it is past
		// (a clock first seen past gets the second only).
		done := strings.Split(c.reminded, ",")
		mark, key, subject := k.Name, fmt.Sprintf("incident:%d:%s", c.ID, k.Name), "inc.remind_subject"
		if k.State == ClockOverdue {
			mark, key, subject = k.Name+":overdue", key+":overdue", "inc.remind_overdue_subject"
		}
		if slices.Contains(done, mark) {
			continue
		}
		name := i18n.T("vi", "inc.clock."+k.Name)
		due := i18n.FormatTime(k.Due, "vi")
		rm := escalate.Reminder{Key: key, Event: "incident.deadline", Link: fmt.Sprintf("/incidents/%d", c.ID), UnitID: c.UnitID, Severity: c.Severity,
			Subject: fmt.Sprintf(i18n.T("vi", subject), c.Ref, name),
			Body: fmt.Sprintf(i18n.T("vi", "inc.remind_body"), c.Ref, c.Title, name, due, c.ID) + "\n\n" +
				fmt.Sprintf(i18n.T("en", "inc.remind_body"), c.Ref, c.Title, i18n.T("en", "inc.clock."+k.Name), i18n.FormatTime(k.Due, "en"), c.ID)}
		if c.Owner != "" {
			rm.Emails = []string{c.Owner}
		}
		if _, err := to.Remind(ctx, rm); err != nil {
			return n, err
		}
		if !slices.Contains(done, k.Name) && mark != k.Name {
			mark = k.Name + "," + mark
		}
		reminded := strings.Trim(c.reminded+","+mark, ",")
		c.reminded = reminded
		if _, err := s.DB.Exec(ctx, `UPDATE incidents SET reminded = ? WHERE id = ?`, reminded, c.ID); err != nil {
			return n, fmt.Errorf("incident: reminded: %w", err)
		}
		n++
	}
	return n, nil
}
