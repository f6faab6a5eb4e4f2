package alerts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/auth"
	"vigil/internal/detect"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// fixture is two provinces (A with a district A1) with hosts, officers
// and the SOC's analyst.
type fixture struct {
	db       *store.DB
	svc      *alerts.Service
	sys      context.Context
	officerA context.Context
	officerB context.Context
	analyst  context.Context
	viewerA  context.Context
	unit     map[string]int64
	hostA    int64
	hostA1   int64
	hostB    int64
	now      time.Time
}

func setup(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	sys := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(sys); err != nil {
		t.Fatal(err)
	}
	for _, u := range []org.UnitInput{
		{Code: "ITC", Name: "Trung tâm CNTT", Kind: org.KindServiceUnit, Parent: org.RootCode},
		{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "A1", Name: "Huyện A1", Kind: org.KindDistrict, Parent: "A"},
		{Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		if _, err := o.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{db: db, sys: sys, now: time.Date(2027, 1, 20, 9, 0, 0, 0, time.UTC), unit: map[string]int64{}}
	f.svc = &alerts.Service{DB: db, Now: func() time.Time { return f.now }}
	rows, err := db.Query(sys, `SELECT id, code FROM units`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var code string
		rows.Scan(&id, &code)
		f.unit[code] = id
	}
	rows.Close()
	users := map[string]struct {
		role auth.Role
		unit string
	}{"officer-a@test.vigil": {auth.RoleOfficer, "A"}, "officer-b@test.vigil": {auth.RoleOfficer, "B"},
		"analyst@test.vigil": {auth.RoleAnalyst, "ITC"}, "viewer-a@test.vigil": {auth.RoleViewer, "A"}}
	ctxs := map[string]context.Context{}
	for email, u := range users {
		if _, err := o.CreateUser(sys, org.UserInput{Email: email, Name: email, Role: string(u.role), Unit: u.unit, Password: "correct-horse-battery"}); err != nil {
			t.Fatal(err)
		}
		var p auth.Principal
		if err := db.QueryRow(sys, `SELECT us.id, un.id, un.code, un.path FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
			Scan(&p.UserID, &p.UnitID, &p.UnitCode, &p.UnitPath); err != nil {
			t.Fatal(err)
		}
		p.Email, p.Role, p.Via = email, u.role, "token"
		ctxs[email] = auth.WithPrincipal(context.Background(), &p)
	}
	f.officerA, f.officerB, f.analyst, f.viewerA = ctxs["officer-a@test.vigil"], ctxs["officer-b@test.vigil"], ctxs["analyst@test.vigil"], ctxs["viewer-a@test.vigil"]
	f.hostA = addHost(t, db, "A", "PC-KT01", "kt01.bhxh.local", "10.1.0.5")
	f.hostA1 = addHost(t, db, "A1", "PC-KT01", "", "10.1.1.5") // the same name in a district of A
	f.hostB = addHost(t, db, "B", "SRV-DC01", "", "10.2.0.10 fd00::10")
	return f
}

func addHost(t testing.TB, db *store.DB, unit, name, fqdn, addrs string) int64 {
	t.Helper()
	var id int64
	now := store.Now()
	err := db.QueryRow(context.Background(), `INSERT INTO hosts (unit_id, hostname, hostname_key, fqdn, addresses, source, first_seen_at, last_seen_at)
		SELECT id, ?, ?, ?, ?, 'csv', ?, ? FROM units WHERE code = ? RETURNING id`, name, fmt.Sprint(hostKey(name)), fqdn, addrs, now, now, unit).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func hostKey(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func event(host string, fields ...string) *detect.Event {
	e := &detect.Event{Host: host}
	for i := 0; i+1 < len(fields); i += 2 {
		e.Add(fields[i], fields[i+1])
	}
	return e
}

func match(f *fixture, rule, host, key string, at time.Time) alerts.Match {
	return alerts.Match{RuleID: rule, RuleTitle: "Rule " + rule, Level: "high", SourceID: 7, UnitID: f.unit["A"], Host: host, Key: key, Time: at,
		Event: event(host, "Image", `C:\Windows\System32\cmd.exe`, "CommandLine", "whoami /all")}
}

func list(t testing.TB, ctx context.Context, f *fixture, filter alerts.Filter) []*alerts.Alert {
	t.Helper()
	out, _, err := f.svc.List(ctx, filter)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGroupingAndWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		t0 := f.now.Add(-time.Hour)
		var batch []alerts.Match
		for i := range 30 {
			batch = append(batch, match(f, "r1", "pc-kt01", "k", t0.Add(time.Duration(i)*time.Second)))
		}
		batch = append(batch, match(f, "r1", "pc-kt01", "other", t0))            // another key
		batch = append(batch, match(f, "r2", "pc-kt01", "k", t0))                // another rule
		batch = append(batch, match(f, "r1", "pc-kt01", "k", t0.Add(time.Hour))) // past the window
		if err := f.svc.Record(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		// A later batch joins the open group within the window.
		if err := f.svc.Record(context.Background(), []alerts.Match{match(f, "r1", "pc-kt01", "k", t0.Add(time.Hour+10*time.Minute))}); err != nil {
			t.Fatal(err)
		}
		got := list(t, f.analyst, f, alerts.Filter{Sort: "first_seen"})
		if len(got) != 4 {
			t.Fatalf("%d alerts, want 4", len(got))
		}
		counts := map[string]int64{}
		for _, a := range got {
			counts[a.RuleID+"/"+a.Key+"/"+a.FirstSeen.Format("15:04")] = a.Count
			if a.HostID != f.hostA || a.Unit != "A" || a.Severity != "high" || a.Status != "open" {
				t.Errorf("alert %d: host %d unit %s severity %s status %s", a.ID, a.HostID, a.Unit, a.Severity, a.Status)
			}
		}
		want := map[string]int64{"r1/k/08:00": 30, "r1/other/08:00": 1, "r2/k/08:00": 1, "r1/k/09:00": 2}
		for k, n := range want {
			if counts[k] != n {
				t.Errorf("alerts %v, want %v", counts, want)
				break
			}
		}
		// The kept events: the first 5 and the last 20 of 30.
		var big *alerts.Alert
		for _, a := range got {
			if a.Count == 30 {
				big = a
			}
		}
		d, err := f.svc.Get(f.analyst, big.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Events) != 25 || d.Events[0].Seq != 1 || d.Events[4].Seq != 5 || d.Events[5].Seq != 11 || d.Events[24].Seq != 30 {
			seqs := []int64{}
			for _, e := range d.Events {
				seqs = append(seqs, e.Seq)
			}
			t.Errorf("kept events %v", seqs)
		}
		var fields map[string]string
		if err := json.Unmarshal(d.Events[0].Fields, &fields); err != nil || fields["CommandLine"] != "whoami /all" {
			t.Errorf("event fields %s (%v)", d.Events[0].Fields, err)
		}
		// Matches one at a time keep the same bound.
		for i := range 70 {
			if err := f.svc.Record(context.Background(), []alerts.Match{match(f, "r3", "pc-kt01", "k", t0.Add(time.Duration(i)*time.Second))}); err != nil {
				t.Fatal(err)
			}
		}
		d = list(t, f.analyst, f, alerts.Filter{Rule: "r3"})[0]
		d, _ = f.svc.Get(f.analyst, d.ID)
		if d.Count != 70 || len(d.Events) != 25 || d.Events[5].Seq != 51 || d.Events[24].Seq != 70 {
			t.Errorf("after 40 more: count %d, %d events, [5]=%d", d.Count, len(d.Events), d.Events[5].Seq)
		}
	})
}

func TestAttribution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		at := f.now.Add(-time.Minute)
		ms := []alerts.Match{
			// By FQDN, from a source of province A: the host of A.
			{RuleID: "fqdn", Level: "critical", UnitID: f.unit["A"], Host: "KT01.bhxh.local", Time: at},
			// By name from A1's source: A1's host of the same name.
			{RuleID: "district", Level: "low", UnitID: f.unit["A1"], Host: "pc-kt01", Time: at},
			// By address (IPv6), from the central SOC's source: B's server.
			{RuleID: "addr", Level: "medium", UnitID: f.unit["ITC"], Addresses: []string{"8.8.8.8", "FD00:0::10"}, Time: at},
			// Unknown host: the source's unit.
			{RuleID: "unknown", Level: "weird", UnitID: f.unit["B"], Host: "laptop-x", Time: at},
			// The hub's own: no host, no event.
			{RuleID: "vigil.health.source-silent", RuleTitle: "Nguồn im lặng", Level: "high", SourceID: 3, UnitID: f.unit["A1"], Key: "source:3"},
		}
		if err := f.svc.Record(context.Background(), ms); err != nil {
			t.Fatal(err)
		}
		byRule := map[string]*alerts.Alert{}
		for _, a := range list(t, f.analyst, f, alerts.Filter{}) {
			byRule[a.RuleID] = a
		}
		check := func(rule string, host int64, unit, sev string) {
			t.Helper()
			a := byRule[rule]
			if a == nil {
				t.Fatalf("no alert for %s", rule)
			}
			if a.HostID != host || a.Unit != unit || a.Severity != sev {
				t.Errorf("%s: host %d unit %s severity %s; want %d %s %s", rule, a.HostID, a.Unit, a.Severity, host, unit, sev)
			}
		}
		check("fqdn", f.hostA, "A", "critical")
		check("district", f.hostA1, "A1", "low")
		check("addr", f.hostB, "B", "medium")
		check("unknown", 0, "B", "medium")
		check("vigil.health.source-silent", 0, "A1", "high")
		if byRule["unknown"].Host != "laptop-x" || byRule["fqdn"].Host != "PC-KT01" {
			t.Errorf("host names %q %q", byRule["unknown"].Host, byRule["fqdn"].Host)
		}
		// Scope: officer A sees A and A1, not B; out of scope is not found.
		for _, a := range list(t, f.officerA, f, alerts.Filter{}) {
			if a.Unit != "A" && a.Unit != "A1" {
				t.Errorf("officer A sees an alert of %s", a.Unit)
			}
		}
		if _, err := f.svc.Get(f.officerA, byRule["addr"].ID); err == nil {
			t.Error("officer A reads B's alert")
		}
		if got := list(t, f.analyst, f, alerts.Filter{Unit: "A"}); len(got) != 3 {
			t.Errorf("unit A subtree: %d alerts, want 3", len(got))
		}
	})
}

func TestQueueActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		if err := f.svc.Record(context.Background(), []alerts.Match{
			match(f, "r1", "pc-kt01", "k", f.now), match(f, "r2", "pc-kt01", "k", f.now),
			{RuleID: "rb", RuleTitle: "Rule rb", Level: "critical", UnitID: f.unit["B"], Host: "srv-dc01", Time: f.now},
		}); err != nil {
			t.Fatal(err)
		}
		all := list(t, f.analyst, f, alerts.Filter{Sort: "rule"})
		a1, a2, ab := all[0], all[1], all[2]
		if ab.RuleID != "rb" {
			t.Fatalf("order %s %s %s", a1.RuleID, a2.RuleID, ab.RuleID)
		}
		// Escalation's query: critical, unacknowledged, older than 10 minutes.
		f.now = f.now.Add(20 * time.Minute)
		un, err := f.svc.Unacknowledged(f.sys, "high", 10*time.Minute, 0, 100)
		if err != nil || len(un) != 3 {
			t.Fatalf("unacknowledged: %d (%v)", len(un), err)
		}
		if un, _ := f.svc.Unacknowledged(f.sys, "critical", 30*time.Minute, 0, 100); len(un) != 0 {
			t.Errorf("older than 30 minutes: %d", len(un))
		}
		// Viewers read only; officers of another unit do not see it.
		if _, err := f.svc.Update(f.viewerA, a1.ID, alerts.Update{Action: "acknowledge"}); err == nil {
			t.Error("viewer acknowledged")
		}
		if _, err := f.svc.Update(f.officerB, a1.ID, alerts.Update{Action: "acknowledge"}); err == nil || err.Error() == "" {
			t.Error("officer B acknowledged A's alert")
		}
		got, err := f.svc.Update(f.officerA, a1.ID, alerts.Update{Action: "acknowledge"})
		if err != nil || got.Status != "acknowledged" || got.AcknowledgedBy != "officer-a@test.vigil" || got.AcknowledgedAt.IsZero() {
			t.Fatalf("acknowledge: %+v %v", got, err)
		}
		// Assign to someone who can see the unit; B's officer cannot.
		who := "officer-b@test.vigil"
		if _, err := f.svc.Update(f.analyst, a1.ID, alerts.Update{Assignee: &who}); err == nil {
			t.Error("assigned A's alert to B's officer")
		}
		who = "analyst@test.vigil"
		if got, err = f.svc.Update(f.officerA, a1.ID, alerts.Update{Assignee: &who}); err != nil || got.Assignee != who {
			t.Fatalf("assign: %v", err)
		}
		// Close needs a reason from the list; bulk is all or none.
		if _, err := f.svc.Update(f.officerA, a1.ID, alerts.Update{Action: "close", Reason: "bored"}); err == nil {
			t.Error("closed with an unknown reason")
		}
		note := "Quản trị viên chạy lệnh kiểm tra"
		if _, err := f.svc.UpdateMany(f.officerA, []int64{a1.ID, ab.ID}, alerts.Update{Action: "close", Reason: "expected", Note: &note}); err == nil {
			t.Error("bulk with an out-of-scope alert succeeded")
		}
		if a, _ := f.svc.Get(f.analyst, a1.ID); a.Status != "acknowledged" {
			t.Errorf("failed bulk changed alert 1: %s", a.Status)
		}
		out, err := f.svc.UpdateMany(f.officerA, []int64{a1.ID, a2.ID}, alerts.Update{Action: "close", Reason: "expected", Note: &note})
		if err != nil || out[0].Status != "closed" || out[1].CloseReason != "expected" || out[1].AcknowledgedAt.IsZero() {
			t.Fatalf("bulk close: %v", err)
		}
		// A closed alert takes no more matches: the next one opens another.
		if err := f.svc.Record(context.Background(), []alerts.Match{match(f, "r1", "pc-kt01", "k", f.now)}); err != nil {
			t.Fatal(err)
		}
		if got := list(t, f.analyst, f, alerts.Filter{Rule: "r1"}); len(got) != 2 || got[0].Status != "open" || got[1].Count != 1 {
			t.Errorf("after close, r1 has %d alerts", len(got))
		}
		if got, err := f.svc.Update(f.analyst, a1.ID, alerts.Update{Action: "reopen"}); err != nil || got.Status != "acknowledged" || got.CloseReason != "" {
			t.Errorf("reopen: %v", err)
		}
		// Every human change is audited.
		var n int
		db.QueryRow(f.sys, `SELECT COUNT(*) FROM audit_log WHERE object_type = 'alert'`).Scan(&n)
		if n != 5 {
			t.Errorf("%d audit rows, want 5 (ack, assign, 2 closes, reopen)", n)
		}
		c, err := f.svc.Count(f.officerA, "")
		if err != nil || c.Total != 2 || c.Unacknowledged["high"] != 1 {
			t.Errorf("counts %+v %v", c, err)
		}
		_ = strconv.Itoa
	})
}

// TestSuppressionsAndExpiry: a live suppression counts matches instead of
// alerting (by host, unit subtree or field value); an expired or removed
// one does not, and none is created that has already expired.
func TestSuppressionsAndExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		day := f.now.Add(48 * time.Hour).Format("2006-01-02")
		byField, err := f.svc.CreateSuppression(f.officerA, alerts.SuppressionInput{RuleID: "r1", Field: "CommandLine", Value: "WHOAMI /ALL", Unit: "A", Reason: "kịch bản kiểm tra", Expires: day})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreateSuppression(f.officerA, alerts.SuppressionInput{RuleID: "r2", Unit: "B", Reason: "x", Expires: day}); err == nil {
			t.Error("officer A suppressed in B")
		}
		if _, err := f.svc.CreateSuppression(f.officerA, alerts.SuppressionInput{RuleID: "r2", Reason: "x", Expires: day}); err == nil {
			t.Error("officer A suppressed everywhere")
		}
		if _, err := f.svc.CreateSuppression(f.officerA, alerts.SuppressionInput{RuleID: "r2", Unit: "A", Reason: "x", Expires: "2020-01-01"}); err == nil {
			t.Error("an expired suppression was created")
		}
		global, err := f.svc.CreateSuppression(f.analyst, alerts.SuppressionInput{RuleID: "r3", Host: "PC-KT01.bhxh.local", Reason: "máy quét", Expires: day})
		if err != nil {
			t.Fatal(err)
		}
		rec := func(ms ...alerts.Match) {
			t.Helper()
			if err := f.svc.Record(context.Background(), ms); err != nil {
				t.Fatal(err)
			}
		}
		b := match(f, "r3", "srv-dc01", "k", f.now)
		b.UnitID = f.unit["B"]
		rec(match(f, "r1", "pc-kt01", "k", f.now), match(f, "r1", "pc-kt01", "k", f.now), match(f, "r3", "pc-kt01", "k", f.now), b)
		if got := list(t, f.analyst, f, alerts.Filter{}); len(got) != 1 || got[0].RuleID != "r3" || got[0].Unit != "B" {
			t.Fatalf("alerts past the suppressions: %d", len(got))
		}
		sups, _, err := f.svc.Suppressions(f.analyst, alerts.SuppressionFilter{Sort: "rule"})
		if err != nil || len(sups) != 2 || sups[0].Hits != 2 || sups[1].Hits != 1 {
			t.Fatalf("suppression hits: %v %v", sups, err)
		}
		// Officer B sees the rule for every unit, not A's.
		if got, _, _ := f.svc.Suppressions(f.officerB, alerts.SuppressionFilter{}); len(got) != 1 || got[0].ID != global.ID {
			t.Errorf("officer B sees %d rules", len(got))
		}
		// Removed, and expired: matches alert again.
		if err := f.svc.RemoveSuppression(f.officerB, byField.ID); err == nil {
			t.Error("officer B removed A's rule")
		}
		if err := f.svc.RemoveSuppression(f.officerA, byField.ID); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(72 * time.Hour)
		rec(match(f, "r1", "pc-kt01", "k", f.now), match(f, "r3", "pc-kt01", "k", f.now))
		if got := list(t, f.analyst, f, alerts.Filter{}); len(got) != 3 {
			t.Errorf("%d alerts after the rules ended, want 3", len(got))
		}
		if got, _, _ := f.svc.Suppressions(f.analyst, alerts.SuppressionFilter{}); len(got) != 0 {
			t.Errorf("%d rules still listed as active", len(got))
		}
		if got, _, _ := f.svc.Suppressions(f.analyst, alerts.SuppressionFilter{Inactive: true}); len(got) != 2 || got[0].Active || got[1].Active {
			t.Errorf("inactive rules: %d", len(got))
		}
	})
}

// TestTwoProcesses: two services on one database (two hub processes)
// share the open groups: their matches join one alert, and a closing by
// one is seen by the other, whose stale index then opens a new alert.
func TestTwoProcesses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		other := &alerts.Service{DB: db, Now: f.svc.Now}
		for i := range 3 {
			for _, s := range []*alerts.Service{f.svc, other} {
				if err := s.Record(context.Background(), []alerts.Match{match(f, "r1", "pc-kt01", "k", f.now.Add(time.Duration(i)*time.Second))}); err != nil {
					t.Fatal(err)
				}
			}
		}
		got := list(t, f.analyst, f, alerts.Filter{})
		if len(got) != 1 || got[0].Count != 6 {
			t.Fatalf("two processes: %d alerts", len(got))
		}
		if _, err := f.svc.Update(f.officerA, got[0].ID, alerts.Update{Action: "close", Reason: "duplicate"}); err != nil {
			t.Fatal(err)
		}
		if err := other.Record(context.Background(), []alerts.Match{match(f, "r1", "pc-kt01", "k", f.now)}); err != nil {
			t.Fatal(err)
		}
		got = list(t, f.analyst, f, alerts.Filter{Statuses: []string{"open"}})
		if len(got) != 1 || got[0].Count != 1 {
			t.Errorf("after the close: %d open alerts", len(got))
		}
	})
}

// TestFeed: a subscriber receives the changes in its scope, whichever
// service (hub process) made them.
func TestFeed(t *testing.T) {
	alerts.PollEvery = 50 * time.Millisecond
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.svc.Now = nil // the feed's cursor follows the clock
		sub, stop, err := f.svc.Subscribe(f.officerB)
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		other := &alerts.Service{DB: db}
		a := match(f, "in-a", "pc-kt01", "k", time.Now())
		b := match(f, "in-b", "srv-dc01", "k", time.Now())
		b.UnitID = f.unit["B"]
		if err := other.Record(context.Background(), []alerts.Match{a, b}); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-sub.C:
			if got == nil || got.RuleID != "in-b" {
				t.Errorf("officer B's feed: %+v", got)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no change arrived")
		}
		select {
		case got := <-sub.C:
			t.Errorf("officer B's feed carried %s", got.RuleID)
		case <-time.After(300 * time.Millisecond):
		}
	})
}
