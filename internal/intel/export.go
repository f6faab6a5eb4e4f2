package intel

import (
	"context"
	"fmt"
	"io"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/intel/format"
)

// Export formats.
const (
	ExportSTIX = "stix"
	ExportMISP = "misp"
	ExportCSV  = "csv"
)

// ExportFormats lists them.
var ExportFormats = []string{ExportSTIX, ExportMISP, ExportCSV}

// ExportMediaType is the media type and file extension of an export.
func ExportMediaType(f string) (mediaType, ext string) {
	switch f {
	case ExportCSV:
		return "text/csv; charset=utf-8", "csv"
	case ExportSTIX:
		return "application/stix+json;version=2.1", "json"
	}
	return "application/json", "json"
}

// ListIndicators returns the entries of a list the caller reads as
// indicators carrying their entry (unit, action, severity, reason), in
// the order they were added: what an export writes.
func (s *Service) ListIndicators(ctx context.Context, listID int64) (*List, []Indicator, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	l, err := s.readList(ctx, c, listID)
	if err != nil {
		return nil, nil, err
	}
	cond, args := c.entryScope()
	rows, err := s.DB.Query(ctx, indicatorCols+`, COALESCE(up.code, ''), e.action, e.severity, e.reason
		FROM warning_list_entries e JOIN intel_indicators i ON i.id = e.indicator_id LEFT JOIN units up ON up.id = e.unit_id
		WHERE e.list_id = ? AND `+cond+` ORDER BY e.added_at, e.indicator_id, e.unit_id`, append([]any{listID}, args...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("intel: export: %w", err)
	}
	defer rows.Close()
	var out []Indicator
	for rows.Next() {
		var unit, action, severity, reason string
		ind, err := scanIndicatorAnd(rows, &unit, &action, &severity, &reason)
		if err != nil {
			return nil, nil, err
		}
		ind.Unit, ind.Action, ind.Severity, ind.Reason = unit, action, severity, reason
		out = append(out, ind)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("intel: export: %w", err)
	}
	return l, out, nil
}

// Export writes inds in format f (stix, misp or csv) titled title.
func Export(w io.Writer, f, title string, inds []Indicator) error {
	opt := format.WriteOptions{Identity: DefaultIssuer, Title: title}
	switch f {
	case ExportSTIX:
		return format.WriteSTIX(w, inds, opt)
	case ExportMISP:
		return format.WriteMISP(w, inds, opt)
	case ExportCSV:
		return format.WriteCSV(w, inds)
	}
	return errs.Invalid("format", "%q is not one of %s", f, strings.Join(ExportFormats, ", "))
}

// CheckExportFormat refuses an unknown export format.
func CheckExportFormat(f string) error {
	for _, x := range ExportFormats {
		if f == x {
			return nil
		}
	}
	return errs.Invalid("format", "%q is not one of %s", f, strings.Join(ExportFormats, ", "))
}

// maxExport bounds the indicators of an export of all indicators.
const maxExport = 2_000_000

// AllIndicators returns every indicator the caller reads matching f (its
// paging ignored), at most maxExport: an export of the indicator list.
func (s *Service) AllIndicators(ctx context.Context, f IndicatorFilter) ([]Indicator, error) {
	var out []Indicator
	f.Limit = 1000
	for f.Offset = 0; ; f.Offset += len(out) - f.Offset {
		page, total, err := s.Indicators(ctx, f)
		if err != nil {
			return nil, err
		}
		if total > maxExport {
			return nil, errs.Errorf(errs.ETOOLARGE, "%d indicators match; export at most %d: narrow the filters", total, maxExport)
		}
		out = append(out, page...)
		if len(page) == 0 || len(out) >= total {
			return out, nil
		}
	}
}
