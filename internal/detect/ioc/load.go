package ioc

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"vigil/internal/datafile"
)

// maxRowErrors bounds the errors kept per load; the rest are only counted.
const maxRowErrors = 100

// LoadStats tells what a load read.
type LoadStats struct {
	Added   int
	Bad     int
	Errors  []*datafile.Error // the first maxRowErrors bad rows: file, line (CSV) or object (STIX), field
	Skipped int               // well-formed entries of types this package does not hold
	lines   int
}

func (st *LoadStats) bad(e *datafile.Error) {
	st.Bad++
	if len(st.Errors) < maxRowErrors {
		st.Errors = append(st.Errors, e)
	}
}

// AddFile reads indicators from a CSV or STIX 2.x JSON file, recognised by
// content. Bad rows are reported in the stats and skipped; the error is
// for a file that cannot be read or parsed at all.
func (b *Builder) AddFile(path string) (LoadStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return LoadStats{}, fmt.Errorf("ioc: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() >= parallelMin && runtime.GOMAXPROCS(0) > 1 {
		head := make([]byte, 512)
		n, _ := f.ReadAt(head, 0)
		head = bytes.TrimLeft(bytes.TrimPrefix(head[:n], []byte{0xef, 0xbb, 0xbf}), " \t\r\n")
		if len(head) > 0 && head[0] != '{' {
			return b.addCSVParallel(f, path, fi.Size())
		}
	}
	return b.AddReader(f, path)
}

// parallelMin is the CSV size from which a file is read by several
// goroutines, one section each.
const parallelMin = 32 << 20

// addCSVParallel splits a large CSV file at line boundaries, reads the
// sections concurrently into builders of their own, and merges them in
// file order, so line numbers and "last comment wins" stay as if read
// alone.
func (b *Builder) addCSVParallel(f *os.File, name string, size int64) (LoadStats, error) {
	n := runtime.GOMAXPROCS(0)
	bounds := []int64{0}
	buf := make([]byte, 64<<10)
	for k := 1; k < n; k++ {
		off := size * int64(k) / int64(n)
		if off <= bounds[len(bounds)-1] {
			continue
		}
		m, _ := f.ReadAt(buf, off)
		i := bytes.IndexByte(buf[:m], '\n')
		if i < 0 {
			continue // a monster line: leave it to one section
		}
		bounds = append(bounds, off+int64(i)+1)
	}
	bounds = append(bounds, size)
	m, _ := f.ReadAt(buf, 0)
	first, _, _ := bytes.Cut(buf[:m], []byte{'\n'})
	lay, _, err := headerLayout(name, strings.TrimRight(strings.TrimPrefix(string(first), "\ufeff"), "\r"))
	if err != nil {
		return LoadStats{}, err
	}
	type part struct {
		b   *Builder
		st  LoadStats
		err error
	}
	parts := make([]part, len(bounds)-1)
	var wg sync.WaitGroup
	for k := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub := NewBuilder()
			sec := io.NewSectionReader(f, bounds[k], bounds[k+1]-bounds[k])
			st, err := sub.addCSV(sec, name, k == 0, lay)
			parts[k] = part{sub, st, err}
		}()
	}
	wg.Wait()
	var total LoadStats
	lines := 0
	for _, p := range parts {
		if p.err != nil {
			return total, p.err
		}
		total.Added += p.st.Added
		total.Skipped += p.st.Skipped
		total.Bad += p.st.Bad
		for _, e := range p.st.Errors {
			e.Line += lines
			if len(total.Errors) < maxRowErrors {
				total.Errors = append(total.Errors, e)
			}
		}
		lines += p.st.lines
		b.merge(p.b)
	}
	return total, nil
}

// AddReader is AddFile over a reader; name is used in messages.
func (b *Builder) AddReader(r io.Reader, name string) (LoadStats, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, _ := br.Peek(512)
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte{0xef, 0xbb, 0xbf}), " \t\r\n")
	if len(head) > 0 && head[0] == '{' {
		return b.AddSTIX(br, name)
	}
	return b.AddCSV(br, name)
}

// AddCSV reads "type,value[,comment]" rows, or the columns a header row
// names (csvSpec: type, value and comment by those names or another
// tool's, in any order, other columns ignored, as in a MISP export).
// Blank lines and lines starting with # are skipped. Rows are split by
// hand on the fast path and by encoding/csv when quoted.
func (b *Builder) AddCSV(r io.Reader, name string) (LoadStats, error) {
	return b.addCSV(r, name, true, defaultLayout)
}

// csvSpec names the columns of an indicator CSV with a header. Without
// one, rows are type,value[,comment].
var csvSpec = &datafile.Spec{Columns: []datafile.Column{
	{Name: "type", Aliases: []string{"kind", "indicator type", "ioc type"}, Required: true},
	{Name: "value", Aliases: []string{"indicator", "ioc", "observable"}, Required: true},
	{Name: "comment", Aliases: []string{"description", "note", "comments"}},
}, AllowUnknown: true}

// layout says where a row's fields are: their indices, and whether the
// row is exactly type,value[,comment...] (the hand-split fast path, where
// the comment keeps any further commas).
type layout struct {
	typ, val, com int // -1: no comment column
	fast          bool
}

var defaultLayout = layout{typ: 0, val: 1, com: 2, fast: true}

// headerLayout reads the first line of a file: a header when its first
// field names a column, or when it names both the type and the value
// columns somewhere (a data row starts with a type such as ip or sha256,
// and may end with any comment). A header without type or value is an
// error, as nothing in the file could be read.
func headerLayout(name, s string) (layout, bool, error) {
	fields, err := splitAll(s)
	if err != nil {
		return defaultLayout, false, nil // not a header: the row reports it
	}
	named := map[string]bool{}
	for _, f := range fields {
		if c, ok := csvSpec.Lookup(f); ok {
			named[c.Name] = true
		}
	}
	if _, first := csvSpec.Lookup(fields[0]); !first && !(named["type"] && named["value"]) {
		return defaultLayout, false, nil
	}
	h, err := csvSpec.Map(name, 1, fields)
	if err != nil {
		return defaultLayout, true, fmt.Errorf("ioc: %w", err)
	}
	lay := layout{typ: h.Index("type"), val: h.Index("value"), com: h.Index("comment")}
	lay.fast = lay.typ == 0 && lay.val == 1 && (lay.com == 2 || lay.com < 0 && len(fields) == 2) && len(fields) <= 3
	return lay, true, nil
}

// splitAll splits a CSV line into all its fields.
func splitAll(s string) ([]string, error) {
	if strings.IndexByte(s, '"') < 0 {
		return strings.Split(s, ","), nil
	}
	cr := csv.NewReader(strings.NewReader(s))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	return cr.Read()
}

// fieldsOf splits a row by lay into fields (type, value, comment) and
// returns how many of type and value it has.
func fieldsOf(s string, lay layout, out *[3]string) (int, error) {
	if lay.fast {
		return splitRow(s, out)
	}
	all, err := splitAll(s)
	if err != nil {
		return 0, err
	}
	out[0], out[1], out[2] = "", "", ""
	n := 0
	if lay.typ < len(all) {
		out[0], n = all[lay.typ], 1
	}
	if lay.val < len(all) && n == 1 {
		out[1], n = all[lay.val], 2
	}
	if lay.com >= 0 && lay.com < len(all) {
		out[2] = all[lay.com]
	}
	return n, nil
}

// addCSV reads CSV rows; first says whether r starts the file (a header
// or a byte-order mark can only be there), lay where the fields are when
// it does not. LoadStats.lines counts lines.
func (b *Builder) addCSV(r io.Reader, name string, first bool, lay layout) (st LoadStats, err error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 1<<20)
	}
	line := 0
	defer func() { st.lines = line }()
	var fields [3]string
	for {
		var raw []byte
		raw, err = br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line over a megabyte is no indicator; skip the rest of it.
			line++
			st.bad(&datafile.Error{File: name, Line: line, Err: errors.New("line too long")})
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				break
			}
			continue
		}
		if len(raw) == 0 && err != nil {
			if err == io.EOF {
				break
			}
			return st, fmt.Errorf("ioc: %s: %w", name, err)
		}
		line++
		s := strings.TrimRight(bytesView(raw), "\r\n")
		if line == 1 && first {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		t := strings.TrimSpace(s)
		if t == "" || t[0] == '#' {
			if err == io.EOF {
				break
			}
			continue
		}
		if line == 1 && first {
			l, header, herr := headerLayout(name, s)
			if herr != nil {
				return st, herr
			}
			if header {
				lay = l
				if err == io.EOF {
					break
				}
				continue
			}
		}
		n, perr := fieldsOf(s, lay, &fields)
		if perr != nil {
			st.bad(&datafile.Error{File: name, Line: line, Err: perr})
		} else if n < 2 {
			st.bad(&datafile.Error{File: name, Line: line, Field: "value", Err: errors.New("missing value (want type,value[,comment])")})
		} else {
			k, ok := ParseKind(fields[0])
			if !ok {
				st.bad(&datafile.Error{File: name, Line: line, Field: "type", Err: fmt.Errorf("%w %q", ErrBadType, strings.TrimSpace(fields[0]))})
			} else if aerr := b.Add(k, fields[1], strings.TrimSpace(fields[2])); aerr != nil {
				st.bad(&datafile.Error{File: name, Line: line, Field: "value", Err: aerr})
			} else {
				st.Added++
			}
		}
		if err == io.EOF {
			break
		}
	}
	return st, nil
}

// bytesView converts without copying: the bytes belong to the reader's
// buffer, so nothing derived from the line may be kept (Builder.Add
// interns values and copies comments).
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// splitRow splits a CSV row into up to three fields; the comment keeps any
// further commas.
func splitRow(s string, out *[3]string) (int, error) {
	if strings.IndexByte(s, '"') >= 0 {
		cr := csv.NewReader(strings.NewReader(s))
		cr.FieldsPerRecord = -1
		cr.LazyQuotes = true
		rec, err := cr.Read()
		if err != nil {
			return 0, err
		}
		out[0], out[1], out[2] = "", "", ""
		for i := 0; i < len(rec) && i < 3; i++ {
			out[i] = rec[i]
		}
		if len(rec) > 3 {
			out[2] = strings.Join(rec[2:], ",")
		}
		return min(len(rec), 3), nil
	}
	i := strings.IndexByte(s, ',')
	if i < 0 {
		out[0] = s
		return 1, nil
	}
	out[0] = s[:i]
	rest := s[i+1:]
	j := strings.IndexByte(rest, ',')
	if j < 0 {
		out[1], out[2] = rest, ""
		return 2, nil
	}
	out[1], out[2] = rest[:j], rest[j+1:]
	return 3, nil
}
