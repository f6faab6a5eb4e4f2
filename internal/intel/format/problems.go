package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"vigil/internal/datafile"
	"vigil/internal/i18n"
)

// MaxProblems is how many problems a Result keeps; the rest are counted
// (Result.Problems) and summed up in one last problem.
const MaxProblems = 1000

// The reason formats. Every Problem's Reason is one of these, formatted
// with the Problem's Args; translations key on the format.
const (
	reasonUnknownType = "unknown object type %q"
	reasonWrongType   = "%s where %s is expected" // JSON value kinds: jsonWords

	reasonMissing          = "missing %s"
	reasonBadValue         = "%q is not a valid %s"
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

	// Why a whole file is refused (FileError).
	reasonManifest        = "a MISP feed manifest lists events and holds no indicators: import its event files"
	reasonInternal        = "the file cannot be read (an error in Vigil's reader)"
	reasonUnknownFormat   = "unknown format %q"
	reasonReadFailed      = "the file could not be read to its end"
	reasonNotJSON         = "not valid JSON (at byte %d)"
	reasonJSONCut         = "the JSON ends before it is complete"
	reasonNoJSONObject    = "not a STIX bundle or object: the file is no JSON object"
	reasonNoType          = "not a STIX object: it has no type"
	reasonTooMany         = "more than %d objects: split the file"
	reasonTooManyRows     = "more than %d rows: split the sheet"
	reasonTooBig          = "larger than %d MB"
	reasonNotXLSX         = "not an XLSX workbook"
	reasonNoHeaderSheet   = "no sheet has a header row naming the columns type and value (use the template)"
	reasonBadSheet        = "the sheet cannot be read"
	reasonMissingColumns  = "the header has no %s column"
	reasonDuplicateColumn = "column %d repeats column %d (%q)"
	reasonNotEventUUID    = "%q is not an event uuid"
)

// reasonBadPattern leads every problem with a STIX pattern: its format is
// reasonBadPattern followed by one of patternFormats (pattern.go), its
// arguments the character then the pattern message's.
const reasonBadPattern = "bad pattern at character %d: "

// ReasonFormats lists every format a Problem's Reason is made from, so a
// translation table can be checked for completeness.
var ReasonFormats = append([]string{
	reasonUnknownType, reasonMissing, reasonBadValue,
	reasonUnknownKind, reasonUnknownTLP, reasonBadConfidence,
	reasonBadDate, reasonUnknownAction, reasonUnknownSeverity, reasonBadCSV,
	reasonLineTooLong, reasonNotRecognised, reasonMoreProblems,
	reasonBadColumnsHeader, reasonWrongType,
	reasonManifest, reasonInternal, reasonUnknownFormat, reasonReadFailed, reasonNotJSON,
	reasonJSONCut, reasonNoJSONObject, reasonNoType, reasonTooMany, reasonTooManyRows,
	reasonTooBig, reasonNotXLSX, reasonNoHeaderSheet, reasonBadSheet, reasonMissingColumns,
	reasonDuplicateColumn, reasonNotEventUUID,
}, patternReasons()...)

// patternReasons are the formats of the problems with a STIX pattern.
func patternReasons() []string {
	out := make([]string, len(patternFormats))
	for i, f := range patternFormats {
		out[i] = reasonBadPattern + f
	}
	return out
}

// JSONWords are the words a reasonWrongType problem names JSON values by
// (its arguments are always among them).
var JSONWords = []string{"a string", "a number", "true or false", "an array", "an object", "null", "a value"}

// jsonValueWord names the JSON value an *json.UnmarshalTypeError found
// (its Value: "string", "number", "number 1.5", "bool", "array",
// "object").
func jsonValueWord(v string) string {
	switch {
	case v == "string":
		return "a string"
	case strings.HasPrefix(v, "number"):
		return "a number"
	case v == "bool":
		return "true or false"
	case v == "array":
		return "an array"
	case v == "object":
		return "an object"
	case v == "null":
		return "null"
	}
	return "a value"
}

// jsonKind names the JSON value a Go type is read from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array"
	}
	return "an object"
}

// FileError is why a reader refused a whole file. Its Problem names the
// file (and the line, object or field at fault when there is one) and
// says why with a Format of ReasonFormats, so a page translates it as it
// does a skipped object; Err is the error underneath, if any (the
// reader's error, ErrTooManyObjects), for errors.Is and errors.As.
type FileError struct {
	Problem
	Err error
}

func (e *FileError) Error() string { return "format: " + e.Problem.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// refuse makes the FileError of a file refused for format with args.
func refuse(file string, line int, object, field string, err error, format string, args ...any) *FileError {
	return &FileError{Problem: newProblem(file, line, object, field, format, args...), Err: err}
}

// jsonRefusal is the FileError of a JSON file that cannot be decoded:
// a value of the wrong kind names its field, bad syntax its byte, a read
// error is only that (Err keeps it, so the caller sees a body too large).
func jsonRefusal(file, object string, err error) *FileError {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return refuse(file, 0, object, te.Field, err, reasonWrongType, jsonValueWord(te.Value), jsonKind(te.Type))
	case errors.As(err, &se):
		return refuse(file, 0, object, "", err, reasonNotJSON, se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return refuse(file, 0, object, "", err, reasonJSONCut)
	}
	return refuse(file, 0, object, "", err, reasonReadFailed)
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
