package scanimport

import (
	"encoding/xml"
	"io"
	"strings"
	"time"
)

// parseQualysScan reads a Qualys VM scan report (the host-based "scan
// results" XML: SCAN / IP (value, name) with OS, NETBIOS_HOSTNAME and
// VULNS, PRACTICES, INFOS, SERVICES of CATs (port, protocol) holding
// VULN/PRACTICE/INFO/SERVICE entries (number, severity, TITLE,
// CVSS_BASE, CVSS3_BASE, CVE_ID_LIST, RESULT). VULN and PRACTICE (a
// potential vulnerability) are graded as the asset data report's
// severities; INFO and SERVICE are information.
func parseQualysScan(x *xmlReader, rep *Report, sink Sink) (*Report, error) {
	var (
		host     *Host
		port     string
		rec      *Record
		sev      string
		n        int
		inHeader string
	)
	for {
		tok, err := x.next()
		if err == io.EOF {
			return rep, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name, parent := t.Name.Local, x.parent()
			switch {
			case name == "KEY" && parent == "HEADER":
				inHeader = attr(t, "value")
				x.collect()
			case name == "IP" && parent == "SCAN":
				h := hostFrom(attr(t, "value"))
				if nm := cleanName(attr(t, "name")); nm != "" && nm != "no registered hostname" {
					h.Name = nm
				}
				h.ScanAt = rep.ScanAt
				host = &h
			case host != nil && (name == "OS" || name == "NETBIOS_HOSTNAME") && parent == "IP":
				x.collect()
			case host != nil && name == "CAT":
				port = portOf(attr(t, "port"), attr(t, "protocol"))
			case host != nil && (name == "VULN" || name == "PRACTICE" || name == "INFO" || name == "SERVICE") && parent == "CAT":
				n++
				rec = &Record{N: n, Line: x.line(), Host: *host, Port: port, CheckID: attr(t, "number")}
				sev = attr(t, "severity")
				if name == "INFO" || name == "SERVICE" {
					rec.Skip = SkipInformational
				}
				if c := attr(t, "cveid"); c != "" {
					for _, id := range strings.Split(c, ",") {
						rec.addCVE(id)
					}
				}
			case rec != nil && (name == "TITLE" || name == "CVSS_BASE" || name == "CVSS3_BASE" || name == "RESULT" || name == "ID"):
				x.collect()
			}
		case xml.EndElement:
			name := t.Name.Local
			switch {
			case name == "KEY" && inHeader != "":
				v := x.taken()
				if inHeader == "DATE" {
					if at, err := time.Parse(time.RFC3339, v); err == nil {
						rep.ScanAt = at
					}
				}
				inHeader = ""
			case host != nil && rec == nil && name == "OS":
				host.OS = clip(x.taken(), 200)
			case host != nil && rec == nil && name == "NETBIOS_HOSTNAME":
				if nm := cleanName(x.taken()); nm != "" && host.Name == "" {
					host.Name = nm
				}
			case rec != nil && name == "TITLE":
				rec.Title = x.taken()
			case rec != nil && name == "CVSS3_BASE":
				if s := parseScore(x.taken()); s > 0 {
					rec.CVSS = s
				}
			case rec != nil && name == "CVSS_BASE":
				if s := parseScore(x.taken()); s > 0 && rec.CVSS == 0 {
					rec.CVSS = s
				}
			case rec != nil && name == "ID":
				rec.addCVE(x.taken())
			case rec != nil && name == "RESULT":
				rec.Output = clip(x.taken(), maxOutput)
			case rec != nil && (name == "VULN" || name == "PRACTICE" || name == "INFO" || name == "SERVICE"):
				if rec.Skip == "" {
					if rec.Severity = qualysSeverity[strings.TrimSpace(sev)]; rec.Severity == "" {
						return nil, fail(x.file, rec.Line, recordName(rec.N), "severity", errorf("QID %s has severity %q, not 1 to 5", rec.CheckID, sev))
					}
				}
				if err := sink.Record(rec); err != nil {
					return nil, err
				}
				rec = nil
			case name == "CAT":
				port = ""
			case host != nil && name == "IP":
				if err := sink.Host(host); err != nil {
					return nil, err
				}
				host = nil
			}
		}
	}
}
