package health

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exposes the watch's health to Prometheus, read from the
// database at each scrape (so every hub process reports the same):
// each probe's state and last latency, and the episodes going on by kind.
func (s *Service) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Service }

var (
	probeUpDesc = prometheus.NewDesc("vigil_health_probe_up",
		"1 when the probe's last check succeeded, 0 when it failed (absent when unknown: never checked, disabled or no recent check).", []string{"probe"}, nil)
	probeLatencyDesc = prometheus.NewDesc("vigil_health_probe_latency_seconds", "The probe's last check's latency.", []string{"probe"}, nil)
	episodesDesc     = prometheus.NewDesc("vigil_health_episodes_open", "Episodes of ill health going on, by kind (probe, source, agents, feed).", []string{"kind"}, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- probeUpDesc
	ch <- probeLatencyDesc
	ch <- episodesDesc
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := c.s.DB.Query(ctx, probeCols+` FROM health_probes`)
	if err == nil {
		for rows.Next() {
			p, err := c.s.scanProbe(rows)
			if err != nil {
				break
			}
			switch p.State {
			case StateUp:
				ch <- prometheus.MustNewConstMetric(probeUpDesc, prometheus.GaugeValue, 1, p.Name)
				ch <- prometheus.MustNewConstMetric(probeLatencyDesc, prometheus.GaugeValue, p.LastLatency/1000, p.Name)
			case StateDown:
				ch <- prometheus.MustNewConstMetric(probeUpDesc, prometheus.GaugeValue, 0, p.Name)
			}
		}
		rows.Close()
	}
	counts := map[string]float64{EpisodeProbe: 0, EpisodeSource: 0, EpisodeAgents: 0, EpisodeFeed: 0}
	rows, err = c.s.DB.Query(ctx, `SELECT kind, COUNT(*) FROM health_episodes WHERE ended_at = 0 GROUP BY kind`)
	if err == nil {
		for rows.Next() {
			var k string
			var n float64
			if rows.Scan(&k, &n) == nil {
				counts[k] = n
			}
		}
		rows.Close()
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(episodesDesc, prometheus.GaugeValue, n, k)
	}
}
