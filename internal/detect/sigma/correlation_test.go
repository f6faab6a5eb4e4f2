package sigma

import (
	"testing"
	"time"

	"vigil/internal/detect"
)

const corrRules = `title: Failed logon
id: 10000000-0000-4000-8000-000000000001
name: failed_logon
level: low
logsource: {product: windows, service: security}
detection:
    selection:
        EventID: 4625
    condition: selection
---
title: Successful logon
id: 10000000-0000-4000-8000-000000000002
name: successful_logon
logsource: {product: windows, service: security}
detection:
    selection:
        EventID: 4624
    condition: selection
---
title: Many failed logons
id: 10000000-0000-4000-8000-000000000003
name: many_failed
level: medium
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName]
    timespan: 5m
    condition: {gte: 3}
---
title: Spray
id: 10000000-0000-4000-8000-000000000004
level: high
correlation:
    type: value_count
    rules: [10000000-0000-4000-8000-000000000001]
    group-by: [IpAddress]
    timespan: 5m
    condition: {field: TargetUserName, gt: 2}
---
title: Brute force then success
id: 10000000-0000-4000-8000-000000000005
level: critical
correlation:
    type: temporal_ordered
    rules: [many_failed, successful_logon]
    group-by: [TargetUserName]
    timespan: 10m
    generate: true
`

func logon(t time.Time, id, user, ip string) *detect.Event {
	ev := &detect.Event{Time: t}
	ev.Add("Channel", "Security")
	ev.Add("EventID", id)
	ev.Add("TargetUserName", user)
	ev.Add("IpAddress", ip)
	return ev
}

func TestCorrelations(t *testing.T) {
	rules, perrs := Parse([]byte(corrRules), "corr.yml")
	if len(perrs) > 0 {
		t.Fatal(perrs)
	}
	rs, errs := Compile(rules, Options{})
	if len(errs) > 0 || len(rs.Correlations()) != 3 {
		t.Fatalf("errs %v, correlations %d", errs, len(rs.Correlations()))
	}
	m, k := rs.NewMatcher(), rs.NewCorrelator()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var fired []string
	feed := func(ev *detect.Event) {
		for _, c := range k.Observe(ev, m.Match(ev)) {
			fired = append(fired, c.Rule.Title)
		}
	}
	feed(logon(t0, "4625", "alice", "10.0.0.1"))
	feed(logon(t0.Add(time.Minute), "4625", "bob", "10.0.0.1"))
	feed(logon(t0.Add(2*time.Minute), "4625", "alice", "10.0.0.1"))
	feed(logon(t0.Add(20*time.Minute), "4625", "alice", "10.0.0.2")) // first alice failures are out of the window
	feed(logon(t0.Add(21*time.Minute), "4625", "alice", "10.0.0.2"))
	feed(logon(t0.Add(22*time.Minute), "4625", "carol", "10.0.0.1")) // 10.0.0.1: alice, bob, carol but alice's are old
	feed(logon(t0.Add(22*time.Minute), "4625", "alice", "10.0.0.2")) // third alice failure in 5m
	feed(logon(t0.Add(23*time.Minute), "4624", "alice", "10.0.0.2"))
	want := []string{"Many failed logons", "Brute force then success"}
	if len(fired) != len(want) || fired[0] != want[0] || fired[1] != want[1] {
		t.Errorf("fired %v, want %v", fired, want)
	}
	// value_count: three distinct users from one address within 5m.
	fired = nil
	feed(logon(t0.Add(time.Hour), "4625", "u1", "10.9.9.9"))
	feed(logon(t0.Add(time.Hour+time.Second), "4625", "u2", "10.9.9.9"))
	feed(logon(t0.Add(time.Hour+2*time.Second), "4625", "u3", "10.9.9.9"))
	if len(fired) != 1 || fired[0] != "Spray" {
		t.Errorf("value_count fired %v", fired)
	}
	if !rs.Suppressed(rs.Rules()[0]) || rs.Suppressed(rs.Rules()[1]) {
		t.Errorf("failed_logon should be suppressed (used without generate), successful_logon not")
	}
}

func TestCorrelationErrors(t *testing.T) {
	for _, src := range []string{
		"title: x\ncorrelation: {type: event_count, rules: [nosuch], group-by: [a], timespan: 5m, condition: {gte: 2}}\n",
		"title: x\ncorrelation: {type: event_count, rules: [a], timespan: 5m, condition: {lt: 2}}\n",
		"title: x\ncorrelation: {type: value_count, rules: [a], timespan: 5m, condition: {gte: 2}}\n",
		"title: x\ncorrelation: {type: temporal, rules: [a], timespan: 5x}\n",
	} {
		rules, perrs := Parse([]byte(src), "bad.yml")
		_, errs := Compile(rules, Options{})
		if len(perrs)+len(errs) == 0 {
			t.Errorf("no error for %q", src)
		}
	}
}
