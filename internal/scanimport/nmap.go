package scanimport

import (
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// parseNmap reads Nmap XML (-oX): each host that is up (its addresses,
// hostnames, OS match) and, for each open port, the vulners script's
// entries (tables of id, type, cvss; or, from older scripts, the output
// text's "ID<TAB>CVSS<TAB>URL" lines). An entry of type cve is a record
// graded by its CVSS (9.0 critical, 7.0 high, 4.0 medium, else low); the
// others (exploit and advisory references) are skipped as not CVEs. Ports
// and services are the host's; they are shown in the evidence.
func parseNmap(r io.Reader, file string, sink Sink) (*Report, error) {
	x := newXMLReader(r, file)
	rep := &Report{Format: FormatNmap, Scanner: "Nmap"}
	var (
		host            *Host
		up              bool
		recs            []*Record // the host's records, filed when it ends (its addresses may follow its ports)
		port            string
		product         string
		version         string
		script          bool // inside a vulners script
		scriptHadTables bool
		scriptOut       string
		elemKey         string
		entry           map[string]string
		n               int
		sawRoot         bool
	)
	newRec := func(id, typ, cvss string, exploit bool) {
		n++
		rec := &Record{N: n, Line: x.line(), Port: port, CheckID: id, Product: product, Installed: version}
		rec.CVSS = parseScore(cvss)
		if strings.EqualFold(typ, "cve") || (typ == "" && strings.HasPrefix(strings.ToUpper(id), "CVE-")) {
			if rec.addCVE(id) {
				rec.Title = rec.CVEs[0]
				if product != "" {
					rec.Title += " — " + strings.TrimSpace(product+" "+version)
				}
				if rec.Severity = severityFromCVSS(rec.CVSS); rec.Severity == "" {
					rec.Severity = sevLow
				}
			} else {
				rec.Skip = SkipBadCVE
			}
		} else {
			rec.Skip = SkipNotCVE
		}
		if exploit {
			rec.Output = "exploit available"
		}
		recs = append(recs, rec)
	}
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
			case name == "nmaprun" && x.depth() == 1:
				sawRoot = true
				if sec, err := strconv.ParseInt(attr(t, "start"), 10, 64); err == nil && sec > 0 {
					rep.ScanAt = time.Unix(sec, 0).UTC()
				}
			case name == "host" && parent == "nmaprun":
				host, up, recs = &Host{}, true, recs[:0]
				if sec, err := strconv.ParseInt(attr(t, "endtime"), 10, 64); err == nil && sec > 0 {
					host.ScanAt = time.Unix(sec, 0).UTC()
				} else {
					host.ScanAt = rep.ScanAt
				}
			case host != nil && name == "status" && parent == "host":
				up = attr(t, "state") != "down"
			case host != nil && name == "address" && parent == "host":
				if typ := attr(t, "addrtype"); typ == "ipv4" || typ == "ipv6" {
					if a := parseAddr(attr(t, "addr")); a != "" && host.Addr == "" {
						host.Addr = a
					}
				}
			case host != nil && name == "hostname" && parent == "hostnames":
				if nm := cleanName(attr(t, "name")); nm != "" && (host.Name == "" || attr(t, "type") == "user") {
					host.Name = nm
				}
			case host != nil && name == "osmatch" && host.OS == "":
				host.OS = clip(attr(t, "name"), 200)
			case host != nil && name == "port" && parent == "ports":
				port, product, version = portOf(attr(t, "portid"), attr(t, "protocol")), "", ""
			case host != nil && name == "service" && parent == "port":
				product, version = attr(t, "product"), attr(t, "version")
			case host != nil && name == "script" && parent == "port" && attr(t, "id") == "vulners":
				script, scriptHadTables, scriptOut = true, false, attr(t, "output")
			case script && name == "table":
				if _, isEntry := entryTable(x); isEntry {
					entry = map[string]string{}
				}
			case script && name == "elem" && entry != nil:
				elemKey = attr(t, "key")
				x.collect()
			}
		case xml.EndElement:
			name := t.Name.Local
			switch {
			case script && name == "elem" && entry != nil:
				entry[elemKey] = x.taken()
			case script && name == "table" && entry != nil:
				scriptHadTables = true
				newRec(entry["id"], entry["type"], entry["cvss"], entry["is_exploit"] == "true")
				entry = nil
			case script && name == "script":
				if !scriptHadTables {
					for _, line := range strings.Split(scriptOut, "\n") {
						f := strings.Fields(line)
						if len(f) >= 2 && !strings.HasPrefix(f[0], "cpe:") {
							newRec(f[0], "", f[1], strings.Contains(line, "*EXPLOIT*"))
						}
					}
				}
				script = false
			case host != nil && name == "port":
				port, product, version = "", "", ""
			case host != nil && name == "host":
				if up {
					if err := sink.Host(host); err != nil {
						return nil, err
					}
				}
				for _, rec := range recs {
					rec.Host = *host
					if !up && rec.Skip == "" {
						rec.Skip = SkipNoHost
					}
					if err := sink.Record(rec); err != nil {
						return nil, err
					}
				}
				host = nil
			}
		}
	}
	if !sawRoot {
		return nil, fail(file, 0, "", "", errors.New("not an Nmap XML report: no <nmaprun>"))
	}
	return rep, nil
}

// entryTable tells a vulners entry table (one id with its cvss and type)
// from the table that groups them by CPE: the grouping table has a key.
func entryTable(x *xmlReader) (string, bool) {
	return "", x.parent() == "table"
}
