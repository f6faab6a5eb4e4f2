package vulnmatch_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/hosts"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/vuln/kb"
	"vigil/internal/vuln/match"
	"vigil/internal/vuln/msrc"
	"vigil/internal/vulnmatch"
)

var (
	kbOnce sync.Once
	kbData *match.Data
	kbErr  error
)

// kb2023 is the MSRC documents from November 2022 to December 2023 (read
// with the product's parser) plus two hand-made NVD configurations.
func kb2023(t testing.TB) *match.Data {
	t.Helper()
	files, _ := filepath.Glob("../../../shared/data/msrc/cvrf-202[23]-*.xml")
	if len(files) == 0 {
		storetest.SkipOrFail(t, "data", "no MSRC data in ../shared/data/msrc")
	}
	kbOnce.Do(func() {
		d := &match.Data{Version: "2023"}
		for _, f := range files {
			p, fx, c, err := msrc.ParseFile(f)
			if err != nil {
				kbErr = err
				return
			}
			d.Products, d.Fixes, d.CVEs = append(d.Products, p...), append(d.Fixes, fx...), append(d.CVEs, c...)
		}
		d.CPE = []kb.CPEMatch{{CVE: "CVE-2024-9001", Vulnerable: true, Criteria: "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*", Part: "a", Vendor: "openssl", Product: "openssl",
			Version: "*", VersionStartIncluding: "3.0.0", VersionEndExcluding: "3.0.13"}}
		d.CVEs = append(d.CVEs, kb.CVE{ID: "CVE-2024-9001", CVSS: 7.5, Severity: kb.SeverityHigh})
		d.KEV = []kb.KEV{{CVE: "CVE-2023-21674", Due: time.Date(2023, 1, 31, 0, 0, 0, 0, time.UTC)}}
		kbData = d
	})
	if kbErr != nil {
		t.Fatal(kbErr)
	}
	return kbData
}

type fixture struct {
	db       *store.DB
	sys      context.Context
	officerA context.Context
	officerB context.Context
	hosts    *hosts.Service
	svc      *vulnmatch.Service
	version  string
}

func setup(t *testing.T, db *store.DB) *fixture { return setupB(t, db) }

func setupB(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	sys := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(sys); err != nil {
		t.Fatal(err)
	}
	for _, u := range []org.UnitInput{{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: org.RootCode}, {Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: org.RootCode}} {
		if _, err := o.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{db: db, sys: sys, hosts: &hosts.Service{DB: db}, version: "2023"}
	ctxs := map[string]context.Context{}
	for email, unit := range map[string]string{"officer-a@test.vigil": "A", "officer-b@test.vigil": "B"} {
		if _, err := o.CreateUser(sys, org.UserInput{Email: email, Name: email, Role: string(auth.RoleOfficer), Unit: unit, Password: "correct-horse-battery"}); err != nil {
			t.Fatal(err)
		}
		var p auth.Principal
		if err := db.QueryRow(sys, `SELECT us.id, un.id, un.code, un.path FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
			Scan(&p.UserID, &p.UnitID, &p.UnitCode, &p.UnitPath); err != nil {
			t.Fatal(err)
		}
		p.Email, p.Role, p.Via = email, auth.RoleOfficer, "token"
		ctxs[email] = auth.WithPrincipal(context.Background(), &p)
	}
	f.officerA, f.officerB = ctxs["officer-a@test.vigil"], ctxs["officer-b@test.vigil"]
	data := kb2023(t)
	f.svc = &vulnmatch.Service{DB: db, KB: vulnmatch.KBFunc(func(context.Context) (*match.Data, error) {
		d := *data
		d.Version = f.version
		return &d, nil
	})}
	return f
}

func server(build string, kbs []string, openssl string) *asset.Inventory {
	inv := &asset.Inventory{Source: asset.SourceCSV, CollectedAt: time.Now().UTC(), Hostname: "srv-web-01",
		OS:         asset.OS{Family: "windows", Name: "Microsoft Windows Server 2019 Standard", Version: "10.0.17763", Build: build, Arch: "amd64"},
		Interfaces: []asset.Interface{{Name: "Ethernet0", Addresses: []string{"10.1.1.10/24"}}},
		Software: []asset.Software{{Name: "OpenSSL 3.0 (64-bit)", Version: openssl, Vendor: "OpenSSL Win64 Installer Team", Source: asset.SoftwareRegistry},
			{Name: "Phần mềm kê khai BHXH", Version: "3.2.1", Vendor: "BHXH Việt Nam", Source: asset.SoftwareRegWOW}}}
	for _, k := range kbs {
		inv.Hotfixes = append(inv.Hotfixes, asset.Hotfix{ID: k})
	}
	return inv
}

func (f *fixture) put(t testing.TB, unit string, inv *asset.Inventory) {
	t.Helper()
	if _, err := f.hosts.Import(f.sys, unit, "test.json", []*asset.Inventory{inv}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) run(t *testing.T) vulnmatch.RunStats {
	t.Helper()
	st, err := f.svc.RunStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestMatchHostsAndClose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		// A Server 2019 host on August 2022's build, with OpenSSL 3.0.11.
		f.put(t, "A", server("17763.3287", []string{"KB5016623"}, "3.0.11"))
		st := f.run(t)
		if st.Hosts != 1 || st.Created != 2 {
			t.Fatalf("first run: %+v", st)
		}
		var hostID int64
		if err := db.QueryRow(f.sys, `SELECT id FROM hosts WHERE hostname = 'srv-web-01'`).Scan(&hostID); err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.MissingUpdates(f.officerA, hostID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].KB != "KB5033371" || list[0].Severity != findings.SeverityCritical || list[0].Product != "Windows Server 2019" || len(list[0].CVEs) < 100 {
			t.Fatalf("missing updates: %+v", list)
		}
		if !list[0].KEV || len(list[0].Replaces) < 11 {
			t.Errorf("KEV %v replaces %v", list[0].KEV, list[0].Replaces)
		}
		// The finding carries the CVE facts.
		var cve string
		var cvss float64
		if err := db.QueryRow(f.sys, `SELECT cve, cvss FROM findings WHERE host_id = ? AND kind = 'missing_update'`, hostID).Scan(&cve, &cvss); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(cve, "CVE-2023-") || cvss < 9 {
			t.Errorf("finding cve %s cvss %.1f", cve, cvss)
		}
		// Scope: another province's officer does not see the host.
		if _, err := f.svc.MissingUpdates(f.officerB, hostID); errs.Code(err) != errs.ENOTFOUND {
			t.Fatalf("officer B: %v", err)
		}
		state, err := f.svc.State(f.officerA, hostID)
		if err != nil {
			t.Fatal(err)
		}
		if !state.Matched || state.Windows != "Windows Server 2019" || state.Unmapped != 1 || state.Mapped != 1 || state.Vulns != 1 || state.UnmappedList[0] != "Phần mềm kê khai BHXH 3.2.1" {
			t.Fatalf("state %+v", state)
		}
		// Nothing changed: nothing to do.
		if st := f.run(t); st.Hosts != 0 {
			t.Fatalf("unchanged run: %+v", st)
		}
		// December's cumulative update installed and OpenSSL upgraded: both close.
		f.put(t, "A", server("17763.5206", []string{"KB5016623", "KB5033371"}, "3.0.13"))
		st = f.run(t)
		if st.Hosts != 1 || st.Resolved != 2 || st.Created != 0 {
			t.Fatalf("after patching: %+v", st)
		}
		rows, err := db.Query(f.sys, `SELECT kind, status, note, updated_by FROM findings WHERE host_id = ? ORDER BY kind`, hostID)
		if err != nil {
			t.Fatal(err)
		}
		notes := map[string]string{}
		for rows.Next() {
			var kind, status, note, by string
			if err := rows.Scan(&kind, &status, &note, &by); err != nil {
				t.Fatal(err)
			}
			if status != findings.StatusResolved || by != "system" {
				t.Errorf("%s: %s by %s", kind, status, by)
			}
			notes[kind] = note
		}
		rows.Close()
		if !strings.Contains(notes[findings.KindMissingUpdate], "fixed: the host now has KB5033371") || !strings.Contains(notes[findings.KindVulnerability], "fixed: the host now has OpenSSL 3.0 (64-bit) 3.0.13") {
			t.Fatalf("notes %q", notes)
		}
		var audited int
		if err := db.QueryRow(f.sys, `SELECT COUNT(*) FROM audit_log WHERE action = 'finding.update' AND actor = 'system'`).Scan(&audited); err != nil {
			t.Fatal(err)
		}
		if audited != 2 {
			t.Errorf("audited %d closings", audited)
		}
		if list, _ := f.svc.MissingUpdates(f.officerA, hostID); len(list) != 0 {
			t.Fatalf("after patching: %+v", list)
		}
		// A new knowledge base version: every host is matched again.
		f.version = "2023b"
		if st := f.run(t); st.Hosts != 1 || st.Created != 0 || st.Resolved != 0 {
			t.Fatalf("new knowledge base: %+v", st)
		}
		// The update uninstalled (rolled back): the finding reopens.
		f.put(t, "A", server("17763.3287", []string{"KB5016623"}, "3.0.13"))
		if st := f.run(t); st.Created != 1 {
			t.Fatalf("rolled back: %+v", st)
		}
	})
}

// BenchmarkRematchHostStored is re-matching one changed host with the
// findings written (SQLite): a Windows Server 2019 host whose hotfix list
// changes every time between two patch levels, so each op files and
// resolves findings.
func BenchmarkRematchHostStored(b *testing.B) {
	db := storetest.Open(b, "sqlite")
	f := setupB(b, db)
	f.put(b, "A", server("17763.3287", []string{"KB5016623"}, "3.0.11"))
	var hostID int64
	if err := db.QueryRow(f.sys, `SELECT id FROM hosts WHERE hostname = 'srv-web-01'`).Scan(&hostID); err != nil {
		b.Fatal(err)
	}
	invs := []*asset.Inventory{server("17763.5206", []string{"KB5033371"}, "3.0.13"), server("17763.3287", []string{"KB5016623"}, "3.0.11")}
	if _, err := f.svc.MatchHost(context.Background(), hostID); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f.put(b, "A", invs[i%2])
		b.StartTimer()
		if _, err := f.svc.MatchHost(context.Background(), hostID); err != nil {
			b.Fatal(err)
		}
	}
}
