package intel

import (
	"context"
	"fmt"
	"strings"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Rights (docs/intel.md#rights):
//
//   - The IT Center is whoever may write at the root unit: administrators
//     and officers of the root unit. It creates, versions, publishes and
//     withdraws lists, imports intelligence for every unit and edits any
//     entry.
//   - Whoever reads the root unit (administrators, the SOC's analysts,
//     users of the root unit) reads every list, drafts included, and every
//     indicator.
//   - An officer of another unit imports indicators into an existing list
//     of the month (draft or published) and adds or removes entries of a
//     list, but only entries targeting its own subtree; it creates,
//     publishes and withdraws nothing.
//   - Everyone signed in reads the published (and superseded or withdrawn,
//     for the record) lists and, of their entries, those targeting every
//     unit or a unit of their subtree; of the indicators, those such
//     entries name.

// root is the root unit (the IT Center's level): its id and path.
type root struct {
	id   int64
	path string
}

func (s *Service) root(ctx context.Context) (root, error) {
	var r root
	err := s.DB.QueryRow(ctx, `SELECT id, path FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&r.id, &r.path)
	if err != nil {
		if store.IsNoRows(err) {
			return r, errs.Errorf(errs.EUNAVAILABLE, "the hub has no units yet")
		}
		return r, fmt.Errorf("intel: root unit: %w", err)
	}
	return r, nil
}

// caller is the signed-in principal with what it may do here.
type caller struct {
	p        *auth.Principal
	root     root
	manage   bool // the IT Center: manage lists, import for every unit
	readsAll bool // reads drafts, every entry and indicator
}

func (s *Service) caller(ctx context.Context) (*caller, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Via == "agent" {
		return nil, errs.Forbidden("agent credentials may call only the agent API")
	}
	r, err := s.root(ctx)
	if err != nil {
		return nil, err
	}
	return &caller{p: p, root: r, manage: p.CanWrite(r.path), readsAll: p.CanRead(r.path)}, nil
}

// CanManage reports whether the caller is the IT Center (may create,
// publish and withdraw lists); pages use it to show the forms.
func (s *Service) CanManage(ctx context.Context) bool {
	c, err := s.caller(ctx)
	return err == nil && c.manage
}

// CanAddEntries reports whether the caller may import or add entries at
// all (the IT Center, or an officer for its own subtree).
func (s *Service) CanAddEntries(ctx context.Context) bool {
	c, err := s.caller(ctx)
	return err == nil && (c.manage || c.p.Role == auth.RoleOfficer)
}

// unit is a unit an entry targets.
type unit struct {
	id   int64
	code string
	path string
}

// unitFor resolves the unit code an entry targets and checks the caller
// may target it. "" is every unit, for the IT Center only.
func (s *Service) unitFor(ctx context.Context, c *caller, code string) (unit, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		if !c.manage {
			return unit{}, errs.Invalid("unit", "choose one of your units: only the IT Center targets every unit")
		}
		return unit{}, nil
	}
	u := unit{code: code}
	err := s.DB.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, code).Scan(&u.id, &u.path)
	if err := c.p.CheckRead(err, func() string { return u.path }, errs.Invalid("unit", "unit %q does not exist", code)); err != nil {
		return unit{}, err
	}
	if !c.p.CanWrite(u.path) {
		return unit{}, errs.Forbidden("you may not add warning-list entries for unit %s", code)
	}
	return u, nil
}

// entryScope is the condition limiting entries (alias e, unit path column
// up, LEFT JOINed units on e.unit_id) to those the caller reads.
func (c *caller) entryScope() (string, []any) {
	if c.readsAll {
		return "1=1", nil
	}
	cond, args := c.p.Scope("up.path")
	return "(e.unit_id = 0 OR " + cond + ")", args
}

// listScope limits lists (alias l) to those the caller reads.
func (c *caller) listScope() string {
	if c.readsAll {
		return "1=1"
	}
	return "l.status <> 'draft'"
}

// bump adds one to the version agents and the pipeline compare.
func bump(ctx context.Context, tx *store.Tx) error {
	_, err := tx.Exec(ctx, `UPDATE intel_version SET version = version + 1 WHERE id = 1`)
	return err
}
