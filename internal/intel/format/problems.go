package format

import (
	"errors"
	"fmt"

	"vigil/internal/datafile"
	"vigil/internal/i18n"
)

// MaxProblems is how many problems a Result keeps; the rest are counted
// (Result.Problems) and summed up in one last problem.
const MaxProblems = 1000

// The reason formats. Every Problem's Reason is one of these, formatted
// with the Problem's Args; translations key on the format.
const (
	reasonUnknownType      = "unknown object type %q"
	reasonBadObject        = "bad object: %s"
	reasonWrongType        = "JSON %s where %s is expected"
	reasonMissing          = "missing %s"
	reasonBadValue         = "%q is not a valid %s"
	reasonBadPattern       = "bad pattern at character %d: %s"
	reasonUnknownKind      = "unknown indicator type %q"
	reasonUnknownTLP       = "unknown TLP marking %q"
	reasonBadConfidence    = "confidence %q is not a whole number from 0 to 100"
	reasonBadDate          = "%q is not a date (dd/mm/yyyy, yyyy-mm-dd or RFC 3339)"
	reasonUnknownAction    = "unknown action %q"
	reasonUnknownSeverity  = "unknown severity %q"
	reasonBadCSV           = "bad CSV row: %s"
	reasonLineTooLong      = "line too long"
	reasonNotRecognised    = "cannot tell what %q is"
	reasonMoreProblems     = "%d more problems not listed"
	reasonBadColumnsHeader = "columns not understood: want a header naming type and value, or rows type,value[,comment]"
)

// ReasonFormats lists every format a Problem's Reason is made from, so a
// translation table can be checked for completeness.
var ReasonFormats = []string{
	reasonUnknownType, reasonBadObject, reasonMissing, reasonBadValue,
	reasonBadPattern, reasonUnknownKind, reasonUnknownTLP, reasonBadConfidence,
	reasonBadDate, reasonUnknownAction, reasonUnknownSeverity, reasonBadCSV,
	reasonLineTooLong, reasonNotRecognised, reasonMoreProblems,
	reasonBadColumnsHeader, reasonWrongType,
}

// newProblem makes a Problem whose Reason is format with args.
func newProblem(file string, line int, object, field, format string, args ...any) Problem {
	return Problem{File: file, Line: line, Object: object, Field: field,
		Reason: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// addProblem keeps p if fewer than MaxProblems are kept, and counts it.
func (r *Result) addProblem(p Problem) {
	r.Problems++
	if len(r.Skipped) < MaxProblems {
		r.Skipped = append(r.Skipped, p)
	}
}

// finish adds the "N more problems" line.
func (r *Result) finish(file string) {
	if r.Problems > len(r.Skipped) {
		r.Skipped = append(r.Skipped, newProblem(file, 0, "", "", reasonMoreProblems, r.Problems-len(r.Skipped)))
	}
	if r.Skipped == nil {
		r.Skipped = []Problem{}
	}
}

// clip shortens a value quoted in a problem.
func clip(s string) string { return i18n.Shorten(s, 80) }

// DataError is the problem as the datafile.Error every reader of outside
// data reports (web maps it to EINVALID with its field): Object is its
// Record.
func (p Problem) DataError() *datafile.Error {
	return &datafile.Error{File: p.File, Line: p.Line, Record: p.Object, Field: p.Field, Err: errors.New(p.Reason)}
}
