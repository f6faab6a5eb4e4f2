// Package datafile holds what every reader of outside data shares: Error,
// which says where an input is wrong (file, line or record, column,
// field), and CSV, which maps a header row's column names to fields.
// Inventory and unit imports, indicator feeds, logs and rules all report
// bad input through Error, so a user reads every such message the same
// way and the web layer maps them all to one answer.
//
// The package imports nothing of Vigil's, so the detection engine, the
// agent and the hub can all use it.
package datafile

import (
	"strconv"
	"strings"
)

// Error says where outside data is wrong, like encoding/csv's ParseError.
// Only File and Err are required; the rest narrow the place down as far as
// the format allows. It formats as
//
//	hosts.csv:12:3: field "os_name": not a date
//	feed.json: object 4: field "pattern": no comparison in "..."
type Error struct {
	File   string // the input as the user named it; "" reads "input"
	Line   int    // 1-based line; 0 when unknown or the format has no lines
	Column int    // 1-based column on Line: a CSV field's number (A=1 in a spreadsheet); 0 for the whole line
	Record string // where, when a line number does not say it ("object 4", "record 1200", "host 3"); or the item the line belongs to ("rule 5f1e...")
	Field  string // the name of the field at fault, "" when not one field
	Err    error  // what is wrong
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("input")
	}
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	if e.Record != "" {
		b.WriteString(": ")
		b.WriteString(e.Record)
	}
	if e.Field != "" {
		b.WriteString(": field ")
		b.WriteString(strconv.Quote(e.Field))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err, so errors.Is sees the cause (datafile.ErrUnknownColumn,
// ioc.ErrBadValue, ...).
func (e *Error) Unwrap() error { return e.Err }
