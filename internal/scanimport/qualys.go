package scanimport

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"
)

// Qualys severities (VULN_DETAILS SEVERITY 1–5: minimal, medium, serious,
// critical, urgent): 5 critical, 4 high, 3 medium, 1–2 low. A VULN_INFO of
// TYPE Ig (information gathered) is information; VULN_STATUS Fixed is not
// vulnerable.
var qualysSeverity = map[string]string{"5": sevCritical, "4": sevHigh, "3": sevMedium, "2": sevLow, "1": sevLow}

type qualysDetail struct {
	title    string
	severity string
	cves     []string
	bad      []string
	cvss     float64
}

// parseQualys reads a Qualys VM asset data report (ASSET_DATA_REPORT):
// HOST_LIST / HOST (IP, DNS, NETBIOS, OPERATING_SYSTEM, VULN_INFO_LIST /
// VULN_INFO with QID, TYPE, PORT, PROTOCOL, RESULT, LAST_FOUND) and, after
// them, the GLOSSARY's VULN_DETAILS per QID (title, severity, CVEs, CVSS).
// The glossary comes last, so the host's records are kept (small, without
// the glossary's text) until it has been read.
func parseQualys(r io.Reader, file string, sink Sink) (*Report, error) {
	x := newXMLReader(r, file)
	rep := &Report{Format: FormatQualys, Scanner: "Qualys"}
	var (
		host      *Host
		vi        *Record
		viType    string
		status    string
		pending   []*Record
		details   = map[string]*qualysDetail{}
		det       *qualysDetail
		detQID    string
		n         int
		hostStart int
		sawRoot   bool
	)
	for {
		tok, err := x.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name, parent := t.Name.Local, x.parent()
			switch {
			case name == "ASSET_DATA_REPORT" && x.depth() == 1:
				sawRoot = true
			case name == "SCAN" && x.depth() == 1:
				return parseQualysScan(x, rep, sink)
			case name == "GENERATION_DATETIME" && parent == "HEADER":
				x.collect()
			case name == "HOST" && parent == "HOST_LIST":
				host = &Host{}
				hostStart = len(pending)
			case host != nil && parent == "HOST" && (name == "IP" || name == "DNS" || name == "NETBIOS" || name == "OPERATING_SYSTEM"):
				x.collect()
			case host != nil && name == "VULN_INFO":
				n++
				vi = &Record{N: n, Line: x.line(), Host: *host}
				viType, status = "", ""
			case vi != nil && parent == "VULN_INFO":
				switch name {
				case "QID", "TYPE", "PORT", "PROTOCOL", "RESULT", "LAST_FOUND", "VULN_STATUS", "FQDN":
					x.collect()
				}
			case name == "VULN_DETAILS":
				det, detQID = &qualysDetail{}, ""
			case det != nil && parent == "VULN_DETAILS" && (name == "QID" || name == "TITLE" || name == "SEVERITY"):
				x.collect()
			case det != nil && name == "ID" && parent == "CVE_ID":
				x.collect()
			case det != nil && (name == "CVSS_BASE" || name == "CVSS3_BASE"):
				x.collect()
			}
		case xml.EndElement:
			name := t.Name.Local
			switch {
			case name == "GENERATION_DATETIME":
				if at, err := time.Parse(time.RFC3339, x.taken()); err == nil {
					rep.ScanAt = at
				}
			case host != nil && vi == nil && (name == "IP" || name == "DNS" || name == "NETBIOS" || name == "OPERATING_SYSTEM"):
				v := x.taken()
				switch name {
				case "IP":
					host.Addr = parseAddr(v)
				case "DNS":
					if nm := cleanName(v); nm != "" {
						host.Name = nm
					}
				case "NETBIOS":
					if nm := cleanName(v); nm != "" && host.Name == "" {
						host.Name = nm
					}
				case "OPERATING_SYSTEM":
					host.OS = clip(v, 200)
				}
			case vi != nil && name != "VULN_INFO":
				v := x.taken()
				switch name {
				case "QID":
					vi.CheckID = v
				case "TYPE":
					viType = v
				case "PORT":
					vi.Port = v
				case "PROTOCOL":
					vi.Port = portOf(vi.Port, v)
				case "RESULT":
					vi.Output = clip(v, maxOutput)
				case "LAST_FOUND":
					if at, err := time.Parse(time.RFC3339, v); err == nil {
						vi.Host.ScanAt = at
					}
				case "VULN_STATUS":
					status = v
				}
			case vi != nil && name == "VULN_INFO":
				if !strings.Contains(vi.Port, "/") {
					vi.Port = portOf(vi.Port, "")
				}
				switch {
				case strings.EqualFold(viType, "Ig"):
					vi.Skip = SkipInformational
				case strings.EqualFold(status, "Fixed"):
					vi.Skip = SkipNotVulnerable
				}
				pending = append(pending, vi)
				vi = nil
			case name == "HOST" && host != nil:
				h := *host
				if err := sink.Host(&h); err != nil {
					return nil, err
				}
				for _, p := range pending[hostStart:] {
					p.Host.Addr, p.Host.Name, p.Host.OS = host.Addr, host.Name, host.OS
				}
				host = nil
			case det != nil && name == "QID":
				detQID = x.taken()
			case det != nil && name == "TITLE":
				det.title = x.taken()
			case det != nil && name == "SEVERITY":
				det.severity = x.taken()
			case det != nil && name == "ID":
				v := x.taken()
				if c, ok := NormalizeCVE(v); ok {
					det.cves = append(det.cves, c)
				} else if v != "" {
					det.bad = append(det.bad, clip(v, 40))
				}
			case det != nil && name == "CVSS3_BASE":
				if s := parseScore(x.taken()); s > 0 {
					det.cvss = s
				}
			case det != nil && name == "CVSS_BASE":
				if s := parseScore(x.taken()); s > 0 && det.cvss == 0 {
					det.cvss = s
				}
			case det != nil && name == "VULN_DETAILS":
				if detQID != "" {
					details[detQID] = det
				}
				det = nil
			}
		}
	}
	if !sawRoot {
		return nil, fail(file, 0, "", "", errors.New("not a Qualys asset data report: no <ASSET_DATA_REPORT>"))
	}
	for _, p := range pending {
		d := details[p.CheckID]
		if d == nil {
			if p.Skip == "" {
				return nil, fail(file, p.Line, recordName(p.N), "QID", errors.New("QID "+p.CheckID+" has no VULN_DETAILS in the glossary"))
			}
			d = &qualysDetail{}
		}
		p.Title, p.CVEs, p.BadCVEs, p.CVSS = d.title, d.cves, d.bad, d.cvss
		if p.Skip == "" {
			if p.Severity = qualysSeverity[d.severity]; p.Severity == "" {
				return nil, fail(file, p.Line, recordName(p.N), "SEVERITY", errors.New("QID "+p.CheckID+" has severity "+d.severity+", not 1 to 5"))
			}
		}
		if err := sink.Record(p); err != nil {
			return nil, err
		}
	}
	return rep, nil
}
