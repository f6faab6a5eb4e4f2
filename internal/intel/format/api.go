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

// Detect names the format of a file from its first bytes (and its name's
// extension as a hint): "stix", "misp", "misp-manifest", "csv", "xlsx",
// or "paste" for plain values one per line.
func Detect(name string, head []byte) string {
	return "paste"
}

// Read reads one file of any format Detect knows. The error is for a file
// that cannot be read at all (not JSON where JSON was expected, a cap
// exceeded); bad objects are Result.Skipped.
func Read(name string, r io.Reader, opt ReadOptions) (*Result, error) {
	return nil, errTodo
}

// WriteOptions describe an export.
type WriteOptions struct {
	Identity string // the producer's name (STIX identity, MISP Orgc)
	Title    string // bundle / event title (the list's name)
}

// WriteSTIX writes a STIX 2.1 bundle of indicator objects (with TLP 2.0
// marking definitions and an identity).
func WriteSTIX(w io.Writer, inds []Indicator, opt WriteOptions) error { return errTodo }

// STIXIndicator is one indicator as a STIX 2.1 indicator object (JSON),
// the unit the TAXII server pages.
func STIXIndicator(ind Indicator) ([]byte, error) { return nil, errTodo }

// WriteMISP writes a MISP event (JSON, {"Event": {...}}) holding the
// indicators as attributes.
func WriteMISP(w io.Writer, inds []Indicator, opt WriteOptions) error { return errTodo }

// WriteCSV writes the indicator CSV (header
// type,value,comment,source,confidence,tlp,valid_until,tags,unit,action,severity,reason),
// formulas neutralised; `vigil detect --ioc` reads it back.
func WriteCSV(w io.Writer, inds []Indicator) error { return errTodo }

// Template is the warning-list XLSX template (Vietnamese and English
// headers, a sheet explaining each column, drop-downs for kind, TLP and
// action).
func Template() ([]byte, error) { return nil, errTodo }
