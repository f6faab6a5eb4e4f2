package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Exception keeps a rule from alerting for a unit's subtree.
type Exception struct {
	ID        int64     `json:"id"`
	RuleID    string    `json:"rule_id"`
	RuleTitle string    `json:"rule_title"`
	Unit      string    `json:"unit"`
	UnitName  string    `json:"unit_name"`
	Note      string    `json:"note"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`

	unitID   int64
	unitPath string
}

// ExceptionInput adds an exception for a rule: the unit (its code) whose
// subtree the rule stops alerting for, and why.
type ExceptionInput struct {
	Unit string `json:"unit"`
	Note string `json:"note"`
}

// ExceptionFilter selects exceptions in the caller's scope.
type ExceptionFilter struct {
	RuleID string
	Unit   string // a unit code: exceptions of that unit and its subtree
	Sort   string // a key of ExceptionSorts; "" is newest first
	Desc   bool
	Offset int
	Limit  int
}

// ExceptionSorts are the columns a list of exceptions sorts by.
var ExceptionSorts = map[string]string{
	"rule":    "x.rule_id",
	"unit":    "u.code",
	"created": "x.created_at",
}

// ExceptionSortKeys lists the keys of ExceptionSorts.
var ExceptionSortKeys = []string{"rule", "unit", "created"}

const exceptionCols = `SELECT x.id, x.rule_id, COALESCE(r.title, x.rule_id), u.id, u.code, u.name, u.path, x.note, x.created_by, x.created_at`
const exceptionFrom = ` FROM rule_exceptions x JOIN units u ON u.id = x.unit_id LEFT JOIN rules r ON r.rule_id = x.rule_id`

func scanException(sc store.Scanner) (*Exception, error) {
	var x Exception
	var created int64
	if err := sc.Scan(&x.ID, &x.RuleID, &x.RuleTitle, &x.unitID, &x.Unit, &x.UnitName, &x.unitPath, &x.Note, &x.CreatedBy, &created); err != nil {
		return nil, err
	}
	x.CreatedAt = store.Time(created)
	return &x, nil
}

// Exceptions lists the exceptions in the caller's scope.
func (s *Service) Exceptions(ctx context.Context, f ExceptionFilter) ([]*Exception, int, error) {
	p, err := requireRead(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("x.id DESC", f.Limit, 100).Scope(p, "u.path")
	if f.Sort != "" {
		expr, ok := ExceptionSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(ExceptionSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	if f.RuleID != "" {
		l.Where("x.rule_id = ?", f.RuleID)
	}
	if f.Unit != "" {
		path, err := s.unitPath(ctx, p, f.Unit)
		if err != nil {
			return nil, 0, err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, exceptionCols, exceptionFrom, scanException)
	if err != nil {
		return nil, 0, fmt.Errorf("pipeline: list exceptions: %w", err)
	}
	return out, total, nil
}

// unitPath finds a unit the caller can read by its code.
func (s *Service) unitPath(ctx context.Context, p *auth.Principal, code string) (string, error) {
	var path string
	err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, strings.TrimSpace(code)).Scan(&path)
	if err != nil && !store.IsNoRows(err) {
		return "", fmt.Errorf("pipeline: unit: %w", err)
	}
	if err != nil || !p.CanRead(path) {
		return "", errs.NotFound("unit " + strconv.Quote(code))
	}
	return path, nil
}

// canExcept reports whether p sets exceptions for the unit at path: rule
// managers anywhere, officers in their subtree.
func canExcept(p *auth.Principal, path string) bool {
	return canManage(p) || p.Role == auth.RoleOfficer && p.CanWrite(path)
}

// AddException stops a rule alerting for a unit's subtree.
func (s *Service) AddException(ctx context.Context, ruleID string, in ExceptionInput) (*Exception, error) {
	p, err := requireRead(ctx)
	if err != nil {
		return nil, err
	}
	note := strings.TrimSpace(in.Note)
	if len(note) > 2000 {
		return nil, errs.Invalid("note", "must be at most 2000 bytes")
	}
	if note == "" {
		return nil, errs.Invalid("note", "say why this rule does not apply to the unit")
	}
	if strings.TrimSpace(in.Unit) == "" {
		return nil, errs.Invalid("unit", "choose a unit")
	}
	var out *Exception
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if !isIOCRule(ruleID) {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM rules WHERE rule_id = ?`, ruleID).Scan(&n); err != nil {
				return fmt.Errorf("pipeline: exception: %w", err)
			}
			if n == 0 {
				return errs.NotFound("rule " + strconv.Quote(ruleID))
			}
		}
		var unitID int64
		var path string
		err := tx.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, strings.TrimSpace(in.Unit)).Scan(&unitID, &path)
		if err != nil && !store.IsNoRows(err) {
			return fmt.Errorf("pipeline: exception: %w", err)
		}
		if err != nil || !p.CanRead(path) {
			return errs.Invalid("unit", "no unit %q in your scope", in.Unit)
		}
		if !canExcept(p, path) {
			return errs.Forbidden("you may not set exceptions for unit %s", in.Unit)
		}
		var id int64
		err = tx.QueryRow(ctx, `INSERT INTO rule_exceptions (rule_id, unit_id, note, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			ruleID, unitID, note, p.Email, store.Micros(s.now())).Scan(&id)
		if store.IsUniqueViolation(err) {
			return errs.Conflict("unit", "the rule already has an exception for unit %s", in.Unit)
		}
		if err != nil {
			return fmt.Errorf("pipeline: exception: %w", err)
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		if err := audit.Append(ctx, tx, audit.Entry{Action: "rule.exception_add", ObjectType: "rule_exception", ObjectID: strconv.FormatInt(id, 10), UnitID: unitID,
			After: map[string]any{"rule": ruleID, "unit": in.Unit, "note": note}}); err != nil {
			return err
		}
		out, err = scanException(tx.QueryRow(ctx, exceptionCols+exceptionFrom+` WHERE x.id = ?`, id))
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Poke()
	return out, nil
}

// DeleteException lets the rule alert for the unit again.
func (s *Service) DeleteException(ctx context.Context, id int64) error {
	p, err := requireRead(ctx)
	if err != nil {
		return err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		x, err := scanException(tx.QueryRow(ctx, exceptionCols+exceptionFrom+` WHERE x.id = ?`, id))
		notFound := errs.NotFound("exception " + strconv.FormatInt(id, 10))
		if err := p.CheckRead(err, func() string { return x.unitPath }, notFound); err != nil {
			return err
		}
		if !canExcept(p, x.unitPath) {
			return errs.Forbidden("you may not set exceptions for unit %s", x.Unit)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rule_exceptions WHERE id = ?`, id); err != nil {
			return fmt.Errorf("pipeline: delete exception: %w", err)
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "rule.exception_delete", ObjectType: "rule_exception", ObjectID: strconv.FormatInt(id, 10), UnitID: x.unitID,
			Before: map[string]any{"rule": x.RuleID, "unit": x.Unit, "note": x.Note}})
	})
	if err != nil {
		return err
	}
	s.Poke()
	return nil
}
