package hub_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/health"
	"vigil/internal/hub"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestMeasureProvidersWired: the hub's hosts, findings, alerts, sources
// and health services are measure providers as the hub builds them, and
// the NCSC link's uptime lands on the SOC unit duty names (the IT Center
// found by name), where readiness's measure 5 looks for it.
func TestMeasureProvidersWired(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		ctx := auth.WithPrincipal(context.Background(), auth.System)
		if _, err := h.Org.EnsureRoot(ctx); err != nil {
			t.Fatal(err)
		}
		itc, err := h.Org.CreateUnit(ctx, org.UnitInput{Code: "ITC", Name: "Trung tâm Công nghệ thông tin", Kind: org.KindServiceUnit, Parent: org.RootCode})
		if err != nil {
			t.Fatal(err)
		}
		p, err := h.Health.CreateProbe(ctx, health.ProbeInput{Name: new("NCSC"), Kind: new("tcp"), Target: new("127.0.0.1:9"), IntervalSeconds: new(600)})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-time.Hour).Truncate(time.Hour)
		if err := h.Health.Record(ctx, p, health.Result{At: at, OK: true}); err != nil {
			t.Fatal(err)
		}
		providers := []measure.Provider{h.Hosts, h.Findings, h.Alerts, h.Sources, h.Health}
		r := measure.Request{From: at, To: at.Add(10 * time.Minute), Now: time.Now()}
		var got []measure.Sample
		for _, pr := range providers {
			ss, err := pr.Samples(ctx, r)
			if err != nil {
				t.Fatalf("%T: %v", pr, err)
			}
			got = append(got, ss...)
		}
		var uptime []measure.Sample
		for _, s := range got {
			if s.Key == measure.KeyNCSCUptime {
				uptime = append(uptime, s)
			}
		}
		want := measure.Sample{Key: measure.KeyNCSCUptime, UnitID: itc.ID, Num: 600, Den: 600}
		if len(uptime) != 1 || uptime[0] != want {
			t.Fatalf("NCSC uptime %+v, want %+v", uptime, want)
		}
	})
}
