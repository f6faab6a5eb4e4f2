// Package nvd reads NVD CVE API 2.0 JSON — a page of the API
// ({"vulnerabilities":[{"cve":{...}}], ...}) or a file of such pages
// concatenated — one CVE at a time with json.Decoder tokens, so memory
// stays flat whatever the file's size. Each CVE becomes a kb.CVE (English
// description, best CVSS score: v3.1, then v3.0, then v2; CWE ids) and its
// configurations' cpeMatch entries kb.CPEMatch rows with their version
// ranges.
package nvd

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"vigil/internal/datafile"
	"vigil/internal/i18n"
	"vigil/internal/vuln/internal/jsonskip"
	"vigil/internal/vuln/kb"
)

// Header is what an API page says of itself.
type Header struct {
	TotalResults int
	StartIndex   int
	Timestamp    time.Time // when NVD produced the page: the data's own date
}

// Record is one CVE with its CPE matches.
type Record struct {
	CVE     kb.CVE
	Matches []kb.CPEMatch
}

// Handler receives records as they are read; see msrc.Handler for Skip.
type Handler struct {
	Header func(Header) error
	CVE    func(Record) error
	Skip   func(error) error
}

// ErrNotNVD says the input is not NVD CVE API 2.0 JSON.
var ErrNotNVD = errors.New("not NVD CVE API 2.0 JSON (no \"vulnerabilities\" array)")

const (
	maxDescription = 4 << 10
	maxMatches     = 100000 // cpeMatch entries one CVE may carry
)

var cveRe = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

type apiCVE struct {
	ID           string `json:"id"`
	Published    string `json:"published"`
	LastModified string `json:"lastModified"`
	VulnStatus   string `json:"vulnStatus"`
	Descriptions []struct {
		Lang  string `json:"lang"`
		Value string `json:"value"`
	} `json:"descriptions"`
	Metrics struct {
		V31 []metric `json:"cvssMetricV31"`
		V30 []metric `json:"cvssMetricV30"`
		V2  []metric `json:"cvssMetricV2"`
	} `json:"metrics"`
	Weaknesses []struct {
		Description []struct {
			Value string `json:"value"`
		} `json:"description"`
	} `json:"weaknesses"`
	Configurations []struct {
		Operator string `json:"operator"`
		Negate   bool   `json:"negate"`
		Nodes    []struct {
			Operator string `json:"operator"`
			Negate   bool   `json:"negate"`
			CPEMatch []struct {
				Vulnerable            bool   `json:"vulnerable"`
				Criteria              string `json:"criteria"`
				VersionStartIncluding string `json:"versionStartIncluding"`
				VersionStartExcluding string `json:"versionStartExcluding"`
				VersionEndIncluding   string `json:"versionEndIncluding"`
				VersionEndExcluding   string `json:"versionEndExcluding"`
			} `json:"cpeMatch"`
		} `json:"nodes"`
	} `json:"configurations"`
}

type metric struct {
	Type     string `json:"type"` // "Primary" (NVD's own) or "Secondary"
	CVSSData struct {
		BaseScore    float64 `json:"baseScore"`
		VectorString string  `json:"vectorString"`
		BaseSeverity string  `json:"baseSeverity"`
	} `json:"cvssData"`
	BaseSeverity string `json:"baseSeverity"` // v2 keeps it outside cvssData
}

// Parse reads NVD JSON from r. file names the input in errors.
func Parse(r io.Reader, file string, h Handler) error {
	d := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	n := 0
	pages := 0
	fail := func(err error) error {
		var de *datafile.Error
		if errors.As(err, &de) {
			return err
		}
		rec := fmt.Sprintf("byte %d", d.InputOffset())
		if n > 0 {
			rec = fmt.Sprintf("record %d (after byte %d)", n, d.InputOffset())
		}
		return &datafile.Error{File: file, Record: rec, Err: err}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if pages == 0 {
				return fail(errors.New("empty input"))
			}
			return nil
		}
		if err != nil {
			return fail(err)
		}
		if tok != json.Delim('{') {
			return fail(ErrNotNVD)
		}
		pages++
		var hdr Header
		sawVulns := false
		for d.More() {
			tok, err := d.Token()
			if err != nil {
				return fail(err)
			}
			key, _ := tok.(string)
			switch key {
			case "totalResults", "startIndex":
				var v int
				if err := d.Decode(&v); err != nil {
					return fail(fmt.Errorf("%s: %w", key, err))
				}
				if key == "totalResults" {
					hdr.TotalResults = v
				} else {
					hdr.StartIndex = v
				}
			case "timestamp":
				var s string
				if err := d.Decode(&s); err != nil {
					return fail(fmt.Errorf("timestamp: %w", err))
				}
				hdr.Timestamp, _ = parseTime(s)
			case "vulnerabilities":
				sawVulns = true
				if h.Header != nil {
					if err := h.Header(hdr); err != nil {
						return err
					}
				}
				if tok, err := d.Token(); err != nil {
					return fail(err)
				} else if tok != json.Delim('[') {
					return fail(errors.New("\"vulnerabilities\" is not an array"))
				}
				for d.More() {
					n++
					var item struct {
						CVE *apiCVE `json:"cve"`
					}
					if err := d.Decode(&item); err != nil {
						var te *json.UnmarshalTypeError
						if errors.As(err, &te) {
							if err := skip(h, &datafile.Error{File: file, Record: fmt.Sprintf("record %d", n), Field: te.Field, Err: err}); err != nil {
								return err
							}
							continue
						}
						return fail(err)
					}
					rec, err := build(file, n, item.CVE)
					if err != nil {
						if err := skip(h, err); err != nil {
							return err
						}
						continue
					}
					if h.CVE != nil {
						if err := h.CVE(rec); err != nil {
							return err
						}
					}
				}
				if _, err := d.Token(); err != nil {
					return fail(err)
				}
			default:
				if err := jsonskip.Value(d); err != nil {
					return fail(err)
				}
			}
		}
		if _, err := d.Token(); err != nil {
			return fail(err)
		}
		if !sawVulns {
			return fail(ErrNotNVD)
		}
	}
}

func skip(h Handler, err error) error {
	if h.Skip == nil {
		return err
	}
	return h.Skip(err)
}

func build(file string, n int, c *apiCVE) (Record, error) {
	rec := fmt.Sprintf("record %d", n)
	if c == nil {
		return Record{}, &datafile.Error{File: file, Record: rec, Field: "cve", Err: errors.New("missing")}
	}
	id := strings.TrimSpace(c.ID)
	if id != "" {
		rec = fmt.Sprintf("record %d (%s)", n, i18n.Clip(id, 40))
	}
	if !cveRe.MatchString(id) {
		return Record{}, &datafile.Error{File: file, Record: rec, Field: "cve.id", Err: fmt.Errorf("%q is not a CVE id (CVE-YYYY-NNNN)", i18n.Clip(id, 40))}
	}
	out := kb.CVE{ID: id, Source: "nvd"}
	out.Published, _ = parseTime(c.Published)
	out.Modified, _ = parseTime(c.LastModified)
	for _, d := range c.Descriptions {
		if d.Lang == "en" {
			out.Description = i18n.Clip(strings.TrimSpace(d.Value), maxDescription)
			break
		}
	}
	if out.Description == "" && len(c.Descriptions) > 0 {
		out.Description = i18n.Clip(strings.TrimSpace(c.Descriptions[0].Value), maxDescription)
	}
	out.Title = title(out.Description)
	for _, set := range [][]metric{c.Metrics.V31, c.Metrics.V30, c.Metrics.V2} {
		if m, ok := best(set); ok {
			if m.CVSSData.BaseScore < 0 || m.CVSSData.BaseScore > 10 {
				return Record{}, &datafile.Error{File: file, Record: rec, Field: "metrics.cvssData.baseScore", Err: fmt.Errorf("%v is not a score from 0 to 10", m.CVSSData.BaseScore)}
			}
			out.CVSS = m.CVSSData.BaseScore
			out.Vector = i18n.Clip(m.CVSSData.VectorString, 200)
			sev := m.CVSSData.BaseSeverity
			if sev == "" {
				sev = m.BaseSeverity
			}
			out.Severity = severity(sev, out.CVSS)
			break
		}
	}
	seen := map[string]bool{}
	for _, w := range c.Weaknesses {
		for _, d := range w.Description {
			if strings.HasPrefix(d.Value, "CWE-") && !seen[d.Value] && len(out.CWE) < 16 {
				seen[d.Value] = true
				out.CWE = append(out.CWE, i18n.Clip(d.Value, 32))
			}
		}
	}
	r := Record{CVE: out}
	for ci, cfg := range c.Configurations {
		for ni, node := range cfg.Nodes {
			for mi, m := range node.CPEMatch {
				if len(r.Matches) >= maxMatches {
					return Record{}, &datafile.Error{File: file, Record: rec, Field: "configurations", Err: fmt.Errorf("more than %d cpeMatch entries", maxMatches)}
				}
				cm, err := match(m.Criteria)
				if err != nil {
					return Record{}, &datafile.Error{File: file, Record: rec, Field: fmt.Sprintf("configurations[%d].nodes[%d].cpeMatch[%d].criteria", ci, ni, mi), Err: err}
				}
				cm.CVE = id
				cm.Vulnerable = m.Vulnerable
				cm.VersionStartIncluding = i18n.Clip(m.VersionStartIncluding, 64)
				cm.VersionStartExcluding = i18n.Clip(m.VersionStartExcluding, 64)
				cm.VersionEndIncluding = i18n.Clip(m.VersionEndIncluding, 64)
				cm.VersionEndExcluding = i18n.Clip(m.VersionEndExcluding, 64)
				cm.Config, cm.Node = ci, ni
				cm.Operator = strings.ToUpper(node.Operator)
				cm.Negate = node.Negate
				cm.ConfigOperator = strings.ToUpper(cfg.Operator)
				r.Matches = append(r.Matches, cm)
			}
		}
	}
	return r, nil
}

// best picks NVD's own (Primary) metric, else the first.
func best(ms []metric) (metric, bool) {
	if len(ms) == 0 {
		return metric{}, false
	}
	for _, m := range ms {
		if m.Type == "Primary" {
			return m, true
		}
	}
	return ms[0], true
}

func severity(s string, score float64) string {
	switch strings.ToUpper(s) {
	case "CRITICAL":
		return kb.SeverityCritical
	case "HIGH":
		return kb.SeverityHigh
	case "MEDIUM":
		return kb.SeverityMedium
	case "LOW":
		return kb.SeverityLow
	}
	switch {
	case score >= 9:
		return kb.SeverityCritical
	case score >= 7:
		return kb.SeverityHigh
	case score >= 4:
		return kb.SeverityMedium
	case score > 0:
		return kb.SeverityLow
	}
	return ""
}

// match splits a CPE 2.3 formatted string. Escaped colons ("\:") stay
// inside their component.
func match(criteria string) (kb.CPEMatch, error) {
	if !strings.HasPrefix(criteria, "cpe:2.3:") {
		return kb.CPEMatch{}, fmt.Errorf("%q is not a CPE 2.3 name", i18n.Clip(criteria, 80))
	}
	var parts []string
	var b strings.Builder
	s := criteria[len("cpe:2.3:"):]
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			b.WriteByte(s[i])
			b.WriteByte(s[i+1])
			i++
		case s[i] == ':':
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(s[i])
		}
	}
	parts = append(parts, b.String())
	if len(parts) != 11 {
		return kb.CPEMatch{}, fmt.Errorf("%q has %d components, not 13", i18n.Clip(criteria, 80), len(parts)+2)
	}
	switch parts[0] {
	case "a", "o", "h", "*", "-":
	default:
		return kb.CPEMatch{}, fmt.Errorf("%q: part %q is not a, o or h", i18n.Clip(criteria, 80), parts[0])
	}
	return kb.CPEMatch{
		Criteria: i18n.Clip(criteria, 512),
		Part:     parts[0],
		Vendor:   i18n.Clip(parts[1], 128),
		Product:  i18n.Clip(parts[2], 128),
		Version:  i18n.Clip(parts[3], 64),
	}, nil
}

// title is the description's first sentence, clipped: NVD has no title.
func title(desc string) string {
	t := desc
	if i := strings.Index(t, ". "); i > 0 && i < 200 {
		t = t[:i+1]
	}
	if len(t) > 200 {
		t = i18n.Clip(t, 197) + "..."
	}
	return t
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Sniff says whether the start of an input looks like NVD API 2.0 JSON.
func Sniff(head []byte) bool {
	s := string(head)
	return strings.HasPrefix(strings.TrimLeft(strings.TrimPrefix(s, "\uFEFF"), " \t\r\n"), "{") &&
		(strings.Contains(s, `"NVD_CVE"`) || (strings.Contains(s, `"vulnerabilities"`) && strings.Contains(s, `"cve"`)))
}
