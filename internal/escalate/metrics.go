package escalate

import "github.com/prometheus/client_golang/prometheus"

// Metrics count what escalation does, for /metrics.
type Metrics struct {
	// Attempts by channel kind and result: delivered, retry (failed, will
	// be tried again), failed (given up) or cancelled (the alert was
	// acknowledged first).
	Attempts *prometheus.CounterVec
	// Steps counts escalation steps reached, by target.
	Steps *prometheus.CounterVec
}

// NewMetrics makes the counters.
func NewMetrics() *Metrics {
	return &Metrics{
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_notification_attempts_total",
			Help: "Notification delivery attempts by channel kind and result (delivered, retry, failed, cancelled)."}, []string{"kind", "result"}),
		Steps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_escalation_steps_total",
			Help: "Escalation steps reached by unacknowledged alerts, by target."}, []string{"target"}),
	}
}

// Register adds the counters to reg.
func (m *Metrics) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.Attempts, m.Steps} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) countAttempt(kind, result string) {
	if s.Metrics != nil {
		s.Metrics.Attempts.WithLabelValues(kind, result).Inc()
	}
}

func (s *Service) countStep(target string) {
	if s.Metrics != nil {
		s.Metrics.Steps.WithLabelValues(target).Inc()
	}
}
