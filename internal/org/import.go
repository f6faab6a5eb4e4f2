package org

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"vigil/internal/auth"
	"vigil/internal/datafile"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// UnitRow is a parsed CSV row with its position.
type UnitRow struct {
	UnitInput
	Line int
	// Columns maps a field name to its 1-based column in the file.
	Columns map[string]int
}

// unitsSpec are the template's columns: code, name and kind are
// required, parent is empty for a top unit. Other columns are refused so
// typos are caught.
var unitsSpec = &datafile.Spec{Columns: []datafile.Column{
	{Name: "code", Aliases: []string{"unit code", "mã", "mã đơn vị"}, Required: true},
	{Name: "name", Aliases: []string{"unit name", "tên", "tên đơn vị"}, Required: true},
	{Name: "kind", Aliases: []string{"loại", "cấp"}, Required: true},
	{Name: "parent", Aliases: []string{"parent code", "đơn vị cha", "mã đơn vị cha"}},
}}

// MaxImportRows bounds one import.
const MaxImportRows = 100000

// ParseUnitsCSV reads the units template: a header with code, name, kind
// and optionally parent (any order), then one unit per row. A UTF-8 BOM
// (Excel's) and semicolons are accepted. It returns the first bad row as
// a *datafile.Error.
func ParseUnitsCSV(file string, r io.Reader) ([]UnitRow, error) {
	c, err := datafile.NewCSV(r, file, unitsSpec)
	if err != nil {
		return nil, err
	}
	cols := map[string]int{}
	for _, col := range unitsSpec.Columns {
		if n := c.Column(col.Name); n > 0 {
			cols[col.Name] = n
		}
	}
	var out []UnitRow
	seen := map[string]int{}
	for {
		err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line := c.Line()
		row := UnitRow{UnitInput: UnitInput{Code: c.Get("code"), Name: c.Get("name"), Kind: c.Get("kind"), Parent: c.Get("parent")}, Line: line, Columns: cols}
		if err := row.Validate(); err != nil {
			if e, ok := errs.As(err); ok {
				return nil, c.Error(e.Field, errors.New(e.Message))
			}
			return nil, c.Error("", err)
		}
		if prev, dup := seen[strings.ToLower(row.Code)]; dup {
			return nil, c.Errorf("code", "code %q already appears on line %d", row.Code, prev)
		}
		seen[strings.ToLower(row.Code)] = line
		out = append(out, row)
		if len(out) > MaxImportRows {
			return nil, c.Errorf("", "more than %d rows; split the file", MaxImportRows)
		}
	}
	return out, nil
}

// ImportResult says what an import did.
type ImportResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// ImportUnits creates or updates every row in one transaction: a bad row
// (unknown parent, out of scope) aborts the whole import with its line.
// Rows may name parents that appear later in the file.
func (s *Service) ImportUnits(ctx context.Context, file string, rows []UnitRow) (*ImportResult, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{}
	inFile := map[string]bool{}
	for _, r := range rows {
		inFile[strings.ToLower(r.Code)] = true
	}
	// Order rows so parents come before children.
	ordered, err := orderByParent(file, rows)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, r := range ordered {
			existing, err := unitByCode(ctx, tx, r.Code)
			if err == nil {
				if !p.CanWrite(existing.Path) {
					return r.errorf(file, "code", "unit %q exists and you may not change it", r.Code)
				}
				if existing.Parent != r.Parent {
					return r.errorf(file, "parent", "unit %q exists under %q; moving units is not supported by import", r.Code, existing.Parent)
				}
				if existing.Name == r.Name && existing.Kind == r.Kind {
					continue
				}
				if _, err := tx.Exec(ctx, `UPDATE units SET name = ?, name_fold = ?, kind = ?, updated_at = ? WHERE id = ?`,
					r.Name, foldName(r.Name), r.Kind, store.Now(), existing.ID); err != nil {
					return fmt.Errorf("org: import line %d: %w", r.Line, err)
				}
				res.Updated++
				if err := appendAudit(ctx, tx, "unit.update", existing, r.UnitInput); err != nil {
					return err
				}
				continue
			}
			if errs.Code(err) != errs.ENOTFOUND {
				return err
			}
			if _, err := createUnit(ctx, tx, p, r.UnitInput); err != nil {
				e, ok := errs.As(err)
				if !ok {
					return err
				}
				return r.errorf(file, e.Field, "%s", e.Message)
			}
			res.Created++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func orderByParent(file string, rows []UnitRow) ([]UnitRow, error) {
	byCode := map[string]UnitRow{}
	for _, r := range rows {
		byCode[r.Code] = r
	}
	state := map[string]int{} // 1 visiting, 2 done
	var out []UnitRow
	var visit func(r UnitRow) error
	visit = func(r UnitRow) error {
		switch state[r.Code] {
		case 1:
			return r.errorf(file, "parent", "unit %q is its own ancestor (a cycle)", r.Code)
		case 2:
			return nil
		}
		state[r.Code] = 1
		if pr, ok := byCode[r.Parent]; ok && r.Parent != "" {
			if err := visit(pr); err != nil {
				return err
			}
		}
		state[r.Code] = 2
		out = append(out, r)
		return nil
	}
	for _, r := range rows {
		if err := visit(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// errorf returns a *datafile.Error at the row's field.
func (r UnitRow) errorf(file, field, format string, args ...any) *datafile.Error {
	return &datafile.Error{File: file, Line: r.Line, Column: r.Columns[field], Field: field, Err: fmt.Errorf(format, args...)}
}
