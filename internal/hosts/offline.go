package hosts

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/auth"
	"vigil/internal/store"
)

// OfflineAgents is a unit's enrolled agents that have not called in.
type OfflineAgents struct {
	UnitID   int64     `json:"-"`
	Unit     string    `json:"unit"`
	UnitName string    `json:"unit_name"`
	UnitPath string    `json:"-"`
	Offline  int       `json:"offline"`       // agents silent for longer than the threshold
	Agents   int       `json:"agents"`        // agents enrolled in the unit
	Oldest   time.Time `json:"oldest_seen"`   // the longest-silent agent's last call
	Newest   time.Time `json:"latest_silent"` // the most recently lost agent's last call
}

// OfflineAgentsByUnit counts, per unit of the caller's scope (each unit
// by itself, not its subtree), the enrolled agents not seen for longer
// than after (AgentStaleAfter when 0) — the hosts the coverage view
// flags as lost agents. Units with none offline are left out.
func (s *Service) OfflineAgentsByUnit(ctx context.Context, after time.Duration) ([]*OfflineAgents, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if after <= 0 {
		after = AgentStaleAfter
	}
	since := s.now().Add(-after).UnixMicro()
	scope, args := p.Scope("u.path")
	rows, err := s.DB.Query(ctx, `SELECT u.id, u.code, u.name, u.path,
		SUM(CASE WHEN h.agent_seen_at < ? THEN 1 ELSE 0 END), COUNT(*),
		MIN(h.agent_seen_at), MAX(CASE WHEN h.agent_seen_at < ? THEN h.agent_seen_at ELSE 0 END)
		FROM hosts h JOIN units u ON u.id = h.unit_id WHERE h.agent_id <> '' AND `+scope+`
		GROUP BY u.id, u.code, u.name, u.path ORDER BY u.path`, append([]any{since, since}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("hosts: offline agents: %w", err)
	}
	defer rows.Close()
	var out []*OfflineAgents
	for rows.Next() {
		var o OfflineAgents
		var oldest, newest int64
		if err := rows.Scan(&o.UnitID, &o.Unit, &o.UnitName, &o.UnitPath, &o.Offline, &o.Agents, &oldest, &newest); err != nil {
			return nil, err
		}
		if o.Offline == 0 {
			continue
		}
		o.Oldest, o.Newest = store.Time(oldest), store.Time(newest)
		out = append(out, &o)
	}
	return out, rows.Err()
}
