// Package web is Vigil's HTTP face: the JSON API under /api/v1, the
// server-rendered UI, health and metrics. Handlers decode input, call a
// service with the caller in the context and render the result; access rules
// live in the services, not here.
package web

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"vigil/internal/advisory"
	"vigil/internal/alerts"
	"vigil/internal/auth"
	"vigil/internal/duty"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/findings"
	"vigil/internal/health"
	"vigil/internal/hosts"
	"vigil/internal/incident"
	"vigil/internal/ingest"
	"vigil/internal/intel"
	"vigil/internal/monthly"
	"vigil/internal/natreport"
	"vigil/internal/org"
	"vigil/internal/outbox"
	"vigil/internal/phishing"
	"vigil/internal/pipeline"
	"vigil/internal/readiness"
	"vigil/internal/scanimport"
	"vigil/internal/sources"
	"vigil/internal/store"
	"vigil/internal/taxii"
	"vigil/internal/training"
	"vigil/internal/vuln"
	"vigil/internal/vulnmatch"
	"vigil/internal/watchlist"
)

// Services are the capabilities the handlers call. The hub builds them, in
// one place (internal/hub/wiring.go); every field is set.
type Services struct {
	Auth     *auth.Service
	Org      *org.Service
	Hosts    *hosts.Service
	Findings *findings.Service
	// The watch.
	Sources *sources.Service
	Ingest  *ingest.Service
	Duty    *duty.Service // the watch: duty rosters (internal/duty)
	// Escalate is the watch's escalation: policies, channels, notifications.
	Escalate *escalate.Service
	Alerts   *alerts.Service
	// Rules are the detection rules the pipeline runs (directory and UI),
	// their exceptions and the indicators (internal/pipeline).
	Rules  *pipeline.Service
	Health *health.Service
	// Scans imports vulnerability scanners' reports (internal/scanimport).
	Scans *scanimport.Service
	// Vuln is the vulnerability knowledge base: feeds loaded, CVE lookup
	// (internal/vuln).
	Vuln *vuln.Service
	// VulnMatch matches inventories against the vulnerability knowledge
	// base: a host's missing Microsoft updates (internal/vulnmatch).
	VulnMatch *vulnmatch.Service
	// Intel keeps indicators and the monthly warning lists (internal/intel).
	Intel *intel.Service
	// Watchlist matches published lists and keeps the clean-up queue
	// (internal/watchlist).
	Watchlist *watchlist.Service
	// TAXII serves and polls TAXII 2.1 collections (internal/taxii).
	TAXII *taxii.Service
	// Advisories carries advisories to the units (internal/advisory).
	Advisories *advisory.Service
	// Training is awareness training: employees, courses, campaigns (internal/training).
	Training *training.Service
	// Phishing runs phishing drills (internal/phishing).
	Phishing *phishing.Service
	// Incidents runs incident cases (internal/incident).
	Incidents *incident.Service
	// Outbox delivers the national reports (internal/outbox).
	Outbox *outbox.Service
	// Reports are the national incident reports, Mẫu 03/04/05 (internal/natreport).
	Reports *natreport.Service
	// Monthly is the monthly technical security report (internal/monthly).
	Monthly *monthly.Service
	// Readiness runs readiness campaigns over the five measures (internal/readiness).
	Readiness *readiness.Service
}

// Config configures a Server.
type Config struct {
	Services
	DB        *store.DB
	Logger    *slog.Logger
	BodyLimit int64 // bytes; 10 MiB when 0
	// SecureCookies marks cookies Secure (set when served over HTTPS or
	// behind a TLS-terminating proxy).
	SecureCookies bool
	// TrustProxy takes the client address from X-Forwarded-For.
	TrustProxy bool
	// OIDC, when set, offers "sign in with your organisation".
	OIDC    *auth.OIDC
	Version string
	// ImportMaxRows caps the hosts of one inventory import
	// (asset.DefaultMaxImportHosts when 0).
	ImportMaxRows int
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// MetricsElsewhere leaves /metrics off Handler: the hub serves
	// MetricsHandler on a listener of its own (--metrics-listen).
	MetricsElsewhere bool
}

// Server holds the hub's HTTP handlers.
type Server struct {
	Config
	mux       *http.ServeMux
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	apiRoutes []apiRoute
	ui        *uiRenderer
	started   time.Time
	bigBodies bodyGate // see body_gate.go
}

// New builds a server and registers every route.
func New(cfg Config) (*Server, error) {
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = 10 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{Config: cfg, mux: http.NewServeMux(), registry: prometheus.NewRegistry(), started: time.Now(), bigBodies: make(bodyGate, defaultBigBodies)}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vigil_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"method", "route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "vigil_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"})
	s.registry.MustRegister(s.requests, s.latency, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	ui, err := newUIRenderer()
	if err != nil {
		return nil, err
	}
	s.ui = ui
	s.routes()
	return s, nil
}

// Registry exposes the metrics registry so other subsystems add theirs.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Handler returns the server wrapped in its middleware.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	var h http.Handler = s.mux
	h = recordRoute(h)
	h = s.csrf(h)
	h = s.authenticate(h)
	h = cop.Handler(h)
	h = s.securityHeaders(h)
	h = s.observe(h)
	h = s.recoverPanic(h)
	return h
}

// MetricsHandler serves the Prometheus metrics, to the bearer of
// MetricsToken when one is set.
func (s *Server) MetricsHandler() http.Handler {
	prom := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
	if s.MetricsToken == "" {
		return prom
	}
	want := []byte("Bearer " + s.MetricsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil metrics"`)
			writeError(w, r, errs.Errorf(errs.EUNAUTHORIZED, "metrics need Authorization: Bearer <the metrics token>"))
			return
		}
		prom.ServeHTTP(w, r)
	})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.DB.PingContext(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unreachable\n"))
		return
	}
	if err := s.DB.CheckSchema(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(err.Error() + "\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

// clientIP returns the caller's address for the audit log and throttling.
func (s *Server) clientIP(r *http.Request) string {
	if s.TrustProxy {
		// The proxy appends the address it saw; everything to its left was
		// written by the client and proves nothing.
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
