// Package org is the organisation: units as a tree, their points of contact,
// and the people who use Vigil. Every method checks the caller's unit scope
// itself, so no handler can forget to.
package org

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Unit kinds.
const (
	KindHeadquarters = "headquarters"
	KindServiceUnit  = "service_unit"
	KindProvince     = "province"
	KindDistrict     = "district"
)

// Kinds lists the unit kinds in display order.
var Kinds = []string{KindHeadquarters, KindServiceUnit, KindProvince, KindDistrict}

// Unit is one organisation in the tree.
type Unit struct {
	ID        int64     `json:"-"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	Parent    string    `json:"parent,omitempty"`
	ParentID  int64     `json:"-"`
	Path      string    `json:"-"`
	Depth     int       `json:"depth"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// UnitInput creates a unit; Parent is the parent's code ("" for a root).
type UnitInput struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Parent string `json:"parent"`
}

var codeRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Validate checks the input's own fields (not the parent's existence).
func (in *UnitInput) Validate() error {
	in.Code = strings.TrimSpace(in.Code)
	in.Name = strings.TrimSpace(in.Name)
	in.Kind = strings.TrimSpace(in.Kind)
	in.Parent = strings.TrimSpace(in.Parent)
	if in.Code == "" {
		return errs.Invalid("code", "is required")
	}
	if !codeRE.MatchString(in.Code) {
		return errs.Invalid("code", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if in.Name == "" {
		return errs.Invalid("name", "is required")
	}
	if len(in.Name) > 200 {
		return errs.Invalid("name", "must be at most 200 bytes")
	}
	if !validKind(in.Kind) {
		return errs.Invalid("kind", "must be one of %s", strings.Join(Kinds, ", "))
	}
	if strings.EqualFold(in.Parent, in.Code) {
		return errs.Invalid("parent", "a unit cannot be its own parent")
	}
	return nil
}

func validKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Service is the organisation's service layer.
type Service struct {
	DB *store.DB
}

const unitColumns = `u.id, u.code, u.name, u.kind, COALESCE(p.code, ''), COALESCE(u.parent_id, 0), u.path, u.created_at, u.updated_at`
const unitFrom = ` FROM units u LEFT JOIN units p ON p.id = u.parent_id`

func scanUnit(sc interface{ Scan(...any) error }) (*Unit, error) {
	var u Unit
	var created, updated int64
	if err := sc.Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.Parent, &u.ParentID, &u.Path, &created, &updated); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = store.Time(created), store.Time(updated)
	u.Depth = strings.Count(u.Path, "/") - 2
	return &u, nil
}

// unitByCode fetches a unit without a scope check (internal use).
func unitByCode(ctx context.Context, q queryRower, code string) (*Unit, error) {
	u, err := scanUnit(q.QueryRow(ctx, `SELECT `+unitColumns+unitFrom+` WHERE u.code = ?`, code))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("unit " + strconv.Quote(code))
	}
	if err != nil {
		return nil, fmt.Errorf("org: fetch unit %s: %w", code, err)
	}
	return u, nil
}

type queryRower interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

// GetUnit returns the unit with code if the caller may read it; a unit
// outside the caller's scope is reported as not found.
func (s *Service) GetUnit(ctx context.Context, code string) (*Unit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	u, err := unitByCode(ctx, s.DB, code)
	if err := p.CheckRead(err, func() string { return u.Path }, errs.NotFound("unit "+strconv.Quote(code))); err != nil {
		return nil, err
	}
	return u, nil
}

// UnitFilter selects units.
type UnitFilter struct {
	Query  string // accent-insensitive, on code and name
	Kind   string
	Parent string // direct children of this code
	Under  string // whole subtree of this code
	Sort   string // a key of UnitSorts; "" is the order units were added
	Desc   bool
	Offset int // rows skipped (pages by position)
	Limit  int
}

// UnitSorts are the columns a list of units sorts by. "tree" is the tree
// depth first, each unit followed by its subtree: a subtree's paths share
// their parent's as a prefix, so they sort together right after it.
var UnitSorts = map[string]string{
	"code":    "u.code",
	"name":    "u.name_fold",
	"kind":    "CASE u.kind WHEN 'headquarters' THEN 1 WHEN 'service_unit' THEN 2 WHEN 'province' THEN 3 ELSE 4 END",
	"parent":  "COALESCE(p.code, '')",
	"tree":    "u.path",
	"created": "u.created_at",
}

// UnitSortKeys lists the keys of UnitSorts.
var UnitSortKeys = []string{"code", "name", "kind", "parent", "tree", "created"}

// ListUnits returns a page of the units in the caller's scope that match
// f, in f's order, and how many match in all.
func (s *Service) ListUnits(ctx context.Context, f UnitFilter) ([]*Unit, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("u.id", f.Limit, 100).Scope(p, "u.path")
	if f.Query != "" {
		l.Where(`(u.name_fold LIKE ? ESCAPE '\' OR LOWER(u.code) LIKE ? ESCAPE '\')`,
			store.LikeContains(i18n.Fold(f.Query)), store.LikeContains(strings.ToLower(strings.TrimSpace(f.Query))))
	}
	if f.Kind != "" {
		l.Where("u.kind = ?", f.Kind)
	}
	if f.Parent != "" {
		l.Where("p.code = ?", f.Parent)
	}
	if f.Under != "" {
		under, err := s.GetUnit(ctx, f.Under)
		if err != nil {
			return nil, 0, err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(under.Path))
	}
	if f.Sort != "" {
		expr, ok := UnitSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(UnitSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+unitColumns, unitFrom, scanUnit)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list units: %w", err)
	}
	return out, total, nil
}

// CreateUnit adds a unit under in.Parent. Only admins create root units;
// officers create units inside their subtree.
func (s *Service) CreateUnit(ctx context.Context, in UnitInput) (*Unit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var u *Unit
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var e error
		u, e = createUnit(ctx, tx, p, in)
		return e
	})
	return u, err
}

func createUnit(ctx context.Context, tx *store.Tx, p *auth.Principal, in UnitInput) (*Unit, error) {
	var parent *Unit
	if in.Parent != "" {
		var err error
		parent, err = unitByCode(ctx, tx, in.Parent)
		if err := p.CheckRead(err, func() string { return parent.Path }, errs.Invalid("parent", "unit %q does not exist", in.Parent)); err != nil {
			return nil, err
		}
		if !p.CanWrite(parent.Path) {
			return nil, errs.Forbidden("you may not add units under %s", in.Parent)
		}
	} else if p.Role != auth.RoleAdmin {
		return nil, errs.Forbidden("only an administrator may create a top-level unit")
	}
	now := store.Now()
	var parentID any
	if parent != nil {
		parentID = parent.ID
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO units (code, name, name_fold, kind, parent_id, path, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, '', ?, ?) RETURNING id`, in.Code, in.Name, i18n.Fold(in.Name), in.Kind, parentID, now, now).Scan(&id)
	if store.IsUniqueViolation(err) {
		return nil, errs.Conflict("code", "a unit with code %q already exists", in.Code)
	}
	if err != nil {
		return nil, fmt.Errorf("org: create unit %s: %w", in.Code, err)
	}
	path := "/" + strconv.FormatInt(id, 10) + "/"
	if parent != nil {
		path = parent.Path + strconv.FormatInt(id, 10) + "/"
	}
	if _, err := tx.Exec(ctx, `UPDATE units SET path = ? WHERE id = ?`, path, id); err != nil {
		return nil, fmt.Errorf("org: create unit %s: %w", in.Code, err)
	}
	u := &Unit{ID: id, Code: in.Code, Name: in.Name, Kind: in.Kind, Parent: in.Parent, Path: path,
		Depth: strings.Count(path, "/") - 2, CreatedAt: store.Time(now), UpdatedAt: store.Time(now)}
	if parent != nil {
		u.ParentID = parent.ID
	}
	err = audit.Append(ctx, tx, audit.Entry{Action: "unit.create", ObjectType: "unit", ObjectID: u.Code, UnitID: u.ID, After: in})
	return u, err
}

// UnitPatch changes a unit's name or kind; nil fields stay.
type UnitPatch struct {
	Name *string `json:"name"`
	Kind *string `json:"kind"`
}

// UpdateUnit applies patch to the unit with code.
func (s *Service) UpdateUnit(ctx context.Context, code string, patch UnitPatch) (*Unit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var out *Unit
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		u, err := unitByCode(ctx, tx, code)
		if err := p.CheckRead(err, func() string { return u.Path }, errs.NotFound("unit "+strconv.Quote(code))); err != nil {
			return err
		}
		if !p.CanWrite(u.Path) {
			return errs.Forbidden("you may not change unit %s", code)
		}
		before := UnitInput{Code: u.Code, Name: u.Name, Kind: u.Kind, Parent: u.Parent}
		in := before
		if patch.Name != nil {
			in.Name = *patch.Name
		}
		if patch.Kind != nil {
			in.Kind = *patch.Kind
		}
		if err := in.Validate(); err != nil {
			return err
		}
		now := store.Now()
		if _, err := tx.Exec(ctx, `UPDATE units SET name = ?, name_fold = ?, kind = ?, updated_at = ? WHERE id = ?`,
			in.Name, i18n.Fold(in.Name), in.Kind, now, u.ID); err != nil {
			return fmt.Errorf("org: update unit %s: %w", code, err)
		}
		u.Name, u.Kind, u.UpdatedAt = in.Name, in.Kind, store.Time(now)
		out = u
		return audit.Append(ctx, tx, audit.Entry{Action: "unit.update", ObjectType: "unit", ObjectID: code, UnitID: u.ID, Before: before, After: in})
	})
	return out, err
}

// DeleteUnit removes a unit that has no child units and no users.
func (s *Service) DeleteUnit(ctx context.Context, code string) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		u, err := unitByCode(ctx, tx, code)
		if err := p.CheckRead(err, func() string { return u.Path }, errs.NotFound("unit "+strconv.Quote(code))); err != nil {
			return err
		}
		if !p.CanWrite(u.Path) || u.Path == p.UnitPath {
			return errs.Forbidden("you may not delete unit %s", code)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM units WHERE parent_id = ?) + (SELECT COUNT(*) FROM users WHERE unit_id = ?)`, u.ID, u.ID).Scan(&n); err != nil {
			return fmt.Errorf("org: delete unit %s: %w", code, err)
		}
		if n > 0 {
			return errs.Errorf(errs.ECONFLICT, "unit %s still has child units or users", code)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM units WHERE id = ?`, u.ID); err != nil {
			if store.IsForeignKeyViolation(err) {
				return errs.Errorf(errs.ECONFLICT, "unit %s is still referenced by other records", code)
			}
			return fmt.Errorf("org: delete unit %s: %w", code, err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "unit.delete", ObjectType: "unit", ObjectID: code, UnitID: u.ID,
			Before: UnitInput{Code: u.Code, Name: u.Name, Kind: u.Kind, Parent: u.Parent}})
	})
}

// CountUnits returns how many units the caller sees, by kind.
func (s *Service) CountUnits(ctx context.Context) (map[string]int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	scope, args := p.Scope("u.path")
	rows, err := s.DB.Query(ctx, `SELECT u.kind, COUNT(*) FROM units u WHERE `+scope+` GROUP BY u.kind`, args...)
	if err != nil {
		return nil, fmt.Errorf("org: count units: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

func foldName(s string) string { return i18n.Fold(s) }

func appendAudit(ctx context.Context, tx *store.Tx, action string, before *Unit, after UnitInput) error {
	return audit.Append(ctx, tx, audit.Entry{Action: action, ObjectType: "unit", ObjectID: before.Code, UnitID: before.ID,
		Before: UnitInput{Code: before.Code, Name: before.Name, Kind: before.Kind, Parent: before.Parent}, After: after})
}
