package format

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"vigil/internal/datafile"
	"vigil/internal/export"
)

// columns are the indicator columns of a CSV file or the XLSX template,
// by name, with the names other tools and the Vietnamese template give
// them. type, value and comment are the columns `vigil detect --ioc`
// reads (internal/detect/ioc), with its aliases.
var columns = &datafile.Spec{Columns: []datafile.Column{
	{Name: "type", Aliases: []string{"kind", "indicator type", "ioc type", "loại", "loại chỉ báo"}, Required: true},
	{Name: "value", Aliases: []string{"indicator", "ioc", "observable", "giá trị"}, Required: true},
	{Name: "comment", Aliases: []string{"description", "note", "comments", "ghi chú", "mô tả"}},
	{Name: "source", Aliases: []string{"nguồn"}},
	{Name: "confidence", Aliases: []string{"độ tin cậy"}},
	{Name: "tlp", Aliases: []string{"tlp marking", "phân loại tlp"}},
	{Name: "first_seen", Aliases: []string{"thấy lần đầu"}},
	{Name: "last_seen", Aliases: []string{"thấy lần cuối"}},
	{Name: "valid_until", Aliases: []string{"expires", "hiệu lực đến"}},
	{Name: "tags", Aliases: []string{"labels", "nhãn"}},
	{Name: "report", Aliases: []string{"báo cáo"}},
	{Name: "unit", Aliases: []string{"đơn vị"}},
	{Name: "action", Aliases: []string{"hành động", "biện pháp"}},
	{Name: "severity", Aliases: []string{"mức độ"}},
	{Name: "reason", Aliases: []string{"lý do"}},
}, AllowUnknown: true}

// CSVHeader is the header WriteCSV writes.
var CSVHeader = []string{"type", "value", "comment", "source", "confidence", "tlp", "valid_until", "tags", "unit", "action", "severity", "reason"}

// layout says which column holds which field; -1 when absent.
type layout map[string]int

// headerLayout reads a first row: a header when its first cell names a
// column, or when it names both type and value somewhere (as
// internal/detect/ioc decides). header false means a data row.
func headerLayout(file string, line int, row []string) (layout, bool, error) {
	cells := make([]string, len(row))
	named := map[string]bool{}
	for i, c := range row {
		cells[i] = code(unneutralise(c))
		if col, ok := columns.Lookup(cells[i]); ok {
			named[col.Name] = true
		}
	}
	if len(cells) == 0 {
		return nil, false, nil
	}
	if _, first := columns.Lookup(cells[0]); !first && !(named["type"] && named["value"]) {
		return nil, false, nil
	}
	lay := layout{}
	for _, c := range columns.Columns {
		lay[c.Name] = -1
	}
	for i, cell := range cells {
		col, ok := columns.Lookup(cell)
		if !ok {
			continue // another tool's column
		}
		if prev := lay[col.Name]; prev >= 0 {
			return nil, true, refuse(file, line, "", "", nil, reasonDuplicateColumn, i+1, prev+1, col.Name)
		}
		lay[col.Name] = i
	}
	var missing []string
	for _, c := range columns.Columns {
		if c.Required && lay[c.Name] < 0 {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return nil, true, refuse(file, line, "", "", nil, reasonMissingColumns, strings.Join(missing, ", "))
	}
	return lay, true, nil
}

// unneutralise undoes internal/export's formula neutralising: a cell
// written as '=… reads as =….
func unneutralise(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.IndexByte("=+-@\t\r", s[1]) >= 0 {
		return s[1:]
	}
	return s
}

// rowReader turns rows (CSV or XLSX) into indicators.
type rowReader struct {
	*reader
	lay  layout
	xlsx bool // dates may be spreadsheet serial numbers
}

func (rr *rowReader) cell(row []string, name string) string {
	i, ok := rr.lay[name]
	if !ok || i < 0 || i >= len(row) {
		return ""
	}
	return strings.TrimSpace(unneutralise(row[i]))
}

// row reads one data row; field names the column in problems (its
// header, or its name).
func (rr *rowReader) row(line int, row []string, field func(string) string) {
	base := rr.base()
	typ, value := rr.cell(row, "type"), rr.cell(row, "value")
	if typ == "" && value == "" {
		return
	}
	if value == "" {
		rr.problem(line, "", field("value"), reasonMissing, "value")
		return
	}
	k, ok := ParseKind(typ)
	if !ok {
		rr.problem(line, "", field("type"), reasonUnknownKind, clip(typ))
		return
	}
	base.Comment = rr.cell(row, "comment")
	if s := rr.cell(row, "source"); s != "" {
		base.Source = s
	}
	if s := rr.cell(row, "confidence"); s != "" {
		c, ok := parseConfidence(s)
		if !ok {
			rr.problem(line, "", field("confidence"), reasonBadConfidence, clip(s))
			return
		}
		base.Confidence = c
	}
	// The columns that take one of a list of codes.
	for _, c := range []struct {
		col    string
		parse  func(string) (string, bool)
		reason string
		to     *string
	}{{"tlp", ParseTLP, reasonUnknownTLP, &base.TLP}, {"action", ParseAction, reasonUnknownAction, &base.Action},
		{"severity", ParseSeverity, reasonUnknownSeverity, &base.Severity}} {
		if s := rr.cell(row, c.col); s != "" {
			v, ok := c.parse(s)
			if !ok {
				rr.problem(line, "", field(c.col), c.reason, clip(s))
				return
			}
			*c.to = v
		}
	}
	for _, d := range []struct {
		col string
		to  *time.Time
		end bool
	}{{"first_seen", &base.FirstSeen, false}, {"last_seen", &base.LastSeen, false}, {"valid_until", &base.ValidUntil, true}} {
		if s := rr.cell(row, d.col); s != "" {
			t, ok := parseDate(s, d.end)
			if !ok && rr.xlsx {
				t, ok = serialDate(s, d.end)
			}
			if !ok {
				rr.problem(line, "", field(d.col), reasonBadDate, clip(s))
				return
			}
			*d.to = t
		}
	}
	base.Tags = splitTags(rr.cell(row, "tags"))
	if s := rr.cell(row, "report"); s != "" {
		base.Report = s
	}
	base.Unit = rr.cell(row, "unit")
	base.Reason = rr.cell(row, "reason")
	kind, _ := parseIOCKind(k)
	rr.add(kind, value, base, line, "", field("value"))
}

// maxLine bounds a CSV line; a longer one is no indicator.
const maxLine = 1 << 20

// readCSV reads the indicator CSV: rows type,value[,comment] (the comment
// keeps any further commas, as `vigil detect --ioc` reads them), or the
// columns a header row names. Blank lines and lines starting with # are
// skipped.
func readCSV(name string, r io.Reader, opt ReadOptions) (*Result, error) {
	rr := &rowReader{reader: newReader(name, "csv", opt)}
	br := bufio.NewReaderSize(r, 64<<10)
	line := 0
	first := true
	var rec []string
	for {
		raw, err := readLine(br)
		if raw == "" && err != nil {
			if err == io.EOF {
				break
			}
			if errors.Is(err, errLineTooLong) {
				line++
				if cerr := rr.count(); cerr != nil {
					return nil, cerr
				}
				rr.problem(line, "", "", reasonLineTooLong)
				continue
			}
			return nil, refuse(name, line+1, "", "", err, reasonReadFailed)
		}
		line++
		s := strings.TrimRight(raw, "\r\n")
		if line == 1 {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		t := strings.TrimSpace(s)
		if t == "" || t[0] == '#' {
			continue
		}
		// A quoted cell may hold line breaks: read on until the quotes close.
		for n := 0; n < 100 && strings.Count(s, `"`)%2 == 1 && (s[0] == '"' || strings.Contains(s, `,"`)); n++ {
			more, err := readLine(br)
			if more == "" && err != nil {
				break
			}
			line++
			s += "\n" + strings.TrimRight(more, "\r\n")
		}
		startLine := line - strings.Count(s, "\n")
		rec, err = splitCSV(s, rec)
		if err != nil {
			if cerr := rr.count(); cerr != nil {
				return nil, cerr
			}
			rr.problem(startLine, "", "", reasonBadCSV, err.Error())
			continue
		}
		if first {
			first = false
			lay, header, err := headerLayout(name, startLine, rec)
			if err != nil {
				return nil, err
			}
			if header {
				rr.lay = lay
				continue
			}
			rr.lay = layout{"type": 0, "value": 1, "comment": 2}
			if _, ok := ParseKind(rec[0]); !ok {
				return nil, refuse(name, startLine, "", "", nil, reasonBadColumnsHeader)
			}
		}
		if _, ok := rr.lay["source"]; !ok && len(rec) > 3 {
			// type,value,comment with commas: the comment keeps them.
			rec = append(rec[:2], strings.Join(rec[2:], ","))
		}
		if err := rr.count(); err != nil {
			return nil, err
		}
		rr.row(startLine, rec, func(c string) string { return c })
	}
	rr.collect()
	rr.res.finish(name)
	return rr.res, nil
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line of at most maxLine bytes; a longer one is
// skipped to its end and errLineTooLong returned.
func readLine(br *bufio.Reader) (string, error) {
	var buf []byte
	for {
		part, err := br.ReadSlice('\n')
		if len(buf)+len(part) > maxLine {
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			return "", errLineTooLong
		}
		if err == bufio.ErrBufferFull {
			buf = append(buf, part...)
			continue
		}
		if buf != nil {
			part = append(buf, part...)
		}
		if len(part) == 0 {
			if err == nil {
				err = io.EOF
			}
			return "", err
		}
		return string(part), nil
	}
}

// splitCSV splits one CSV record; quotes only when there are any.
func splitCSV(s string, rec []string) ([]string, error) {
	rec = rec[:0]
	if strings.IndexByte(s, '"') < 0 {
		return append(rec, strings.Split(s, ",")...), nil
	}
	cr := csv.NewReader(strings.NewReader(s))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	out, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	return append(rec, out...), nil
}

// WriteCSV writes the indicator CSV (header
// type,value,comment,source,confidence,tlp,valid_until,tags,unit,action,severity,reason),
// every cell quoted and formulas neutralised by internal/export, so a
// spreadsheet shows it as text; `vigil detect --ioc` reads it back, and so
// does Read (which undoes the neutralising). Dates are dd/mm/yyyy when
// that says the time exactly, RFC 3339 otherwise; tags are joined by ";".
func WriteCSV(w io.Writer, inds []Indicator) error {
	cw := export.NewCSV(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, ind := range inds {
		if err := cw.Write(csvRow(ind)); err != nil {
			return err
		}
	}
	return cw.Flush()
}

func csvRow(ind Indicator) []string {
	return []string{ind.Kind, ind.Value, ind.Comment, ind.Source, strconv.Itoa(ind.Confidence), ind.TLP,
		formatDate(ind.ValidUntil, true), strings.Join(ind.Tags, ";"), ind.Unit, ind.Action, ind.Severity, ind.Reason}
}
