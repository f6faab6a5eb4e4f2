package findings

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// DueSetting is how many days a unit has to fix a finding of one kind and
// severity, counted from when it is first seen (or reopened).
type DueSetting struct {
	Kind      string    `json:"kind"`
	Severity  string    `json:"severity"`
	Days      int       `json:"days"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// MaxDueDays bounds a due-date setting: a year.
const MaxDueDays = 365

// defaultDueDays are the deadlines when the settings table has no row
// (migration 0018 writes these same figures into it).
func defaultDueDays(kind, severity string) int {
	if kind == KindVulnerability || kind == KindMissingUpdate {
		return map[string]int{SeverityCritical: 7, SeverityHigh: 15, SeverityMedium: 30, SeverityLow: 90}[severity]
	}
	return int(DueIn[severity] / (24 * time.Hour))
}

// dueFor returns the deadline of a finding of kind and severity seen at
// seen (microseconds).
func dueFor(ctx context.Context, tx *store.Tx, kind, severity string, seen int64) (int64, error) {
	var days int
	err := tx.QueryRow(ctx, `SELECT days FROM finding_due_days WHERE kind = ? AND severity = ?`, kind, severity).Scan(&days)
	switch {
	case store.IsNoRows(err):
		days = defaultDueDays(kind, severity)
	case err != nil:
		return 0, fmt.Errorf("findings: due days: %w", err)
	}
	return seen + int64(days)*24*time.Hour.Microseconds(), nil
}

// DueDays returns the deadline of every kind and severity, in display
// order. Anyone signed in may read them.
func (s *Service) DueDays(ctx context.Context) ([]DueSetting, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	stored := map[[2]string]DueSetting{}
	rows, err := s.DB.Query(ctx, `SELECT kind, severity, days, updated_by, updated_at FROM finding_due_days`)
	if err != nil {
		return nil, fmt.Errorf("findings: due days: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d DueSetting
		var at int64
		if err := rows.Scan(&d.Kind, &d.Severity, &d.Days, &d.UpdatedBy, &at); err != nil {
			return nil, fmt.Errorf("findings: due days: %w", err)
		}
		if at > 0 {
			d.UpdatedAt = store.Time(at)
		}
		stored[[2]string{d.Kind, d.Severity}] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("findings: due days: %w", err)
	}
	var out []DueSetting
	for _, k := range Kinds {
		for _, sev := range Severities {
			d, ok := stored[[2]string{k, sev}]
			if !ok {
				d = DueSetting{Kind: k, Severity: sev, Days: defaultDueDays(k, sev)}
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// SetDueDays changes deadlines (administrators only). Findings already
// filed keep their due date; new ones and reopened ones get the new one.
// Each change is audited.
func (s *Service) SetDueDays(ctx context.Context, in []DueSetting) ([]DueSetting, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role != auth.RoleAdmin || p.Via == "agent" {
		return nil, errs.Forbidden("only an administrator may change due dates")
	}
	if len(in) == 0 {
		return nil, errs.Invalid("days", "give at least one kind, severity and number of days")
	}
	for _, d := range in {
		if !slices.Contains(Kinds, d.Kind) {
			return nil, errs.Invalid("kind", "%q is not one of %s", d.Kind, joinList(Kinds))
		}
		if !slices.Contains(Severities, d.Severity) {
			return nil, errs.Invalid("severity", "%q is not one of %s", d.Severity, joinList(Severities))
		}
		if d.Days < 1 || d.Days > MaxDueDays {
			return nil, errs.Invalid("days", "give a number of days from 1 to %d", MaxDueDays)
		}
	}
	cur, err := s.DueDays(ctx)
	if err != nil {
		return nil, err
	}
	old := map[[2]string]int{}
	for _, d := range cur {
		old[[2]string{d.Kind, d.Severity}] = d.Days
	}
	now := store.Micros(s.now())
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, d := range in {
			was := old[[2]string{d.Kind, d.Severity}]
			if was == d.Days {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO finding_due_days (kind, severity, days, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (kind, severity) DO UPDATE SET days = excluded.days, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
				d.Kind, d.Severity, d.Days, p.Email, now); err != nil {
				return fmt.Errorf("findings: set due days: %w", err)
			}
			if err := audit.Append(ctx, tx, audit.Entry{Action: "finding_due.update", ObjectType: "finding_due", ObjectID: d.Kind + "/" + d.Severity,
				Before: map[string]any{"finding_kind": d.Kind, "severity": d.Severity, "days": was},
				After:  map[string]any{"finding_kind": d.Kind, "severity": d.Severity, "days": d.Days}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.DueDays(ctx)
}

// ExpireRisks reopens every finding whose risk acceptance has run out: the
// acceptance was for a time, and the problem is back in the queue with a
// new due date. Each reopening is audited as the system's doing. It
// returns how many reopened.
func (s *Service) ExpireRisks(ctx context.Context) (int, error) {
	now := s.now()
	type row struct {
		id, unit int64
		kind     string
		severity string
		expires  int64
	}
	var due []row
	rows, err := s.DB.Query(ctx, `SELECT f.id, h.unit_id, f.kind, f.severity, f.risk_expires_at FROM findings f JOIN hosts h ON h.id = f.host_id
		WHERE f.status = 'accepted_risk' AND f.risk_expires_at > 0 AND f.risk_expires_at <= ? ORDER BY f.id LIMIT 1000`, store.Micros(now))
	if err != nil {
		return 0, fmt.Errorf("findings: expire risks: %w", err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.unit, &r.kind, &r.severity, &r.expires); err != nil {
			rows.Close()
			return 0, fmt.Errorf("findings: expire risks: %w", err)
		}
		due = append(due, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("findings: expire risks: %w", err)
	}
	actx := auth.WithPrincipal(ctx, auth.System)
	n := 0
	for _, r := range due {
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			at := store.Micros(now)
			dueAt, err := dueFor(ctx, tx, r.kind, r.severity, at)
			if err != nil {
				return err
			}
			res, err := tx.Exec(ctx, `UPDATE findings SET status = 'open', status_since = ?, due_at = ?, reopened = reopened + 1, risk_approver_id = 0, risk_expires_at = 0,
				updated_by = 'system', updated_at = ? WHERE id = ? AND status = 'accepted_risk' AND risk_expires_at = ?`, at, dueAt, at, r.id, r.expires)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil // changed meanwhile
			}
			n++
			return audit.Append(actx, tx, audit.Entry{Action: "finding.risk_expired", ObjectType: "finding", ObjectID: strconv.FormatInt(r.id, 10), UnitID: r.unit,
				Before: map[string]any{"status": StatusAcceptedRisk, "expires": formatDue(r.expires)},
				After:  map[string]any{"status": StatusOpen, "due": formatDue(dueAt)}})
		})
		if err != nil {
			return n, fmt.Errorf("findings: expire risk of %d: %w", r.id, err)
		}
	}
	return n, nil
}

func joinList(v []string) string {
	out := ""
	for i, s := range v {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}
