package vuln_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/vuln"
	"vigil/internal/vuln/internal/vulntest"
	"vigil/internal/vuln/msrc"
)

func admin() context.Context { return auth.WithPrincipal(context.Background(), auth.System) }

func importFile(t *testing.T, s *vuln.Service, path string) *vuln.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := s.Import(admin(), f, filepath.Base(path))
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return res
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Importing December 2023's document: counts match the parser's own read
// of the file (itself checked against a plain scan in package msrc), the
// second import changes nothing, and the snapshot holds what was loaded.
func TestImportMSRCIdempotent(t *testing.T) {
	dir := vulntest.Shared(t, "msrc")
	path := filepath.Join(dir, "cvrf-2023-Dec.xml")
	products, fixes, cves, err := msrc.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &vuln.Service{DB: db, Batch: 7}
		res := importFile(t, s, path)
		if res.Feed != "msrc" || res.Format != "cvrf-xml" || res.Document != "2023-Dec" || res.Records != len(cves) || res.Changed != len(cves) || res.Skipped != 0 || res.Version == 0 {
			t.Errorf("first import = %+v (want %d cves)", res, len(cves))
		}
		if n := count(t, db, `SELECT COUNT(*) FROM vuln_ms_fixes`); n != len(fixes) {
			t.Errorf("%d fixes stored, parser read %d", n, len(fixes))
		}
		if n := count(t, db, `SELECT COUNT(*) FROM vuln_ms_products`); n != len(products) {
			t.Errorf("%d products stored, parser read %d", n, len(products))
		}
		again := importFile(t, s, path)
		if again.Changed != 0 || again.Unchanged != len(cves) || again.Version != res.Version {
			t.Errorf("second import = %+v", again)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM vuln_ms_fixes`); n != len(fixes) {
			t.Errorf("after re-import %d fixes", n)
		}
		snap, err := s.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Fixes) != len(fixes) || len(snap.CVEs) != len(cves) || len(snap.Products) != len(products) || snap.Version != res.Version ||
			len(snap.Documents) != 1 || snap.Documents[0].ID != "2023-Dec" {
			t.Errorf("snapshot: %d fixes, %d cves, %d products, version %d, docs %+v", len(snap.Fixes), len(snap.CVEs), len(snap.Products), snap.Version, snap.Documents)
		}
		found := false
		for _, f := range snap.Fixes {
			if f.CVE == "CVE-2023-35628" && f.ProductID == "11571" && f.KB == "5033371" {
				found = f.FixedBuild == "10.0.17763.5206" && len(f.Supersedes) == 1 && f.Supersedes[0] == "5031361" && f.Severity == "critical" && f.Released.Year() == 2023
			}
		}
		if !found {
			t.Error("snapshot lacks KB5033371 for CVE-2023-35628 on Windows Server 2019 as MSRC gives it")
		}
		st, err := s.Status(admin())
		if err != nil {
			t.Fatal(err)
		}
		if st.Feeds[0].Feed != "msrc" || st.Feeds[0].Records != len(cves) || st.Feeds[0].Rows != len(cves) || st.Feeds[0].LoadedAt.IsZero() {
			t.Errorf("status = %+v", st.Feeds[0])
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'feed.import'`); n != 2 {
			t.Errorf("%d audit rows", n)
		}
	})
}

// KEV and EPSS refresh the findings about their CVEs; a compressed file
// reads like a plain one.
func TestKEVAndEPSSRefreshFindings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &vuln.Service{DB: db}
		seedFinding(t, db, "CVE-2023-99901")
		res := importFile(t, s, filepath.Join("kev", "testdata", "kev-small.json"))
		if res.Feed != "kev" || res.Loaded != 2 || res.Skipped != 1 || len(res.Reasons) != 1 || !strings.Contains(res.Reasons[0], "entry 3") {
			t.Errorf("kev = %+v", res)
		}
		b, _ := os.ReadFile(filepath.Join("epss", "testdata", "epss-small.csv"))
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(b)
		zw.Close()
		eres, err := s.Import(admin(), &gz, "epss-small.csv.gz")
		if err != nil {
			t.Fatal(err)
		}
		if eres.Feed != "epss" || eres.Loaded != 2 || eres.Skipped != 1 || eres.DataDate.Format("2006-01-02") != "2023-12-20" {
			t.Errorf("epss = %+v", eres)
		}
		var kev bool
		var due int64
		var epss float64
		if err := db.QueryRow(ctx, `SELECT kev, kev_due, epss FROM findings WHERE cve = ?`, "CVE-2023-99901").Scan(&kev, &due, &epss); err != nil {
			t.Fatal(err)
		}
		if !kev || store.Time(due).Format("2006-01-02") != "2024-01-02" || epss != 0.97 {
			t.Errorf("finding: kev %v due %v epss %v", kev, store.Time(due), epss)
		}
		d, err := s.CVE(admin(), "cve-2023-99901")
		if err != nil {
			t.Fatal(err)
		}
		if d.KEV == nil || d.EPSS == nil || d.EPSS.Score != 0.97 {
			t.Errorf("detail = %+v", d)
		}
		if _, err := s.CVE(admin(), "CVE-2023-12345"); err == nil {
			t.Error("unknown CVE found")
		}
	})
}

// An NVD record older than the stored one does not replace it; a newer
// one replaces it and its CPE matches.
func TestNVDIncremental(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &vuln.Service{DB: db}
		page := func(modified, criteria string) *bytes.Reader {
			return bytes.NewReader([]byte(`{"format":"NVD_CVE","timestamp":"2024-01-01T00:00:00.000","vulnerabilities":[{"cve":{"id":"CVE-2023-99911","published":"2023-10-12T19:15:11.747","lastModified":"` + modified +
				`","descriptions":[{"lang":"en","value":"Example."}],"metrics":{"cvssMetricV31":[{"type":"Primary","cvssData":{"baseScore":7.5,"baseSeverity":"HIGH","vectorString":"CVSS:3.1/x"}}]},
				"configurations":[{"nodes":[{"operator":"OR","cpeMatch":[{"vulnerable":true,"criteria":"` + criteria + `"}]}]}]}}]}`))
		}
		r1, err := s.Import(admin(), page("2023-10-18T00:00:00.000", "cpe:2.3:a:example:server:2.0:*:*:*:*:*:*:*"), "a.json")
		if err != nil || r1.Changed != 1 {
			t.Fatalf("r1 = %+v, %v", r1, err)
		}
		r2, err := s.Import(admin(), page("2023-10-01T00:00:00.000", "cpe:2.3:a:example:server:1.0:*:*:*:*:*:*:*"), "old.json")
		if err != nil || r2.Changed != 0 || r2.Unchanged != 1 {
			t.Fatalf("older record: %+v, %v", r2, err)
		}
		r3, err := s.Import(admin(), page("2023-11-01T00:00:00.000", "cpe:2.3:a:example:server:3.0:*:*:*:*:*:*:*"), "new.json")
		if err != nil || r3.Changed != 1 || r3.Version <= r1.Version {
			t.Fatalf("newer record: %+v, %v", r3, err)
		}
		snap, err := s.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.CPEMatches) != 1 || snap.CPEMatches[0].Version != "3.0" || snap.CVEs["CVE-2023-99911"].CVSS != 7.5 {
			t.Errorf("snapshot = %+v %+v", snap.CPEMatches, snap.CVEs)
		}
	})
}

// An import interrupted between batches leaves whole records; importing
// the file again completes it.
func TestInterruptedImportResumes(t *testing.T) {
	dir := vulntest.Shared(t, "msrc")
	path := filepath.Join(dir, "cvrf-2023-Dec.xml")
	_, fixes, cves, err := msrc.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(admin())
		batches := 0
		s := &vuln.Service{DB: db, Batch: 10, Progress: func(int64, int) {
			batches++
			if batches == 2 {
				cancel()
			}
		}}
		f, _ := os.Open(path)
		res, err := s.Import(ctx, f, "cvrf-2023-Dec.xml")
		f.Close()
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("err = %v", err)
		}
		if res.Error == "" {
			t.Error("result does not say it failed")
		}
		// Whole records: every stored CVE has all its fixes.
		stored := count(t, db, `SELECT COUNT(*) FROM vuln_cves`)
		if stored != 20 {
			t.Errorf("%d CVEs stored after two batches of 10", stored)
		}
		var st string
		db.QueryRow(context.Background(), `SELECT last_error FROM vuln_feeds WHERE feed = 'msrc'`).Scan(&st)
		if !strings.Contains(st, "interrupted") {
			t.Errorf("feed status error = %q", st)
		}
		s.Progress = nil
		again := importFile(t, s, path)
		if again.Changed != len(cves)-20 || again.Unchanged != 20 {
			t.Errorf("resumed import = %+v", again)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM vuln_ms_fixes`); n != len(fixes) {
			t.Errorf("%d fixes after resuming, want %d", n, len(fixes))
		}
	})
}

func TestRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &vuln.Service{DB: db}
		viewer := auth.WithPrincipal(context.Background(), &auth.Principal{Email: "v@example.invalid", Role: auth.RoleViewer, UnitPath: "/1/", Via: "session"})
		if _, err := s.Import(viewer, strings.NewReader("cve,epss,percentile\n"), "e.csv"); err == nil {
			t.Error("a viewer imported")
		}
		if _, err := s.Import(admin(), strings.NewReader("hello"), "x.txt"); err == nil || !strings.Contains(err.Error(), "x.txt") {
			t.Errorf("unknown format: %v", err)
		}
		bomb, _ := os.ReadFile(filepath.Join("msrc", "testdata", "bomb.xml"))
		if _, err := s.Import(admin(), bytes.NewReader(bomb), "bomb.xml"); err == nil || !strings.Contains(err.Error(), "DOCTYPE") {
			t.Errorf("bomb: %v", err)
		}
		small := &vuln.Service{DB: db, MaxBytes: 1000}
		kev, _ := os.ReadFile(filepath.Join("kev", "testdata", "kev-small.json"))
		if _, err := small.Import(admin(), bytes.NewReader(kev), "kev.json"); err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("cap: %v", err)
		}
	})
}

func seedFinding(t *testing.T, db *store.DB, cve string) {
	t.Helper()
	ctx := context.Background()
	now := store.Micros(time.Now())
	if _, err := db.Exec(ctx, `INSERT INTO units (code, name, name_fold, kind, path, created_at, updated_at) VALUES ('U1', 'Unit', 'unit', 'unit', '/1/', ?, ?)`, now, now); err != nil {
		t.Fatal(err)
	}
	var unit int64
	if err := db.QueryRow(ctx, `SELECT id FROM units WHERE code = 'U1'`).Scan(&unit); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO hosts (unit_id, hostname, hostname_key, source, first_seen_at, last_seen_at) VALUES (?, 'srv-01', 'srv-01', 'test', ?, ?)`, unit, now, now); err != nil {
		t.Fatal(err)
	}
	var host int64
	db.QueryRow(ctx, `SELECT id FROM hosts WHERE hostname = 'srv-01'`).Scan(&host)
	if _, err := db.Exec(ctx, `INSERT INTO findings (host_id, kind, finding_key, severity, status, status_since, title, first_seen, last_seen, updated_at, cve) VALUES (?, 'vulnerability', ?, 'high', 'open', ?, 'x', ?, ?, ?, ?)`,
		host, "cve:"+cve, now, now, now, now, cve); err != nil {
		t.Fatal(err)
	}
}
