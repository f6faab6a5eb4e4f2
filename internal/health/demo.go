package health

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"vigil/internal/auth"
	"vigil/internal/store"
)

// DemoProbeName names the demo's probe.
const DemoProbeName = "NCSC — kết nối giám sát (demo)"

// LoadDemo adds a probe of target (host:port; the hub's own address in
// the demo, standing in for the national center) with a week of history
// that has two outages and three hours when the hub was stopped. It does
// nothing when a probe exists.
func (s *Service) LoadDemo(ctx context.Context, target string) (int, error) {
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM health_probes`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	if host, port, err := net.SplitHostPort(target); err != nil || port == "0" || host == "" {
		target = "127.0.0.1:8080"
	}
	ctx = auth.WithPrincipal(ctx, auth.System)
	p, err := s.CreateProbe(ctx, ProbeInput{Name: ptr(DemoProbeName), Kind: ptr(KindTCP), Target: ptr(target), IntervalSeconds: ptr(60),
		TimeoutSeconds: ptr(5), DownAfterSeconds: ptr(300)})
	if err != nil {
		return 0, err
	}
	now := s.now().UTC()
	end := now.Truncate(time.Hour)
	start := end.Add(-7 * 24 * time.Hour)
	rng := rand.New(rand.NewPCG(10, uint64(p.ID)))
	// Hours counted back from the end: two outages and a stopped hub.
	outage := map[int]int64{ // hour -> minutes down
		30: 40, 97: 60, 98: 20,
	}
	stopped := map[int]bool{61: true, 62: true, 63: true}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		for t, i := start, 7*24; t.Before(end); t, i = t.Add(time.Hour), i-1 {
			if stopped[i] {
				continue
			}
			down := outage[i] * 60
			checks := 60
			failures := int(down / 60)
			var latSum, latMax int64
			for c := 0; c < checks-failures; c++ {
				l := int64(18000 + rng.IntN(15000))
				if rng.IntN(200) == 0 {
					l += 400000 // the odd slow answer
				}
				latSum += l
				latMax = max(latMax, l)
			}
			if err := addHour(ctx, tx, p.ID, store.Micros(t), checks, failures, (3600-down)*1e6, down*1e6, latSum, latMax); err != nil {
				return err
			}
		}
		root, err := rootUnit(ctx, tx)
		if err != nil {
			return err
		}
		for _, o := range []struct {
			hour int
			mins int64
		}{{98, 80}, {30, 40}} {
			began := end.Add(-time.Duration(o.hour) * time.Hour)
			if _, err := tx.Exec(ctx, `INSERT INTO health_episodes (kind, subject, unit_id, title, started_at, alerted_at, ended_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				EpisodeProbe, strconv.FormatInt(p.ID, 10), root, p.Name, store.Micros(began), store.Micros(began.Add(5*time.Minute)),
				store.Micros(began.Add(time.Duration(o.mins)*time.Minute)), fmt.Sprintf("%s: connect: connection refused; answering again", ErrRefused)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return 1, nil
}

func ptr[T any](v T) *T { return &v }
