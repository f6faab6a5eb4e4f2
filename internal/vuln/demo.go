package vuln

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"vigil/internal/auth"
)

// The demo knowledge base. With the project's shared sample data beside
// the checkout (../shared/data, as on a developer's machine and in CI) the
// demo loads the real MSRC 2023 documents (and December 2022's, which the
// January ones supersede), the KEV catalog, the NVD sample page and the
// EPSS example; without it, a small document of our own in the same CVRF
// shape: October to December 2023's cumulative updates for Windows Server
// 2019 and 2022, Windows 10 22H2 and Windows 11 23H2 with their CVEs,
// fixed builds and supersedence, two KEV entries and illustrative EPSS
// scores — enough for the demo's Windows hosts to lack updates.

//go:embed demodata/kb-2023.xml
var demoKB []byte

const demoKEV = `{"title":"CISA Catalog of Known Exploited Vulnerabilities (Vigil demo extract)","catalogVersion":"demo","dateReleased":"2023-12-20T00:00:00.000Z","count":2,
"vulnerabilities":[
{"cveID":"CVE-2023-36025","vendorProject":"Microsoft","product":"Windows","vulnerabilityName":"Microsoft Windows SmartScreen Security Feature Bypass Vulnerability","dateAdded":"2023-11-14","requiredAction":"Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.","dueDate":"2023-12-05","knownRansomwareCampaignUse":"Unknown"},
{"cveID":"CVE-2023-44487","vendorProject":"IETF","product":"HTTP/2","vulnerabilityName":"HTTP/2 Rapid Reset Attack Vulnerability","dateAdded":"2023-10-10","requiredAction":"Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.","dueDate":"2023-10-31","knownRansomwareCampaignUse":"Unknown"}]}`

// Illustrative probabilities, not FIRST's.
const demoEPSS = `#model_version:demo,score_date:2023-12-20T00:00:00+0000
cve,epss,percentile
CVE-2023-36025,0.21000,0.96000
CVE-2023-44487,0.82000,0.99000
CVE-2023-35628,0.09000,0.93000
CVE-2023-35641,0.04000,0.90000
CVE-2023-36397,0.03000,0.88000
`

// SharedDataDir finds ../shared/data from the working directory or above
// it (the checkout's parent holds shared/), or "" when there is none.
func SharedDataDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "..", "shared", "data")
		if st, err := os.Stat(filepath.Join(cand, "msrc")); err == nil && st.IsDir() {
			return cand
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// LoadDemo fills an empty knowledge base for the demo and returns the
// records loaded; it does nothing when any feed was ever loaded.
func (s *Service) LoadDemo(ctx context.Context) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM vuln_feeds`).Scan(&n); err != nil {
		return 0, fmt.Errorf("vuln: demo: %w", err)
	}
	if n > 0 {
		return 0, nil
	}
	total := 0
	load := func(name string, b []byte) error {
		res, err := s.Import(ctx, bytes.NewReader(b), name)
		if err != nil {
			return fmt.Errorf("vuln: demo: %w", err)
		}
		total += res.Loaded
		return nil
	}
	if dir := SharedDataDir(); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "msrc", "cvrf-2023-*.xml"))
		sort.Strings(files)
		files = append([]string{filepath.Join(dir, "msrc", "cvrf-2022-Dec.xml")}, files...)
		files = append(files, filepath.Join(dir, "kev", "known_exploited_vulnerabilities.json"),
			filepath.Join(dir, "nvd", "full-page.json"), filepath.Join(dir, "epss", "example-1.csv"))
		ok := true
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				ok = false
				break
			}
			if err := load(filepath.Base(f), b); err != nil {
				return total, err
			}
		}
		if ok {
			// The shared EPSS example scores 1999's CVEs only: add the
			// demo's few for the 2023 ones.
			return total, load("epss-demo.csv", []byte(demoEPSS))
		}
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{{"vigil-demo-kb-2023.xml", demoKB}, {"vigil-demo-kev.json", []byte(demoKEV)}, {"vigil-demo-epss.csv", []byte(demoEPSS)}} {
		if err := load(f.name, f.b); err != nil {
			return total, err
		}
	}
	return total, nil
}
