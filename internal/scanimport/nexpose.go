package scanimport

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// Nexpose severities (1–10; Rapid7 calls 1–3 moderate, 4–7 severe, 8–10
// critical): 8–10 critical, 6–7 high, 4–5 medium, 1–3 low, 0 information.
// Only tests whose status is vulnerable-exploited, vulnerable-version or
// vulnerable-potential are vulnerabilities; the others (not-vulnerable,
// error, skipped-version, ...) are skipped as not vulnerable.
func nexposeSeverity(s string) string {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil || n <= 0:
		return ""
	case n >= 8:
		return sevCritical
	case n >= 6:
		return sevHigh
	case n >= 4:
		return sevMedium
	}
	return sevLow
}

type nexposeDef struct {
	title    string
	severity string
	cvss     float64
	cves     []string
	bad      []string
}

// parseNexpose reads a Rapid7 Nexpose XML 2.0 export: nodes / node
// (address, names, fingerprints) with tests on the node and on each
// endpoint's services, then VulnerabilityDefinitions (title, severity,
// cvssScore, references of source CVE). The definitions come last, so
// the vulnerable tests are kept until they have been read.
func parseNexpose(r io.Reader, file string, sink Sink) (*Report, error) {
	x := newXMLReader(r, file)
	rep := &Report{Format: FormatNexpose, Scanner: "Nexpose"}
	var (
		host    *Host
		port    string
		test    *Record
		pending []*Record
		defs    = map[string]*nexposeDef{}
		def     *nexposeDef
		refCVE  bool
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
			name, parent := t.Name.Local, x.parent()
			switch {
			case name == "NexposeReport" && x.depth() == 1:
				sawRoot = true
				if v := attr(t, "version"); v != "" && v != "2.0" && v != "1.0" {
					return nil, x.errAt("", errors.New("Nexpose report version "+v+" is not supported (export XML 2.0)"))
				}
			case name == "scan" && parent == "scans":
				for _, a := range []string{"endTime", "startTime"} {
					if at, err := time.Parse("20060102T150405000", attr(t, a)); err == nil {
						if at.After(rep.ScanAt) {
							rep.ScanAt = at
						}
						break
					}
				}
			case name == "node" && parent == "nodes" && host == nil:
				h := hostFrom(attr(t, "address"))
				host, port = &h, ""
			case host != nil && name == "name" && parent == "names":
				x.collect()
			case host != nil && name == "os" && parent == "fingerprints" && host.OS == "":
				host.OS = clip(strings.TrimSpace(attr(t, "vendor")+" "+attr(t, "product")+" "+attr(t, "version")), 200)
			case host != nil && name == "endpoint":
				port = portOf(attr(t, "port"), attr(t, "protocol"))
			case host != nil && name == "test" && test == nil:
				n++
				test = &Record{N: n, Line: x.line(), Host: *host, Port: port, CheckID: strings.ToLower(attr(t, "id"))}
				switch attr(t, "status") {
				case "vulnerable-exploited", "vulnerable-version", "vulnerable-potential":
				default:
					test.Skip = SkipNotVulnerable
				}
				x.collect()
			case name == "vulnerability" && parent == "VulnerabilityDefinitions":
				def = &nexposeDef{title: attr(t, "title"), severity: nexposeSeverity(attr(t, "severity")), cvss: parseScore(attr(t, "cvssScore"))}
				defs[strings.ToLower(attr(t, "id"))] = def
			case def != nil && name == "reference":
				refCVE = strings.EqualFold(attr(t, "source"), "CVE")
				if refCVE {
					x.collect()
				}
			}
		case xml.EndElement:
			name := t.Name.Local
			switch {
			case host != nil && name == "name" && test == nil:
				if nm := cleanName(x.taken()); nm != "" && host.Name == "" {
					host.Name = nm
				}
			case host != nil && name == "fingerprints":
			case host != nil && name == "endpoint":
				port = ""
			case test != nil && name == "test":
				test.Output = clip(x.taken(), maxOutput)
				pending = append(pending, test)
				test = nil
			case host != nil && name == "node" && (len(x.stack) == 0 || x.stack[len(x.stack)-1] == "nodes"):
				host.ScanAt = rep.ScanAt
				h := *host
				if err := sink.Host(&h); err != nil {
					return nil, err
				}
				host = nil
			case def != nil && name == "reference" && refCVE:
				v := x.taken()
				if c, ok := NormalizeCVE(v); ok {
					def.cves = append(def.cves, c)
				} else if v != "" {
					def.bad = append(def.bad, clip(v, 40))
				}
				refCVE = false
			case def != nil && name == "vulnerability":
				def = nil
			}
		}
	}
	if !sawRoot {
		return nil, fail(file, 0, "", "", errors.New("not a Nexpose report: no <NexposeReport>"))
	}
	for _, p := range pending {
		p.Host.ScanAt = rep.ScanAt
		if p.Skip == "" {
			d := defs[p.CheckID]
			switch {
			case d == nil:
				p.Skip = SkipNoDefinition
			case d.severity == "":
				p.Skip = SkipInformational
			default:
				p.Title, p.Severity, p.CVSS, p.CVEs, p.BadCVEs = d.title, d.severity, d.cvss, d.cves, d.bad
			}
		}
		if err := sink.Record(p); err != nil {
			return nil, err
		}
	}
	return rep, nil
}
