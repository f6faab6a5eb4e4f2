package scanimport

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"time"
)

// parseOpenVAS reads an OpenVAS/Greenbone (GVM) XML report: report /
// report / results / result with host, port, nvt (oid, name, cvss_base,
// refs of type cve, or an older <cve> list), threat and severity. The
// severity is the result's CVSS-like score, graded as CVSS (9.0 critical,
// 7.0 high, 4.0 medium, above 0 low); threat Log, Debug or a score of 0 is
// information; threat False Positive is skipped as such.
func parseOpenVAS(r io.Reader, file string, sink Sink) (*Report, error) {
	x := newXMLReader(r, file)
	rep := &Report{Format: FormatOpenVAS, Scanner: "OpenVAS"}
	var (
		res     *Record
		threat  string
		score   string
		n       int
		sawRoot bool
		hosts   = map[string]bool{}
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
			case name == "report" && x.depth() <= 2:
				sawRoot = true
			case name == "result" && parent == "results":
				n++
				res = &Record{N: n, Line: x.line()}
				threat, score = "", ""
			case res != nil && parent == "result" && (name == "host" || name == "port" || name == "threat" || name == "severity" || name == "description" || name == "name"):
				x.collect()
			case res != nil && parent == "host" && name == "hostname":
				// the host's address is the text before <hostname>
				res.Host = hostFrom(x.taken())
				x.collect()
			case res != nil && parent == "nvt":
				switch name {
				case "name", "cvss_base", "cve":
					x.collect()
				}
			case res != nil && name == "nvt":
				res.CheckID = attr(t, "oid")
			case res != nil && name == "ref" && strings.EqualFold(attr(t, "type"), "cve"):
				res.addCVE(attr(t, "id"))
			case (name == "scan_start" || name == "timestamp") && parent == "report":
				x.collect()
			}
		case xml.EndElement:
			name := t.Name.Local
			parent := ""
			if len(x.stack) > 0 {
				parent = x.stack[len(x.stack)-1]
			}
			switch {
			case res != nil && name == "hostname" && parent == "host":
				if nm := cleanName(x.taken()); nm != "" {
					res.Host.Name = nm
				}
			case res != nil && name == "host" && parent == "result":
				if v := x.taken(); v != "" && res.Host.Addr == "" && res.Host.Name == "" {
					res.Host = hostFrom(v)
				}
			case res != nil && name == "port" && parent == "result":
				v := x.taken()
				if p, proto, ok := strings.Cut(v, "/"); ok {
					res.Port = portOf(p, proto)
				}
			case res != nil && name == "threat" && parent == "result":
				threat = x.taken()
			case res != nil && name == "severity" && parent == "result":
				score = x.taken()
			case res != nil && name == "description" && parent == "result":
				out := x.taken()
				res.Installed, res.FixedIn = versionsFrom(strings.ReplaceAll(out, "Installed version:", "Installed version :"))
				res.Output = clip(out, maxOutput)
			case res != nil && name == "name" && parent == "result":
				if v := x.taken(); res.Title == "" {
					res.Title = v
				}
			case res != nil && name == "name" && parent == "nvt":
				res.Title = x.taken()
			case res != nil && name == "cvss_base" && parent == "nvt":
				res.CVSS = parseScore(x.taken())
			case res != nil && name == "cve" && parent == "nvt":
				for _, c := range strings.Split(x.taken(), ",") {
					if c = strings.TrimSpace(c); c != "" && c != "NOCVE" {
						res.addCVE(c)
					}
				}
			case name == "scan_start" || name == "timestamp":
				if at, err := time.Parse(time.RFC3339, x.taken()); err == nil && at.After(rep.ScanAt) {
					rep.ScanAt = at
				}
			case name == "result" && parent == "results" && res != nil:
				s := parseScore(score)
				if res.CVSS == 0 {
					res.CVSS = s
				}
				switch strings.ToLower(threat) {
				case "false positive":
					res.Skip = SkipFalsePositive
				case "log", "debug":
					res.Skip = SkipInformational
				default:
					if res.Severity = severityFromCVSS(s); res.Severity == "" {
						if sev, _ := severityWord(threat); sev != "" {
							res.Severity = sev
						} else {
							res.Skip = SkipInformational
						}
					}
				}
				res.Host.ScanAt = rep.ScanAt
				if k := res.Host.Key(); k != "" && !hosts[k] {
					hosts[k] = true
					h := res.Host
					if err := sink.Host(&h); err != nil {
						return nil, err
					}
				}
				if err := sink.Record(res); err != nil {
					return nil, err
				}
				res = nil
			}
		}
	}
	if !sawRoot {
		return nil, fail(file, 0, "", "", errors.New("not an OpenVAS report: no <report>"))
	}
	return rep, nil
}
