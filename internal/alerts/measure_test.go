package alerts_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/measure"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func TestSamples(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		now := f.now // 20/01/2027 09:00 UTC
		from := now.Add(-7 * 24 * time.Hour)
		codes := map[int64]string{}
		for c, id := range f.unit {
			codes[id] = c
		}
		// raise records one alert of rule (titled "Rule <rule>") at at.
		raise := func(unit, rule, level, key string, at time.Time) int64 {
			t.Helper()
			f.now = at
			defer func() { f.now = now }()
			m := alerts.Match{RuleID: rule, RuleTitle: "Rule " + rule, Level: level, UnitID: f.unit[unit], Key: key, Time: at, Event: event("", "k", key)}
			if err := f.svc.Record(f.sys, []alerts.Match{m}); err != nil {
				t.Fatal(err)
			}
			var id int64
			if err := db.QueryRow(f.sys, `SELECT MAX(id) FROM alerts`).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		act := func(id int64, action string, at time.Time) {
			t.Helper()
			f.now = at
			defer func() { f.now = now }()
			in := alerts.Update{Action: action}
			if action == "close" {
				in.Reason = "false_positive"
			}
			if _, err := f.svc.Update(f.analyst, id, in); err != nil {
				t.Fatal(err)
			}
		}
		d1, d2 := from.Add(24*time.Hour), from.Add(48*time.Hour)
		// A: acknowledged exactly at the 30 minutes (in time) and a
		// microsecond later (late); closed after five minutes (closing
		// acknowledges: in time) and never acknowledged (late); raised ten
		// minutes before Now, not acknowledged yet (still in its time: out
		// of Den), and forty minutes before (late).
		act(raise("A", "r1", "high", "k1", d1), "acknowledge", d1.Add(30*time.Minute))
		act(raise("A", "r1", "high", "k2", d1), "acknowledge", d1.Add(30*time.Minute+time.Microsecond))
		act(raise("A", "r2", "critical", "k3", d2), "close", d2.Add(5*time.Minute))
		raise("A", "r2", "critical", "k4", d2)
		raise("A", "r3", "low", "k5", now.Add(-10*time.Minute))
		raise("A", "r3", "low", "k6", now.Add(-40*time.Minute))
		// Out of the period: a microsecond before it, and at its end.
		raise("A", "r3", "low", "k7", from.Add(-time.Microsecond))
		raise("B", "r1", "high", "k8", now)
		// B: the hub's own health alert, raised at the start of the period,
		// acknowledged after a minute.
		act(raise("B", "vigil.health.ncsc-down", "high", "probe:1", from), "acknowledge", from.Add(time.Minute))

		ss, err := f.svc.Samples(f.sys, measure.Request{From: from, To: now, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"alerts.acked_in_time A": "2/5", "alerts.acked_in_time B": "1/1",
			"alerts.by_rule A Rule r1": "2", "alerts.by_rule A Rule r2": "2", "alerts.by_rule A Rule r3": "2",
			"alerts.by_rule B Rule vigil.health.ncsc-down": "1", "alerts.by_severity B high": "1",
			"alerts.by_severity A high": "2", "alerts.by_severity A critical": "2", "alerts.by_severity A low": "2",
		}
		for _, u := range []string{"BHXHVN", "ITC", "A", "A1", "B"} {
			if _, ok := want["alerts.acked_in_time "+u]; !ok {
				want["alerts.acked_in_time "+u] = "0/0"
			}
			for _, sev := range alerts.Severities {
				if _, ok := want["alerts.by_severity "+u+" "+sev]; !ok {
					want["alerts.by_severity "+u+" "+sev] = "0"
				}
			}
		}
		same(t, "samples", got(t, ss, codes), want)

		// A target of ten minutes: only the alert closed after five is in
		// time, and the one raised ten minutes ago is past it.
		ss, err = f.svc.Samples(f.sys, measure.Request{From: from, To: now, Now: now, AckTarget: 10 * time.Minute, Keys: map[string]bool{measure.KeyAlertsAckedInTime: true}})
		if err != nil {
			t.Fatal(err)
		}
		same(t, "ten minutes", got(t, ss, codes), map[string]string{"alerts.acked_in_time A": "1/6", "alerts.acked_in_time B": "1/1",
			"alerts.acked_in_time A1": "0/0", "alerts.acked_in_time ITC": "0/0", "alerts.acked_in_time BHXHVN": "0/0"})

		// No period, nothing.
		if ss, err := f.svc.Samples(f.sys, measure.Request{Now: now}); err != nil || len(ss) != 0 {
			t.Fatalf("without a period: %v %v", ss, err)
		}
	})
}

// got turns samples into "key unit-code [dim]" -> "num/den" for shares,
// "num" for counts.
func got(t *testing.T, ss []measure.Sample, codes map[int64]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, s := range ss {
		k := s.Key + " " + codes[s.UnitID]
		if s.Dim != "" {
			k += " " + s.Dim
		}
		v := fmt.Sprint(s.Num)
		if s.Key == measure.KeyAlertsAckedInTime {
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
