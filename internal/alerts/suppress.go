package alerts

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// MaxSuppressionDays is how long a suppression rule may last: a rule
// nobody renews stops, so a forgotten one cannot hide an attack for ever.
const MaxSuppressionDays = 366

// Suppression is a rule under which matches are counted, not alerted.
type Suppression struct {
	ID        int64     `json:"id"`
	RuleID    string    `json:"rule_id"`
	Host      string    `json:"host,omitempty"` // a host name (short) or address; "" for any
	Unit      string    `json:"unit,omitempty"` // a unit code (its subtree); "" for every unit
	UnitName  string    `json:"unit_name,omitempty"`
	Field     string    `json:"field,omitempty"` // an event field ...
	Value     string    `json:"value,omitempty"` // ... and its value (case ignored)
	Reason    string    `json:"reason"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	RemovedAt time.Time `json:"removed_at,omitzero"`
	RemovedBy string    `json:"removed_by,omitempty"`
	Hits      int64     `json:"hits"` // matches suppressed
	LastHitAt time.Time `json:"last_hit_at,omitzero"`
	// Active is true until the rule expires or is removed.
	Active bool `json:"active"`

	unitID   int64
	unitPath string
}

// SuppressionInput creates a suppression rule.
type SuppressionInput struct {
	RuleID string `json:"rule_id"`
	Host   string `json:"host,omitempty"`
	Unit   string `json:"unit,omitempty"`
	Field  string `json:"field,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
	// Expires is the last day the rule applies (31/12/2026 or 2026-12-31,
	// to the end of that day in Asia/Ho_Chi_Minh).
	Expires string `json:"expires"`
}

// SuppressionFilter selects suppression rules.
type SuppressionFilter struct {
	Unit     string
	Rule     string
	Inactive bool // include expired and removed rules
	Sort     string
	Desc     bool
	Offset   int
	Limit    int
}

// SuppressionSorts are the columns suppression rules sort by.
var SuppressionSorts = map[string]string{
	"rule":    "s.rule_id",
	"expires": "s.expires_at",
	"hits":    "s.hits",
	"created": "s.created_at",
	"unit":    "COALESCE(u.code, '')",
}

// SuppressionSortKeys lists the keys of SuppressionSorts.
var SuppressionSortKeys = []string{"rule", "expires", "hits", "created", "unit"}

const supColumns = `s.id, s.rule_id, s.host_key, s.unit_id, COALESCE(u.code, ''), COALESCE(u.name, ''), COALESCE(u.path, ''), s.field, s.value, s.reason,
	s.expires_at, s.created_by, s.created_at, s.removed_at, s.removed_by, s.hits, s.last_hit_at`

const supFrom = ` FROM alert_suppressions s LEFT JOIN units u ON u.id = s.unit_id`

func (s *Service) scanSuppression(sc store.Scanner) (*Suppression, error) {
	var x Suppression
	var exp, created, removed, hit int64
	if err := sc.Scan(&x.ID, &x.RuleID, &x.Host, &x.unitID, &x.Unit, &x.UnitName, &x.unitPath, &x.Field, &x.Value, &x.Reason,
		&exp, &x.CreatedBy, &created, &removed, &x.RemovedBy, &x.Hits, &hit); err != nil {
		return nil, err
	}
	x.ExpiresAt, x.CreatedAt, x.RemovedAt, x.LastHitAt = store.Time(exp), store.Time(created), store.Time(removed), store.Time(hit)
	x.Active = removed == 0 && exp > store.Micros(s.now())
	return &x, nil
}

// canSuppress reports whether p may create or remove suppression rules of
// the unit at path ("" for every unit: only the SOC and administrators).
func canSuppress(p *auth.Principal, path string) bool {
	if path == "" {
		return p.Via != "agent" && (p.Role == auth.RoleAdmin || p.Role == auth.RoleAnalyst)
	}
	return canWork(p, path)
}

// CreateSuppression adds a suppression rule, audited; it applies to the
// matches this process records from now on, and to other processes' within
// ten seconds.
func (s *Service) CreateSuppression(ctx context.Context, in SuppressionInput) (*Suppression, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	in.RuleID, in.Host, in.Unit = strings.TrimSpace(in.RuleID), strings.TrimSpace(in.Host), strings.TrimSpace(in.Unit)
	in.Field, in.Value, in.Reason = strings.TrimSpace(in.Field), strings.TrimSpace(in.Value), strings.TrimSpace(in.Reason)
	switch {
	case in.RuleID == "" || len(in.RuleID) > 200:
		return nil, errs.Invalid("rule_id", "give the detection rule id")
	case in.Reason == "" || len(in.Reason) > 2000:
		return nil, errs.Invalid("reason", "give the reason")
	case in.Field != "" && in.Value == "":
		return nil, errs.Invalid("value", "give the field's value")
	case in.Field == "" && in.Value != "":
		return nil, errs.Invalid("field", "give the field the value belongs to")
	case strings.TrimSpace(in.Expires) == "":
		return nil, errs.Invalid("expires", "give an expiry date")
	}
	expires, err := parseDay(in.Expires)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !expires.After(now) {
		return nil, errs.Invalid("expires", "the expiry date has passed")
	}
	if expires.Sub(now) > MaxSuppressionDays*24*time.Hour {
		return nil, errs.Invalid("expires", "a suppression lasts at most %d days", MaxSuppressionDays)
	}
	var unitID int64
	path := ""
	if in.Unit != "" {
		if unitID, path, err = s.unitPathByCode(ctx, p, in.Unit); err != nil {
			return nil, err
		}
	}
	if !canSuppress(p, path) {
		if path == "" {
			return nil, errs.Forbidden("only those who see every unit suppress alerts everywhere: choose a unit")
		}
		return nil, errs.Forbidden("you may not suppress alerts of unit %s", in.Unit)
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO alert_suppressions (rule_id, host_key, unit_id, field, value, reason, expires_at, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.RuleID, hostKey(i18n.Clip(in.Host, 255)), unitID, i18n.Clip(in.Field, 128), i18n.Clip(in.Value, 1000),
			in.Reason, store.Micros(expires), p.Email, store.Micros(now)).Scan(&id)
		if err != nil {
			return fmt.Errorf("alerts: add suppression: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "alert_suppression.create", ObjectType: "alert_suppression", ObjectID: strconv.FormatInt(id, 10), UnitID: unitID,
			After: map[string]any{"rule_id": in.RuleID, "host": in.Host, "unit": in.Unit, "field": in.Field, "value": in.Value, "reason": in.Reason,
				"expires_at": expires.UTC().Format(time.RFC3339Nano)}})
	})
	if err != nil {
		return nil, err
	}
	s.supsStale.Store(true)
	return s.getSuppression(ctx, p, id)
}

func (s *Service) getSuppression(ctx context.Context, p *auth.Principal, id int64) (*Suppression, error) {
	x, err := s.scanSuppression(s.DB.QueryRow(ctx, `SELECT `+supColumns+supFrom+` WHERE s.id = ?`, id))
	notFound := errs.NotFound("suppression rule " + strconv.FormatInt(id, 10))
	if store.IsNoRows(err) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: suppression %d: %w", id, err)
	}
	if x.unitID != 0 && !p.CanRead(x.unitPath) {
		return nil, notFound
	}
	return x, nil
}

// RemoveSuppression ends a suppression rule before its expiry, audited.
func (s *Service) RemoveSuppression(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	x, err := s.getSuppression(ctx, p, id)
	if err != nil {
		return err
	}
	path := x.unitPath
	if x.unitID == 0 {
		path = ""
	}
	if !canSuppress(p, path) {
		return errs.Forbidden("you may not suppress alerts of unit %s", x.Unit)
	}
	if !x.RemovedAt.IsZero() {
		return errs.Invalid("", "%s is already removed", "suppression rule "+strconv.FormatInt(id, 10))
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE alert_suppressions SET removed_at = ?, removed_by = ? WHERE id = ?`, store.Micros(s.now()), p.Email, id); err != nil {
			return fmt.Errorf("alerts: remove suppression %d: %w", id, err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "alert_suppression.delete", ObjectType: "alert_suppression", ObjectID: strconv.FormatInt(id, 10), UnitID: x.unitID,
			Before: map[string]any{"rule_id": x.RuleID, "host": x.Host, "unit": x.Unit, "reason": x.Reason, "hits": x.Hits}})
	})
	if err != nil {
		return err
	}
	s.supsStale.Store(true)
	return nil
}

// Suppressions lists the suppression rules the caller can see: those of
// units in scope and those of every unit.
func (s *Service) Suppressions(ctx context.Context, f SuppressionFilter) ([]*Suppression, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("s.id DESC", f.Limit, 100)
	cond, args := p.Scope("u.path")
	l.Where("(s.unit_id = 0 OR "+cond+")", args...)
	if f.Unit != "" {
		_, path, err := s.unitPathByCode(ctx, p, f.Unit)
		if err != nil {
			return nil, 0, err
		}
		// The rules that apply there: its own, its parents' and everyone's.
		// (A unit path is digits and slashes: no wildcard to escape.)
		l.Where(`(s.unit_id = 0 OR ? LIKE u.path || '%')`, path)
	}
	if f.Rule != "" {
		l.Where("s.rule_id = ?", strings.TrimSpace(f.Rule))
	}
	if !f.Inactive {
		l.Where("s.removed_at = 0 AND s.expires_at > ?", store.Micros(s.now()))
	}
	if f.Sort != "" {
		expr, ok := SuppressionSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(SuppressionSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+supColumns, supFrom, s.scanSuppression)
	if err != nil {
		return nil, 0, fmt.Errorf("alerts: suppressions: %w", err)
	}
	return out, total, nil
}

// parseDay reads a day, yyyy-mm-dd or dd/mm/yyyy, and returns the last
// moment of that day in Vietnam.
func parseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if d, err := time.ParseInLocation(layout, s, i18n.Location); err == nil {
			return d.Add(24*time.Hour - time.Microsecond), nil
		}
	}
	return time.Time{}, errs.Invalid("expires", "%q is not a date: write it as dd/mm/yyyy (31/12/2026) or yyyy-mm-dd", s)
}
