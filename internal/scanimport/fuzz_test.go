package scanimport

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// nullSink checks what parsers hand over: records are numbered in order
// and graded or skipped, never both or neither.
type nullSink struct {
	t *testing.T
	n int
}

func (s *nullSink) Host(h *Host) error { return nil }
func (s *nullSink) Record(r *Record) error {
	s.n++
	if (r.Skip == "") == (r.Severity == "") {
		s.t.Fatalf("record %d: severity %q, skip %q", r.N, r.Severity, r.Skip)
	}
	for _, c := range r.CVEs {
		if _, ok := NormalizeCVE(c); !ok {
			s.t.Fatalf("record %d: CVE %q", r.N, c)
		}
	}
	return nil
}

// seeds adds the shared samples of a tool (when present) and our own
// small fixtures to f.
func seeds(f *testing.F, dir string, own ...string) {
	m, _ := filepath.Glob(filepath.Join("../../../shared/data/scans", dir, "*"))
	for _, p := range m {
		if b, err := os.ReadFile(p); err == nil && len(b) < 256<<10 {
			f.Add(b)
		}
	}
	for _, s := range own {
		f.Add([]byte(s))
	}
}

func fuzzFormat(f *testing.F, format string) {
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &nullSink{t: t}
		Parse(bytes.NewReader(b), "fuzz", format, s)
		// Detection never panics on any input either.
		Detect(b)
	})
}

func FuzzNessus(f *testing.F) {
	seeds(f, "nessus", bomb, `<NessusClientData_v2><Report><ReportHost name="10.0.0.1"><HostProperties><tag name="host-ip">10.0.0.1</tag></HostProperties><ReportItem port="80" protocol="tcp" severity="3" pluginID="1" pluginName="x"><cve>CVE-2023-0001</cve><cve>nope</cve></ReportItem></ReportHost></Report></NessusClientData_v2>`)
	fuzzFormat(f, FormatNessus)
}

func FuzzOpenVAS(f *testing.F) {
	seeds(f, "openvas", `<report><report><results><result><host>10.0.0.2<hostname>a</hostname></host><port>443/tcp</port><nvt oid="1.2"><name>n</name><cvss_base>7.5</cvss_base><refs><ref type="cve" id="CVE-2020-1234"/></refs></nvt><threat>High</threat><severity>7.5</severity></result></results></report></report>`)
	fuzzFormat(f, FormatOpenVAS)
}

func FuzzQualys(f *testing.F) {
	if b, err := os.ReadFile("testdata/qualys_scan.xml"); err == nil {
		f.Add(b)
	}
	seeds(f, "qualys", `<ASSET_DATA_REPORT><HOST_LIST><HOST><IP>10.0.0.3</IP><VULN_INFO_LIST><VULN_INFO><QID>1</QID><TYPE>Vuln</TYPE></VULN_INFO></VULN_INFO_LIST></HOST></HOST_LIST><GLOSSARY><VULN_DETAILS_LIST><VULN_DETAILS><QID>1</QID><SEVERITY>5</SEVERITY><CVE_ID_LIST><CVE_ID><ID>CVE-2021-44228</ID></CVE_ID></CVE_ID_LIST></VULN_DETAILS></VULN_DETAILS_LIST></GLOSSARY></ASSET_DATA_REPORT>`)
	fuzzFormat(f, FormatQualys)
}

func FuzzNexpose(f *testing.F) {
	seeds(f, "nexpose", `<NexposeReport version="2.0"><nodes><node address="10.0.0.4"><tests><test id="a" status="vulnerable-version"/></tests></node></nodes><VulnerabilityDefinitions><vulnerability id="A" title="t" severity="9" cvssScore="9.8"><references><reference source="CVE">CVE-2022-0001</reference></references></vulnerability></VulnerabilityDefinitions></NexposeReport>`)
	fuzzFormat(f, FormatNexpose)
}

func FuzzNmap(f *testing.F) {
	seeds(f, "nmap", `<nmaprun start="1"><host><status state="up"/><address addr="10.0.0.5" addrtype="ipv4"/><ports><port protocol="tcp" portid="22"><service name="ssh" product="OpenSSH" version="7.4"/><script id="vulners" output="&#xa;  cpe:/a:openbsd:openssh:7.4: &#xa;    CVE-2018-15919	5.0	https://vulners.com/cve/CVE-2018-15919"/></port></ports></host></nmaprun>`)
	fuzzFormat(f, FormatNmap)
}

func FuzzTrivy(f *testing.F) {
	seeds(f, "trivy", `null`, `[{"Target":"x","Vulnerabilities":[{"VulnerabilityID":"CVE-2019-0001","Severity":"UNKNOWN","CVSS":{"nvd":{"V3Score":9.1}}}]}]`)
	fuzzFormat(f, FormatTrivy)
}

func FuzzGrype(f *testing.F) {
	seeds(f, "anchore_grype", `{"matches":[{"vulnerability":{"id":"GHSA-x","severity":"High"},"relatedVulnerabilities":[{"id":"CVE-2022-1"}],"artifact":{"name":"p","version":"1"}}]}`)
	fuzzFormat(f, FormatGrype)
}

func FuzzOSV(f *testing.F) {
	seeds(f, "osv_scanner", `{"results":[{"source":{"path":"/x"},"packages":[{"package":{"name":"a","version":"1"},"vulnerabilities":[{"id":"GHSA-1","aliases":["CVE-2023-9999"]}],"groups":[{"ids":["GHSA-1"],"max_severity":"7.5"}]}]}]}`)
	fuzzFormat(f, FormatOSV)
}

func FuzzNuclei(f *testing.F) {
	seeds(f, "nuclei", `{"template-id":"t","info":{"name":"n","severity":"high","classification":{"cve-id":["CVE-2021-41773"],"cvss-score":7.5}},"host":"https://example.test:8443","ip":"10.0.0.6"}`+"\n")
	fuzzFormat(f, FormatNuclei)
}

// FuzzDetect feeds any bytes to detection and then to the detected
// parser.
func FuzzDetect(f *testing.F) {
	seeds(f, "nessus")
	seeds(f, "trivy")
	f.Fuzz(func(t *testing.T, b []byte) {
		Parse(bytes.NewReader(b), "fuzz", "", &nullSink{t: t})
	})
}

const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<NessusClientData_v2><Report><ReportHost name="h"><ReportItem severity="4" pluginID="1" pluginName="&lol1;"/></ReportHost></Report></NessusClientData_v2>`

func TestEntityBombRefusedByEveryXMLParser(t *testing.T) {
	for _, format := range []string{FormatNessus, FormatOpenVAS, FormatQualys, FormatNexpose, FormatNmap} {
		_, err := Parse(bytes.NewReader([]byte(bomb)), "bomb.xml", format, &nullSink{t: t})
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("bomb.xml:2")) || !bytes.Contains([]byte(err.Error()), []byte("entity expansion is refused")) {
			t.Errorf("%s: %v", format, err)
		}
	}
}

func TestHugeElementRefused(t *testing.T) {
	doc := "<NessusClientData_v2><Report><ReportHost name=\"h\"><ReportItem severity=\"4\" pluginID=\"1\"><plugin_output>" +
		string(bytes.Repeat([]byte("A"), MaxElement+10)) + "</plugin_output></ReportItem></ReportHost></Report></NessusClientData_v2>"
	_, err := Parse(bytes.NewReader([]byte(doc)), "huge.nessus", "", &nullSink{t: t})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("larger than the limit")) {
		t.Errorf("huge element: %v", err)
	}
}
