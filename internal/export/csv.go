// Package export writes the tables Vigil hands to people: CSV today, and
// the XLSX and CSV exports of every list to come. Whatever it writes is
// safe to open in a spreadsheet: a cell that Excel, LibreOffice or Google
// Sheets would run as a formula is written as text.
package export

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Neutralise returns cell as a spreadsheet will show it as text: a cell
// starting with =, +, -, @, a tab or a carriage return is prefixed with a
// single quote, as OWASP's "CSV Injection" guidance says. Such a cell
// would otherwise be evaluated when the file is opened (=HYPERLINK to leak
// data, =cmd|... to run a program), and the cells Vigil writes hold host
// names, log fields and titles that an attacker chooses. A negative number
// becomes text too; that is the price OWASP accepts for a rule with no
// exceptions to get wrong.
func Neutralise(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}

// CSVWriter writes RFC 4180 CSV with every cell neutralised (Neutralise)
// and quoted, so a separator, quote or line break inside a cell can never
// start another cell. Lines end in CRLF.
type CSVWriter struct {
	w   *bufio.Writer
	err error
}

// NewCSV returns a writer to w. Call Flush when done.
func NewCSV(w io.Writer) *CSVWriter {
	return &CSVWriter{w: bufio.NewWriter(w)}
}

// Write writes one record.
func (c *CSVWriter) Write(record []string) error {
	if c.err != nil {
		return c.err
	}
	for i, cell := range record {
		if i > 0 {
			c.w.WriteByte(',')
		}
		c.w.WriteByte('"')
		c.w.WriteString(strings.ReplaceAll(Neutralise(cell), `"`, `""`))
		c.w.WriteByte('"')
	}
	_, c.err = c.w.WriteString("\r\n")
	return c.err
}

// Flush writes any buffered data and reports the first error of any
// Write or of the flush.
func (c *CSVWriter) Flush() error {
	if err := c.w.Flush(); err != nil && c.err == nil {
		c.err = err
	}
	return c.err
}

// Writer is a table being exported: rows in, a file out at Flush.
type Writer interface {
	Write(record []string) error
	Flush() error
}

// Formats are the export formats every list offers.
var Formats = []string{"csv", "xlsx"}

// New returns a writer of format ("csv" or "xlsx") to w; sheet names the
// XLSX sheet. A CSV starts with a UTF-8 byte-order mark, without which
// Excel reads Vietnamese as mojibake.
func New(format string, w io.Writer, sheet string) (Writer, error) {
	switch format {
	case "csv":
		c := NewCSV(w)
		c.w.WriteString("\ufeff")
		return c, nil
	case "xlsx":
		return NewXLSX(w, sheet), nil
	}
	return nil, fmt.Errorf("export: unknown format %q (csv or xlsx)", format)
}

// ContentType is the media type of a format.
func ContentType(format string) string {
	if format == "xlsx" {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}
