package hosts

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/agent/scan"
	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/measure"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func TestSamples(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, ctx := setup(t, db)
		now := time.Date(2027, 1, 20, 9, 0, 0, 0, time.UTC)
		clock := now.Add(-30 * 24 * time.Hour) // hosts were imported a month ago
		s.Now = func() time.Time { return clock }
		t0 := func(d time.Duration) *time.Time { v := now.Add(d).UTC(); return &v }
		yes, no := true, false
		host := func(name, ip string, ctls ...asset.Control) *asset.Inventory {
			return &asset.Inventory{Hostname: name, CollectedAt: clock.UTC(), OS: asset.OS{Family: "windows", Name: "Microsoft Windows 11 Pro"},
				Interfaces: []asset.Interface{{Name: "eth0", Addresses: []string{ip + "/24"}}}, Controls: ctls}
		}
		av := func(updated *time.Time) asset.Control {
			return asset.Control{Kind: asset.ControlAntivirus, Product: "Microsoft Defender Antivirus", Enabled: true, UpdatedAt: updated}
		}
		fw := func(on bool) asset.Control {
			return asset.Control{Kind: asset.ControlFirewall, Product: "Windows Firewall", Enabled: on}
		}
		const day = 24 * time.Hour
		// P1: anti-malware current an hour ago; signatures exactly three
		// days old (not current) and a microsecond younger (current); an
		// EDR running without anti-malware (current), firewall off; real
		// time protection off (not current); no firewall reported.
		if _, err := s.Import(ctx, "P1", "p1.json", []*asset.Inventory{
			host("OK", "10.1.0.1", av(t0(-time.Hour)), fw(true)),
			host("SIG-3D", "10.1.0.2", av(t0(-3*day)), fw(true)),
			host("SIG-3D-1US", "10.1.0.3", av(t0(-3*day+time.Microsecond)), fw(true)),
			host("EDR", "10.1.0.4", asset.Control{Kind: asset.ControlEDR, Product: "CrowdStrike Falcon", Enabled: true, Running: &yes}, fw(false)),
			host("RT-OFF", "10.1.0.5", asset.Control{Kind: asset.ControlAntivirus, Product: "Kaspersky", Enabled: true, RealTime: &no, UpdatedAt: t0(-time.Hour)}),
		}); err != nil {
			t.Fatal(err)
		}
		// P2: one host fine but retired (deleted), one with old signatures,
		// and one first seen after Now.
		if _, err := s.Import(ctx, "P2", "p2.json", []*asset.Inventory{
			host("RETIRED", "10.2.0.1", av(t0(-time.Hour)), fw(true)),
			host("OLD", "10.2.0.2", av(t0(-10*day)), fw(true)),
		}); err != nil {
			t.Fatal(err)
		}
		clock = now.Add(time.Hour)
		if _, err := s.Import(ctx, "P2", "p2-later.json", []*asset.Inventory{host("NEW", "10.2.0.3", av(t0(0)), fw(true))}); err != nil {
			t.Fatal(err)
		}
		ids := map[string]int64{}
		rows, err := db.Query(ctx, `SELECT hostname, id FROM hosts`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			var id int64
			if err := rows.Scan(&n, &id); err != nil {
				t.Fatal(err)
			}
			ids[n] = id
		}
		rows.Close()
		// Agents: OK called in an hour ago, SIG-3D exactly 24 h ago (seen),
		// SIG-3D-1US 24 h and a microsecond ago (not seen), EDR never.
		for name, seen := range map[string]int64{"OK": store.Micros(now.Add(-time.Hour)), "SIG-3D": store.Micros(now.Add(-day)),
			"SIG-3D-1US": store.Micros(now.Add(-day - time.Microsecond)), "EDR": 0, "RETIRED": store.Micros(now)} {
			if _, err := db.Exec(ctx, `UPDATE hosts SET agent_id = ?, agent_seen_at = ? WHERE id = ?`, "ag-"+name, seen, ids[name]); err != nil {
				t.Fatal(err)
			}
		}
		// Scans over [13/01, 20/01): OK's finished in the period; SIG-3D's
		// failed; EDR's finished before; SIG-3D-1US's finished exactly at
		// the start (in) and RETIRED's in it (deleted with its host); OLD's
		// agent reported one of its own finished exactly at the end (out).
		from, to := now.Add(-7*day), now
		scanTask := func(name string, created, finished time.Time, status string) {
			t.Helper()
			clock = created
			tk, err := s.CreateScanTask(ctx, ids[name], agentapi.ScanParams{Paths: []string{`C:\`}})
			if err != nil {
				t.Fatal(err)
			}
			clock = finished
			actx := auth.WithPrincipal(ctx, &auth.Principal{Via: "agent", AgentID: "ag-" + name, HostID: ids[name], Email: "agent:ag-" + name})
			res := &agentapi.TaskResult{Status: status, Report: &scan.Report{Files: 10}}
			if err := s.TaskResult(actx, tk.ID, res); err != nil {
				t.Fatal(err)
			}
		}
		scanTask("OK", from.Add(day), from.Add(day+time.Hour), agentapi.StatusDone)
		scanTask("SIG-3D", from.Add(day), from.Add(2*day), agentapi.StatusFailed)
		scanTask("EDR", from.Add(-2*day), from.Add(-time.Microsecond), agentapi.StatusDone)
		scanTask("SIG-3D-1US", from.Add(-time.Hour), from, agentapi.StatusDone)
		scanTask("RETIRED", from.Add(day), from.Add(2*day), agentapi.StatusDone)
		if _, err := db.Exec(ctx, `UPDATE hosts SET agent_id = 'ag-OLD' WHERE id = ?`, ids["OLD"]); err != nil {
			t.Fatal(err)
		}
		clock = to
		if _, err := s.RecordScanReport(auth.WithPrincipal(ctx, &auth.Principal{Via: "agent", AgentID: "ag-OLD", HostID: ids["OLD"], Email: "agent:ag-OLD"}),
			&agentapi.ScanReport{ID: "r1", Params: agentapi.ScanParams{Paths: []string{`D:\`}}, Report: &scan.Report{Files: 3}}); err != nil {
			t.Fatal(err)
		}
		clock = now
		if err := s.DeleteHost(ctx, ids["RETIRED"]); err != nil {
			t.Fatal(err)
		}

		ss, err := s.Samples(ctx, measure.Request{From: from, To: to, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"hosts.av_current P1": "3/5", "hosts.firewall_on P1": "3/5", "hosts.agent_seen_24h P1": "2/5", "hosts.total P1": "5", "hosts.scanned P1": "2/5",
			"hosts.av_current P2": "0/1", "hosts.firewall_on P2": "1/1", "hosts.agent_seen_24h P2": "0/1", "hosts.total P2": "1", "hosts.scanned P2": "0/1",
		}
		same(t, "samples", gotSamples(t, db, ss), want)

		// The coverage view and the hosts list it links to agree.
		cov, err := s.UnitCoverage(ctx, "P1")
		if err != nil {
			t.Fatal(err)
		}
		if cov.Antivirus != 3 || cov.Firewall != 3 {
			t.Fatalf("coverage of P1 %+v", cov.Counts)
		}
		for check, n := range map[string]int{"antivirus": 2, "firewall": 2, "agent": 3} {
			if _, total, err := s.ListHosts(ctx, HostFilter{Unit: "P1", Failing: check}); err != nil || total != n {
				t.Fatalf("hosts of P1 failing %s: %d %v", check, total, err)
			}
		}

		// Only the keys asked for; without a period, no scans.
		ss, err = s.Samples(ctx, measure.Request{Now: now, Keys: map[string]bool{measure.KeyHostsTotal: true, measure.KeyHostsScannedPeriod: true}})
		if err != nil {
			t.Fatal(err)
		}
		same(t, "total only", gotSamples(t, db, ss), map[string]string{"hosts.total P1": "5", "hosts.total P2": "1"})
		// Two hours later NEW counts, and SIG-3D-1US's signatures are old.
		ss, err = s.Samples(ctx, measure.Request{Now: now.Add(2 * time.Hour), Keys: map[string]bool{measure.KeyHostsAVCurrent: true}})
		if err != nil {
			t.Fatal(err)
		}
		same(t, "two hours later", gotSamples(t, db, ss), map[string]string{"hosts.av_current P1": "2/5", "hosts.av_current P2": "1/2"})
	})
}

// gotSamples turns samples into "key unit-code [dim]" -> "num/den" (or
// "num" for a count).
func gotSamples(t *testing.T, db *store.DB, ss []measure.Sample) map[string]string {
	t.Helper()
	codes := map[int64]string{}
	rows, err := db.Query(t.Context(), `SELECT id, code FROM units`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var c string
		if err := rows.Scan(&id, &c); err != nil {
			t.Fatal(err)
		}
		codes[id] = c
	}
	rows.Close()
	out := map[string]string{}
	for _, s := range ss {
		k := s.Key + " " + codes[s.UnitID]
		if s.Dim != "" {
			k += " " + s.Dim
		}
		v := fmt.Sprint(s.Num)
		if s.Key != measure.KeyHostsTotal {
			v += "/" + fmt.Sprint(s.Den)
		}
		if _, dup := out[k]; dup {
			t.Fatalf("sample %s given twice", k)
		}
		out[k] = v
	}
	return out
}

func same(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if maps.Equal(got, want) {
		return
	}
	var diff []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			diff = append(diff, fmt.Sprintf("%s: got %q want %q", k, got[k], want[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			diff = append(diff, fmt.Sprintf("%s: got %q, not wanted", k, got[k]))
		}
	}
	t.Fatalf("%s:\n%s", what, strings.Join(diff, "\n"))
}
