package vuln_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/vuln"
)

// kevCatalogue writes a complete KEV catalogue holding cves.
func kevCatalogue(t *testing.T, version string, cves ...string) string {
	t.Helper()
	var entries []string
	for i, c := range cves {
		entries = append(entries, fmt.Sprintf(`{"cveID":%q,"vendorProject":"Example","product":"Server","vulnerabilityName":"Example %d","dateAdded":"2023-12-12","requiredAction":"Apply updates.","dueDate":"2024-01-02","knownRansomwareCampaignUse":"Unknown"}`, c, i))
	}
	doc := fmt.Sprintf(`{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":%q,"dateReleased":"2023-12-20T17:00:00.0000Z","count":%d,"vulnerabilities":[%s]}`,
		version, len(cves), strings.Join(entries, ","))
	p := filepath.Join(t.TempDir(), "known_exploited_vulnerabilities.json")
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A CVE CISA takes off its catalogue leaves the knowledge base when a
// complete catalogue without it is imported, and its findings stop saying
// "known exploited"; a partial file (kev-small.json skips an entry)
// removes nothing.
func TestKEVRemovalClearsFindings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &vuln.Service{DB: db}
		seedFinding(t, db, "CVE-2023-99901")
		if res := importFile(t, s, kevCatalogue(t, "2023.12.20", "CVE-2023-99901", "CVE-2023-99904")); res.Loaded != 2 || res.Removed != 0 {
			t.Fatalf("first catalogue: %+v", res)
		}
		kevOf := func() (bool, int64, int) {
			var kev bool
			var due int64
			var n int
			if err := db.QueryRow(ctx, `SELECT kev, kev_due FROM findings WHERE cve = ?`, "CVE-2023-99901").Scan(&kev, &due); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM vuln_kev WHERE cve = ?`, "CVE-2023-99901").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return kev, due, n
		}
		if kev, due, n := kevOf(); !kev || due == 0 || n != 1 {
			t.Fatalf("after the first catalogue: kev %v due %d stored %d", kev, due, n)
		}
		// A damaged file (one entry skipped) does not count as the whole list.
		if res := importFile(t, s, filepath.Join("kev", "testdata", "kev-small.json")); res.Removed != 0 {
			t.Errorf("a partial file removed %d", res.Removed)
		}
		if kev, _, n := kevOf(); !kev || n != 1 {
			t.Fatalf("a partial file cleared the finding: kev %v stored %d", kev, n)
		}
		res := importFile(t, s, kevCatalogue(t, "2023.12.21", "CVE-2023-99902", "CVE-2023-99904"))
		if res.Removed != 1 {
			t.Errorf("second catalogue removed %d, want 1 (%+v)", res.Removed, res)
		}
		if kev, due, n := kevOf(); kev || due != 0 || n != 0 {
			t.Errorf("after removal: kev %v due %d stored %d", kev, due, n)
		}
	})
}
