package vuln_test

import (
	"context"
	"os"
	"testing"
	"time"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/vuln"
)

// The embedded demo knowledge base loads and holds the supersedence chain
// of Windows Server 2019's cumulative updates, October to December 2023.
func TestDemoFallbackKB(t *testing.T) {
	wd, _ := os.Getwd()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// Away from the checkout, no shared data is found.
		os.Chdir(t.TempDir())
		defer os.Chdir(wd)
		s := &vuln.Service{DB: db}
		n, err := s.LoadDemo(context.Background())
		if err != nil || n == 0 {
			t.Fatalf("LoadDemo = %d, %v", n, err)
		}
		snap, err := s.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		kbs := map[string][]string{}
		for _, f := range snap.Fixes {
			if f.ProductID == "11571" {
				kbs[f.KB] = f.Supersedes
			}
		}
		// As MSRC gives them: December's and November's both name October's.
		if len(kbs["5033371"]) == 0 || kbs["5033371"][0] != "5031361" || len(kbs["5032196"]) == 0 || kbs["5032196"][0] != "5031361" {
			t.Errorf("Windows Server 2019 KBs: %v", kbs)
		}
		if k, ok := snap.KEV["CVE-2023-36025"]; !ok || k.Due.Format("2006-01-02") != "2023-12-05" {
			t.Errorf("KEV: %+v", snap.KEV)
		}
		again, err := s.LoadDemo(context.Background())
		if err != nil || again != 0 {
			t.Errorf("second LoadDemo = %d, %v", again, err)
		}
	})
}

// With the shared data beside the checkout the demo loads the real 2023
// documents; it must stay quick, as every demo start runs it.
func TestDemoFromSharedData(t *testing.T) {
	if vuln.SharedDataDir() == "" {
		if os.Getenv("VIGIL_TEST_REQUIRE") == "all" {
			t.Fatal("no ../shared/data (VIGIL_TEST_REQUIRE=all)")
		}
		t.Skip("no ../shared/data")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &vuln.Service{DB: db}
		start := time.Now()
		n, err := s.LoadDemo(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		st, _ := s.Status(admin())
		t.Logf("demo from shared data: %d records in %v; %d MSRC documents", n, time.Since(start), len(st.Documents))
		if len(st.Documents) != 13 {
			t.Errorf("%d documents loaded", len(st.Documents))
		}
	})
}
