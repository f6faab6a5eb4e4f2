package vuln_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/vuln"
	"vigil/internal/vuln/internal/vulntest"
)

// Sync against a local server serving the shared data as the public
// addresses do: every feed loads, the counts match plain scans of the
// same files, and a second sync fetches no MSRC document again.
func TestSyncFromMirror(t *testing.T) {
	dir := vulntest.Shared(t, "")
	m := &vulntest.Mirror{Dir: dir}
	srv := httptest.NewServer(m)
	defer srv.Close()
	f := &vuln.Fetcher{HTTP: srv.Client(), NVDDelay: -1, Sources: vuln.Sources{
		MSRC: srv.URL + "/msrc", NVD: srv.URL + "/nvd", KEV: srv.URL + "/kev.json", EPSS: srv.URL + "/epss.csv.gz"}}
	kevJSON, _ := os.ReadFile(filepath.Join(dir, "kev", "known_exploited_vulnerabilities.json"))
	wantKEV := len(regexp.MustCompile(`"cveID"\s*:`).FindAll(kevJSON, -1))
	nvdJSON, _ := os.ReadFile(filepath.Join(dir, "nvd", "full-page.json"))
	wantNVD := len(regexp.MustCompile(`"id"\s*:\s*"CVE-`).FindAll(nvdJSON, -1))
	epssCSV, _ := os.ReadFile(filepath.Join(dir, "epss", "example-1.csv"))
	wantEPSS := bytes.Count(epssCSV, []byte("\nCVE-"))
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &vuln.Service{DB: db}
		since, _ := time.Parse("2006-01", "2023-10")
		res, err := s.Sync(context.Background(), f, vuln.SyncOptions{MSRCSince: since})
		if err != nil {
			t.Fatal(err)
		}
		// 2023-Oct, Nov, Dec, 2024-Jan, Feb; then NVD, KEV, EPSS.
		if len(res) != 8 {
			t.Fatalf("%d imports: %+v", len(res), res)
		}
		st, err := s.Status(admin())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, fs := range st.Feeds {
			got[fs.Feed] = fs.Rows
			if fs.LastError != "" || fs.LoadedAt.IsZero() {
				t.Errorf("%s: %+v", fs.Feed, fs)
			}
		}
		if got["kev"] != wantKEV || got["nvd"] != wantNVD || got["epss"] != wantEPSS || len(st.Documents) != 5 {
			t.Errorf("rows %v, documents %d; want kev %d, nvd %d, epss %d, 5 documents", got, len(st.Documents), wantKEV, wantNVD, wantEPSS)
		}
		before := m.Hits["/msrc/cvrf/2023-Dec"]
		again, err := s.Sync(context.Background(), f, vuln.SyncOptions{MSRCSince: since})
		if err != nil {
			t.Fatal(err)
		}
		// MSRC's documents are fetched again only when revised; NVD is
		// asked for what changed since its data date, in 120-day windows.
		if m.Hits["/msrc/cvrf/2023-Dec"] != before {
			t.Error("second sync fetched an unrevised MSRC document again")
		}
		for _, r := range again {
			if r.Feed == "msrc" || r.Changed != 0 {
				t.Errorf("second sync: %+v", r)
			}
		}
	})
}
