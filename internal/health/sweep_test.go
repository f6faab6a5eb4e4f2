package health_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/auth"
	"vigil/internal/health"
	"vigil/internal/hosts"
	"vigil/internal/org"
	"vigil/internal/sources"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// watchWorld is the health service wired to the real alert queue, event
// sources and hosts, on a clock the test moves.
type watchWorld struct {
	db     *store.DB
	svc    *health.Service
	alerts *alerts.Service
	src    *sources.Service
	mu     sync.Mutex
	now    time.Time
	units  map[string]int64
	sys    context.Context
}

func (w *watchWorld) clock() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
func (w *watchWorld) set(t time.Time)  { w.mu.Lock(); w.now = t; w.mu.Unlock() }

func newWatchWorld(t *testing.T, db *store.DB) *watchWorld {
	t.Helper()
	w := &watchWorld{db: db, now: time.Date(2026, 2, 14, 1, 0, 0, 0, time.UTC), units: map[string]int64{}}
	w.sys = auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(w.sys); err != nil {
		t.Fatal(err)
	}
	for _, u := range []org.UnitInput{
		{Code: "A", Name: "BHXH tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "A1", Name: "BHXH huyện Krông Pắc", Kind: org.KindDistrict, Parent: "A"},
		{Code: "B", Name: "BHXH thành phố Hà Nội", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		got, err := o.CreateUnit(w.sys, u)
		if err != nil {
			t.Fatal(err)
		}
		w.units[u.Code] = got.ID
	}
	w.alerts = &alerts.Service{DB: db, Now: w.clock}
	w.src = &sources.Service{DB: db, Now: w.clock}
	w.svc = &health.Service{DB: db, Now: w.clock, Sources: w.src, Hosts: &hosts.Service{DB: db, Now: w.clock}}
	w.svc.UseAlerts(w.alerts)
	return w
}

func (w *watchWorld) sweep(t *testing.T, at time.Time) {
	t.Helper()
	w.set(at)
	if err := w.svc.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// alertsOf lists the alerts of a rule, newest first.
func (w *watchWorld) alertsOf(t *testing.T, rule string) []*alerts.Alert {
	t.Helper()
	list, _, err := w.alerts.List(w.sys, alerts.Filter{Rule: rule, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestSilentSourceRaisesOneAlertPerEpisode(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWatchWorld(t, db)
		t0 := w.now
		siem, err := w.src.Create(w.sys, sources.Input{Unit: "A1", Name: "SIEM Krông Pắc", Kind: sources.KindSIEM, IntervalMinutes: 30})
		if err != nil {
			t.Fatal(err)
		}
		// A second source keeps sending all along: it never alerts.
		ids, err := w.src.Create(w.sys, sources.Input{Unit: "B", Name: "IDS Hà Nội", Kind: sources.KindIDS, IntervalMinutes: 30})
		if err != nil {
			t.Fatal(err)
		}
		sent := func(id int64, at time.Time) {
			if _, err := db.Exec(context.Background(), `UPDATE sources SET last_event_at = ? WHERE id = ?`, store.Micros(at), id); err != nil {
				t.Fatal(err)
			}
		}
		sent(siem.ID, t0)
		for _, m := range []int{10, 31, 32, 50, 120} {
			sent(ids.ID, t0.Add(time.Duration(m)*time.Minute))
			w.sweep(t, t0.Add(time.Duration(m)*time.Minute))
		}
		got := w.alertsOf(t, health.RuleSourceSilent)
		if len(got) != 1 {
			t.Fatalf("%d alerts for one silence, want 1", len(got))
		}
		a := got[0]
		if a.UnitID != w.units["A1"] || a.Count != 1 || !strings.Contains(a.RuleTitle, "SIEM Krông Pắc") {
			t.Errorf("alert %+v", a)
		}
		// Officers see their own subtree's silence; B's officer does not.
		officerB := auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 7, Email: "b@x", Role: auth.RoleOfficer, UnitPath: unitPath(t, db, "B")})
		list, _, err := w.svc.ListSources(officerB, health.SourceFilter{})
		if err != nil || len(list) != 1 || list[0].Name != "IDS Hà Nội" || list[0].State != health.SourceReporting {
			t.Errorf("officerB's sources: %v %+v", err, list)
		}
		list, _, _ = w.svc.ListSources(w.sys, health.SourceFilter{Silent: true})
		if len(list) != 1 || list[0].State != health.SourceSilent || !list[0].SilentSince.Equal(t0) {
			t.Errorf("silent sources: %+v", list)
		}
		eps, _, _ := w.svc.ListEpisodes(officerB, health.EpisodeFilter{Kinds: []string{"source"}})
		if len(eps) != 0 {
			t.Errorf("officerB sees A1's silence: %+v", eps)
		}

		// It speaks again: the episode ends, noted on the alert.
		sent(siem.ID, t0.Add(130*time.Minute))
		w.sweep(t, t0.Add(131*time.Minute))
		a, err = w.alerts.Get(w.sys, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(a.Note, "Back to normal") || !strings.Contains(a.Note, "trở lại bình thường") {
			t.Errorf("no recovery note: %q", a.Note)
		}
		eps, _, _ = w.svc.ListEpisodes(w.sys, health.EpisodeFilter{Kinds: []string{"source"}})
		if len(eps) != 1 || eps[0].Open() || !eps[0].StartedAt.Equal(t0) {
			t.Fatalf("episodes %+v", eps)
		}
		// Silent once more, later: a second episode, a second alert.
		for _, m := range []int{200, 201, 240} {
			sent(ids.ID, t0.Add(time.Duration(m)*time.Minute))
			w.sweep(t, t0.Add(time.Duration(m)*time.Minute))
		}
		if got := w.alertsOf(t, health.RuleSourceSilent); len(got) != 2 {
			t.Errorf("%d alerts after two silences, want 2", len(got))
		}
		// A revoked source is not silent: its episode ends.
		if err := w.src.Revoke(w.sys, siem.ID); err != nil {
			t.Fatal(err)
		}
		w.sweep(t, t0.Add(241*time.Minute))
		if eps, _, _ := w.svc.ListEpisodes(w.sys, health.EpisodeFilter{Kinds: []string{"source"}, Open: true}); len(eps) != 0 {
			t.Errorf("revoked source still silent: %+v", eps)
		}
	})
}

func unitPath(t *testing.T, db *store.DB, code string) string {
	t.Helper()
	var p string
	if err := db.QueryRow(context.Background(), `SELECT path FROM units WHERE code = ?`, code).Scan(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAgentsOfflineOneAlertPerUnit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWatchWorld(t, db)
		now := w.now
		host := func(unit, name string, seen time.Duration) int64 {
			var id int64
			err := db.QueryRow(context.Background(), `INSERT INTO hosts (unit_id, hostname, hostname_key, source, agent_id, agent_seen_at, first_seen_at, last_seen_at)
				VALUES (?, ?, ?, 'agent', ?, ?, ?, ?) RETURNING id`, w.units[unit], name, name, "ag-"+name, store.Micros(now.Add(-seen)), store.Micros(now.Add(-30*24*time.Hour)), store.Micros(now)).Scan(&id)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		for _, n := range []string{"ws-a1-01", "ws-a1-02", "ws-a1-03"} {
			host("A1", n, 48*time.Hour)
		}
		host("A1", "ws-a1-04", time.Hour)
		host("B", "ws-b-01", time.Hour)
		lost := host("B", "srv-b-01", 72*time.Hour)
		// Hosts without an agent are not offline agents.
		if _, err := db.Exec(context.Background(), `INSERT INTO hosts (unit_id, hostname, hostname_key, source, first_seen_at, last_seen_at) VALUES (?, 'pc-noagent', 'pc-noagent', 'import', 1, 1)`, w.units["A"]); err != nil {
			t.Fatal(err)
		}
		w.sweep(t, now)
		w.sweep(t, now.Add(time.Minute))
		got := w.alertsOf(t, health.RuleAgentsOffline)
		if len(got) != 2 {
			t.Fatalf("%d alerts, want one per unit (A1, B)", len(got))
		}
		units := map[int64]bool{}
		for _, a := range got {
			units[a.UnitID] = true
		}
		if !units[w.units["A1"]] || !units[w.units["B"]] {
			t.Errorf("alerts for units %v", units)
		}
		off, err := w.svc.OfflineAgents(w.sys)
		if err != nil || len(off) != 2 || off[0].Unit != "A1" || off[0].Offline != 3 || off[0].Agents != 4 || off[1].Offline != 1 {
			t.Fatalf("offline agents %v %+v", err, off)
		}
		eps, _, _ := w.svc.ListEpisodes(w.sys, health.EpisodeFilter{Kinds: []string{"agents"}, Open: true})
		if len(eps) != 2 || !strings.Contains(eps[0].Detail+eps[1].Detail, "3 of 4 agents offline") {
			t.Errorf("episodes %+v", eps)
		}
		// B's server calls in: B's episode ends, A1's goes on.
		if _, err := db.Exec(context.Background(), `UPDATE hosts SET agent_seen_at = ? WHERE id = ?`, store.Micros(now.Add(2*time.Minute)), lost); err != nil {
			t.Fatal(err)
		}
		w.sweep(t, now.Add(3*time.Minute))
		eps, _, _ = w.svc.ListEpisodes(w.sys, health.EpisodeFilter{Kinds: []string{"agents"}, Open: true})
		if len(eps) != 1 || eps[0].Unit != "A1" {
			t.Errorf("open episodes %+v", eps)
		}
		if got := w.alertsOf(t, health.RuleAgentsOffline); len(got) != 2 {
			t.Errorf("%d alerts after a recovery, want still 2", len(got))
		}
	})
}

func TestStaleFeeds(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	w := newWatchWorld(t, db)
	updated := w.now.Add(-2 * time.Hour)
	var mu sync.Mutex
	w.svc.Feeds = []health.Feed{health.FeedFunc(func(ctx context.Context) ([]health.FeedState, error) {
		mu.Lock()
		defer mu.Unlock()
		return []health.FeedState{
			{Name: "ioc/ncsc", Title: "NCSC indicators", LastUpdate: updated, MaxAge: 6 * time.Hour},
			{Name: "kev", Title: "CISA KEV", MaxAge: 24 * time.Hour, LastError: "connection refused"},
		}, nil
	})}
	w.sweep(t, w.now)
	states, err := w.svc.FeedStatus(w.sys)
	if err != nil || len(states) != 2 || !states[0].Stale || states[0].Name != "kev" || states[1].Stale || states[1].AgeSeconds != 7200 {
		t.Fatalf("feeds %v %+v", err, states)
	}
	w.sweep(t, w.now.Add(5*time.Hour)) // NCSC's feed is 7 h old now
	if got := w.alertsOf(t, health.RuleFeedStale); len(got) != 2 {
		t.Errorf("%d stale-feed alerts, want 2", len(got))
	}
	mu.Lock()
	updated = w.now
	mu.Unlock()
	w.sweep(t, w.now.Add(time.Minute))
	eps, _, _ := w.svc.ListEpisodes(w.sys, health.EpisodeFilter{Kinds: []string{"feed"}, Open: true})
	if len(eps) != 1 || eps[0].Subject != "kev" {
		t.Errorf("open feed episodes %+v", eps)
	}
}

// A real listener goes away and comes back: one alert in the real queue,
// its recovery noted on it.
func TestProbeOutageInTheQueue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWatchWorld(t, db)
		ln := tcpServer(t, "")
		p, err := w.svc.CreateProbe(w.sys, health.ProbeInput{Name: ptr("NCSC"), Kind: ptr("tcp"), Target: ptr(ln), IntervalSeconds: ptr(60), TimeoutSeconds: ptr(1), DownAfterSeconds: ptr(120)})
		if err != nil {
			t.Fatal(err)
		}
		t0 := w.now
		check := func(min int, target string) {
			w.set(t0.Add(time.Duration(min) * time.Minute))
			p.Target = target
			r := health.Check(context.Background(), p, nil)
			r.At = w.now
			if err := w.svc.Record(w.sys, p, r); err != nil {
				t.Fatal(err)
			}
		}
		down := closedPort(t)
		check(0, ln)
		for m := 1; m <= 6; m++ {
			check(m, down)
		}
		got := w.alertsOf(t, health.RuleProbeDown)
		if len(got) != 1 || got[0].Severity != "high" || got[0].Count != 1 {
			t.Fatalf("alerts %+v", got)
		}
		check(7, ln)
		a, err := w.alerts.Get(w.sys, got[0].ID)
		if err != nil || !strings.Contains(a.Note, "Back to normal") {
			t.Errorf("recovery note %q %v", a.Note, err)
		}
		// Up to now (the last check's minute is still ahead): 1 min up,
		// 6 down; a minute later the last check's minute counts too.
		h, _ := w.svc.ProbeHistory(w.sys, p.ID, t0, time.Time{})
		if h.Uptime.Down != 6*60 || h.Uptime.Up != 60 || h.Uptime.Unknown != 0 {
			t.Errorf("uptime %+v", h.Uptime)
		}
		w.set(t0.Add(8 * time.Minute))
		h, _ = w.svc.ProbeHistory(w.sys, p.ID, t0, time.Time{})
		if h.Uptime.Down != 6*60 || h.Uptime.Up != 2*60 {
			t.Errorf("uptime %+v", h.Uptime)
		}
	})
}
