package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/org"
	"vigil/internal/phishing"
	"vigil/internal/store"
	"vigil/internal/training"
)

// BenchmarkTrainingPage renders the IT Center's dashboard (/training for
// a campaign: completion per unit against target and deadline, the
// campaign list with their counts, the courses, and each unit's drill
// outcomes) over HTTP for a reader of the whole organisation, on SQLite,
// with 30,000 employees in 90 units (VIGIL_BENCH_TRAINING=full, else a
// tenth), two in three done, and a drill sent to all of them; it reports
// the 95th percentile in ms (issue 14: < 200 ms). scripts/bench-training.sh
// runs it at full scale.
func BenchmarkTrainingPage(b *testing.B) {
	people, units := 3_000, 90
	if os.Getenv("VIGIL_BENCH_TRAINING") == "full" {
		people = 30_000
	}
	w := newBenchWorld(b)
	ctx := context.Background()
	sys := auth.WithPrincipal(ctx, auth.System)
	depts := []string{"Phòng Thu", "Phòng Chế độ", "Phòng Giám định", "Văn phòng"}
	var codes []string
	for u := range units {
		code := fmt.Sprintf("P%02d", u+1)
		if _, err := w.hub.Org.CreateUnit(sys, org.UnitInput{Code: code, Name: "Bảo hiểm xã hội tỉnh " + code, Kind: org.KindProvince, Parent: org.RootCode}); err != nil {
			b.Fatal(err)
		}
		var rows []training.EmployeeRow
		for i := range people / units {
			rows = append(rows, training.EmployeeRow{Line: i + 2, Name: fmt.Sprintf("Nguyễn Văn %s-%d", code, i), Email: fmt.Sprintf("nv%d@%s.bench.vn", i, code),
				Position: "Chuyên viên", Department: depts[i%len(depts)]})
		}
		if _, err := w.hub.Training.ImportEmployees(sys, code, rows); err != nil {
			b.Fatal(err)
		}
		codes = append(codes, code)
	}
	c, err := w.hub.Training.CreateCampaign(sys, training.CampaignInput{Course: training.StarterSlug, Units: codes, DueAt: time.Now().AddDate(0, 1, 0).Format("2006-01-02")})
	if err != nil {
		b.Fatal(err)
	}
	now := store.Micros(time.Now())
	for _, q := range []string{
		`UPDATE training_assignments SET completed_at = ?, score = 90 WHERE id % 3 <> 0`,
		`UPDATE training_assignments SET passed_at = ? WHERE id % 2 = 0 AND completed_at > 0`,
	} {
		if _, err := w.db.Exec(ctx, q, now); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.hub.Training.RecountCompletion(ctx); err != nil {
		b.Fatal(err)
	}
	ts, err := w.hub.Phishing.Templates(sys)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.hub.Phishing.CreateCampaign(sys, phishing.CampaignInput{Template: ts[0].ID, Unit: org.RootCode, WindowMinutes: 60}); err != nil {
		b.Fatal(err)
	}
	if _, err := w.db.Exec(ctx, `UPDATE phishing_recipients SET status = 'sent', sent_at = ?, opened_at = CASE WHEN id % 2 = 0 THEN ? ELSE 0 END,
		clicked_at = CASE WHEN id % 5 = 0 THEN ? ELSE 0 END, reported_at = CASE WHEN id % 4 = 1 THEN ? ELSE 0 END`, now, now, now, now); err != nil {
		b.Fatal(err)
	}
	if err := w.hub.Phishing.Recount(ctx); err != nil {
		b.Fatal(err)
	}
	path := "/training?campaign=" + strconv.FormatInt(c.ID, 10)
	get := func() time.Duration {
		start := time.Now()
		status, body := benchGet(b, w, "analyst", path)
		d := time.Since(start)
		if status != http.StatusOK || len(body) < 5000 {
			b.Fatalf("dashboard: status %d, %d bytes", status, len(body))
		}
		return d
	}
	get() // warm the templates and the database's cache
	var ds []time.Duration
	b.ResetTimer()
	for b.Loop() {
		ds = append(ds, get())
	}
	b.StopTimer()
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	p95 := ds[min(len(ds)-1, len(ds)*95/100)]
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(people), "people")
}
