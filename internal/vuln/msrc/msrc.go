// Package msrc reads Microsoft's security update documents as the MSRC
// API serves them: CVRF 1.1 XML (GET /cvrf/v3.0/cvrf/{id}), the same CVRF
// document as JSON (Accept: application/json) and CSAF 2.0 JSON. Each is
// read as a stream — the product tree, then one vulnerability at a time —
// so memory stays flat whatever the document's size.
//
// A vulnerability becomes a kb.CVE and one kb.MSFix per (product, KB) of
// its "Vendor Fix" remediations. A remediation whose description is not a
// KB number (Edge's "Release Notes", Office's "Click to Run", a Linux
// package name) still gives MSFix rows with KB "" and the FixedBuild, so a
// version matcher can use them; a KB matcher skips them.
package msrc

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"vigil/internal/datafile"
	"vigil/internal/i18n"
	"vigil/internal/vuln/kb"
)

// Document is what a security update document says of itself.
type Document struct {
	ID       string    // "2023-Dec"
	Title    string    // "December 2023 Security Updates"
	Released time.Time // InitialReleaseDate (Patch Tuesday)
	Updated  time.Time // CurrentReleaseDate (the data's own date)
	Format   string    // "cvrf-xml", "cvrf-json", "csaf"
}

// Vulnerability is one CVE of a document with its fixes.
type Vulnerability struct {
	CVE   kb.CVE
	Fixes []kb.MSFix
}

// Handler receives a document's parts as they are read. Any nil func is
// not called. An error returned by a func stops the parse and is returned.
// Skip receives a record that cannot be used (a malformed CVE id, a score
// that is not a number) as a *datafile.Error naming the file and record;
// when Skip is nil such a record stops the parse with that error.
type Handler struct {
	Document      func(Document) error
	Product       func(kb.Product) error
	Vulnerability func(Vulnerability) error
	Skip          func(error) error
}

// Limits keep a hostile document from holding unbounded memory.
const (
	maxDescription = 4 << 10  // bytes of a CVE's description kept
	maxRecord      = 16 << 20 // bytes one vulnerability may take in the input
)

// ErrNotMSRC says the input is not a CVRF or CSAF document.
var ErrNotMSRC = errors.New("not an MSRC CVRF or CSAF document")

// ErrDoctype says an XML document declares a DOCTYPE, which CVRF never
// does; it is refused so no entity can be declared, let alone expanded.
var ErrDoctype = errors.New("DOCTYPE and ENTITY declarations are refused")

var (
	cveRe = regexp.MustCompile(`^(CVE-\d{4}-\d{4,}|ADV\d{6,})$`)
	kbRe  = regexp.MustCompile(`^(?i:KB)?(\d{6,8})$`)
)

// Parse reads one document from r, detecting its form by content: '<' is
// CVRF XML, '{' JSON (CVRF or CSAF by its keys). file names the input in
// errors. It returns the document's header.
func Parse(r io.Reader, file string, h Handler) (Document, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := firstByte(br)
	if err != nil {
		return Document{}, &datafile.Error{File: file, Err: err}
	}
	switch first {
	case '<':
		return parseXML(br, file, h)
	case '{':
		return parseJSON(br, file, h)
	}
	return Document{}, &datafile.Error{File: file, Err: ErrNotMSRC}
}

// firstByte skips a UTF-8 byte-order mark and white space and peeks at
// the first significant byte.
func firstByte(br *bufio.Reader) (byte, error) {
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	for {
		b, err := br.Peek(1)
		if err != nil {
			if err == io.EOF {
				return 0, errors.New("empty input")
			}
			return 0, err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.Discard(1)
			continue
		}
		return b[0], nil
	}
}

// Sniff says whether the start of an input looks like an MSRC document
// and which form: "cvrf-xml", "cvrf-json", "csaf", or "".
func Sniff(head []byte) string {
	head = bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	head = bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(head) == 0:
		return ""
	case head[0] == '<':
		if bytes.Contains(head, []byte("cvrfdoc")) || bytes.Contains(head, []byte("icasi.org/CVRF")) {
			return "cvrf-xml"
		}
	case head[0] == '{':
		if bytes.Contains(head, []byte(`"csaf_version"`)) || (bytes.Contains(head, []byte(`"document"`)) && bytes.Contains(head, []byte(`"csaf`))) {
			return "csaf"
		}
		if bytes.Contains(head, []byte(`"DocumentTitle"`)) || bytes.Contains(head, []byte(`"DocumentTracking"`)) {
			return "cvrf-json"
		}
	}
	return ""
}

// ParseFile reads a whole document (optionally gzip-compressed) and
// returns its products, fixes and CVEs: for tests and small tools. An
// import streams with Parse instead.
func ParseFile(path string) ([]kb.Product, []kb.MSFix, []kb.CVE, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	var r io.Reader = f
	br := bufio.NewReader(f)
	if b, _ := br.Peek(2); len(b) == 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, nil, &datafile.Error{File: filepath.Base(path), Err: err}
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	var (
		products []kb.Product
		fixes    []kb.MSFix
		cves     []kb.CVE
	)
	_, err = Parse(r, filepath.Base(path), Handler{
		Product: func(p kb.Product) error { products = append(products, p); return nil },
		Vulnerability: func(v Vulnerability) error {
			cves = append(cves, v.CVE)
			fixes = append(fixes, v.Fixes...)
			return nil
		},
		Skip: func(error) error { return nil },
	})
	return products, fixes, cves, err
}

// rawVuln is a vulnerability as any of the three forms states it, before
// it is checked and turned into kb records.
type rawVuln struct {
	Ordinal     string
	CVE         string
	Title       string
	Description string
	CWE         []string
	Threats     []rawThreat
	Scores      []rawScore
	Rems        []rawRem
	Dates       []string // revision dates, oldest first as given
}

type rawThreat struct {
	Type     string // "Impact", "Exploit Status", "Severity", ...
	Desc     string
	Products []string
}

type rawScore struct {
	Base     string
	Vector   string
	Products []string
}

type rawRem struct {
	Type         string // "Vendor Fix", ...
	Desc         string // the KB number for a Microsoft update
	URL          string
	Supercedence string
	SubType      string
	FixedBuild   string
	Products     []string
}

// recordName says which vulnerability an error is about.
func (r *rawVuln) recordName(n int) string {
	switch {
	case r.CVE != "":
		return fmt.Sprintf("vulnerability %d (%s)", n, r.CVE)
	case r.Ordinal != "":
		return fmt.Sprintf("vulnerability %d (ordinal %s)", n, r.Ordinal)
	}
	return fmt.Sprintf("vulnerability %d", n)
}

// build checks a raw vulnerability and turns it into kb records. n is its
// 1-based position in the document.
func build(doc *Document, file string, n int, r *rawVuln) (Vulnerability, error) {
	bad := func(field string, err error) error {
		return &datafile.Error{File: file, Record: r.recordName(n), Field: field, Err: err}
	}
	id := strings.TrimSpace(r.CVE)
	if id == "" {
		return Vulnerability{}, bad("CVE", errors.New("missing"))
	}
	if !cveRe.MatchString(id) {
		return Vulnerability{}, bad("CVE", fmt.Errorf("%q is not a CVE id (CVE-YYYY-NNNN)", i18n.Clip(id, 40)))
	}
	c := kb.CVE{
		ID:          id,
		Title:       i18n.Clip(strings.TrimSpace(r.Title), 512),
		Description: i18n.Clip(stripTags(r.Description), maxDescription),
		Source:      "msrc",
		CWE:         r.CWE,
		Published:   doc.Released,
		Modified:    doc.Updated,
	}
	if len(r.Dates) > 0 {
		if t, ok := parseTime(r.Dates[0]); ok {
			c.Published = t
		}
		if t, ok := parseTime(r.Dates[len(r.Dates)-1]); ok {
			c.Modified = t
		}
	}
	sevByProduct := map[string]string{}
	for _, t := range r.Threats {
		switch strings.ToLower(t.Type) {
		case "severity":
			s := Severity(t.Desc)
			for _, p := range t.Products {
				sevByProduct[p] = s
			}
			if rank(s) > rank(c.Severity) {
				c.Severity = s
			}
		case "exploit status":
			for _, part := range strings.Split(t.Desc, ";") {
				k, v, ok := strings.Cut(part, ":")
				if !ok {
					continue
				}
				yes := strings.EqualFold(strings.TrimSpace(v), "Yes")
				switch strings.ToLower(strings.TrimSpace(k)) {
				case "exploited":
					c.ExploitedMSRC = c.ExploitedMSRC || yes
				case "publicly disclosed":
					c.PubliclyKnown = c.PubliclyKnown || yes
				}
			}
		}
	}
	for i, s := range r.Scores {
		if strings.TrimSpace(s.Base) == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(s.Base), 64)
		if err != nil || v < 0 || v > 10 {
			return Vulnerability{}, bad(fmt.Sprintf("CVSSScoreSets[%d].BaseScore", i), fmt.Errorf("%q is not a score from 0 to 10", i18n.Clip(s.Base, 20)))
		}
		if v > c.CVSS {
			c.CVSS, c.Vector = v, i18n.Clip(strings.TrimSpace(s.Vector), 200)
		}
	}
	if c.Severity == "" && c.CVSS > 0 {
		c.Severity = SeverityFromScore(c.CVSS)
	}
	out := Vulnerability{CVE: c}
	seen := map[[2]string]int{}
	for _, rem := range r.Rems {
		if !strings.EqualFold(strings.TrimSpace(rem.Type), "Vendor Fix") {
			continue
		}
		kbn := ""
		if m := kbRe.FindStringSubmatch(strings.TrimSpace(rem.Desc)); m != nil {
			kbn = m[1]
		}
		var sup []string
		for _, s := range strings.FieldsFunc(rem.Supercedence, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
			if m := kbRe.FindStringSubmatch(s); m != nil {
				sup = append(sup, m[1])
			}
		}
		for _, p := range rem.Products {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			f := kb.MSFix{
				CVE:        id,
				ProductID:  p,
				KB:         kbn,
				SubType:    i18n.Clip(strings.TrimSpace(rem.SubType), 64),
				FixedBuild: i18n.Clip(strings.TrimSpace(rem.FixedBuild), 64),
				Supersedes: sup,
				URL:        i18n.Clip(strings.TrimSpace(rem.URL), 512),
				Severity:   sevByProduct[p],
				Released:   doc.Released,
				Document:   doc.ID,
			}
			if f.Severity == "" {
				f.Severity = c.Severity
			}
			key := [2]string{p, kbn}
			if kbn == "" {
				key[1] = "build:" + f.FixedBuild
			}
			if i, dup := seen[key]; dup {
				// The same KB listed twice for a product (security update
				// and hotpatch share none; a repeat is a repeat): merge the
				// supersedence lists.
				out.Fixes[i].Supersedes = mergeKBs(out.Fixes[i].Supersedes, sup)
				continue
			}
			seen[key] = len(out.Fixes)
			out.Fixes = append(out.Fixes, f)
		}
	}
	return out, nil
}

func mergeKBs(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		found := false
		for _, y := range out {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

// Severity maps MSRC's severity words to Vigil's.
func Severity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return kb.SeverityCritical
	case "important", "high":
		return kb.SeverityHigh
	case "moderate", "medium":
		return kb.SeverityMedium
	case "low":
		return kb.SeverityLow
	}
	return ""
}

// SeverityFromScore grades a CVSS v3 base score.
func SeverityFromScore(v float64) string {
	switch {
	case v >= 9:
		return kb.SeverityCritical
	case v >= 7:
		return kb.SeverityHigh
	case v >= 4:
		return kb.SeverityMedium
	case v > 0:
		return kb.SeverityLow
	}
	return ""
}

func rank(s string) int {
	switch s {
	case kb.SeverityCritical:
		return 4
	case kb.SeverityHigh:
		return 3
	case kb.SeverityMedium:
		return 2
	case kb.SeverityLow:
		return 1
	}
	return 0
}

// parseTime reads MSRC's dates: "2023-12-12T08:00:00" (no zone: UTC),
// RFC 3339, or a bare date.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// stripTags turns MSRC's HTML notes into plain text, roughly: tags
// dropped, white space collapsed.
func stripTags(s string) string {
	if len(s) > 4*maxDescription {
		s = s[:4*maxDescription]
	}
	var b strings.Builder
	in := false
	space := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
			space = true
		case in:
		case r == ' ' || r == '\n' || r == '\t' || r == '\r':
			space = true
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	out := b.String()
	out = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&nbsp;", " ").Replace(out)
	return out
}
