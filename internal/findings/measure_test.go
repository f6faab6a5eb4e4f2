package findings_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/findings"
	"vigil/internal/hosts"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// got turns samples into "key unit dim" -> "num/den" (or "num" for a
// count), failing on a sample given twice.
func got(t *testing.T, ss []measure.Sample, units map[int64]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, s := range ss {
		k := s.Key + " " + units[s.UnitID]
		if s.Dim != "" {
			k += " " + s.Dim
		}
		v := fmt.Sprint(s.Num)
		if s.Den != 0 || strings.HasSuffix(s.Key, "_closed") {
			v += "/" + fmt.Sprint(s.Den)
		}
		if _, dup := out[k]; dup {
			t.Fatalf("sample %s given twice", k)
		}
		out[k] = v
	}
	return out
}

func unitNames(t *testing.T, f *fixture) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	rows, err := f.db.Query(f.sys, `SELECT id, code FROM units`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			t.Fatal(err)
		}
		out[id] = code
	}
	return out
}

func same(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if !maps.Equal(got, want) {
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
}

func keys(ks ...string) map[string]bool {
	m := map[string]bool{}
	for _, k := range ks {
		m[k] = true
	}
	return m
}

func TestSamples(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		units := unitNames(t, f)
		now := f.now // 20/01/2027 09:00 UTC
		day := 24 * time.Hour
		hostA2 := addHost(t, db, "A", "sv-a")
		set := func(id int64, status, note string, at time.Time, more ...func(*findings.Update)) {
			t.Helper()
			f.now = at
			defer func() { f.now = now }()
			u := findings.Update{Status: &status, Note: &note}
			for _, m := range more {
				m(&u)
			}
			if _, err := f.svc.Update(f.sys, id, u); err != nil {
				t.Fatalf("finding %d to %s: %v", id, status, err)
			}
		}
		accept := func(approver, expires string) func(*findings.Update) {
			return func(u *findings.Update) { u.Approver, u.Expires = &approver, &expires }
		}
		watch := func(host int64, key string, at time.Time) findings.Observation {
			return findings.Observation{HostID: host, Kind: findings.KindWarningList, Key: key, Title: "Kết nối tới địa chỉ trong danh sách cảnh báo",
				Severity: findings.SeverityHigh, Source: "DS-2027-01", SeenAt: at}
		}

		// A: Microsoft fixes. A 2023 critical one open since ten days (due
		// after seven: overdue), a 2023 high one accepted by A's officer, a
		// 2023 medium one (not the directive's: patch state only), a 2024
		// high one resolved two days ago, a 2023 critical one resolved an
		// hour after Now (open at Now), a 2023 high one a false positive.
		msOpen, _ := f.record(t, msUpdate(f.hostA, "5033371", "2023-Dec", []string{"CVE-2023-35641"}, "critical", now.Add(-10*day)))
		msAcc, _ := f.record(t, msUpdate(hostA2, "5032189", "2023-Nov", []string{"CVE-2023-36025"}, "high", now.Add(-5*day)))
		set(msAcc, findings.StatusAcceptedRisk, "Máy chủ cô lập, chờ bảo trì", now.Add(-day), accept("officer-a@test.vigil", "28/02/2027"))
		f.record(t, msUpdate(f.hostA, "5031356", "2023-Oct", []string{"CVE-2023-36563"}, "medium", now.Add(-3*day)))
		ms2024, _ := f.record(t, msUpdate(f.hostA, "5034122", "2024-Jan", []string{"CVE-2024-20674"}, "high", now.Add(-20*day)))
		set(ms2024, findings.StatusResolved, "Đã cài KB5034122", now.Add(-2*day))
		msLater, _ := f.record(t, msUpdate(hostA2, "5033372", "2023-Dec", []string{"CVE-2023-35628"}, "critical", now.Add(-day)))
		set(msLater, findings.StatusResolved, "Đã cài KB5033372", now.Add(time.Hour))
		msFP, _ := f.record(t, msUpdate(hostA2, "5031354", "2023-Oct", []string{"CVE-2023-36761"}, "high", now.Add(-4*day)))
		set(msFP, findings.StatusFalsePositive, "Máy không cài Office", now.Add(-3*day))
		// A scanner's 2023 Microsoft vulnerability names no vendor: not a
		// Microsoft fix of the patch state.
		f.record(t, vuln(f.hostA, "CVE-2023-21554", "critical", 9.8, now.Add(-2*day)))
		// A: warning-list findings: one resolved (verified), one open, one a
		// false positive; one seen only after Now.
		w1, _ := f.record(t, watch(f.hostA, "ip:203.0.113.7", now.Add(-6*day)))
		set(w1, findings.StatusResolved, "verified by scan task t9", now.Add(-5*day))
		f.record(t, watch(f.hostA, "ip:203.0.113.8", now.Add(-day)))
		w3, _ := f.record(t, watch(hostA2, "domain:cdn.example", now.Add(-8*day)))
		set(w3, findings.StatusFalsePositive, "CDN hợp lệ", now.Add(-7*day))
		f.record(t, watch(hostA2, "ip:203.0.113.9", now.Add(2*time.Hour)))
		// B: malware: one resolved, one accepted, one open overdue (high: due
		// after seven days), one resolved after Now.
		m1, _ := f.record(t, malware(f.hostB, `C:\Users\x\a.exe`, now.Add(-3*day)))
		set(m1, findings.StatusResolved, "Đã xoá, quét lại sạch", now.Add(-2*day))
		m2, _ := f.record(t, malware(f.hostB, `C:\Users\x\b.exe`, now.Add(-3*day)))
		set(m2, findings.StatusAcceptedRisk, "Mẫu thử của phòng lab", now.Add(-2*day), accept("officer-b@test.vigil", "2027-02-01"))
		f.record(t, malware(f.hostB, `C:\Users\x\c.exe`, now.Add(-8*day)))
		m4, _ := f.record(t, malware(f.hostB, `C:\Users\x\d.exe`, now.Add(-9*day)))
		set(m4, findings.StatusResolved, "Đã xoá", now.Add(3*time.Hour))
		// ITC has a host and no finding: true zeros. The root has no host
		// by Now (its one is first seen after): no samples.
		addHost(t, db, "ITC", "soc-1")
		if _, err := db.Exec(f.sys, `UPDATE hosts SET first_seen_at = ? WHERE id = ?`, store.Micros(now.Add(time.Hour)), addHost(t, db, org.RootCode, "new-1")); err != nil {
			t.Fatal(err)
		}
		_ = msOpen

		r := measure.Request{From: now.Add(-7 * day), To: now, Now: now}
		ss, err := f.svc.Samples(f.sys, r)
		if err != nil {
			t.Fatal(err)
		}
		g := got(t, ss, units)
		want := map[string]string{
			// closed of seen by Now, false positives out.
			"findings.watchlist_closed A": "1/2", "findings.watchlist_closed B": "0/0", "findings.watchlist_closed ITC": "0/0",
			// B: m1 closed; m2 accepted; c.exe open; m4, resolved after Now, was
			// open at Now.
			"findings.malware_closed A": "0/0", "findings.malware_closed B": "1/4", "findings.malware_closed ITC": "0/0",
			// A: msOpen (due 17/01), msLater (critical, due 26/01: not yet),
			// the medium 2023 fix (due 16/02), the scanner's critical one
			// (due 25/01), the open warning-list finding (due 26/01). B: c.exe
			// (due 19/01) and d.exe (due 18/01, resolved after Now).
			"findings.overdue A": "1", "findings.overdue B": "2", "findings.overdue ITC": "0",
			"findings.ms2023_open A": "2", "findings.ms2023_open B": "0", "findings.ms2023_open ITC": "0",
			"findings.ms2023_accepted A officer-a@test.vigil": "1", "findings.ms2023_accepted B": "0", "findings.ms2023_accepted ITC": "0",
		}
		// Opened in the last seven days (first seen in [13/01, 20/01)):
		// A: msAcc, the medium one, msLater, msFP (missing_update 4), the
		// scanner's (vulnerability 1), w1, the open one (warning_list 2);
		// B: m1, m2 (malware 2). Closed (resolved) then: A ms2024, w1; B m1.
		opened := map[string]map[string]int{"A": {"missing_update": 4, "vulnerability": 1, "warning_list": 2}, "B": {"malware": 2}}
		closed := map[string]map[string]int{"A": {"missing_update": 1, "warning_list": 1}, "B": {"malware": 1}}
		// Patch state at Now: A open msOpen, msLater (critical), the medium
		// one; accepted msAcc (high); closed ms2024 (high).
		patch := map[string]map[string]int{"A": {"open/critical": 2, "open/medium": 1, "accepted/high": 1, "closed/high": 1}}
		for _, u := range []string{"A", "B", "ITC"} {
			for _, k := range findings.Kinds {
				want["findings.opened "+u+" "+k] = fmt.Sprint(opened[u][k])
				want["findings.closed "+u+" "+k] = fmt.Sprint(closed[u][k])
			}
			for _, st := range []string{"open", "closed", "accepted"} {
				for _, sev := range findings.Severities {
					want["findings.ms_patch "+u+" "+st+"/"+sev] = fmt.Sprint(patch[u][st+"/"+sev])
				}
			}
		}
		same(t, "samples at Now", g, want)

		// The same figures as the lists they link to: the Microsoft 2023
		// page's open ones, the overdue queue.
		list, total, err := f.svc.List(f.sys, findings.Filter{Unit: "A", MS2023: true, Statuses: []string{"active"}})
		if err != nil || total != 1 || list[0].ID != msOpen {
			t.Fatalf("MS2023 list of A: %d %v (msLater is open only at Now, resolved since)", total, err)
		}
		if _, total, err := f.svc.List(f.sys, findings.Filter{Unit: "B", Overdue: true}); err != nil || total != 1 {
			t.Fatalf("overdue list of B: %d %v (d.exe is resolved since)", total, err)
		}

		// Only the keys asked for; no period, no opened and closed.
		ss, err = f.svc.Samples(f.sys, measure.Request{Now: now, Keys: keys(measure.KeyFindingsMS2023Accepted, measure.KeyFindingsOpened)})
		if err != nil {
			t.Fatal(err)
		}
		same(t, "accepted only", got(t, ss, units), map[string]string{"findings.ms2023_accepted A officer-a@test.vigil": "1", "findings.ms2023_accepted B": "0", "findings.ms2023_accepted ITC": "0"})

		// After the acceptance ran out (28/02/2027, end of day in Vietnam)
		// and before the job reopened it, msAcc counts as open.
		later := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
		ss, err = f.svc.Samples(f.sys, measure.Request{Now: later, Keys: keys(measure.KeyFindingsMS2023Open, measure.KeyFindingsMS2023Accepted)})
		if err != nil {
			t.Fatal(err)
		}
		same(t, "acceptance run out", got(t, ss, units), map[string]string{
			"findings.ms2023_open A": "2", "findings.ms2023_open B": "0", "findings.ms2023_open ITC": "0", // msOpen, msAcc (msLater resolved by then)
			"findings.ms2023_accepted A": "0", "findings.ms2023_accepted B": "0", "findings.ms2023_accepted ITC": "0",
			// By then the root's host is there, with no finding.
			"findings.ms2023_open BHXHVN": "0", "findings.ms2023_accepted BHXHVN": "0"})

		// A retired host goes with its findings.
		if err := (&hosts.Service{DB: db}).DeleteHost(f.sys, f.hostB); err != nil {
			t.Fatal(err)
		}
		ss, err = f.svc.Samples(f.sys, measure.Request{Now: now, Keys: keys(measure.KeyFindingsMalwareClosed)})
		if err != nil {
			t.Fatal(err)
		}
		same(t, "B retired", got(t, ss, units), map[string]string{"findings.malware_closed A": "0/0", "findings.malware_closed ITC": "0/0"})
	})
}
