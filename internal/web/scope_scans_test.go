package web_test

import (
	"testing"
)

// nessusReport is a tiny .nessus v2 report of one host (our own fixture).
const nessusReport = `<?xml version="1.0" ?>
<NessusClientData_v2><Report name="t"><ReportHost name="10.77.0.9"><HostProperties><tag name="host-ip">10.77.0.9</tag><tag name="HOST_END_TIMESTAMP">1790000000</tag></HostProperties>
<ReportItem port="445" svc_name="cifs" protocol="tcp" severity="4" pluginID="97833" pluginName="MS17-010"><cve>CVE-2017-0144</cve><cvss3_base_score>8.1</cvss3_base_score></ReportItem>
</ReportHost></Report></NessusClientData_v2>`

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"POST /api/v1/scans/import": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "POST", "/api/v1/scans/import?unit=B&file=x.nessus", jsonBody(nessusReport)), 400, "officerA imports into B")
			expect(t, w.call("viewerA", "POST", "/api/v1/scans/import?unit=A&file=x.nessus", jsonBody(nessusReport)), 403, "viewerA imports")
			r := w.call("officerA", "POST", "/api/v1/scans/import?unit=A&file=x.nessus", jsonBody(nessusReport))
			expect(t, r, 200, "officerA imports into A")
			if m := r.json(t); m["findings_new"] != float64(1) || m["hosts_new"] != float64(1) {
				t.Errorf("import answered %v", m)
			}
		},
		"GET /api/v1/scan-imports": func(t *testing.T, w *world) {
			expect(t, w.call("officerB", "POST", "/api/v1/scans/import?unit=B&file=b.nessus", jsonBody(nessusReport)), 200, "officerB imports into B")
			got := codes(t, w.call("officerA", "GET", "/api/v1/scan-imports", nil), "unit")
			if got["B"] {
				t.Errorf("officerA sees imports of units %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/scan-imports?unit=B", nil), 404, "officerA lists imports of B")
			if got := codes(t, w.call("analyst", "GET", "/api/v1/scan-imports", nil), "unit"); !got["B"] {
				t.Errorf("analyst sees imports of units %v", got)
			}
		},
	} {
		scopeMatrix[k] = v
	}
}
