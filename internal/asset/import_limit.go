package asset

import (
	"fmt"
	"io"
)

// DefaultMaxImportHosts caps the hosts of one inventory import
// (docs/inventory-import.md). A unit's whole fleet fits many times over; a
// file past it is almost certainly a mistake (a whole province's export, a
// results log never rotated) and would hold the hub's memory and database
// for minutes. The hub's --import-max-rows changes it.
const DefaultMaxImportHosts = 50000

// TooManyHostsError is the Err of the *datafile.Error for an import with
// more hosts than its limit; the line or record is where the next host
// began.
type TooManyHostsError struct {
	Limit int
}

func (e *TooManyHostsError) Error() string {
	return fmt.Sprintf("more than %d hosts in one import; split the file (the limit is %d hosts per import)", e.Limit, e.Limit)
}

// ParseImport reads an inventory import of at most maxHosts hosts
// (DefaultMaxImportHosts when 0) in format: "csv", "osquery", or "" /
// "agent" to tell the three forms apart by content (ParseInventoryFile).
// It reads r as it goes and stops at the first host past the limit, so an
// oversized file costs no more than the limit's worth of hosts.
func ParseImport(r io.Reader, file, format string, maxHosts int) ([]*Inventory, error) {
	if maxHosts <= 0 {
		maxHosts = DefaultMaxImportHosts
	}
	switch format {
	case "", "agent":
		return parseInventoryFile(r, file, maxHosts)
	case "csv":
		return parseCSV(r, file, maxHosts)
	case "osquery":
		return parseOsquery(r, file, maxHosts)
	}
	return nil, fmt.Errorf("unknown inventory format %q (agent, csv, osquery)", format)
}
