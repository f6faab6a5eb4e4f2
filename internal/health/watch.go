package health

import (
	"context"
	"sort"
	"strings"
	"time"

	"vigil/internal/hosts"
	"vigil/internal/sources"
)

// Source states on the health page.
const (
	SourceReporting = "reporting"
	SourceSilent    = "silent"
)

// SourceHealth is an event source as the health page shows it: reporting,
// or silent since its last event.
type SourceHealth struct {
	ID              int64     `json:"id"`
	Name            string    `json:"name"`
	Kind            string    `json:"kind"`
	Unit            string    `json:"unit"`
	UnitName        string    `json:"unit_name"`
	IntervalMinutes int       `json:"interval_minutes"`
	LastEventAt     time.Time `json:"last_event_at,omitzero"`
	Accepted        int64     `json:"accepted"`
	State           string    `json:"state"`
	// SilentSince is the last event (or the registration, for a source
	// that never sent) of a silent source.
	SilentSince time.Time `json:"silent_since,omitzero"`
}

// SourceFilter selects sources for the health page.
type SourceFilter struct {
	Unit   string
	Silent bool // only the silent ones
	Sort   string
	Desc   bool
	Offset int
	Limit  int
}

// ListSources returns a page of the active event sources in the caller's
// scope with their state.
func (s *Service) ListSources(ctx context.Context, f SourceFilter) ([]*SourceHealth, int, error) {
	if _, err := requireReader(ctx); err != nil {
		return nil, 0, err
	}
	if s.Sources == nil {
		return nil, 0, nil
	}
	status := "active"
	if f.Silent {
		status = "silent"
	}
	list, total, err := s.Sources.List(ctx, sources.Filter{Unit: f.Unit, Status: status, Sort: f.Sort, Desc: f.Desc, Offset: f.Offset, Limit: f.Limit})
	if err != nil {
		return nil, 0, err
	}
	now := s.now()
	out := make([]*SourceHealth, 0, len(list))
	for _, src := range list {
		h := &SourceHealth{ID: src.ID, Name: src.Name, Kind: src.Kind, Unit: src.Unit, UnitName: src.UnitName, IntervalMinutes: src.IntervalMinutes,
			LastEventAt: src.LastEventAt, Accepted: src.Accepted, State: SourceReporting}
		if src.Silent(now) {
			h.State, h.SilentSince = SourceSilent, src.LastEventAt
			if h.SilentSince.IsZero() {
				h.SilentSince = src.CreatedAt
			}
		}
		out = append(out, h)
	}
	return out, total, nil
}

// SourceSortKeys are the keys a list of sources sorts by.
var SourceSortKeys = sources.SortKeys

// OfflineAgents counts per unit of the caller's scope the agents not seen
// for longer than the threshold.
func (s *Service) OfflineAgents(ctx context.Context) ([]*hosts.OfflineAgents, error) {
	if _, err := requireReader(ctx); err != nil {
		return nil, err
	}
	if s.Hosts == nil {
		return nil, nil
	}
	return s.Hosts.OfflineAgentsByUnit(ctx, s.AgentsOfflineAfter)
}

// AgentsOfflineThreshold is how long an agent is silent before it counts
// as offline.
func (s *Service) AgentsOfflineThreshold() time.Duration {
	if s.AgentsOfflineAfter > 0 {
		return s.AgentsOfflineAfter
	}
	return hosts.AgentStaleAfter
}

// Counter is one of the pipeline's figures; Missing says the part that
// counts it does not run in this process (or is not in this hub yet).
type Counter struct {
	Name    string `json:"name"`
	Value   int64  `json:"value"`
	Missing bool   `json:"missing,omitempty"`
}

// PipelineCounters are the bus's backlog and refusals (this process's
// bus) and ingest's own counters such as UDP drops (for callers who see
// every unit).
func (s *Service) PipelineCounters(ctx context.Context) ([]Counter, error) {
	p, err := requireReader(ctx)
	if err != nil {
		return nil, err
	}
	var out []Counter
	if st, ok := s.busStats(); ok {
		out = append(out, Counter{Name: "bus_pending", Value: int64(st.Pending)}, Counter{Name: "bus_refused", Value: int64(st.Refused)})
	} else {
		out = append(out, Counter{Name: "bus_pending", Missing: true})
	}
	if !p.SeesAllUnits() {
		return out, nil
	}
	udp := false
	if s.Sources != nil {
		cs, err := s.Sources.Counters(ctx)
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(cs))
		for n := range cs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			udp = udp || strings.Contains(n, "udp")
			out = append(out, Counter{Name: n, Value: cs[n].Value})
		}
	}
	if !udp {
		out = append(out, Counter{Name: "udp_dropped", Missing: true})
	}
	return out, nil
}

func (s *Service) busStats() (st struct{ Pending, Refused uint64 }, ok bool) {
	if s.BusStats == nil {
		return st, false
	}
	b, ok := s.BusStats()
	return struct{ Pending, Refused uint64 }{b.Pending, b.Refused}, ok
}
