package pipeline

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"vigil/internal/detect/parse"
)

var errUnknownFormat = errors.New("record of an unknown format")

// reason names why a record was not parsed, for the unparsed counter.
func reason(err error) string {
	switch {
	case errors.Is(err, errUnknownFormat):
		return "unknown_format"
	case errors.Is(err, errEventDecode):
		return "event_decode"
	}
	return parse.Reason(err)
}

var errEventDecode = errors.New("bad event record")

// Metrics are the pipeline's counters in /metrics.
type Metrics struct {
	parsed     prometheus.Counter
	unparsed   *prometheus.CounterVec
	matchSigma prometheus.Counter
	matchIOC   prometheus.Counter
	matchCorr  prometheus.Counter
	excepted   prometheus.Counter
	rules      prometheus.Gauge
	refused    prometheus.Gauge
	indicators prometheus.Gauge
	reloads    *prometheus.CounterVec
}

// NewMetrics builds the pipeline's counters and registers them with reg
// (when not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		parsed: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_pipeline_events_parsed_total",
			Help: "Records from the bus parsed into events."}),
		unparsed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_pipeline_events_unparsed_total",
			Help: "Records from the bus that could not be parsed, by reason."}, []string{"reason"}),
		matchSigma: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_pipeline_matches_total",
			Help: "Matches by kind of rule.", ConstLabels: prometheus.Labels{"kind": "sigma"}}),
		matchIOC: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_pipeline_matches_total",
			Help: "Matches by kind of rule.", ConstLabels: prometheus.Labels{"kind": "indicator"}}),
		matchCorr: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_pipeline_matches_total",
			Help: "Matches by kind of rule.", ConstLabels: prometheus.Labels{"kind": "correlation"}}),
		excepted: prometheus.NewCounter(prometheus.CounterOpts{Name: "vigil_pipeline_matches_excepted_total",
			Help: "Matches not alerted because of a unit's exception."}),
		rules: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_pipeline_rules",
			Help: "Sigma rules running."}),
		refused: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_pipeline_rules_refused",
			Help: "Sigma rules that failed to load in the last reload."}),
		indicators: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigil_pipeline_indicators",
			Help: "Indicators matched against events."}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_pipeline_reloads_total",
			Help: "Reloads of the rules or the indicators."}, []string{"what"}),
	}
	for _, r := range []string{"empty", "too_long", "container", "json_syntax", "not_object", "format"} {
		m.unparsed.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.parsed, m.unparsed, m.matchSigma, m.matchIOC, m.matchCorr, m.excepted, m.rules, m.refused, m.indicators, m.reloads)
	}
	return m
}
