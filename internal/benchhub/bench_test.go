package benchhub_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/store/storetest"
)

// BenchmarkHub measures issue 2's speed targets on a hub of 100 units,
// 1,000 users and 1,000,000 audit rows, on SQLite and on PostgreSQL:
//
//   - api/*: an authenticated API request other than sign-in, served by
//     the full middleware chain — target: median < 2 ms of server time;
//   - audit-page/*: the audit page's first screen for a signed-in user — an
//     administrator, the officer of a province (a few percent of the rows)
//     and the officer of a new province with almost no rows, also
//     filtered to the system's rows or to people's — target: p95 < 50 ms;
//   - dashboard/*: the dashboard, whose recent changes are people's only;
//   - audit-verify: audit.Verify over the whole chain — target: < 10 s.
//
// Building the data takes about 30 s per engine, so the benchmark is
// skipped in -short mode; VIGIL_BENCH_AUDIT_ROWS makes the log smaller for
// a quick look. Each figure is reported as ms/median and ms/p95 besides
// the mean ns/op; verify also reports the CPU time the hub process spent,
// which is what it would take on an idle machine.
func BenchmarkHub(b *testing.B) {
	if testing.Short() {
		b.Skip("the hub benchmark builds 1,000,000 audit rows; not in -short mode")
	}
	size := Issue2
	if v := os.Getenv("VIGIL_BENCH_AUDIT_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("VIGIL_BENCH_AUDIT_ROWS=%q: %v", v, err)
		}
		size.AuditRows = n
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			env := newBenchHub(b, engine, size)
			b.Run("api/get-unit", func(b *testing.B) {
				env.serve(b, "GET", "/api/v1/units/"+env.org.Province, env.adminToken, "")
			})
			b.Run("api/list-users-50", func(b *testing.B) {
				env.serve(b, "GET", "/api/v1/users?limit=50", env.adminToken, "")
			})
			b.Run("api/list-users-50-officer", func(b *testing.B) {
				env.serve(b, "GET", "/api/v1/users?limit=50", env.officerToken, "")
			})
			b.Run("api/audit-50", func(b *testing.B) {
				env.serve(b, "GET", "/api/v1/audit?limit=50", env.adminToken, "")
			})
			b.Run("api/audit-50-officer", func(b *testing.B) {
				env.serve(b, "GET", "/api/v1/audit?limit=50", env.officerToken, "")
			})
			b.Run("audit-page/admin", func(b *testing.B) {
				env.serve(b, "GET", "/audit", "", env.adminCookie)
			})
			b.Run("audit-page/officer", func(b *testing.B) {
				env.serve(b, "GET", "/audit", "", env.officerCookie)
			})
			b.Run("audit-page/officer-quiet-unit", func(b *testing.B) {
				env.serve(b, "GET", "/audit", "", env.quietCookie)
			})
			// The filter by who acted: the system's rows are a few hundred
			// at the start of a million, people's are nearly all.
			b.Run("audit-page/admin-system", func(b *testing.B) {
				env.serve(b, "GET", "/audit?actor_kind=system", "", env.adminCookie)
			})
			b.Run("audit-page/officer-system", func(b *testing.B) {
				env.serve(b, "GET", "/audit?actor_kind=system", "", env.officerCookie)
			})
			b.Run("audit-page/admin-people", func(b *testing.B) {
				env.serve(b, "GET", "/audit?actor_kind=person", "", env.adminCookie)
			})
			b.Run("dashboard/officer-quiet-unit", func(b *testing.B) {
				env.serve(b, "GET", "/", "", env.quietCookie)
			})
			b.Run("audit-verify", func(b *testing.B) {
				ctx := context.Background()
				var samples []time.Duration
				var cpu time.Duration
				for b.Loop() {
					start := time.Now()
					cpu0, _ := processCPU()
					rep, err := audit.Verify(ctx, env.h.DB, nil)
					samples = append(samples, time.Since(start))
					cpu1, ok := processCPU()
					if ok {
						cpu += cpu1 - cpu0
					}
					if err != nil {
						b.Fatal(err)
					}
					if !rep.OK() || rep.Rows < env.org.AuditRows {
						b.Fatalf("verify: %d rows, problems %v", rep.Rows, rep.Problems[:min(3, len(rep.Problems))])
					}
					b.ReportMetric(float64(rep.Rows), "rows")
				}
				report(b, samples)
				if cpu > 0 {
					// The hub's side only: PostgreSQL's own work is not in it.
					b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(len(samples)), "ms-cpu/op")
				}
			})
		})
	}
}

type benchHub struct {
	h             *hub.Hub
	handler       http.Handler
	org           *Org
	adminToken    string
	officerToken  string
	adminCookie   string
	officerCookie string
	quietCookie   string
}

func newBenchHub(b *testing.B, engine string, size Size) *benchHub {
	b.Helper()
	ctx := context.Background()
	db := storetest.Open(b, engine)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := hub.New(db, hub.Config{Logger: logger, Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	o, err := Seed(ctx, db, size)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: seeded %d units, %d users, %d audit rows in %s (audit rows %.1fs)",
		engine, len(o.Units), o.Users, o.AuditRows, time.Since(start).Round(time.Millisecond), o.AuditSeconds)
	env := &benchHub{h: h, handler: h.Server.Handler(), org: o}
	env.adminToken, env.adminCookie = signIn(b, h, AdminEmail)
	env.officerToken, env.officerCookie = signIn(b, h, o.Officer)
	_, env.quietCookie = signIn(b, h, QuietOfficer)
	return env
}

// signIn returns an API token and a session cookie for email.
func signIn(b *testing.B, h *hub.Hub, email string) (token, cookie string) {
	b.Helper()
	ctx := auth.WithClientIP(context.Background(), "127.0.0.1")
	p, err := h.Auth.Login(ctx, email, Password)
	if err != nil {
		b.Fatalf("sign in %s: %v", email, err)
	}
	_, token, err = h.Auth.CreateToken(auth.WithPrincipal(ctx, p), "bench", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	sess, err := h.Auth.CreateSession(ctx, p, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return token, "vigil_session=" + sess.Token
}

// serve times one request through the hub's full handler (middleware,
// authentication, service, rendering), without the network.
func (env *benchHub) serve(b *testing.B, method, path, token, cookie string) {
	var samples []time.Duration
	var cpu time.Duration
	for b.Loop() {
		r := httptest.NewRequest(method, path, nil)
		r.RemoteAddr = "127.0.0.1:40000"
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		cpu0, _ := processCPU()
		start := time.Now()
		env.handler.ServeHTTP(w, r)
		samples = append(samples, time.Since(start))
		cpu1, _ := processCPU()
		cpu += cpu1 - cpu0
		if w.Code != http.StatusOK {
			b.Fatalf("%s %s: status %d: %s", method, path, w.Code, w.Body.String())
		}
		if strings.HasPrefix(path, "/audit") && !strings.Contains(w.Body.String(), `id="audit-table"`) {
			b.Fatalf("%s %s shows no audit rows", method, path)
		}
	}
	report(b, samples)
	if cpu > 0 && len(samples) > 0 {
		// The hub's own CPU time (SQLite's included, PostgreSQL's not):
		// steadier than the wall clock on a busy machine.
		b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(len(samples)), "ms-cpu/op")
	}
}

// report adds the median and the 95th percentile of samples, in
// milliseconds, to the benchmark's line.
func report(b *testing.B, samples []time.Duration) {
	if len(samples) == 0 {
		return
	}
	slices.Sort(samples)
	at := func(q float64) float64 {
		i := int(q * float64(len(samples)-1))
		return float64(samples[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.5), "ms/median")
	b.ReportMetric(at(0.95), "ms/p95")
}
