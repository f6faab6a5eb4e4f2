package hub

import (
	"context"
	"fmt"
	"sync"

	"vigil/internal/auth"
	"vigil/internal/health"
	"vigil/internal/vuln"
)

// configureHealth connects the health service to what it watches: the
// event sources, the hosts' agents, the alert queue it raises alerts in,
// this process's bus, and the feeds the hub refreshes from outside.
func (h *Hub) configureHealth(cfg Config) {
	hs := h.Health
	hs.Logger = h.logger
	hs.Sources, hs.Hosts = h.Sources, h.Hosts
	hs.UseAlerts(h.Alerts)
	hs.BusStats = h.BusStats
	// The NCSC link's uptime is the SOC unit's figure (readiness measure 5).
	hs.SOCUnit = func(ctx context.Context) (int64, error) {
		soc, err := h.Duty.SOCUnit(auth.WithPrincipal(ctx, auth.System))
		if err != nil || soc == nil {
			return 0, err
		}
		return soc.UnitID, nil
	}
	// The rules: the detection rules compiled last, where this process
	// runs the pipeline (a web-only process reports none).
	hs.Feeds = append(hs.Feeds, health.FeedFunc(func(ctx context.Context) ([]health.FeedState, error) {
		if h.Rules == nil || h.Rules.Engine == nil {
			return nil, nil
		}
		st := health.FeedState{Name: "rules", Title: "Sigma rules (directory and UI)"}
		if rs := h.Rules.Current(); rs != nil {
			st.LastUpdate = rs.Built
			if n := len(rs.Refused); n > 0 {
				st.LastError = fmt.Sprintf("%d rules refused", n)
			}
		}
		if st.LastUpdate.IsZero() {
			return nil, nil // not built yet: starting
		}
		return []health.FeedState{st}, nil
	}))
	// The vulnerability feeds a hub has loaded at least once (one never
	// loaded is not this hub's to watch).
	hs.Feeds = append(hs.Feeds, health.FeedFunc(func(ctx context.Context) ([]health.FeedState, error) {
		st, err := h.Vuln.Status(auth.WithPrincipal(ctx, auth.System))
		if err != nil {
			return nil, err
		}
		var out []health.FeedState
		for _, f := range st.Feeds {
			if f.LoadedAt.IsZero() {
				continue
			}
			s := health.FeedState{Name: "vuln/" + f.Feed, Title: vuln.Titles[f.Feed], LastUpdate: f.LoadedAt, MaxAge: vuln.MaxAge[f.Feed]}
			if f.LastError != "" && f.ErrorAt.After(f.LoadedAt) {
				s.LastError = f.LastError
			}
			out = append(out, s)
		}
		return out, nil
	}))
}

// startHealth runs the probes on their own intervals (seconds, not job
// slots); processes sharing a database claim each check.
func (h *Hub) startHealth(ctx context.Context, wg *sync.WaitGroup) {
	if err := h.Server.Registry().Register(h.Health.Collector()); err != nil {
		h.logger.Warn("health metrics", "err", err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.Health.RunProbes(ctx)
	}()
}
