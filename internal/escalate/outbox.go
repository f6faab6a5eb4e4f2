package escalate

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Notification is one message to one recipient: the outbox row and the
// log of who got what, when, with which result.
type Notification struct {
	ID       int64  `json:"id"`
	AlertID  int64  `json:"alert_id,omitempty"`
	PolicyID int64  `json:"policy_id,omitempty"`
	Policy   string `json:"policy,omitempty"`
	Step     int    `json:"step,omitempty"` // 1-based; 0 for a channel test
	// Target is the step's target (unit_duty, soc_duty, soc_lead, user,
	// channel) or "test".
	Target        string    `json:"target"`
	Recipient     string    `json:"recipient"`
	UserID        int64     `json:"user_id,omitempty"`
	ChannelID     int64     `json:"channel_id,omitempty"`
	Kind          string    `json:"kind"`
	Address       string    `json:"address,omitempty"`
	Unit          string    `json:"unit"`
	UnitName      string    `json:"unit_name"`
	AlertTitle    string    `json:"alert_title,omitempty"`
	Severity      string    `json:"severity,omitempty"`
	Host          string    `json:"host,omitempty"`
	Lang          string    `json:"lang"`
	Subject       string    `json:"subject"`
	Body          string    `json:"body"`
	Status        string    `json:"status"`
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	DeliveredAt   time.Time `json:"delivered_at,omitzero"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`

	unitPath string
	payload  string
}

const notificationColumns = `SELECT n.id, n.alert_id, n.policy_id, COALESCE(ep.name, ''), n.step, n.target, n.recipient, n.user_id, n.channel_id, n.kind, n.address,
	u.code, u.name, u.path, n.alert_title, n.severity, n.host, n.lang, n.subject, n.body, n.payload, n.status, n.attempts, n.next_attempt_at, n.last_error,
	n.delivered_at, n.created_at, n.updated_at`

const notificationFrom = ` FROM notifications n JOIN units u ON u.id = n.unit_id LEFT JOIN escalation_policies ep ON ep.id = n.policy_id`

func scanNotification(sc store.Scanner) (*Notification, error) {
	var n Notification
	var next, delivered, created, updated int64
	if err := sc.Scan(&n.ID, &n.AlertID, &n.PolicyID, &n.Policy, &n.Step, &n.Target, &n.Recipient, &n.UserID, &n.ChannelID, &n.Kind, &n.Address,
		&n.Unit, &n.UnitName, &n.unitPath, &n.AlertTitle, &n.Severity, &n.Host, &n.Lang, &n.Subject, &n.Body, &n.payload, &n.Status, &n.Attempts, &next, &n.LastError,
		&delivered, &created, &updated); err != nil {
		return nil, err
	}
	if n.Status == StatusPending && next > 0 {
		n.NextAttemptAt = store.Time(next)
	}
	if delivered > 0 {
		n.DeliveredAt = store.Time(delivered)
	}
	n.CreatedAt, n.UpdatedAt = store.Time(created), store.Time(updated)
	return &n, nil
}

// claimLease is how long a claimed notification is this process's: longer
// than any one attempt, so that only a process that died lets it go.
const claimLease = 2 * time.Minute

// Deliver sends the due notifications; it returns how many were delivered.
func (s *Service) Deliver(ctx context.Context) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	now := s.now()
	rows, err := s.DB.Query(ctx, `SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= ? AND claimed_until < ? ORDER BY next_attempt_at, id LIMIT 100`,
		store.Micros(now), store.Micros(now))
	if err != nil {
		return 0, fmt.Errorf("escalate: due notifications: %w", err)
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
	var claimed []*Notification
	for _, id := range ids {
		n, err := s.claim(ctx, id)
		if err != nil {
			return 0, err
		}
		if n != nil {
			claimed = append(claimed, n)
		}
	}
	if len(claimed) == 0 {
		return 0, nil
	}
	// An alert acknowledged since its notification was made stops its
	// escalation: what is not yet sent is cancelled.
	var acked map[int64]bool
	if s.Alerts != nil {
		var alertIDs []int64
		for _, n := range claimed {
			if n.AlertID > 0 && !slices.Contains(alertIDs, n.AlertID) {
				alertIDs = append(alertIDs, n.AlertID)
			}
		}
		if len(alertIDs) > 0 {
			if acked, err = s.Alerts.Acknowledged(ctx, alertIDs); err != nil {
				s.release(ctx, claimed)
				return 0, fmt.Errorf("escalate: acknowledged alerts: %w", err)
			}
		}
	}
	delivered := 0
	for _, n := range claimed {
		if acked[n.AlertID] {
			s.finish(ctx, n, StatusCancelled, "the alert was acknowledged")
			continue
		}
		if s.attempt(ctx, n) == nil {
			delivered++
		}
	}
	return delivered, nil
}

// claim takes notification id for this process; nil when another has it.
func (s *Service) claim(ctx context.Context, id int64) (*Notification, error) {
	now := store.Micros(s.now())
	res, err := s.DB.Exec(ctx, `UPDATE notifications SET claimed_by = ?, claimed_until = ? WHERE id = ? AND status = 'pending' AND claimed_until < ?`,
		s.holder(), now+claimLease.Microseconds(), id, now)
	if err != nil {
		return nil, fmt.Errorf("escalate: claim notification %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, nil
	}
	n, err := scanNotification(s.DB.QueryRow(ctx, notificationColumns+notificationFrom+` WHERE n.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("escalate: read notification %d: %w", id, err)
	}
	return n, nil
}

// release gives claimed notifications back untouched.
func (s *Service) release(ctx context.Context, ns []*Notification) {
	for _, n := range ns {
		s.DB.Exec(context.WithoutCancel(ctx), `UPDATE notifications SET claimed_until = 0 WHERE id = ? AND claimed_by = ?`, n.ID, s.holder())
	}
}

// finish closes a notification without an attempt.
func (s *Service) finish(ctx context.Context, n *Notification, status, reason string) {
	now := store.Micros(s.now())
	if _, err := s.DB.Exec(context.WithoutCancel(ctx), `UPDATE notifications SET status = ?, last_error = ?, claimed_until = 0, updated_at = ? WHERE id = ?`,
		status, reason, now, n.ID); err != nil {
		s.logger().Warn("notification update failed", "notification", n.ID, "err", err)
	}
	n.Status, n.LastError = status, reason
	s.countAttempt(n.Kind, status)
}

// attempt sends a claimed notification once and records the result.
func (s *Service) attempt(ctx context.Context, n *Notification) error {
	sendErr := s.send(ctx, n)
	now := s.now()
	attempts := n.Attempts + 1
	status, next, lastErr, delivered := StatusDelivered, int64(0), "", int64(0)
	if sendErr == nil {
		delivered = store.Micros(now)
	} else {
		lastErr = i18n.Clip(sendErr.Error(), 1000)
		status = StatusPending
		next = store.Micros(now.Add(s.Backoff(attempts)))
		if IsPermanent(sendErr) || attempts >= s.maxAttempts() || n.Target == "test" {
			status, next = StatusFailed, 0
		}
	}
	_, err := s.DB.Exec(context.WithoutCancel(ctx), `UPDATE notifications SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, delivered_at = ?,
		claimed_until = 0, updated_at = ? WHERE id = ?`, status, attempts, next, lastErr, delivered, store.Micros(now), n.ID)
	if err != nil {
		s.logger().Warn("notification update failed", "notification", n.ID, "err", err)
	}
	n.Status, n.Attempts, n.LastError = status, attempts, lastErr
	switch {
	case status == StatusPending:
		s.countAttempt(n.Kind, "retry")
	default:
		s.countAttempt(n.Kind, status)
	}
	if delivered > 0 {
		n.DeliveredAt = store.Time(delivered)
	}
	if next > 0 {
		n.NextAttemptAt = store.Time(next)
	}
	// The log names the notification and the channel kind, never the
	// address or a secret.
	if sendErr != nil {
		s.logger().Info("notification not delivered", "notification", n.ID, "kind", n.Kind, "attempt", attempts, "status", status, "err", lastErr)
	} else {
		s.logger().Info("notification delivered", "notification", n.ID, "kind", n.Kind, "attempt", attempts)
	}
	return sendErr
}

// send delivers one notification over its kind's transport.
func (s *Service) send(ctx context.Context, n *Notification) error {
	var ch *Channel
	if n.ChannelID != 0 {
		c, err := s.getChannel(ctx, s.DB, n.ChannelID)
		if store.IsNoRows(err) {
			return permanent(errors.New("the channel was deleted"))
		}
		if err != nil {
			return fmt.Errorf("read channel: %w", err)
		}
		if c.Disabled && n.Target != "test" {
			return permanent(errors.New("the channel is disabled"))
		}
		ch = c
	}
	switch n.Kind {
	case KindEmail:
		to := splitAddresses(n.Address)
		if ch != nil {
			to = splitAddresses(ch.Target)
		}
		headers := map[string]string{}
		if n.AlertID > 0 {
			headers["X-Vigil-Alert"] = strconv.FormatInt(n.AlertID, 10)
		}
		return s.Mail.Send(ctx, &Mail{To: to, Subject: n.Subject, Body: n.Body, Headers: headers,
			MessageID: fmt.Sprintf("notification-%d.%d@vigil", n.ID, n.CreatedAt.UnixMicro())})
	case KindWebhook:
		if ch == nil {
			return permanent(errors.New("a webhook notification without its channel"))
		}
		// The payload names its event (alert.escalated, channel.test, a
		// reminder's); rows queued before it did were escalations.
		var body struct {
			Event string `json:"event"`
		}
		event := "alert.escalated"
		if json.Unmarshal([]byte(n.payload), &body) == nil && body.Event != "" {
			event = body.Event
		} else if n.Target == "test" {
			event = "channel.test"
		}
		return s.postWebhook(ctx, ch.Target, ch.secret, n.ID, event, []byte(n.payload))
	case KindTelegram:
		if ch == nil {
			return permanent(errors.New("a Telegram notification without its channel"))
		}
		return s.sendTelegram(ctx, ch.secret, ch.Target, n.Subject+"\n\n"+n.Body)
	}
	return permanent(fmt.Errorf("unknown kind %q", n.Kind))
}

// TestChannel sends a test message on a channel now, records it in the
// log like any notification, and returns it with its result.
func (s *Service) TestChannel(ctx context.Context, id int64) (*Notification, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.readChannel(ctx, s.DB, p, id)
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(c.unitPath) {
		return nil, errs.Forbidden("you may not manage escalation of unit %s", c.Unit)
	}
	now := s.now()
	m := testMessage(c.Lang, c, p.Email, now)
	payload := ""
	if c.Kind == KindWebhook {
		payload = string(m.Payload)
	}
	var nid int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO notifications (alert_id, policy_id, step, target, recipient_key, recipient, channel_id, kind, address, unit_id, lang,
			subject, body, payload, status, next_attempt_at, created_at, updated_at)
			VALUES (0, 0, 0, 'test', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id`,
			"test:"+strconv.FormatInt(c.ID, 10)+":"+rand.Text(), c.Name, c.ID, c.Kind, c.Target, c.unitID, c.Lang,
			m.Subject, m.Body, payload, store.Micros(now), store.Micros(now), store.Micros(now)).Scan(&nid)
		if err != nil {
			return fmt.Errorf("escalate: record test: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "notification_channel.test", ObjectType: "notification_channel", ObjectID: strconv.FormatInt(c.ID, 10),
			UnitID: c.unitID, After: map[string]any{"name": c.Name, "channel_kind": c.Kind, "notification": nid, "unit": c.Unit}})
	})
	if err != nil {
		return nil, err
	}
	n, err := s.claim(ctx, nid)
	if err != nil {
		return nil, err
	}
	if n != nil {
		s.attempt(ctx, n)
	}
	return s.getNotification(ctx, p, nid)
}

func (s *Service) getNotification(ctx context.Context, p *auth.Principal, id int64) (*Notification, error) {
	n, err := scanNotification(s.DB.QueryRow(ctx, notificationColumns+notificationFrom+` WHERE n.id = ?`, id))
	if err := p.CheckRead(err, func() string { return n.unitPath }, errs.NotFound("notification "+strconv.FormatInt(id, 10))); err != nil {
		return nil, err
	}
	return n, nil
}

// GetNotification returns a notification in the caller's scope.
func (s *Service) GetNotification(ctx context.Context, id int64) (*Notification, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.getNotification(ctx, p, id)
}

// NotificationFilter selects notifications of the log.
type NotificationFilter struct {
	Unit     string   // the alert's unit (and its subtree)
	Statuses []string // any of
	Kind     string
	Target   string
	AlertID  int64
	Channel  int64
	Query    string // in the recipient or the alert's title
	Since    time.Time
	Until    time.Time
	Sort     string // a key of NotificationSorts; "" is newest first
	Desc     bool
	Offset   int
	Limit    int
}

// NotificationSorts are the columns the log sorts by.
var NotificationSorts = map[string]string{
	"created":   "n.created_at",
	"delivered": "n.delivered_at",
	"status":    "n.status",
	"severity":  "CASE n.severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2 ELSE 1 END",
	"recipient": "n.recipient",
	"attempts":  "n.attempts",
	"alert":     "n.alert_id",
	"unit":      "u.code",
}

// NotificationSortKeys lists the keys of NotificationSorts.
var NotificationSortKeys = []string{"created", "delivered", "status", "severity", "recipient", "attempts", "alert", "unit"}

// ListNotifications returns a page of the log in the caller's scope, newest
// first unless sorted, and how many rows match.
func (s *Service) ListNotifications(ctx context.Context, f NotificationFilter) ([]*Notification, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("n.id DESC", f.Limit, 100).Scope(p, "u.path")
	if err := s.unitFilter(ctx, p, l, f.Unit); err != nil {
		return nil, 0, err
	}
	var statuses []string
	for _, v := range f.Statuses {
		for _, st := range strings.Split(v, ",") {
			if st = strings.TrimSpace(st); st == "" {
				continue
			}
			if !slices.Contains(Statuses, st) {
				return nil, 0, errs.Invalid("status", "must be one of %s", strings.Join(Statuses, ", "))
			}
			statuses = append(statuses, st)
		}
	}
	if len(statuses) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(statuses)), ", ")
		args := make([]any, len(statuses))
		for i, st := range statuses {
			args[i] = st
		}
		l.Where("n.status IN ("+marks+")", args...)
	}
	if f.Kind != "" {
		if !slices.Contains(Kinds, f.Kind) {
			return nil, 0, errs.Invalid("kind", "must be one of %s", strings.Join(Kinds, ", "))
		}
		l.Where("n.kind = ?", f.Kind)
	}
	if f.Target != "" {
		if !slices.Contains(Targets, f.Target) && f.Target != "test" {
			return nil, 0, errs.Invalid("target", "must be one of %s", strings.Join(append(slices.Clone(Targets), "test"), ", "))
		}
		l.Where("n.target = ?", f.Target)
	}
	if f.AlertID > 0 {
		l.Where("n.alert_id = ?", f.AlertID)
	}
	if f.Channel > 0 {
		l.Where("n.channel_id = ?", f.Channel)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		pat := store.LikeContains(strings.ToLower(q))
		l.Where(`(LOWER(n.recipient) LIKE ? ESCAPE '\' OR LOWER(n.alert_title) LIKE ? ESCAPE '\' OR LOWER(n.host) LIKE ? ESCAPE '\')`, pat, pat, pat)
	}
	if !f.Since.IsZero() {
		l.Where("n.created_at >= ?", store.Micros(f.Since))
	}
	if !f.Until.IsZero() {
		l.Where("n.created_at < ?", store.Micros(f.Until))
	}
	if f.Sort != "" {
		expr, ok := NotificationSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(NotificationSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, notificationColumns, notificationFrom, scanNotification)
	if err != nil {
		return nil, 0, fmt.Errorf("escalate: list notifications: %w", err)
	}
	return out, total, nil
}
