package training

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/mail"
	"strings"
	"unicode/utf8"

	"vigil/internal/errs"
)

// EmployeeHeader is the header an employee CSV file starts with.
var EmployeeHeader = []string{"name", "email", "position", "department"}

// MaxImportRows bounds one employee import (a province has a few
// thousand employees; the whole sector about 30,000).
const MaxImportRows = 50_000

// Field limits.
const (
	maxName  = 200
	maxEmail = 254
	maxText  = 200
)

// EmployeeRow is one line of an employee CSV file.
type EmployeeRow struct {
	Line       int    `json:"line"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Position   string `json:"position"`
	Department string `json:"department"`
}

// ParseEmployees reads an employee CSV (UTF-8, with or without a byte-order
// mark; comma or semicolon separated, as Excel writes it in Vietnam) with
// the header name,email,position,department. A bad row is refused with its
// line and column, and nothing is returned: an import is all or nothing.
func ParseEmployees(r io.Reader) ([]EmployeeRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, errs.Invalid("file", "cannot read the file: %s", err.Error())
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalid(data)], []byte("\n"))
		return nil, errs.Invalid("file", "line %d is not UTF-8 text: save the file as CSV UTF-8", line)
	}
	cr := csv.NewReader(bytes.NewReader(data))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errs.Invalid("file", "the file is empty: the first line must be name,email,position,department")
	}
	if err != nil {
		return nil, csvError(err)
	}
	if len(header) != len(EmployeeHeader) {
		return nil, errs.Invalid("file", "line 1: the header must be name,email,position,department (it has %d columns)", len(header))
	}
	for i, h := range header {
		if strings.ToLower(strings.TrimSpace(h)) != EmployeeHeader[i] {
			return nil, errs.Invalid("file", "line 1, column %d: the header must be name,email,position,department, not %q", i+1, h)
		}
	}
	var rows []EmployeeRow
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) != len(EmployeeHeader) {
			return nil, errs.Invalid("file", "line %d: %d columns, the header has 4", line, len(rec))
		}
		row := EmployeeRow{Line: line, Name: clean(rec[0]), Email: strings.ToLower(clean(rec[1])), Position: clean(rec[2]), Department: clean(rec[3])}
		if err := row.check(); err != nil {
			return nil, err
		}
		if prev, ok := seen[row.Email]; ok {
			return nil, errs.Invalid("file", "line %d, column email: %s is already on line %d", line, row.Email, prev)
		}
		seen[row.Email] = line
		rows = append(rows, row)
		if len(rows) > MaxImportRows {
			return nil, errs.Invalid("file", "more than %d employees in one file: split it", MaxImportRows)
		}
	}
	if len(rows) == 0 {
		return nil, errs.Invalid("file", "the file has a header but no employee")
	}
	return rows, nil
}

func (row *EmployeeRow) check() error {
	col := func(name string, v string, max int, required bool) error {
		if required && v == "" {
			return errs.Invalid("file", "line %d, column %s: is empty", row.Line, name)
		}
		if utf8.RuneCountInString(v) > max {
			return errs.Invalid("file", "line %d, column %s: longer than %d characters", row.Line, name, max)
		}
		return nil
	}
	if err := col("name", row.Name, maxName, true); err != nil {
		return err
	}
	if err := col("email", row.Email, maxEmail, true); err != nil {
		return err
	}
	if !validEmail(row.Email) {
		return errs.Invalid("file", "line %d, column email: %q is not an e-mail address", row.Line, row.Email)
	}
	if err := col("position", row.Position, maxText, false); err != nil {
		return err
	}
	return col("department", row.Department, maxText, false)
}

// validEmail accepts a bare address (no display name) with a dotted domain.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	_, domain, ok := strings.Cut(s, "@")
	return ok && strings.Contains(domain, ".") && !strings.ContainsAny(s, " <>\"")
}

// clean trims a cell and drops control characters (a stray tab or CR from
// a spreadsheet).
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return errs.Invalid("file", "line %d, column %d: the CSV is malformed (%s)", pe.StartLine, pe.Column, pe.Err.Error())
	}
	return errs.Invalid("file", "cannot read the file: %s", err.Error())
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}
