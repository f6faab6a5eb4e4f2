package org

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// ImportError names the line and column of a bad CSV row.
type ImportError struct {
	File   string
	Line   int
	Column int
	Field  string
	Msg    string
}

func (e *ImportError) Error() string {
	file := e.File
	if file == "" {
		file = "input"
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: line %d, column %d (%s): %s", file, e.Line, e.Column, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: line %d, column %d: %s", file, e.Line, e.Column, e.Msg)
}

// UnitRow is a parsed CSV row with its position.
type UnitRow struct {
	UnitInput
	Line int
	// Columns maps a field name to its 1-based column in the file.
	Columns map[string]int
}

// unitColumnsCSV are the template's columns; contacts are optional extras.
var unitColumnsCSV = []string{"code", "name", "kind", "parent"}

// MaxImportRows bounds one import.
const MaxImportRows = 100000

// ParseUnitsCSV reads the units template: a header with at least code, name,
// kind, parent (any order; extra columns refused so typos are caught), then
// one unit per row. A UTF-8 BOM (Excel's) is accepted. It returns the first
// bad row as an *ImportError.
func ParseUnitsCSV(file string, r io.Reader) ([]UnitRow, error) {
	cr := csv.NewReader(stripBOM(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ImportError{File: file, Line: 1, Column: 1, Msg: "empty file: expected a header " + strings.Join(unitColumnsCSV, ",")}
	}
	if err != nil {
		return nil, csvError(file, err)
	}
	idx := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range unitColumnsCSV {
			if c == h {
				known = true
			}
		}
		if !known {
			return nil, &ImportError{File: file, Line: 1, Column: i + 1, Msg: fmt.Sprintf("unknown column %q (expected %s)", h, strings.Join(unitColumnsCSV, ", "))}
		}
		if _, dup := idx[h]; dup {
			return nil, &ImportError{File: file, Line: 1, Column: i + 1, Msg: fmt.Sprintf("column %q appears twice", h)}
		}
		idx[h] = i
	}
	for _, c := range unitColumnsCSV[:3] {
		if _, ok := idx[c]; !ok {
			return nil, &ImportError{File: file, Line: 1, Column: len(header) + 1, Msg: fmt.Sprintf("missing column %q", c)}
		}
	}
	cols := map[string]int{}
	for name, i := range idx {
		cols[name] = i + 1
	}
	var out []UnitRow
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(file, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			return nil, &ImportError{File: file, Line: line, Column: len(rec) + 1, Msg: fmt.Sprintf("row has %d fields, header has %d", len(rec), len(header))}
		}
		get := func(c string) string {
			if i, ok := idx[c]; ok {
				return rec[i]
			}
			return ""
		}
		row := UnitRow{UnitInput: UnitInput{Code: get("code"), Name: get("name"), Kind: get("kind"), Parent: get("parent")}, Line: line, Columns: cols}
		for i, v := range rec {
			if !utf8.ValidString(v) {
				return nil, &ImportError{File: file, Line: line, Column: i + 1, Field: header[i], Msg: "not valid UTF-8 (save the file as UTF-8)"}
			}
		}
		if err := row.Validate(); err != nil {
			e, _ := errs.As(err)
			col := 1
			if i, ok := idx[e.Field]; ok {
				col = i + 1
			}
			return nil, &ImportError{File: file, Line: line, Column: col, Field: e.Field, Msg: e.Message}
		}
		if prev, dup := seen[strings.ToLower(row.Code)]; dup {
			return nil, &ImportError{File: file, Line: line, Column: idx["code"] + 1, Field: "code", Msg: fmt.Sprintf("code %q already appears on line %d", row.Code, prev)}
		}
		seen[strings.ToLower(row.Code)] = line
		out = append(out, row)
		if len(out) > MaxImportRows {
			return nil, &ImportError{File: file, Line: line, Column: 1, Msg: fmt.Sprintf("more than %d rows; split the file", MaxImportRows)}
		}
	}
	return out, nil
}

func stripBOM(r io.Reader) io.Reader {
	br := &bomReader{r: r}
	return br
}

type bomReader struct {
	r    io.Reader
	done bool
}

func (b *bomReader) Read(p []byte) (int, error) {
	if b.done {
		return b.r.Read(p)
	}
	b.done = true
	buf := make([]byte, 3)
	n, err := io.ReadFull(b.r, buf)
	if n == 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF {
		return b.r.Read(p)
	}
	b.r = io.MultiReader(strings.NewReader(string(buf[:n])), b.r)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return 0, err
	}
	return b.r.Read(p)
}

func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ImportError{File: file, Line: pe.Line, Column: pe.Column, Msg: pe.Err.Error()}
	}
	return fmt.Errorf("%s: %w", file, err)
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
					return &ImportError{File: file, Line: r.Line, Column: r.col("code"), Field: "code", Msg: fmt.Sprintf("unit %q exists and you may not change it", r.Code)}
				}
				if existing.Parent != r.Parent {
					return &ImportError{File: file, Line: r.Line, Column: r.col("parent"), Field: "parent", Msg: fmt.Sprintf("unit %q exists under %q; moving units is not supported by import", r.Code, existing.Parent)}
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
				col := r.col(e.Field)
				return &ImportError{File: file, Line: r.Line, Column: col, Field: e.Field, Msg: e.Message}
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
			return &ImportError{File: file, Line: r.Line, Column: r.col("parent"), Field: "parent", Msg: fmt.Sprintf("unit %q is its own ancestor (a cycle)", r.Code)}
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

func (r UnitRow) col(field string) int {
	if c, ok := r.Columns[field]; ok {
		return c
	}
	return 1
}
