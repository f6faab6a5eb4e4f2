package health_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"vigil/internal/alerts"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/health"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func ptr[T any](v T) *T { return &v }

// tcpServer listens on a real port and greets with banner.
func tcpServer(t *testing.T, banner string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, banner)
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestCheck(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ssh := tcpServer(t, "SSH-2.0-OpenSSH_9.6\r\n")
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"status":"ok","center":"NCSC"}`)
	}))
	defer tlsSrv.Close()
	sum := sha256.Sum256(tlsSrv.Certificate().Raw)
	pin := hex.EncodeToString(sum[:])
	roots := tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	// A listener that accepts and never speaks: the banner times out.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()

	for _, c := range []struct {
		name  string
		probe health.Probe
		roots bool
		kind  string // "" when up
	}{
		{"tcp up", health.Probe{Kind: "tcp", Target: ssh}, false, ""},
		{"tcp banner", health.Probe{Kind: "tcp", Target: ssh, WantBanner: "SSH-2.0-"}, false, ""},
		{"tcp wrong banner", health.Probe{Kind: "tcp", Target: ssh, WantBanner: "220 "}, false, health.ErrBanner},
		{"tcp down", health.Probe{Kind: "tcp", Target: closedPort(t)}, false, health.ErrRefused},
		{"tcp mute", health.Probe{Kind: "tcp", Target: mute.Addr().String(), WantBanner: "SSH"}, false, health.ErrTimeout},
		{"https up", health.Probe{Kind: "https", Target: tlsSrv.URL + "/", WantStatus: 200, WantBody: `"status":"ok"`}, true, ""},
		{"https pinned", health.Probe{Kind: "https", Target: tlsSrv.URL + "/", WantStatus: 200, WantFingerprint: pin}, false, ""},
		{"https wrong pin", health.Probe{Kind: "https", Target: tlsSrv.URL + "/", WantStatus: 200, WantFingerprint: strings.Repeat("ab", 32)}, false, health.ErrFingerprint},
		{"https untrusted", health.Probe{Kind: "https", Target: tlsSrv.URL + "/", WantStatus: 200}, false, health.ErrTLS},
		{"https status", health.Probe{Kind: "https", Target: tlsSrv.URL + "/down", WantStatus: 200}, true, health.ErrStatus},
		{"https body", health.Probe{Kind: "https", Target: tlsSrv.URL + "/", WantStatus: 200, WantBody: "IRLab"}, true, health.ErrBody},
		{"https down", health.Probe{Kind: "https", Target: "https://" + closedPort(t) + "/", WantStatus: 200}, true, health.ErrRefused},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := c.probe
			p.TimeoutSeconds = 1
			var r health.Result
			if c.roots {
				r = health.Check(ctx, &p, roots)
			} else {
				r = health.Check(ctx, &p, nil)
			}
			if r.ErrKind != c.kind || r.OK != (c.kind == "") {
				t.Fatalf("ok %v kind %q (%s), want kind %q", r.OK, r.ErrKind, r.Error, c.kind)
			}
			if r.OK && r.Latency <= 0 {
				t.Errorf("latency %v", r.Latency)
			}
			if r.At.IsZero() {
				t.Error("no time")
			}
		})
	}
}

// fixture is a migrated database with the organisation's root, a clock
// and the alerts the service raised.
type fixture struct {
	db     *store.DB
	svc    *health.Service
	now    time.Time
	mu     sync.Mutex
	raised []alerts.Match
	notes  []string
	admin  context.Context
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, now: time.Date(2026, 2, 10, 8, 0, 0, 0, time.UTC)}
	sys := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(sys); err != nil {
		t.Fatal(err)
	}
	f.svc = &health.Service{DB: db, Now: func() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now },
		Raise: func(ctx context.Context, m alerts.Match) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.raised = append(f.raised, m)
			return nil
		},
		Recover: func(ctx context.Context, rule string, unitID int64, key string, from, to time.Time) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.notes = append(f.notes, fmt.Sprintf("%s %s %s", rule, key, to.Sub(from)))
			return nil
		}}
	f.admin = sys
	return f
}

func (f *fixture) set(t time.Time) { f.mu.Lock(); f.now = t; f.mu.Unlock() }

func TestProbeCRUDAndScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.admin
		p, err := f.svc.CreateProbe(ctx, health.ProbeInput{Name: ptr("NCSC"), Kind: ptr("https"), Target: ptr("https://ncsc.example.vn/health"),
			IntervalSeconds: ptr(60), WantFingerprint: ptr(strings.Repeat("AB:", 31) + "AB")})
		if err != nil {
			t.Fatal(err)
		}
		if p.WantStatus != 200 || p.TimeoutSeconds != 10 || p.DownAfterSeconds != 300 || p.WantFingerprint != strings.Repeat("ab", 32) || p.State != health.StateUnknown {
			t.Errorf("defaults: %+v", p)
		}
		if _, err := f.svc.CreateProbe(ctx, health.ProbeInput{Name: ptr("NCSC"), Kind: ptr("tcp"), Target: ptr("10.0.0.1:443")}); errs.Code(err) != errs.ECONFLICT {
			t.Errorf("duplicate name: %v", err)
		}
		for _, in := range []health.ProbeInput{
			{Name: ptr("x"), Kind: ptr("icmp"), Target: ptr("10.0.0.1")},
			{Name: ptr("x"), Kind: ptr("tcp"), Target: ptr("10.0.0.1")},
			{Name: ptr("x"), Kind: ptr("https"), Target: ptr("http://a/")},
			{Name: ptr("x"), Kind: ptr("tcp"), Target: ptr("a:1"), IntervalSeconds: ptr(5)},
			{Name: ptr("x"), Kind: ptr("tcp"), Target: ptr("a:1"), IntervalSeconds: ptr(30), TimeoutSeconds: ptr(30)},
			{Name: ptr("x"), Kind: ptr("https"), Target: ptr("https://a/"), WantFingerprint: ptr("abc")},
			{Name: ptr("x"), Kind: ptr("tcp"), Target: ptr("a:1"), WantStatus: ptr(200)},
		} {
			if _, err := f.svc.CreateProbe(ctx, in); errs.Code(err) != errs.EINVALID {
				t.Errorf("%s %s: err %v, want invalid", *in.Kind, *in.Target, err)
			}
		}
		officer := auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 9, Email: "o@x", Role: auth.RoleOfficer, UnitPath: "/9/", UnitID: 9})
		if _, err := f.svc.CreateProbe(officer, health.ProbeInput{Name: ptr("y"), Kind: ptr("tcp"), Target: ptr("a:1")}); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("officer creates: %v", err)
		}
		if _, err := f.svc.UpdateProbe(officer, p.ID, health.ProbeInput{Enabled: ptr(false)}); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("officer changes: %v", err)
		}
		if list, total, err := f.svc.ListProbes(officer, health.ProbeFilter{}); err != nil || total != 1 || list[0].Name != "NCSC" {
			t.Errorf("officer lists: %v %d %v", list, total, err)
		}
		agent := auth.WithPrincipal(context.Background(), &auth.Principal{Via: "agent", AgentID: "a", HostID: 1})
		if _, _, err := f.svc.ListProbes(agent, health.ProbeFilter{}); err == nil {
			t.Error("an agent lists probes")
		}
		up, err := f.svc.UpdateProbe(ctx, p.ID, health.ProbeInput{IntervalSeconds: ptr(120), WantBody: ptr("ok")})
		if err != nil || up.IntervalSeconds != 120 || up.WantBody != "ok" || up.Target != p.Target {
			t.Fatalf("update: %+v %v", up, err)
		}
		if err := f.svc.DeleteProbe(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.GetProbe(ctx, p.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("deleted probe: %v", err)
		}
		var n int
		db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE object_type = 'probe'`).Scan(&n)
		if n != 3 {
			t.Errorf("%d audit rows for the probe, want 3", n)
		}
	})
}

// result is a check at a time.
func result(at time.Time, ok bool) health.Result {
	r := health.Result{At: at, OK: ok, Latency: 20 * time.Millisecond}
	if !ok {
		r.ErrKind, r.Error = health.ErrRefused, "connection refused"
	}
	return r
}

func TestUptimeWithGaps(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.admin
		p, err := f.svc.CreateProbe(ctx, health.ProbeInput{Name: ptr("NCSC"), Kind: ptr("tcp"), Target: ptr("127.0.0.1:9"), IntervalSeconds: ptr(600), DownAfterSeconds: ptr(1200)})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
		// 00:00-04:00 up (24 checks), 04:00-05:00 down (6), 05:00-07:00
		// nothing (the hub was stopped), 07:00-07:50 up (5 checks, the
		// last vouching until 08:00).
		for i := 0; i < 24; i++ {
			f.set(t0.Add(time.Duration(i) * 10 * time.Minute))
			mustRecord(t, f, p, result(f.now, true))
		}
		for i := 24; i < 30; i++ {
			f.set(t0.Add(time.Duration(i) * 10 * time.Minute))
			mustRecord(t, f, p, result(f.now, false))
		}
		for i := 42; i < 48; i++ {
			f.set(t0.Add(time.Duration(i) * 10 * time.Minute))
			mustRecord(t, f, p, result(f.now, true))
		}
		f.set(t0.Add(8 * time.Hour))
		h, err := f.svc.ProbeHistory(ctx, p.ID, t0, t0.Add(8*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		u := h.Uptime
		if u.Up != 5*3600 || u.Down != 3600 || u.Unknown != 2*3600 {
			t.Errorf("up %v down %v unknown %v; want 5 h, 1 h, 2 h", u.Up, u.Down, u.Unknown)
		}
		if u.Percent == nil || fmt.Sprintf("%.2f", *u.Percent) != "83.33" {
			t.Errorf("percent %v, want 83.33 (5 of 6 known hours)", u.Percent)
		}
		if u.Checks != 36 || u.Failures != 6 {
			t.Errorf("checks %d failures %d", u.Checks, u.Failures)
		}
		if len(h.Buckets) != 8 || h.Step != "hour" {
			t.Fatalf("%d buckets of %s", len(h.Buckets), h.Step)
		}
		if b := h.Buckets[5]; b.Unknown != 3600 || b.Percent != nil {
			t.Errorf("hour 5: %+v, want unknown", b.Uptime)
		}
		if b := h.Buckets[4]; b.Down != 3600 || *b.Percent != 0 {
			t.Errorf("hour 4: %+v, want down", b.Uptime)
		}
		if b := h.Buckets[0]; b.LatencyAvgMS != 20 || b.LatencyMaxMS != 20 {
			t.Errorf("latency %v %v", b.LatencyAvgMS, b.LatencyMaxMS)
		}
		// A check at 03:55 vouches for ten minutes split across two hours.
		p2, _ := f.svc.CreateProbe(ctx, health.ProbeInput{Name: ptr("split"), Kind: ptr("tcp"), Target: ptr("127.0.0.1:9"), IntervalSeconds: ptr(600)})
		f.set(t0.Add(3*time.Hour + 55*time.Minute))
		mustRecord(t, f, p2, result(f.now, true))
		f.set(t0.Add(8 * time.Hour))
		h, _ = f.svc.ProbeHistory(ctx, p2.ID, t0, t0.Add(8*time.Hour))
		if h.Buckets[3].Up != 300 || h.Buckets[4].Up != 300 || h.Buckets[3].Checks != 1 || h.Buckets[4].Checks != 0 {
			t.Errorf("split: %+v / %+v", h.Buckets[3].Uptime, h.Buckets[4].Uptime)
		}
		// The period ends now: the last check vouches for the two minutes
		// since it, not for the rest of its interval still ahead.
		f.set(t0.Add(3*time.Hour + 57*time.Minute))
		h, _ = f.svc.ProbeHistory(ctx, p2.ID, t0.Add(3*time.Hour), time.Time{})
		if h.Uptime.Up != 120 || h.Uptime.Unknown != 55*60 {
			t.Errorf("current hour: up %v unknown %v", h.Uptime.Up, h.Uptime.Unknown)
		}
		// Long periods come by day.
		f.set(t0.Add(8 * time.Hour))
		h, err = f.svc.ProbeHistory(ctx, p.ID, t0.Add(-20*24*time.Hour), time.Time{})
		if err != nil || h.Step != "day" || h.Uptime.Up != 5*3600 {
			t.Errorf("by day: %v %s %+v", err, h.Step, h.Uptime)
		}
		// Single checks are listed newest first and pruned; hours stay.
		rs, total, err := f.svc.ProbeResults(ctx, p.ID, 0, 10)
		if err != nil || total != 36 || len(rs) != 10 || !rs[0].At.Equal(t0.Add(470*time.Minute)) {
			t.Fatalf("results: %d %d %v", total, len(rs), err)
		}
		f.set(t0.Add(10 * 24 * time.Hour))
		if err := f.svc.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := f.svc.ProbeResults(ctx, p.ID, 0, 10); total != 0 {
			t.Errorf("%d results after pruning", total)
		}
		h, _ = f.svc.ProbeHistory(ctx, p.ID, t0, t0.Add(8*time.Hour))
		if h.Uptime.Up != 5*3600 {
			t.Errorf("hours pruned too: %+v", h.Uptime)
		}
	})
}

func mustRecord(t *testing.T, f *fixture, p *health.Probe, r health.Result) {
	t.Helper()
	if err := f.svc.Record(f.admin, p, r); err != nil {
		t.Fatal(err)
	}
}

func TestProbeDownRaisesOneAlertPerEpisode(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.admin
		p, err := f.svc.CreateProbe(ctx, health.ProbeInput{Name: ptr("NCSC"), Kind: ptr("tcp"), Target: ptr("127.0.0.1:9"), IntervalSeconds: ptr(60), DownAfterSeconds: ptr(300)})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
		at := func(min int, ok bool) {
			f.set(t0.Add(time.Duration(min) * time.Minute))
			mustRecord(t, f, p, result(f.now, ok))
		}
		at(0, true)
		for m := 1; m <= 5; m++ { // four minutes of failures: under the threshold
			at(m, false)
		}
		if len(f.raised) != 0 {
			t.Fatalf("alert before the threshold: %v", f.raised)
		}
		for m := 6; m <= 20; m++ {
			at(m, false)
		}
		if len(f.raised) != 1 {
			t.Fatalf("%d alerts for one episode, want 1", len(f.raised))
		}
		m := f.raised[0]
		if m.RuleID != health.RuleProbeDown || m.Event != nil || m.UnitID == 0 || !m.Time.Equal(t0.Add(time.Minute)) {
			t.Errorf("alert %+v", m)
		}
		got, _ := f.svc.GetProbe(ctx, p.ID)
		if got.State != health.StateDown || !got.DownSince.Equal(t0.Add(time.Minute)) {
			t.Errorf("probe %s since %v", got.State, got.DownSince)
		}
		at(21, true)
		if len(f.notes) != 1 || f.notes[0] != "vigil.health.ncsc-down probe:"+fmt.Sprint(p.ID)+" 20m0s" {
			t.Errorf("recovery notes %v", f.notes)
		}
		// A short blip after it: no alert. A second long outage: a second.
		at(22, false)
		at(23, true)
		for m := 30; m <= 40; m++ {
			at(m, false)
		}
		if len(f.raised) != 2 {
			t.Errorf("%d alerts after a second outage, want 2", len(f.raised))
		}
		// Prometheus sees the probe down and one probe episode going on.
		reg := prometheus.NewRegistry()
		reg.MustRegister(f.svc.Collector())
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				name := mf.GetName()
				for _, l := range m.GetLabel() {
					name += "/" + l.GetValue()
				}
				seen[name] = m.GetGauge().GetValue()
			}
		}
		if v, ok := seen["vigil_health_probe_up/NCSC"]; !ok || v != 0 || seen["vigil_health_episodes_open/probe"] != 1 {
			t.Errorf("metrics %v", seen)
		}
		eps, total, err := f.svc.ListEpisodes(ctx, health.EpisodeFilter{Kinds: []string{"probe"}})
		if err != nil || total != 2 || !eps[0].Open() || eps[1].Open() || eps[1].Duration(f.now) != 20*time.Minute {
			t.Fatalf("episodes %d %v: %+v", total, err, eps)
		}
		// With the clock at an hour later and no checks, the probe is
		// unknown, not down.
		f.set(t0.Add(2 * time.Hour))
		got, _ = f.svc.GetProbe(ctx, p.ID)
		if got.State != health.StateUnknown {
			t.Errorf("stale probe state %s", got.State)
		}
	})
}

// The runner checks a real listener on its interval and records it.
func TestRunProbes(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	f := newFixture(t, db)
	f.svc.Now = nil
	addr := tcpServer(t, "hello")
	p, err := f.svc.CreateProbe(f.admin, health.ProbeInput{Name: ptr("local"), Kind: ptr("tcp"), Target: ptr(addr), IntervalSeconds: ptr(10), WantBanner: ptr("hel")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.svc.RunProbes(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, _ := f.svc.GetProbe(f.admin, p.ID)
		if got.State == health.StateUp {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("probe not checked: %+v", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if _, total, _ := f.svc.ProbeResults(f.admin, p.ID, 0, 10); total != 1 {
		t.Errorf("%d checks in the first interval, want 1", total)
	}
}
