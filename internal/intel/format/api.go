package format

import "time"

// The options of the readers and writers, whose entry points are Detect,
// Read and ReadAs (detect.go), ReadMISPManifest (misp.go), WriteSTIX and
// STIXIndicator (stixwrite.go), WriteMISP (misp.go), WriteCSV (csv.go)
// and Template (xlsx.go). docs/intel-formats.md says what each reads
// from which field.

// ReadOptions are defaults for what a file does not say.
type ReadOptions struct {
	Source     string // the source named on the import ("IT Center", a feed's name); a file's own creator wins when set
	TLP        string // marking when the file gives none; "" = amber
	Confidence int    // when the file gives none; 0 = 50
	Report     string // the report the file came from
	MaxObjects int    // refuse a file with more objects than this; 0 = no cap
	// MISPOnlyIDS leaves out MISP attributes whose to_ids is false (they
	// are counted in NotIndicators); by default they are read, tagged
	// misp:to_ids="false".
	MISPOnlyIDS bool
	// MaxRows caps the rows read from an XLSX sheet; 0 = 100,000.
	MaxRows int
}

// WriteOptions describe an export.
type WriteOptions struct {
	Identity string // the producer's name (STIX identity, MISP Orgc)
	Title    string // bundle / event title (the list's name)
	// For a MISP feed's event (WriteMISP): a stable uuid (else one from
	// the title and the indicators), the event's timestamp (else the
	// latest indicator's) and published.
	EventUUID string
	Timestamp time.Time
	Published bool
}
