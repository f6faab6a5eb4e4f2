package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"vigil/internal/sources"
)

// Transports events arrive by, as metric labels.
const (
	TransportUDP  = "udp"
	TransportTCP  = "tcp"
	TransportTLS  = "tls"
	TransportHTTP = "http"
	TransportEVTX = "evtx"
)

var transports = []string{TransportUDP, TransportTCP, TransportTLS, TransportHTTP, TransportEVTX}

// Metrics are ingest's Prometheus counters. The hot path adds to
// counters looked up once, here, not by label on every batch.
type Metrics struct {
	accepted    *prometheus.CounterVec
	refused     *prometheus.CounterVec
	udpDropped  *prometheus.CounterVec
	pushbacks   *prometheus.CounterVec
	connections *prometheus.GaugeVec
	connRefused prometheus.Counter
	timeouts    *prometheus.CounterVec

	acc  map[string]prometheus.Counter
	ref  map[string]map[string]prometheus.Counter
	push map[string]prometheus.Counter
}

func newMetrics() *Metrics {
	m := &Metrics{
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_ingest_events_accepted_total",
			Help: "Events published to the bus, by transport."}, []string{"transport"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_ingest_events_refused_total",
			Help: "Events refused, by transport and reason."}, []string{"transport", "reason"}),
		udpDropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_ingest_udp_dropped_total",
			Help: "Syslog datagrams dropped: by the hub's full queue (queue) or the kernel's full socket buffer (kernel)."}, []string{"where"}),
		pushbacks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_ingest_pushbacks_total",
			Help: "Times a publish found the bus full and the sender was held back."}, []string{"transport"}),
		connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "vigil_ingest_connections",
			Help: "Open syslog connections."}, []string{"transport"}),
		connRefused: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_ingest_connections_refused_total",
			Help: "Syslog connections closed at once because MaxConns were open."}),
		timeouts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_ingest_connection_timeouts_total",
			Help: "Connections closed for idleness (idle) or for a frame taking too long (slow)."}, []string{"why"}),
		acc: map[string]prometheus.Counter{}, ref: map[string]map[string]prometheus.Counter{}, push: map[string]prometheus.Counter{},
	}
	for _, t := range transports {
		m.acc[t] = m.accepted.WithLabelValues(t)
		m.push[t] = m.pushbacks.WithLabelValues(t)
		m.ref[t] = map[string]prometheus.Counter{}
		for _, r := range sources.Reasons {
			m.ref[t][r] = m.refused.WithLabelValues(t, r)
		}
	}
	m.udpDropped.WithLabelValues("queue")
	m.udpDropped.WithLabelValues("kernel")
	return m
}

// Register adds the counters to reg.
func (m *Metrics) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.accepted, m.refused, m.udpDropped, m.pushbacks, m.connections, m.connRefused, m.timeouts} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *Metrics) accept(transport string, n int) {
	if n > 0 {
		m.acc[transport].Add(float64(n))
	}
}

func (m *Metrics) refuse(transport, reason string, n int) {
	if c := m.ref[transport][reason]; c != nil && n > 0 {
		c.Add(float64(n))
	}
}

func (m *Metrics) pushback(transport string) { m.push[transport].Inc() }
