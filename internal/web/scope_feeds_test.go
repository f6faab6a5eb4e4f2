package web_test

import (
	"strings"
	"testing"
)

// kevFeed is a two-entry KEV catalog (our own fixture).
const kevFeed = `{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2023.12.20","dateReleased":"2023-12-20T17:00:00.0000Z","count":2,
"vulnerabilities":[{"cveID":"CVE-2023-99901","vendorProject":"Microsoft","product":"Windows","vulnerabilityName":"Example","dateAdded":"2023-12-12","requiredAction":"Apply updates.","dueDate":"2024-01-02","knownRansomwareCampaignUse":"Known"},
{"cveID":"CVE-2023-99902","vendorProject":"Example","product":"Server","vulnerabilityName":"Example","dateAdded":"2023-12-13","requiredAction":"Apply updates.","dueDate":"2024-01-03","knownRansomwareCampaignUse":"Unknown"}]}`

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		// Feeds are facts about software, of no unit: administrators and
		// the SOC load them, officers and viewers may not.
		"POST /api/v1/feeds/import": func(t *testing.T, w *world) {
			expect(t, w.call("", "POST", "/api/v1/feeds/import?file=kev.json", jsonBody(kevFeed)), 401, "anonymous loads a feed")
			expect(t, w.call("officerA", "POST", "/api/v1/feeds/import?file=kev.json", jsonBody(kevFeed)), 403, "officer loads a feed")
			expect(t, w.call("viewerA", "POST", "/api/v1/feeds/import?file=kev.json", jsonBody(kevFeed)), 403, "viewer loads a feed")
			r := w.call("analyst", "POST", "/api/v1/feeds/import?file=kev.json", jsonBody(kevFeed))
			expect(t, r, 200, "analyst loads a feed")
			if m := r.json(t); m["feed"] != "kev" || m["records"] != float64(2) || m["changed"] != float64(2) {
				t.Errorf("import answered %v", m)
			}
			r = w.call("admin", "POST", "/api/v1/feeds/import?file=kev.json", jsonBody(kevFeed))
			expect(t, r, 200, "admin loads it again")
			if m := r.json(t); m["unchanged"] != float64(2) || m["changed"] != float64(0) {
				t.Errorf("re-import answered %v", m)
			}
			r = w.call("admin", "POST", "/api/v1/feeds/import?file=junk.txt", jsonBody(`{"hello":1}`))
			expect(t, r, 400, "a file that is no feed")
			if !strings.Contains(string(r.Body), "junk.txt") {
				t.Errorf("error does not name the file: %s", r.Body)
			}
		},
		"GET /api/v1/feeds": func(t *testing.T, w *world) {
			expect(t, w.call("", "GET", "/api/v1/feeds", nil), 401, "anonymous reads feed status")
			expect(t, w.call("analyst", "POST", "/api/v1/feeds/import?file=kev.json", jsonBody(kevFeed)), 200, "analyst loads a feed")
			r := w.call("viewerA", "GET", "/api/v1/feeds", nil)
			expect(t, r, 200, "viewer reads feed status")
			if !strings.Contains(string(r.Body), `"feed":"kev"`) || !strings.Contains(string(r.Body), `"rows":2`) {
				t.Errorf("status: %s", r.Body)
			}
		},
		"GET /api/v1/cves/{id}": func(t *testing.T, w *world) {
			expect(t, w.call("", "GET", "/api/v1/cves/CVE-2023-99901", nil), 401, "anonymous looks a CVE up")
			expect(t, w.call("admin", "POST", "/api/v1/feeds/import?file=kev.json", jsonBody(kevFeed)), 200, "admin loads a feed")
			r := w.call("viewerA", "GET", "/api/v1/cves/CVE-2023-99901", nil)
			expect(t, r, 200, "viewer looks a CVE up")
			if !strings.Contains(string(r.Body), `"ransomware":true`) {
				t.Errorf("cve: %s", r.Body)
			}
			expect(t, w.call("viewerA", "GET", "/api/v1/cves/CVE-2023-11111", nil), 404, "unknown CVE")
			expect(t, w.call("viewerA", "GET", "/api/v1/cves/not-a-cve", nil), 400, "malformed id")
		},
	} {
		scopeMatrix[k] = v
	}
}
