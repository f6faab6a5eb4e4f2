package findings_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/audit"
	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func vuln(host int64, cve string, sev string, cvss float64, at time.Time) findings.Observation {
	return findings.Observation{HostID: host, Kind: findings.KindVulnerability, Key: "cve:" + cve, Title: cve + " Microsoft Message Queuing Remote Code Execution Vulnerability",
		Severity: sev, Source: "nvd", SeenAt: at, CVE: cve, CVSS: cvss, Evidence: findings.VulnerabilityEvidence{CVE: cve, CVSS: cvss}}
}

func msUpdate(host int64, kb, doc string, cves []string, sev string, at time.Time) findings.Observation {
	return findings.Observation{HostID: host, Kind: findings.KindMissingUpdate, Key: "kb:" + kb, Title: "KB" + kb + " Windows Server 2019",
		Severity: sev, Source: "msrc", SeenAt: at, CVE: cves[0], CVSS: 9.8,
		Evidence: findings.MissingUpdateEvidence{Update: "KB" + kb, Product: "Windows Server 2019", KB: kb, CVEs: cves, CVSS: 9.8, Document: doc}}
}

func TestDueDatesBySeverityAreASetting(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		seen := f.now.Add(-time.Hour)
		// The defaults for vulnerabilities: critical 7, high 15,
		// medium 30; malware keeps its own.
		for sev, days := range map[string]int{"critical": 7, "high": 15, "medium": 30, "low": 90} {
			id, _ := f.record(t, vuln(f.hostA, "CVE-2023-9"+strings.Repeat("1", 3+len(sev)), sev, 0, seen))
			got, err := f.svc.Get(f.officerA, id)
			if err != nil {
				t.Fatal(err)
			}
			if want := seen.AddDate(0, 0, days); !got.DueAt.Equal(want) {
				t.Errorf("%s: due %v, want %v", sev, got.DueAt, want)
			}
			_ = got
		}
		// Only an administrator changes them.
		if _, err := f.svc.SetDueDays(f.officerA, []findings.DueSetting{{Kind: "vulnerability", Severity: "critical", Days: 2}}); errs.Code(err) != errs.EFORBIDDEN {
			t.Fatalf("officer changes due days: %v", err)
		}
		for _, bad := range []findings.DueSetting{{Kind: "vulnerability", Severity: "critical", Days: 0}, {Kind: "x", Severity: "critical", Days: 3},
			{Kind: "vulnerability", Severity: "urgent", Days: 3}, {Kind: "vulnerability", Severity: "high", Days: 400}} {
			if _, err := f.svc.SetDueDays(f.sys, []findings.DueSetting{bad}); errs.Code(err) != errs.EINVALID {
				t.Errorf("%+v accepted: %v", bad, err)
			}
		}
		all, err := f.svc.SetDueDays(f.sys, []findings.DueSetting{{Kind: "vulnerability", Severity: "critical", Days: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(findings.Kinds)*len(findings.Severities) {
			t.Fatalf("%d settings", len(all))
		}
		id, _ := f.record(t, vuln(f.hostB, "CVE-2023-21554", "critical", 9.8, seen))
		got, _ := f.svc.Get(f.sys, id)
		if want := seen.AddDate(0, 0, 2); !got.DueAt.Equal(want) {
			t.Errorf("after the change: due %v, want %v", got.DueAt, want)
		}
		recs, _, err := audit.List(f.sys, db, audit.Filter{Action: "finding_due.update"})
		if err != nil || len(recs) != 1 {
			t.Fatalf("audit of the change: %d rows, %v", len(recs), err)
		}
	})
}

func TestAcceptedRiskNeedsApproverAndExpiryAndReopens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id, _ := f.record(t, vuln(f.hostA, "CVE-2023-21554", "critical", 9.8, f.now.Add(-time.Hour)))
		accept := findings.StatusAcceptedRisk
		in := findings.Update{Status: &accept, Note: str("Máy chủ MSMQ chỉ trong mạng nội bộ, tắt dịch vụ 1801")}
		if _, err := f.svc.Update(f.officerA, id, in); errs.Code(err) != errs.EINVALID || fieldOf(err) != "approver" {
			t.Fatalf("without approver: %v", err)
		}
		in.Approver = str("officer-a@test.vigil")
		if _, err := f.svc.Update(f.officerA, id, in); errs.Code(err) != errs.EINVALID || fieldOf(err) != "expires" {
			t.Fatalf("without expiry: %v", err)
		}
		in.Expires = str("2026-01-01") // in the past
		if _, err := f.svc.Update(f.officerA, id, in); errs.Code(err) != errs.EINVALID || fieldOf(err) != "expires" {
			t.Fatalf("expiry in the past: %v", err)
		}
		in.Expires = str("20/01/2029") // more than a year
		if _, err := f.svc.Update(f.officerA, id, in); errs.Code(err) != errs.EINVALID || fieldOf(err) != "expires" {
			t.Fatalf("expiry two years ahead: %v", err)
		}
		in.Expires = str("28/02/2027")
		// The officer of another province, and the SOC analyst, may not
		// approve A's risks.
		for _, who := range []string{"officer-b@test.vigil", "analyst@test.vigil", "nobody@test.vigil"} {
			in.Approver = str(who)
			if _, err := f.svc.Update(f.officerA, id, in); errs.Code(err) != errs.EINVALID || fieldOf(err) != "approver" {
				t.Fatalf("approver %s: %v", who, err)
			}
		}
		// Without a reason it is refused too.
		in.Approver, in.Note = str("Officer-A@test.vigil"), str(" ")
		if _, err := f.svc.Update(f.officerA, id, in); errs.Code(err) != errs.EINVALID || fieldOf(err) != "note" {
			t.Fatalf("without reason: %v", err)
		}
		in.Note = str("Máy chủ MSMQ chỉ trong mạng nội bộ, tắt dịch vụ 1801")
		got, err := f.svc.Update(f.officerA, id, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != findings.StatusAcceptedRisk || got.RiskApprover != "officer-a@test.vigil" || got.RiskExpires.In(time.UTC).Format("2006-01-02") != "2027-02-28" {
			t.Fatalf("accepted: %+v", got)
		}
		// Seen again while accepted: it stays accepted.
		if _, out := f.record(t, vuln(f.hostA, "CVE-2023-21554", "critical", 9.8, f.now)); out != findings.Suppressed {
			t.Fatalf("seen again while accepted: outcome %d", out)
		}
		// Before the end nothing happens; after it, the job reopens it.
		if n, err := f.svc.ExpireRisks(context.Background()); err != nil || n != 0 {
			t.Fatalf("early expiry: %d, %v", n, err)
		}
		f.now = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
		if n, err := f.svc.ExpireRisks(context.Background()); err != nil || n != 1 {
			t.Fatalf("expiry: %d, %v", n, err)
		}
		got, _ = f.svc.Get(f.officerA, id)
		if got.Status != findings.StatusOpen || got.RiskApprover != "" || !got.RiskExpires.IsZero() || got.Reopened != 1 || !got.DueAt.Equal(f.now.AddDate(0, 0, 7)) {
			t.Fatalf("after expiry: %+v", got)
		}
		recs, _, err := audit.List(f.sys, db, audit.Filter{ObjectType: "finding", ObjectID: itoa(id)})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.Action)
		}
		if len(recs) != 2 || recs[0].Action != "finding.risk_expired" || recs[1].Action != "finding.update" {
			t.Fatalf("audit: %v", actions)
		}
		// An approver without accepting a risk is refused, not dropped.
		if _, err := f.svc.Update(f.officerA, id, findings.Update{Status: str(findings.StatusInProgress), Approver: str("officer-a@test.vigil")}); errs.Code(err) != errs.EINVALID || fieldOf(err) != "status" {
			t.Fatalf("approver with another status: %v", err)
		}
		// Leaving accepted risk by hand clears the approval.
		in.Approver, in.Expires = str("officer-a@test.vigil"), str("2027-06-30")
		if _, err := f.svc.Update(f.officerA, id, in); err != nil {
			t.Fatal(err)
		}
		got, err = f.svc.Update(f.officerA, id, findings.Update{Status: str(findings.StatusInProgress)})
		if err != nil || got.RiskApprover != "" || !got.RiskExpires.IsZero() {
			t.Fatalf("back in progress: %+v %v", got, err)
		}
	})
}

func TestPriorityFormula(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f    findings.PriorityFacts
		want int
	}{
		{findings.PriorityFacts{Kind: "vulnerability", Severity: "critical", CVSS: 9.8}, 44},
		{findings.PriorityFacts{Kind: "vulnerability", Severity: "critical", CVSS: 9.8, EPSS: 0.97, KEV: true, Exposed: true, Internet: true, Server: true}, 99},
		{findings.PriorityFacts{Kind: "vulnerability", Severity: "critical", CVSS: 10, EPSS: 1, KEV: true, Exposed: true, Internet: true, Server: true}, 100},
		{findings.PriorityFacts{Kind: "vulnerability", Severity: "high"}, 34},                        // 45 × 7.5/10 = 33.75
		{findings.PriorityFacts{Kind: "missing_update", Severity: "high", CVSS: 7.8, KEV: true}, 55}, // 35.1 + 20
		{findings.PriorityFacts{Kind: "vulnerability", Severity: "low", CVSS: 3.1, Server: true}, 19},
		{findings.PriorityFacts{Kind: "malware", Severity: "critical"}, 63}, // 42.75 + 20
	} {
		if got := findings.Priority(c.f); got != c.want {
			t.Errorf("%+v: %d, want %d", c.f, got, c.want)
		}
	}
	for text, want := range map[string]string{
		"Microsoft Message Queuing Remote Code Execution Vulnerability": "1801",
		"Remote Desktop Protocol":    "3389",
		"Microsoft SQL Server ODBC":  "1433 1434",
		"Windows Graphics Component": "",
		"Bitmap":                     "", // "rdp" not inside a word
	} {
		var got []string
		for _, p := range findings.RelatedPorts("vulnerability", text) {
			got = append(got, itoa(int64(p)))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%q: ports %v, want %s", text, got, want)
		}
	}
}

func TestPriorityFromHostExposure(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		// Host A: a server listening on MSMQ (1801) with a public address.
		inv := asset.Inventory{Hostname: "pc-a", Role: "server",
			Interfaces: []asset.Interface{{Name: "eth0", Addresses: []string{"14.160.1.10/24"}}},
			Listening:  []asset.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 1801}, {Proto: "tcp", Address: "127.0.0.1", Port: 3389}}}
		setInventory(t, db, f.hostA, inv, "h1", "server")
		id, _ := f.record(t, vuln(f.hostA, "CVE-2023-21554", "critical", 9.8, f.now))
		got, _ := f.svc.Get(f.sys, id)
		// 44.1 + 10 exposed + 5 internet + 5 server = 64
		if got.Priority != 64 {
			t.Fatalf("priority %d, want 64", got.Priority)
		}
		// Loopback-only RDP does not expose an RDP flaw.
		o := vuln(f.hostA, "CVE-2023-35352", "critical", 7.5, f.now)
		o.Title = "Windows Remote Desktop Security Feature Bypass Vulnerability"
		id2, _ := f.record(t, o)
		got, _ = f.svc.Get(f.sys, id2)
		if got.Priority != 44 { // 33.75 + 5 + 5
			t.Fatalf("RDP on loopback: priority %d, want 44", got.Priority)
		}
		// The inventory changes: MSMQ closed, no public address; the job
		// recomputes.
		inv.Listening, inv.Interfaces = nil, []asset.Interface{{Name: "eth0", Addresses: []string{"10.0.0.5/24"}}}
		setInventory(t, db, f.hostA, inv, "h2", "server")
		n, err := findings.RecomputePriorities(context.Background(), db)
		if err != nil || n != 2 {
			t.Fatalf("recompute: %d changed, %v", n, err)
		}
		got, _ = f.svc.Get(f.sys, id)
		if got.Priority != 49 {
			t.Fatalf("after the change: priority %d, want 49", got.Priority)
		}
	})
}

func setInventory(t *testing.T, db *store.DB, host int64, inv asset.Inventory, hash, role string) {
	t.Helper()
	b, _ := jsonMarshal(inv)
	if _, err := db.Exec(context.Background(), `UPDATE hosts SET inventory = ?, inventory_hash = ?, role = ? WHERE id = ?`, string(b), hash, role, host); err != nil {
		t.Fatal(err)
	}
}

func TestVulnFiltersAndViews(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		week := 7 * 24 * time.Hour
		f.record(t, vuln(f.hostA, "CVE-2023-21554", "critical", 9.8, f.now.Add(-3*week)))
		kev := vuln(f.hostA, "CVE-2023-28252", "high", 7.8, f.now.Add(-week))
		kev.KEV, kev.KEVDue, kev.EPSS = true, time.Date(2023, 5, 2, 0, 0, 0, 0, time.UTC), 0.5
		kevID, _ := f.record(t, kev)
		msA, _ := f.record(t, msUpdate(f.hostA, "5033371", "2023-Dec", []string{"CVE-2023-35641", "CVE-2023-35628"}, "critical", f.now.Add(-2*week)))
		f.record(t, msUpdate(f.hostB, "5022286", "2023-Jan", []string{"CVE-2023-21535"}, "high", f.now))
		f.record(t, msUpdate(f.hostB, "5034127", "2024-Jan", []string{"CVE-2024-20674"}, "critical", f.now))
		f.record(t, msUpdate(f.hostB, "5000001", "2023-Mar", []string{"CVE-2023-23415"}, "medium", f.now))

		list := func(ctx context.Context, fl findings.Filter) []*findings.Finding {
			t.Helper()
			out, total, err := f.svc.List(ctx, fl)
			if err != nil {
				t.Fatal(err)
			}
			if total != len(out) {
				t.Fatalf("total %d, shown %d", total, len(out))
			}
			return out
		}
		if got := list(f.analyst, findings.Filter{CVE: "cve-2023-35628"}); len(got) != 1 || got[0].ID != msA {
			t.Errorf("cve filter through a missing update's CVEs: %d", len(got))
		}
		if got := list(f.officerB, findings.Filter{CVE: "CVE-2023-21554"}); len(got) != 0 {
			t.Errorf("officer B sees A's CVE")
		}
		if _, _, err := f.svc.List(f.analyst, findings.Filter{CVE: "CVE-23-1"}); errs.Code(err) != errs.EINVALID {
			t.Errorf("bad cve: %v", err)
		}
		got := list(f.analyst, findings.Filter{KEV: true})
		if len(got) != 1 || got[0].ID != kevID || got[0].KEVDue.IsZero() || got[0].EPSS != 0.5 || got[0].Host != "pc-a" {
			t.Errorf("kev filter: %+v", got)
		}
		got = list(f.analyst, findings.Filter{MS2023: true})
		if len(got) != 2 {
			t.Errorf("MS 2023 high/critical: %d findings, want 2 (not the 2024 one, not the medium one)", len(got))
		}
		for i := 1; i < len(got); i++ {
			if got[i-1].Priority < got[i].Priority {
				t.Errorf("MS 2023 list not by priority")
			}
		}
		root, err := f.svc.ResolveUnit(f.analyst, "")
		if err != nil {
			t.Fatal(err)
		}
		total, units, err := f.svc.Rollup(f.analyst, root, false)
		if err != nil {
			t.Fatal(err)
		}
		if total.Open != 6 || total.BySeverity["critical"] != 3 || total.KEV != 1 || total.Hosts != 2 {
			t.Errorf("roll-up total %+v", total)
		}
		byCode := map[string]findings.UnitTally{}
		for _, u := range units {
			byCode[u.Code] = u
		}
		if byCode["A"].Open != 3 || byCode["B"].Open != 3 || byCode["ITC"].Open != 0 {
			t.Errorf("roll-up by unit %+v", units)
		}
		if _, units, _ := f.svc.Rollup(f.officerA, mustUnit(t, f, f.officerA, "A"), true); len(units) != 1 || units[0].Open != 1 {
			t.Errorf("officer A's MS 2023 roll-up %+v", units)
		}
		if _, err := f.svc.ResolveUnit(f.officerA, "B"); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("officer A resolves B: %v", err)
		}
		// Trend: the critical one first seen three weeks ago is open at
		// every week's end from then on; closing one today counts it
		// closed this week and open at last week's end.
		if _, err := f.svc.Update(f.officerA, msA, findings.Update{Status: str(findings.StatusResolved), Note: str("Đã cài KB5033371")}); err != nil {
			t.Fatal(err)
		}
		tr, err := f.svc.Trend(f.analyst, root, 5, false)
		if err != nil {
			t.Fatal(err)
		}
		last, prev := tr[4], tr[3]
		if last.Open != 5 || last.Closed != 1 || prev.Open < 2 || tr[0].Open != 0 {
			t.Errorf("trend %+v", tr)
		}
	})
}

func mustUnit(t *testing.T, f *fixture, ctx context.Context, code string) findings.UnitRef {
	t.Helper()
	u, err := f.svc.ResolveUnit(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func fieldOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Field
	}
	return ""
}
