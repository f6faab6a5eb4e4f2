// Package health watches the watch: the probe of the connection to the
// national monitoring center (NCSC) with its uptime history, event
// sources gone silent, units whose agents are offline, and feeds the hub
// refreshes from outside that have gone stale. Each kind of ill health is
// an episode (health_episodes): it raises one alert when it begins, and
// its end is recorded, however many hub processes look.
//
// Uptime is honest: a check vouches for the interval that follows it, and
// time no check vouches for — the hub was not running — is unknown, never
// up (uptime.go).
package health

import (
	"context"
	"crypto/x509"
	"log/slog"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/bus"
	"vigil/internal/hosts"
	"vigil/internal/sources"
	"vigil/internal/store"
)

// Rule ids of the alerts this package raises.
const (
	RuleProbeDown     = "vigil.health.ncsc-down"
	RuleSourceSilent  = "vigil.health.source-silent"
	RuleAgentsOffline = "vigil.health.agents-offline"
	RuleFeedStale     = "vigil.health.feed-stale"
)

// Service is the health service.
type Service struct {
	DB     *store.DB
	Logger *slog.Logger
	Now    func() time.Time // for tests; time.Now when nil

	// Raise records an alert the hub raises itself (the hub's wiring
	// points it at the alerts service); nil only logs.
	Raise func(ctx context.Context, m alerts.Match) error
	// Recover notes on the alert of rule, unit and key that the ill
	// health of from ended at to (a note on the alert, if the alerts
	// service keeps notes); nil only logs. The episode's end is recorded
	// either way.
	Recover func(ctx context.Context, rule string, unitID int64, key string, from, to time.Time) error
	// RootCAs verifies HTTPS probe targets that are not pinned by
	// fingerprint; nil uses the system's roots.
	RootCAs *x509.CertPool
	// Feeds are what the hub refreshes from outside (feeds.go).
	Feeds []Feed
	// Sources and Hosts are looked at by Sweep for silent sources and
	// offline agents; nil skips them.
	Sources *sources.Service
	Hosts   *hosts.Service
	// BusStats reports the bus between ingest and detection, when this
	// process has one (the hub sets it).
	BusStats func() (bus.Stats, bool)
	// SOCUnit returns the id of the unit that runs the SOC (duty's
	// setting; 0 when none is named): the NCSC link's uptime is its
	// figure (measure.go). Nil, or 0, gives it to the root unit.
	SOCUnit func(ctx context.Context) (int64, error)

	// ResultRetention is how long single checks are kept (the hourly
	// roll-up stays for HourRetention); defaults 3 and 400 days.
	ResultRetention, HourRetention time.Duration
	// AgentsOfflineAfter flags an agent not seen for this long (default
	// hosts.AgentStaleAfter).
	AgentsOfflineAfter time.Duration
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// raise hands m to the alerts service, logging when there is none or it
// fails: the episode is recorded either way.
func (s *Service) raise(ctx context.Context, m alerts.Match) {
	if s.Raise == nil {
		s.logger().Warn("health alert (no alert service)", "rule", m.RuleID, "title", m.RuleTitle, "unit_id", m.UnitID)
		return
	}
	if err := s.Raise(ctx, m); err != nil {
		s.logger().Error("health alert not recorded", "rule", m.RuleID, "title", m.RuleTitle, "err", err)
	}
}
