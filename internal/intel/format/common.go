package format

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"vigil/internal/detect/ioc"
)

// ErrTooManyObjects is the error when a file holds more than
// ReadOptions.MaxObjects objects, rows or attributes.
var ErrTooManyObjects = errors.New("format: too many objects")

// vn is the time zone dates without one are read in.
var vn = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
}()

// reader is what every format's reader shares: the file's name, the
// defaults and the result being built.
type reader struct {
	file string
	opt  ReadOptions
	res  *Result
	// Indicators are gathered in chunks and joined once at the end: a
	// million 300-byte structs appended to one slice would be copied
	// several times over as it grows.
	chunks [][]Indicator
	n      int
}

const chunkSize = 16 << 10

// emit adds an indicator to the result.
func (rd *reader) emit(ind Indicator) {
	if len(rd.chunks) == 0 || len(rd.chunks[len(rd.chunks)-1]) == chunkSize {
		rd.chunks = append(rd.chunks, make([]Indicator, 0, min(chunkSize, max(64, rd.n))))
	}
	c := &rd.chunks[len(rd.chunks)-1]
	if len(*c) == cap(*c) {
		grown := make([]Indicator, len(*c), min(chunkSize, 2*cap(*c)))
		copy(grown, *c)
		*c = grown
	}
	*c = append(*c, ind)
	rd.n++
}

// at is the i-th indicator emitted.
func (rd *reader) at(i int) *Indicator {
	for _, c := range rd.chunks {
		if i < len(c) {
			return &c[i]
		}
		i -= len(c)
	}
	return nil
}

// collect joins the chunks into Result.Indicators.
func (rd *reader) collect() {
	if rd.chunks == nil {
		return
	}
	if len(rd.chunks) == 1 {
		rd.res.Indicators = rd.chunks[0]
	} else if rd.n > 0 {
		all := make([]Indicator, 0, rd.n)
		for _, c := range rd.chunks {
			all = append(all, c...)
		}
		rd.res.Indicators = all
	}
	rd.chunks = nil
}

func newReader(file, format string, opt ReadOptions) *reader {
	if opt.TLP == "" {
		opt.TLP = TLPAmber
	} else if t, ok := ParseTLP(opt.TLP); ok {
		opt.TLP = t
	}
	if opt.Confidence == 0 {
		opt.Confidence = 50
	}
	return &reader{file: file, opt: opt, res: &Result{Format: format}}
}

// base is an Indicator holding the defaults.
func (rd *reader) base() Indicator {
	return Indicator{Source: rd.opt.Source, TLP: rd.opt.TLP, Confidence: rd.opt.Confidence, Report: rd.opt.Report}
}

// count counts one object read and checks the cap.
func (rd *reader) count() error {
	rd.res.ObjectsRead++
	if rd.opt.MaxObjects > 0 && rd.res.ObjectsRead > rd.opt.MaxObjects {
		return refuse(rd.file, 0, "", "", ErrTooManyObjects, reasonTooMany, rd.opt.MaxObjects)
	}
	return nil
}

func (rd *reader) problem(line int, object, field, format string, args ...any) {
	rd.res.addProblem(newProblem(rd.file, line, object, field, format, args...))
}

// add normalises value for kind k and appends the indicator made of ind
// with it; a bad value is a problem at line/object/field.
func (rd *reader) add(k ioc.Kind, value string, ind Indicator, line int, object, field string) bool {
	v, err := ioc.Normalize(k, value)
	if err != nil {
		rd.problem(line, object, field, reasonBadValue, clip(strings.TrimSpace(value)), k.String())
		return false
	}
	ind.Kind, ind.Value = k.String(), v
	rd.emit(ind)
	return true
}

// ParseKind reads an indicator kind as internal/detect/ioc does (ip,
// cidr, ipv4-addr, domain, sha256, file:hashes.sha-256, ...), also
// written as a drop-down's "label (code)", and returns one of Kinds.
func ParseKind(s string) (string, bool) {
	k, ok := ioc.ParseKind(code(s))
	if !ok {
		return "", false
	}
	return k.String(), true
}

// code returns the code of a drop-down's "Label (code)" or s itself.
func code(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ")") {
		if i := strings.LastIndexByte(s, '('); i >= 0 {
			return strings.TrimSpace(s[i+1 : len(s)-1])
		}
	}
	return s
}

// ParseTLP reads a TLP marking: clear, white, green, amber, amber+strict,
// red, with or without "TLP:" and in any case.
func ParseTLP(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(code(s)))
	s = strings.TrimPrefix(s, "tlp:")
	s = strings.TrimPrefix(s, "tlp-")
	s = strings.TrimPrefix(s, "tlp ")
	switch strings.TrimSpace(s) {
	case "clear", "white":
		return TLPClear, true
	case "green":
		return TLPGreen, true
	case "amber":
		return TLPAmber, true
	case "amber+strict", "amber-strict", "amber strict":
		return TLPAmberStrict, true
	case "red":
		return TLPRed, true
	}
	return "", false
}

// ParseAction reads an action code (or "Label (code)").
func ParseAction(s string) (string, bool) {
	c := strings.ToLower(code(s))
	c = strings.ReplaceAll(c, "-", "_")
	c = strings.ReplaceAll(c, " ", "_")
	for _, a := range Actions {
		if c == a {
			return a, true
		}
	}
	return "", false
}

// Severities lists the severities of a warning-list entry, gravest first.
var Severities = []string{"critical", "high", "medium", "low"}

// ParseSeverity reads critical, high, medium or low (English or
// Vietnamese, or "Label (code)").
func ParseSeverity(s string) (string, bool) {
	c := strings.ToLower(code(s))
	switch c {
	case "critical", "nghiêm trọng", "khẩn cấp":
		return "critical", true
	case "high", "cao":
		return "high", true
	case "medium", "trung bình":
		return "medium", true
	case "low", "thấp":
		return "low", true
	}
	return "", false
}

// parseConfidence reads 0..100.
func parseConfidence(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")))
	if err != nil || n < 0 || n > 100 {
		return 0, false
	}
	return n, true
}

// parseDate reads dd/mm/yyyy, yyyy-mm-dd (both in Vietnam's time zone),
// RFC 3339, or a Unix time in seconds (MISP). endOfDay makes a date
// without a time the last second of that day (a valid-until date includes
// its day).
func parseDate(s string, endOfDay bool) (time.Time, bool) {
	s = strings.TrimSpace(s)
	// dd/mm/yyyy and yyyy-mm-dd without trying every layout (a failed
	// time.Parse allocates its error).
	if len(s) == 10 {
		var y, m, d int
		var ok bool
		switch {
		case s[2] == '/' && s[5] == '/':
			var ok1, ok2 bool
			d, ok1 = atoi2(s[0:2])
			m, ok2 = atoi2(s[3:5])
			y, ok = atoi4(s[6:10])
			ok = ok && ok1 && ok2
		case s[4] == '-' && s[7] == '-':
			y, ok = atoi4(s[0:4])
			if ok {
				m, ok = atoi2(s[5:7])
			}
			if ok {
				d, ok = atoi2(s[8:10])
			}
		}
		if ok && d >= 1 && m >= 1 && m <= 12 && d <= daysIn(y, m) {
			t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, vn)
			if endOfDay {
				t = t.AddDate(0, 0, 1).Add(-time.Second)
			}
			return t.UTC(), true
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "02/01/2006 15:04:05", "02/01/2006 15:04"} {
		if t, err := time.ParseInLocation(layout, s, vn); err == nil {
			return t.UTC(), true
		}
	}
	for _, layout := range []string{"02/01/2006", "2/1/2006", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, vn); err == nil {
			if endOfDay {
				t = t.AddDate(0, 0, 1).Add(-time.Second)
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// formatDate writes t as dd/mm/yyyy when parseDate(…, endOfDay) reads
// that back to t exactly, otherwise as RFC 3339.
func formatDate(t time.Time, endOfDay bool) string {
	if t.IsZero() {
		return ""
	}
	d := t.In(vn).Format("02/01/2006")
	if back, ok := parseDate(d, endOfDay); ok && back.Equal(t) {
		return d
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// splitTags splits a tags cell on ; | or ,
func splitTags(s string) []string {
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' || r == ',' }) {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// parseIOCKind is ParseKind's answer as an ioc.Kind.
func parseIOCKind(k string) (ioc.Kind, bool) { return ioc.ParseKind(k) }

func normalize(k ioc.Kind, v string) (string, error) { return ioc.Normalize(k, v) }

func atoi2(s string) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

func atoi4(s string) (int, bool) {
	a, ok1 := atoi2(s[:2])
	b, ok2 := atoi2(s[2:])
	return a*100 + b, ok1 && ok2
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
