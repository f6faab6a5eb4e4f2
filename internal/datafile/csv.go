package datafile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors a CSV file can have. They are the Err of an *Error (or what it
// wraps), so errors.Is tells them apart whatever the message says.
var (
	ErrEmpty           = errors.New("empty file")
	ErrUnknownColumn   = errors.New("unknown column")
	ErrMissingColumn   = errors.New("missing required column")
	ErrDuplicateColumn = errors.New("column appears twice")
	ErrTooManyFields   = errors.New("too many fields")
	ErrNotUTF8         = errors.New("not valid UTF-8 (save the file as UTF-8)")
	ErrSyntax          = errors.New("bad CSV quoting")
)

// kindError is a message of its own that errors.Is matches to a sentinel.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &kindError{kind, fmt.Sprintf(format, args...)}
}

// Column is one column a CSV file may have.
type Column struct {
	Name     string   // the name the reader asks for, and the one messages use
	Aliases  []string // other header names accepted for it
	Required bool
}

// Spec lists the columns of a kind of CSV file. Header names are matched
// ignoring case, spaces, '_' and '-' ("OS Name" is os_name), after
// stripping a byte-order mark.
type Spec struct {
	Columns []Column
	// AllowUnknown ignores header names the spec does not list (feeds
	// exported by other tools carry columns of their own); otherwise they
	// are an error, which catches typos in hand-made files.
	AllowUnknown bool
}

// fold is the form header names are compared in.
func fold(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "\ufeff")
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '_', '-', '\t':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Lookup returns the column a header name stands for.
func (s *Spec) Lookup(name string) (Column, bool) {
	f := fold(name)
	if f == "" {
		return Column{}, false
	}
	for _, c := range s.Columns {
		if fold(c.Name) == f {
			return c, true
		}
		for _, a := range c.Aliases {
			if fold(a) == f {
				return c, true
			}
		}
	}
	return Column{}, false
}

func (s *Spec) names() string {
	var n []string
	for _, c := range s.Columns {
		n = append(n, c.Name)
	}
	return strings.Join(n, ", ")
}

// Header is a header row mapped to a Spec's columns.
type Header struct {
	Names []string       // the row as written
	index map[string]int // Column.Name -> 0-based field index
}

// Map reads a header row (found on line of file) against the spec. It
// returns an *Error for an unknown name (unless AllowUnknown), a column
// given twice (under its name or an alias) and required columns that are
// missing (all of them named in one error).
func (s *Spec) Map(file string, line int, row []string) (*Header, error) {
	h := &Header{Names: row, index: make(map[string]int, len(row))}
	for i, name := range row {
		c, ok := s.Lookup(name)
		if !ok {
			if s.AllowUnknown || strings.TrimSpace(name) == "" && i == len(row)-1 {
				continue // a trailing separator is no column
			}
			return nil, &Error{File: file, Line: line, Column: i + 1,
				Err: errorf(ErrUnknownColumn, "unknown column %q (the columns are %s)", short(strings.TrimSpace(name)), s.names())}
		}
		if prev, dup := h.index[c.Name]; dup {
			what := strconv.Quote(c.Name)
			if fold(name) != fold(c.Name) {
				what = fmt.Sprintf("%q (another name for %q)", strings.TrimSpace(name), c.Name)
			}
			return nil, &Error{File: file, Line: line, Column: i + 1,
				Err: errorf(ErrDuplicateColumn, "column %s appears twice (also column %d)", what, prev+1)}
		}
		h.index[c.Name] = i
	}
	var missing []string
	for _, c := range s.Columns {
		if _, ok := h.index[c.Name]; c.Required && !ok {
			missing = append(missing, strconv.Quote(c.Name))
		}
	}
	if len(missing) > 0 {
		what := "missing required column"
		if len(missing) > 1 {
			what = "missing required columns"
		}
		return nil, &Error{File: file, Line: line,
			Err: errorf(ErrMissingColumn, "%s %s (the columns are %s)", what, strings.Join(missing, ", "), s.names())}
	}
	return h, nil
}

// Index returns the 0-based field index of a column (by Column.Name), or
// -1 when the header does not have it.
func (h *Header) Index(name string) int {
	if i, ok := h.index[name]; ok {
		return i
	}
	return -1
}

// Has says whether the header has a column.
func (h *Header) Has(name string) bool { _, ok := h.index[name]; return ok }

// CSV reads a CSV file whose first row names the columns: comma or
// semicolon separated (whichever the header line has more of, as
// spreadsheets in many locales write semicolons), an optional UTF-8
// byte-order mark, quoted fields with separators and line breaks, blank
// lines skipped. A row shorter than the header reads "" for the missing
// fields; a longer one is an error. Every error is an *Error.
type CSV struct {
	file   string
	header *Header
	r      *csv.Reader
	rec    []string
	line   int
}

// NewCSV reads the header row of r; file names the input in errors.
func NewCSV(r io.Reader, file string, spec *Spec) (*CSV, error) {
	br := bufio.NewReader(r)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	first, _ := br.Peek(4096)
	firstLine, _, _ := bytes.Cut(first, []byte{'\n'})
	cr := csv.NewReader(br)
	if bytes.Count(firstLine, []byte{';'}) > bytes.Count(firstLine, []byte{','}) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	c := &CSV{file: file, r: cr}
	row, err := cr.Read()
	if err == io.EOF {
		return nil, &Error{File: file, Line: 1, Err: errorf(ErrEmpty, "empty file; the first line must name the columns (%s)", spec.names())}
	}
	if err != nil {
		return nil, c.readError(err)
	}
	for i, v := range row {
		if !utf8.ValidString(v) {
			return nil, &Error{File: file, Line: 1, Column: i + 1, Err: ErrNotUTF8}
		}
	}
	if c.header, err = spec.Map(file, 1, row); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *CSV) readError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := errorf(ErrSyntax, "%v (character %d)", pe.Err, pe.Column)
		if pe.StartLine != pe.Line {
			msg = errorf(ErrSyntax, "%v (character %d; the quoted field starts on line %d)", pe.Err, pe.Column, pe.StartLine)
		}
		return &Error{File: c.file, Line: pe.Line, Err: msg}
	}
	if errors.Is(err, bufio.ErrTooLong) {
		return &Error{File: c.file, Line: c.line, Err: errors.New("line too long")}
	}
	return &Error{File: c.file, Line: c.line, Err: err}
}

// Header returns the mapped header row.
func (c *CSV) Header() *Header { return c.header }

// Next reads the next record; it returns io.EOF after the last one.
func (c *CSV) Next() error {
	for {
		rec, err := c.r.Read()
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return c.readError(err)
		}
		c.line, _ = c.r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of spaces
		}
		if n := len(c.header.Names); len(rec) > n {
			extra := rec[n:]
			if strings.TrimSpace(strings.Join(extra, "")) != "" {
				return &Error{File: c.file, Line: c.line, Column: n + 1,
					Err: errorf(ErrTooManyFields, "%d fields, but the header has %d", len(rec), n)}
			}
			rec = rec[:n] // trailing separators
		}
		for i, v := range rec {
			if !utf8.ValidString(v) {
				return &Error{File: c.file, Line: c.line, Column: i + 1, Field: c.nameAt(i), Err: ErrNotUTF8}
			}
		}
		c.rec = rec
		return nil
	}
}

// nameAt is the Column.Name of field i, or its header text.
func (c *CSV) nameAt(i int) string {
	for name, j := range c.header.index {
		if i == j {
			return name
		}
	}
	if i < len(c.header.Names) {
		return strings.TrimSpace(c.header.Names[i])
	}
	return ""
}

// Line is the line the current record starts on.
func (c *CSV) Line() int { return c.line }

// Record is the current record as read (fields untrimmed). It is valid
// until the next call to Next.
func (c *CSV) Record() []string { return c.rec }

// Has says whether the file has a column.
func (c *CSV) Has(name string) bool { return c.header.Has(name) }

// Get returns a column's value in the current record, trimmed of spaces;
// "" when the file has no such column or the row stops short of it.
func (c *CSV) Get(name string) string {
	i := c.header.Index(name)
	if i < 0 || i >= len(c.rec) {
		return ""
	}
	return strings.TrimSpace(c.rec[i])
}

// Column returns a column's 1-based field number (A=1 in a spreadsheet),
// or 0 when the file does not have it.
func (c *CSV) Column(name string) int { return c.header.Index(name) + 1 }

// Errorf returns an *Error at column name of the current record.
func (c *CSV) Errorf(name, format string, args ...any) *Error {
	return c.Error(name, fmt.Errorf(format, args...))
}

// Error returns err at column name of the current record ("" for the
// whole record).
func (c *CSV) Error(name string, err error) *Error {
	e := &Error{File: c.file, Line: c.line, Field: name, Err: err}
	if name != "" {
		e.Column = c.Column(name)
	}
	return e
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
