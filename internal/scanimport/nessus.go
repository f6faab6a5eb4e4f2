package scanimport

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// Nessus severities (the ReportItem's severity attribute): 4 critical,
// 3 high, 2 medium, 1 low, 0 information (skipped).
var nessusSeverity = map[string]string{"4": sevCritical, "3": sevHigh, "2": sevMedium, "1": sevLow}

// parseNessus reads a .nessus v2 report: NessusClientData_v2 / Report /
// ReportHost (HostProperties tags, then ReportItems).
func parseNessus(r io.Reader, file string, sink Sink) (*Report, error) {
	x := newXMLReader(r, file)
	rep := &Report{Format: FormatNessus, Scanner: "Nessus"}
	var (
		host    Host
		hostTag string // the <tag name=...> being read
		item    *Record
		n       int
		sawRoot bool
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
			switch t.Name.Local {
			case "NessusClientData_v2":
				sawRoot = true
			case "NessusClientData":
				if x.depth() == 1 {
					return nil, x.errAt("", errors.New("a Nessus v1 report (NessusClientData); export the scan as .nessus v2"))
				}
			case "ReportHost":
				host = hostFrom(attr(t, "name"))
			case "tag":
				if x.parent() == "HostProperties" {
					hostTag = attr(t, "name")
					x.collect()
				}
			case "ReportItem":
				n++
				item = &Record{N: n, Line: x.line(), Host: host, Port: portOf(attr(t, "port"), attr(t, "protocol")),
					CheckID: attr(t, "pluginID"), Title: attr(t, "pluginName")}
				sev := attr(t, "severity")
				if s, ok := nessusSeverity[sev]; ok {
					item.Severity = s
				} else {
					item.Skip = SkipInformational
				}
			case "cve", "cvss3_base_score", "cvss_base_score", "plugin_output", "plugin_name", "solution":
				// An informational item is only counted: its text is not kept.
				if item != nil && item.Skip == "" && x.parent() == "ReportItem" {
					x.collect()
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "tag":
				if hostTag == "" {
					break
				}
				v := x.taken()
				switch hostTag {
				case "host-ip":
					if a := parseAddr(v); a != "" {
						host.Addr = a
					}
				case "host-fqdn":
					if nm := cleanName(v); nm != "" {
						host.Name = nm
					}
				case "hostname", "netbios-name":
					if nm := cleanName(v); nm != "" && host.Name == "" {
						host.Name = nm
					}
				case "operating-system":
					host.OS = clip(v, 200)
				case "HOST_END_TIMESTAMP", "HOST_START_TIMESTAMP":
					if sec, err := strconv.ParseInt(v, 10, 64); err == nil && sec > 0 {
						host.ScanAt = time.Unix(sec, 0).UTC()
					}
				case "HOST_END", "HOST_START":
					if at, err := time.Parse("Mon Jan _2 15:04:05 2006", v); err == nil && host.ScanAt.IsZero() {
						host.ScanAt = at
					}
				}
				hostTag = ""
			case "HostProperties":
				if err := sink.Host(&host); err != nil {
					return nil, err
				}
				if host.ScanAt.After(rep.ScanAt) {
					rep.ScanAt = host.ScanAt
				}
			case "cve":
				if item != nil {
					item.addCVE(x.taken())
				}
			case "cvss3_base_score":
				if item != nil {
					item.CVSS = parseScore(x.taken())
				}
			case "cvss_base_score":
				if item != nil {
					if s := parseScore(x.taken()); item.CVSS == 0 {
						item.CVSS = s
					}
				}
			case "plugin_output":
				if item != nil {
					out := x.taken()
					item.Installed, item.FixedIn = versionsFrom(out)
					item.Output = clip(out, maxOutput)
				}
			case "plugin_name":
				if item != nil {
					if v := x.taken(); item.Title == "" {
						item.Title = v
					}
				}
			case "solution":
				if item != nil {
					x.taken()
				}
			case "ReportItem":
				if item != nil {
					item.Host = host
					if err := sink.Record(item); err != nil {
						return nil, err
					}
					item = nil
				}
			}
		}
	}
	if !sawRoot {
		return nil, fail(file, 0, "", "", errors.New("not a Nessus v2 report: no <NessusClientData_v2>"))
	}
	return rep, nil
}

func trimLower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
