package scanimport

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Import is a past import as the list shows it.
type Import struct {
	ID         int64     `json:"id"`
	Unit       string    `json:"unit"`
	UnitName   string    `json:"unit_name"`
	Format     string    `json:"format"`
	Scanner    string    `json:"scanner"`
	Status     string    `json:"status"` // done, failed
	Error      string    `json:"error,omitempty"`
	File       string    `json:"file"`
	SHA256     string    `json:"sha256"`
	Bytes      int64     `json:"bytes"`
	Scope      string    `json:"scope"`
	ScopeHosts int       `json:"scope_hosts"`
	ScanAt     time.Time `json:"scan_at,omitzero"`
	Started    time.Time `json:"started_at"`
	Finished   time.Time `json:"finished_at,omitzero"`
	Read       int       `json:"records_read"`
	Loaded     int       `json:"records_loaded"`
	Skip       int       `json:"records_skipped"`
	Skipped    []Skipped `json:"skipped"`
	HostsNew   int       `json:"hosts_new"`
	HostsUpd   int       `json:"hosts_updated"`
	HostsOld   int       `json:"hosts_older"`
	FindNew    int       `json:"findings_new"`
	FindUpd    int       `json:"findings_updated"`
	FindReop   int       `json:"findings_reopened"`
	FindClose  int       `json:"findings_closed"`
	By         string    `json:"created_by"`
}

// Filter selects past imports.
type Filter struct {
	Unit   string // a unit code: that unit and its subtree
	Format string
	Status string // done, failed
	Sort   string // a key of Sorts; "" newest first
	Desc   bool
	Offset int
	Limit  int
}

// Sorts are the columns the list of imports sorts by.
var Sorts = map[string]string{
	"started":  "si.started_at",
	"scan":     "si.scan_at",
	"file":     "si.file_name",
	"unit":     "u.code",
	"format":   "si.scanner",
	"findings": "si.findings_new",
	"closed":   "si.findings_closed",
}

// SortKeys lists the keys of Sorts.
var SortKeys = []string{"started", "scan", "file", "unit", "format", "findings", "closed"}

const importCols = `si.id, u.code, u.name, si.scanner, si.status, si.error, si.file_name, si.sha256, si.bytes, si.scope, si.scope_hosts, si.scan_at, si.started_at, si.finished_at,
	si.records_read, si.records_loaded, si.records_skipped, si.skipped, si.hosts_new, si.hosts_updated, si.hosts_older,
	si.findings_new, si.findings_updated, si.findings_reopened, si.findings_closed, si.created_by`

const importFrom = ` FROM scan_imports si JOIN units u ON u.id = si.unit_id`

func scanImport(sc store.Scanner) (*Import, error) {
	var im Import
	var scanAt, started, finished int64
	var skipped string
	if err := sc.Scan(&im.ID, &im.Unit, &im.UnitName, &im.Format, &im.Status, &im.Error, &im.File, &im.SHA256, &im.Bytes, &im.Scope, &im.ScopeHosts, &scanAt, &started, &finished,
		&im.Read, &im.Loaded, &im.Skip, &skipped, &im.HostsNew, &im.HostsUpd, &im.HostsOld, &im.FindNew, &im.FindUpd, &im.FindReop, &im.FindClose, &im.By); err != nil {
		return nil, err
	}
	im.Scanner = ScannerNames[im.Format]
	if scanAt > 0 {
		im.ScanAt = store.Time(scanAt)
	}
	im.Started = store.Time(started)
	if finished > 0 {
		im.Finished = store.Time(finished)
	}
	_ = json.Unmarshal([]byte(skipped), &im.Skipped)
	if im.Skipped == nil {
		im.Skipped = []Skipped{}
	}
	return &im, nil
}

// List returns a page of the imports into units in the caller's scope,
// newest first unless f says, and how many match in all.
func (s *Service) List(ctx context.Context, f Filter) ([]*Import, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("si.id DESC", f.Limit, 50).Scope(p, "u.path")
	if f.Unit != "" {
		var path string
		err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, f.Unit).Scan(&path)
		if err != nil && !store.IsNoRows(err) {
			return nil, 0, fmt.Errorf("scanimport: unit: %w", err)
		}
		if err != nil || !p.CanRead(path) {
			return nil, 0, errs.NotFound("unit " + strconv.Quote(f.Unit))
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	if f.Format != "" {
		if ScannerNames[f.Format] == "" {
			return nil, 0, errs.Invalid("format", "unknown scan format %q; give one of %s", f.Format, strings.Join(Formats, ", "))
		}
		l.Where("si.scanner = ?", f.Format)
	}
	switch f.Status {
	case "":
		l.Where("si.status <> 'running'")
	case "done", "failed":
		l.Where("si.status = ?", f.Status)
	default:
		return nil, 0, errs.Invalid("status", "%q is not one of %s", f.Status, "done, failed")
	}
	if f.Sort != "" {
		expr, ok := Sorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(SortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+importCols, importFrom, scanImport)
	if err != nil {
		return nil, 0, fmt.Errorf("scanimport: list: %w", err)
	}
	return out, total, nil
}
