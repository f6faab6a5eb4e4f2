package match

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"vigil/internal/asset"
	"vigil/internal/vuln/internal/vulntest"
	"vigil/internal/vuln/nvd"
)

// The real NVD API page in ../shared/data, read with the product's parser:
// a MySQL server is matched by its version range and no longer once past
// it; the page's CPE matches are all indexed (an independent count of the
// JSON's cpeMatch entries).
func TestRealNVDPage(t *testing.T) {
	path := filepath.Join(vulntest.Shared(t, "nvd"), "full-page.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := &Data{Version: "nvd"}
	if err := nvd.Parse(f, "full-page.json", nvd.Handler{CVE: func(r nvd.Record) error {
		d.CVEs = append(d.CVEs, r.CVE)
		d.CPE = append(d.CPE, r.Matches...)
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	// Independent count: cpeMatch entries in the raw JSON.
	raw, _ := os.ReadFile(path)
	var doc struct {
		Vulnerabilities []struct {
			CVE struct {
				Configurations []struct {
					Nodes []struct {
						CPEMatch []json.RawMessage `json:"cpeMatch"`
					} `json:"nodes"`
				} `json:"configurations"`
			} `json:"cve"`
		} `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, v := range doc.Vulnerabilities {
		for _, c := range v.CVE.Configurations {
			for _, n := range c.Nodes {
				want += len(n.CPEMatch)
			}
		}
	}
	if len(d.CPE) != want {
		t.Fatalf("parser gave %d CPE matches, the JSON holds %d", len(d.CPE), want)
	}
	ix := NewIndex(d)
	host := func(v string) *asset.Inventory {
		return &asset.Inventory{OS: asset.OS{Family: "linux", Name: "Ubuntu", Version: "22.04"},
			Software: []asset.Software{{Name: "mysql-server-8.0", Version: v, Source: asset.SoftwareDpkg}, {Name: "libfoo", Version: "1", Source: asset.SoftwareDpkg}}}
	}
	r := ix.Match(host("8.0.34-0ubuntu0.22.04.1"))
	found := false
	for _, v := range r.Vulns {
		if v.CVE == "CVE-2023-22068" {
			found = true
			if v.Vendor != "oracle" || v.Product != "mysql" || v.Package != "mysql-server-8.0" {
				t.Errorf("finding %+v", v)
			}
		}
	}
	if !found || r.Mapped != 1 || len(r.Unmapped) != 1 {
		t.Fatalf("MySQL 8.0.34: %+v", r)
	}
	if r = ix.Match(host("8.0.35-0ubuntu0.22.04.1")); len(r.Vulns) != 0 {
		t.Fatalf("MySQL 8.0.35: %+v", r.Vulns)
	}
	t.Logf("%d CVEs, %d CPE matches indexed; MySQL 8.0.34 → CVE-2023-22068, 8.0.35 → none", len(d.CVEs), len(d.CPE))
}
