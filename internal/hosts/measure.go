package hosts

import (
	"context"
	"fmt"
	"strings"

	"vigil/internal/measure"
	"vigil/internal/store"
)

var _ measure.Provider = (*Service)(nil)

// Samples is the hosts' side of measure.Provider: per unit (its own hosts,
// not its subtree), the shares of hosts passing the coverage checks at
// r.Now, the number of hosts, and the share whose agent finished a malware
// scan in [r.From, r.To). One grouped query over the hosts answers every
// key asked for.
//
// The rules are the coverage view's, so a readiness criterion and the
// hosts list it links to (?failing=antivirus…) count the same hosts:
//
//   - a host is counted from its first sighting (first_seen_at ≤ Now); a
//     decommissioned (retired) host is deleted with its findings, agent
//     and tasks, so it counts nowhere;
//   - anti-malware current: an EDR agent running, or anti-malware on,
//     running, scanning in real time, with signatures updated strictly
//     less than SignatureMaxAge (3 days) before Now — signatures exactly 3
//     days old are not current;
//   - firewall on: the inventory said it is on (on every Windows profile);
//     unknown is not on;
//   - agent seen: an enrolled agent whose last call is at or after
//     Now − AgentStaleAfter (24 h);
//   - scanned: the host has a scan task (sent by the hub, or run by the
//     agent on its own and reported) that finished successfully (done,
//     not failed) with its result recorded in [From, To). The hub cannot
//     tell a "full" scan from a partial one — the officer chooses the
//     paths — so any finished scan counts.
//
// Hosts keep only their latest state, so for a Now in the past the state
// shares judge that latest state at Now (the monthly report reads none of
// them). A unit with no hosts gets no hosts samples: no data, not 0 %.
func (s *Service) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	state := []string{measure.KeyHostsAVCurrent, measure.KeyHostsFirewallOn, measure.KeyHostsAgentSeen24h, measure.KeyHostsTotal}
	period := r.Wants(measure.KeyHostsScannedPeriod) && !r.To.IsZero() && r.From.Before(r.To)
	if !r.WantsAny(state...) && !period {
		return nil, nil
	}
	now := r.Now
	if now.IsZero() {
		now = s.now()
	}
	cols := []string{`h.unit_id`, `COUNT(*)`,
		`COUNT(CASE WHEN h.edr_ok OR (h.av_ok AND h.av_updated_at > ?) THEN 1 END)`,
		`COUNT(CASE WHEN h.firewall_ok THEN 1 END)`,
		`COUNT(CASE WHEN h.agent_id <> '' AND h.agent_seen_at >= ? THEN 1 END)`}
	args := []any{store.Micros(now.Add(-SignatureMaxAge)), store.Micros(now.Add(-AgentStaleAfter))}
	if period {
		cols = append(cols, `COUNT(CASE WHEN EXISTS (SELECT 1 FROM agent_tasks t WHERE t.host_id = h.id AND t.status = 'done' AND t.kind = 'scan'
			AND t.updated_at >= ? AND t.updated_at < ?) THEN 1 END)`)
		args = append(args, store.Micros(r.From), store.Micros(r.To))
	}
	args = append(args, store.Micros(now))
	rows, err := s.DB.Query(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM hosts h WHERE h.first_seen_at <= ? GROUP BY h.unit_id ORDER BY h.unit_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("hosts: samples: %w", err)
	}
	defer rows.Close()
	var out []measure.Sample
	for rows.Next() {
		var unit int64
		var total, av, fw, seen, scanned int64
		dest := []any{&unit, &total, &av, &fw, &seen}
		if period {
			dest = append(dest, &scanned)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("hosts: samples: %w", err)
		}
		add := func(key string, num, den int64) {
			if r.Wants(key) {
				out = append(out, measure.Sample{Key: key, UnitID: unit, Num: float64(num), Den: float64(den)})
			}
		}
		add(measure.KeyHostsAVCurrent, av, total)
		add(measure.KeyHostsFirewallOn, fw, total)
		add(measure.KeyHostsAgentSeen24h, seen, total)
		add(measure.KeyHostsTotal, total, 0)
		if period {
			add(measure.KeyHostsScannedPeriod, scanned, total)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hosts: samples: %w", err)
	}
	return out, nil
}
