package format

import (
	"errors"
	"io"
)

// The readers' and writers' entry points. Their bodies are the format
// helper's work; the signatures are the contract the intel service, the
// TAXII server and the feeds are written against.

var errTodo = errors.New("format: not implemented yet")

// ReadOptions are defaults for what a file does not say.
type ReadOptions struct {
	Source     string // the source named on the import ("IT Center", a feed's name); a file's own creator wins when set
	TLP        string // marking when the file gives none; "" = amber
	Confidence int    // when the file gives none; 0 = 50
	Report     string // the report the file came from
	MaxObjects int    // refuse a file with more objects than this; 0 = no cap
}

// WriteOptions describe an export.
type WriteOptions struct {
	Identity string // the producer's name (STIX identity, MISP Orgc)
	Title    string // bundle / event title (the list's name)
}

// WriteMISP writes a MISP event (JSON, {"Event": {...}}) holding the
// indicators as attributes.
func WriteMISP(w io.Writer, inds []Indicator, opt WriteOptions) error { return errTodo }

// Template is the warning-list XLSX template (Vietnamese and English
// headers, a sheet explaining each column, drop-downs for kind, TLP and
// action).
func Template() ([]byte, error) { return nil, errTodo }
