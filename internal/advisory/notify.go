package advisory

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"vigil/internal/escalate"
	"vigil/internal/i18n"
)

// Notifier queues a message to a unit's escalation channels
// (escalate.Service): an issued advisory is told to every target unit
// through them, so officers hear of it without watching the page.
type Notifier interface {
	Remind(ctx context.Context, r escalate.Reminder) (int, error)
}

// notifyIssued queues the issued advisory a for each of its target units
// (once per unit: a second call queues nothing) and returns how many
// messages it queued.
func (s *Service) notifyIssued(ctx context.Context, a *Advisory) (int, error) {
	if s.Notify == nil {
		return 0, nil
	}
	rows, err := s.DB.Query(ctx, `SELECT unit_id FROM advisory_targets WHERE advisory_id = ? ORDER BY unit_id`, a.ID)
	if err != nil {
		return 0, fmt.Errorf("advisory: notify: %w", err)
	}
	var units []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		units = append(units, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	subject := fmt.Sprintf(i18n.T("vi", "adv.notify_subject"), a.Ref, a.Title)
	body := notifyBody("vi", a) + "\n\n---\n\n" + notifyBody("en", a)
	sev := a.Severity
	if sev == "" {
		sev = "medium"
	}
	queued := 0
	for _, u := range units {
		n, err := s.Notify.Remind(ctx, escalate.Reminder{Key: "advisory:" + strconv.FormatInt(a.ID, 10) + ":issued:" + strconv.FormatInt(u, 10),
			Event: "advisory.issued", Link: "/advisories/" + strconv.FormatInt(a.ID, 10), UnitID: u, Severity: sev, Subject: subject, Body: body})
		if err != nil {
			return queued, err
		}
		queued += n
	}
	return queued, nil
}

func notifyBody(lang string, a *Advisory) string {
	t := func(k string) string { return i18n.T(lang, k) }
	var b strings.Builder
	fmt.Fprintf(&b, t("adv.notify_intro")+"\n\n", a.Ref, a.Title)
	line := func(label, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", t(label), v)
		}
	}
	line("field.severity", t("adv.sev."+a.Severity))
	line("field.deadline", i18n.FormatTime(a.Deadline, lang))
	line("field.cves", strings.Join(a.CVEs, ", "))
	line("field.products", strings.Join(a.Products, "; "))
	if a.Actions != "" {
		fmt.Fprintf(&b, "\n%s:\n%s\n", t("field.actions"), a.Actions)
	}
	fmt.Fprintf(&b, "\n"+t("adv.notify_link")+"\n", a.ID)
	return b.String()
}
