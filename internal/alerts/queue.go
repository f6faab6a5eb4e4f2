package alerts

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Filter selects alerts. Empty fields select everything in scope.
type Filter struct {
	Unit       string   // a unit code: that unit and its subtree
	Severities []string // any of
	Statuses   []string // any of; "active" stands for open and acknowledged
	Rule       string   // a rule id
	Host       string   // a host name (short or full) or address
	HostID     int64
	Assignee   string // an e-mail; "none" for unassigned ones
	Sort       string // a key of Sorts; "" is newest first
	Desc       bool
	Offset     int
	Limit      int
}

// Sorts are the columns a list of alerts sorts by.
var Sorts = map[string]string{
	"severity":   "a.severity_rank",
	"last_seen":  "a.last_seen",
	"first_seen": "a.first_seen",
	"count":      "a.match_count",
	"rule":       "a.rule_title",
	"host":       "a.host_key",
	"unit":       "u.code",
	"status":     "a.status",
}

// SortKeys lists the keys of Sorts.
var SortKeys = []string{"severity", "last_seen", "first_seen", "count", "rule", "host", "unit", "status"}

const columns = `a.id, a.rule_id, a.rule_title, a.severity, a.host, a.host_id, u.id, u.code, u.name, u.path, a.source_id, a.group_key,
	a.match_count, a.first_seen, a.last_seen, a.status, a.status_since, a.status_by, a.acked_at, a.acked_by,
	a.assignee_id, COALESCE(us.email, ''), COALESCE(us.name, ''), a.close_reason, a.note, a.created_at, a.changed_at`

const from = ` FROM alerts a JOIN units u ON u.id = a.unit_id LEFT JOIN users us ON us.id = a.assignee_id`

func scanAlert(sc store.Scanner) (*Alert, error) {
	var a Alert
	var first, last, since, acked, created, changed int64
	if err := sc.Scan(&a.ID, &a.RuleID, &a.RuleTitle, &a.Severity, &a.Host, &a.HostID, &a.UnitID, &a.Unit, &a.UnitName, &a.unitPath, &a.SourceID, &a.Key,
		&a.Count, &first, &last, &a.Status, &since, &a.StatusBy, &acked, &a.AcknowledgedBy,
		&a.assigneeID, &a.Assignee, &a.AssigneeName, &a.CloseReason, &a.Note, &created, &changed); err != nil {
		return nil, err
	}
	a.FirstSeen, a.LastSeen, a.StatusSince = store.Time(first), store.Time(last), store.Time(since)
	a.AcknowledgedAt, a.CreatedAt, a.ChangedAt = store.Time(acked), store.Time(created), store.Time(changed)
	return &a, nil
}

func expand(field string, in []string, allowed []string) ([]string, error) {
	var out []string
	for _, v := range in {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			switch {
			case part == "":
			case field == "status" && part == "active":
				out = append(out, Active...)
			case slices.Contains(allowed, part):
				out = append(out, part)
			default:
				return nil, errs.Invalid(field, "%q is not one of %s", part, strings.Join(allowed, ", "))
			}
		}
	}
	return out, nil
}

func in(column string, values []string) (string, []any) {
	marks := make([]string, len(values))
	args := make([]any, len(values))
	for i, v := range values {
		marks[i], args[i] = "?", v
	}
	return column + " IN (" + strings.Join(marks, ", ") + ")", args
}

// unitPathByCode returns the path of a unit the caller can read, or not
// found.
func (s *Service) unitPathByCode(ctx context.Context, p *auth.Principal, code string) (int64, string, error) {
	var id int64
	var path string
	err := s.DB.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, code).Scan(&id, &path)
	if err != nil && !store.IsNoRows(err) {
		return 0, "", fmt.Errorf("alerts: unit: %w", err)
	}
	if err != nil || !p.CanRead(path) {
		return 0, "", errs.NotFound("unit " + strconv.Quote(code))
	}
	return id, path, nil
}

// where adds f's conditions to l.
func (s *Service) where(ctx context.Context, p *auth.Principal, l *store.List, f Filter) error {
	l.Scope(p, "u.path")
	if f.Unit != "" {
		_, path, err := s.unitPathByCode(ctx, p, f.Unit)
		if err != nil {
			return err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	for _, c := range []struct {
		field, column string
		values        []string
		allowed       []string
	}{
		{"status", "a.status", f.Statuses, Statuses},
		{"severity", "a.severity", f.Severities, Severities},
	} {
		vals, err := expand(c.field, c.values, c.allowed)
		if err != nil {
			return err
		}
		if len(vals) > 0 {
			cond, args := in(c.column, vals)
			l.Where(cond, args...)
		}
	}
	if f.Rule != "" {
		l.Where("a.rule_id = ?", strings.TrimSpace(f.Rule))
	}
	if f.Host != "" {
		l.Where("a.host_key = ?", hostKey(f.Host))
	}
	if f.HostID != 0 {
		l.Where("a.host_id = ?", f.HostID)
	}
	switch a := strings.ToLower(strings.TrimSpace(f.Assignee)); a {
	case "":
	case "none":
		l.Where("a.assignee_id = 0")
	default:
		l.Where("us.email = ?", a)
	}
	return nil
}

// List returns a page of the alerts in the caller's scope that match f,
// and how many match in all.
func (s *Service) List(ctx context.Context, f Filter) ([]*Alert, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("a.id DESC", f.Limit, 100)
	if err := s.where(ctx, p, l, f); err != nil {
		return nil, 0, err
	}
	if f.Sort != "" {
		expr, ok := Sorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(SortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+columns, from, scanAlert)
	if err != nil {
		return nil, 0, fmt.Errorf("alerts: list: %w", err)
	}
	return out, total, nil
}

type queryRower interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

func (s *Service) get(ctx context.Context, q queryRower, p *auth.Principal, id int64) (*Alert, error) {
	a, err := scanAlert(q.QueryRow(ctx, `SELECT `+columns+from+` WHERE a.id = ?`, id))
	notFound := errs.NotFound("alert " + strconv.FormatInt(id, 10))
	if err := p.CheckRead(err, func() string { return a.unitPath }, notFound); err != nil {
		if errs.Code(err) == errs.ENOTFOUND {
			return nil, err
		}
		return nil, fmt.Errorf("alerts: get %d: %w", id, err)
	}
	return a, nil
}

// Get returns one alert in the caller's scope with its kept events.
func (s *Service) Get(ctx context.Context, id int64) (*Alert, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.get(ctx, s.DB, p, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT seq, at, source_id, fields FROM alert_events WHERE alert_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("alerts: events of %d: %w", id, err)
	}
	defer rows.Close()
	a.Events = []Event{}
	for rows.Next() {
		var e Event
		var at int64
		var fields string
		if err := rows.Scan(&e.Seq, &at, &e.SourceID, &fields); err != nil {
			return nil, fmt.Errorf("alerts: events of %d: %w", id, err)
		}
		e.Time, e.Fields = store.Time(at), json.RawMessage(fields)
		a.Events = append(a.Events, e)
	}
	return a, rows.Err()
}

// Update is a change to an alert. Action is one of "acknowledge",
// "assign", "close", "reopen" or "" (only a note or assignee); nil fields
// are left alone.
type Update struct {
	// Action: acknowledge, close (needs Reason) or reopen.
	Action string `json:"action,omitempty"`
	// Assignee is the e-mail of a user who can see the alert's unit; ""
	// unassigns.
	Assignee *string `json:"assignee,omitempty"`
	// Reason is why the alert is closed: one of CloseReasons.
	Reason string `json:"reason,omitempty"`
	// Note says what was found or done.
	Note *string `json:"note,omitempty"`
}

// Actions on an alert.
var Actions = []string{"acknowledge", "close", "reopen"}

// Update applies in to one alert as the caller, audited.
func (s *Service) Update(ctx context.Context, id int64, in Update) (*Alert, error) {
	out, err := s.UpdateMany(ctx, []int64{id}, in)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// UpdateMany applies in to every alert of ids in one transaction: all
// change or none does, and the error names the alert that could not.
func (s *Service) UpdateMany(ctx context.Context, ids []int64, in Update) ([]*Alert, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errs.Invalid("ids", "choose at least one alert")
	}
	if len(ids) > 1000 {
		return nil, errs.Invalid("ids", "change at most 1000 alerts at once")
	}
	if in.Action == "" && in.Assignee == nil && in.Note == nil {
		return nil, errs.Invalid("action", "nothing to change: give an action, an assignee or a note")
	}
	if in.Action != "" && !slices.Contains(Actions, in.Action) {
		return nil, errs.Invalid("action", "%q is not one of %s", in.Action, strings.Join(Actions, ", "))
	}
	if in.Action == "close" {
		if !slices.Contains(CloseReasons, in.Reason) {
			return nil, errs.Invalid("reason", "say why the alert is closed: one of %s", strings.Join(CloseReasons, ", "))
		}
	} else if in.Reason != "" {
		return nil, errs.Invalid("reason", "a reason goes with closing an alert")
	}
	if in.Note != nil {
		n := strings.TrimSpace(*in.Note)
		if len(n) > 4000 {
			return nil, errs.Invalid("note", "must be at most 4000 bytes")
		}
		in.Note = &n
	}
	out := make([]*Alert, 0, len(ids))
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		out = out[:0]
		for _, id := range ids {
			a, err := s.update(ctx, tx, p, id, in)
			if err != nil {
				if len(ids) > 1 {
					if e, ok := errs.As(err); ok {
						return errs.New(e.Code, e.Field, "alert %d: %v", id, e)
					}
				}
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) update(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, in Update) (*Alert, error) {
	a, err := s.get(ctx, tx, p, id)
	if err != nil {
		return nil, err
	}
	if !canWork(p, a.unitPath) {
		return nil, errs.Forbidden("you may not work alerts of unit %s", a.Unit)
	}
	now := store.Micros(s.now())
	before, after := map[string]any{}, map[string]any{}
	status, since, by := a.Status, store.Micros(a.StatusSince), a.StatusBy
	acked, ackedBy := store.Micros(a.AcknowledgedAt), a.AcknowledgedBy
	reason, note, assignee := a.CloseReason, a.Note, a.assigneeID
	closing := false
	switch in.Action {
	case "acknowledge":
		if a.Status == StatusClosed {
			return nil, errs.Invalid("action", "alert %d is closed: reopen it first", id)
		}
		if a.Status == StatusOpen {
			status = StatusAcknowledged
		}
		if acked == 0 {
			acked, ackedBy = now, p.Email
		}
	case "close":
		if a.Status != StatusClosed || a.CloseReason != in.Reason {
			status, reason, closing = StatusClosed, in.Reason, true
		}
		if acked == 0 {
			acked, ackedBy = now, p.Email // closing it is acknowledging it
		}
	case "reopen":
		if a.Status == StatusClosed {
			status, reason = StatusOpen, ""
			if acked != 0 {
				status = StatusAcknowledged
			}
		}
	}
	if status != a.Status {
		before["status"], after["status"] = a.Status, status
		since, by = now, p.Email
	}
	if reason != a.CloseReason {
		before["reason"], after["reason"] = a.CloseReason, reason
	}
	if in.Note != nil && *in.Note != a.Note {
		before["note"], after["note"] = a.Note, *in.Note
		note = *in.Note
	}
	if in.Assignee != nil {
		email := strings.ToLower(strings.TrimSpace(*in.Assignee))
		var newID int64
		if email != "" {
			var who auth.Principal
			var disabled bool
			err := tx.QueryRow(ctx, `SELECT us.id, us.role, un.path, us.disabled FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
				Scan(&newID, &who.Role, &who.UnitPath, &disabled)
			if err != nil && !store.IsNoRows(err) {
				return nil, fmt.Errorf("alerts: assignee: %w", err)
			}
			// The same answer for an unknown e-mail: it reveals no account.
			who.Via = "session"
			if err != nil || disabled || !who.CanRead(a.unitPath) {
				return nil, errs.Invalid("assignee", "%q is not an active user who can see unit %s", email, a.Unit)
			}
		}
		if newID != a.assigneeID {
			before["assignee"], after["assignee"] = a.Assignee, email
			assignee = newID
		}
	}
	if acked != store.Micros(a.AcknowledgedAt) {
		after["acknowledged"] = true
	}
	if len(after) == 0 {
		return a, nil
	}
	openKey := "open_key"
	if closing {
		openKey = "NULL" // a closed alert takes no more matches
	}
	if _, err := tx.Exec(ctx, `UPDATE alerts SET status = ?, status_since = ?, status_by = ?, acked_at = ?, acked_by = ?, close_reason = ?, note = ?,
		assignee_id = ?, open_key = `+openKey+`, changed_at = ? WHERE id = ?`,
		status, since, by, acked, ackedBy, reason, note, assignee, now, id); err != nil {
		return nil, fmt.Errorf("alerts: update %d: %w", id, err)
	}
	action := "alert.update"
	switch {
	case in.Action == "close" && closing:
		action = "alert.close"
	case in.Action == "acknowledge" && status != a.Status:
		action = "alert.acknowledge"
	case in.Action == "reopen" && status != a.Status:
		action = "alert.reopen"
	}
	if err := audit.Append(ctx, tx, audit.Entry{Action: action, ObjectType: "alert", ObjectID: strconv.FormatInt(id, 10), UnitID: a.UnitID,
		Before: before, After: after}); err != nil {
		return nil, err
	}
	return s.get(ctx, tx, p, id)
}

// Unacknowledged returns the alerts in the caller's scope (everything for
// auth.System) that nobody has acknowledged, of at least minSeverity,
// raised more than olderThan ago, oldest first, from the first whose id is
// above afterID, at most limit (1..10,000): what escalation chases, a page
// at a time so a flood of old alerts cannot hide the new ones.
func (s *Service) Unacknowledged(ctx context.Context, minSeverity string, olderThan time.Duration, afterID int64, limit int) ([]*Alert, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	r := Rank(minSeverity)
	if r == 0 {
		return nil, errs.Invalid("severity", "%q is not one of %s", minSeverity, strings.Join(Severities, ", "))
	}
	cond, args := p.Scope("u.path")
	limit = min(max(limit, 1), 10000)
	args = append(args, r, store.Micros(s.now().Add(-olderThan)), afterID, limit)
	rows, err := s.DB.Query(ctx, `SELECT `+columns+from+` WHERE `+cond+` AND a.status = 'open' AND a.acked_at = 0 AND a.severity_rank >= ? AND a.created_at <= ?
		AND a.id > ? ORDER BY a.id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("alerts: unacknowledged: %w", err)
	}
	defer rows.Close()
	var out []*Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: unacknowledged: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Counts are the active alerts of a subtree by severity.
type Counts struct {
	Open           map[string]int // open or acknowledged, by severity
	Unacknowledged map[string]int // open and never acknowledged, by severity
	Total          int
}

// Count returns the active alerts in the caller's scope, under the unit
// code when one is given.
func (s *Service) Count(ctx context.Context, unit string) (*Counts, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	l := store.NewList("a.id", 1, 1)
	if err := s.where(ctx, p, l, Filter{Unit: unit, Statuses: Active}); err != nil {
		return nil, err
	}
	cond, args := l.Conditions()
	rows, err := s.DB.Query(ctx, `SELECT a.severity, a.acked_at = 0, COUNT(*) FROM alerts a JOIN units u ON u.id = a.unit_id WHERE `+cond+
		` GROUP BY a.severity, a.acked_at = 0`, args...)
	if err != nil {
		return nil, fmt.Errorf("alerts: count: %w", err)
	}
	defer rows.Close()
	c := &Counts{Open: map[string]int{}, Unacknowledged: map[string]int{}}
	for rows.Next() {
		var sev string
		var unacked bool
		var n int
		if err := rows.Scan(&sev, &unacked, &n); err != nil {
			return nil, fmt.Errorf("alerts: count: %w", err)
		}
		c.Open[sev] += n
		c.Total += n
		if unacked {
			c.Unacknowledged[sev] += n
		}
	}
	return c, rows.Err()
}
