package escalate

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Reminder is a message about a deadline that is near or past (an
// incident's national report, internal/incident): it goes to the unit's
// enabled escalation channels and to the people named, by e-mail, as rows
// of the notification outbox, so Deliver sends, retries and logs them like
// every escalation.
type Reminder struct {
	// Key makes the reminder once-only: a second Remind with the same key
	// queues nothing for a recipient already reminded.
	Key string
	// Event names the reminder for webhooks (the X-Vigil-Event header and
	// the body's "event"), e.g. "incident.deadline"; "reminder" when empty.
	Event    string
	UnitID   int64
	Severity string
	Subject  string
	Body     string
	// Link is the path of the object on the hub ("/incidents/12"): where
	// the body says it, it becomes the hub's full address (PublicURL),
	// and webhooks get it as "url".
	Link   string
	Emails []string // people to tell by e-mail (the case's owner)
}

// Remind queues r for the unit's enabled channels and for r.Emails; it
// returns how many notifications it queued (0 when all were queued
// before).
func (s *Service) Remind(ctx context.Context, r Reminder) (int, error) {
	if r.Key == "" || r.UnitID == 0 {
		return 0, fmt.Errorf("escalate: a reminder needs a key and a unit")
	}
	type rcpt struct {
		key, target, display, kind, address, lang string
		channelID                                 int64
	}
	var rcpts []rcpt
	rows, err := s.DB.Query(ctx, `SELECT id, name, kind, target, lang FROM escalation_channels WHERE unit_id = ? AND NOT disabled ORDER BY id`, r.UnitID)
	if err != nil {
		return 0, fmt.Errorf("escalate: reminder channels: %w", err)
	}
	for rows.Next() {
		var x rcpt
		if err := rows.Scan(&x.channelID, &x.display, &x.kind, &x.address, &x.lang); err != nil {
			rows.Close()
			return 0, err
		}
		x.key, x.target = "remind:"+r.Key+":channel:"+strconv.FormatInt(x.channelID, 10), TargetChannel
		rcpts = append(rcpts, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, e := range r.Emails {
		if e = strings.TrimSpace(e); e != "" {
			rcpts = append(rcpts, rcpt{key: "remind:" + r.Key + ":email:" + strings.ToLower(e), target: TargetUser, display: e, kind: KindEmail, address: e, lang: "vi"})
		}
	}
	link := r.Link
	if r.Link != "" && s.PublicURL != "" {
		link = strings.TrimRight(s.PublicURL, "/") + r.Link
		r.Body = strings.ReplaceAll(r.Body, r.Link, link)
	}
	event := r.Event
	if event == "" {
		event = "reminder"
	}
	payload, _ := json.Marshal(map[string]string{"event": event, "type": "reminder", "key": r.Key, "severity": r.Severity, "subject": r.Subject, "body": r.Body, "url": link})
	now := store.Micros(s.now())
	made := 0
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		made = 0
		for _, x := range rcpts {
			p := ""
			if x.kind == KindWebhook {
				p = string(payload)
			}
			res, err := tx.Exec(ctx, `INSERT INTO notifications (alert_id, policy_id, step, target, recipient_key, recipient, channel_id, kind, address, unit_id,
				alert_title, severity, lang, subject, body, payload, status, next_attempt_at, created_at, updated_at)
				VALUES (0, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT DO NOTHING`,
				x.target, x.key, i18n.Clip(x.display, 300), x.channelID, x.kind, i18n.Clip(x.address, 2000), r.UnitID,
				i18n.Clip(r.Subject, 500), r.Severity, x.lang, r.Subject, r.Body, p, now, now, now)
			if err != nil {
				return fmt.Errorf("escalate: queue reminder: %w", err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				made++
			}
		}
		return nil
	})
	if err == nil && made > 0 {
		s.Kick()
	}
	return made, err
}
