package hosts

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"vigil/internal/auth"
	"vigil/internal/errs"
)

// Counts are a set of hosts measured against the coverage checks.
type Counts struct {
	Hosts       int `json:"hosts"`
	Servers     int `json:"servers"`
	Antivirus   int `json:"antivirus_ok"` // AV running, signatures < 3 days, or EDR running
	Firewall    int `json:"firewall_ok"`
	AgentSeen   int `json:"agent_seen"` // agent called in within 24 h
	WithAgent   int `json:"with_agent"`
	StaleAgents int `json:"stale_agents"` // enrolled, silent for 24 h
	NoAgent     int `json:"no_agent"`     // known from imports only
	OpenFinding int `json:"hosts_with_open_findings"`
}

// Percent is part/whole as a whole percentage (0 for no hosts).
func Percent(part, whole int) int {
	if whole == 0 {
		return 0
	}
	return int(float64(part)*100/float64(whole) + 0.5)
}

// UnitCoverage is one unit's subtree.
type UnitCoverage struct {
	Unit     string `json:"unit"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Counts          // the unit and everything below it
	Percents struct {
		Antivirus int `json:"antivirus"`
		Firewall  int `json:"firewall"`
		AgentSeen int `json:"agent_seen"`
	} `json:"percent"`
}

// Coverage is the coverage report of one unit.
type Coverage struct {
	UnitCoverage
	Children []UnitCoverage     `json:"children"`
	Failing  map[string][]*Host `json:"failing"` // check -> hosts failing it (the first FailingShown)
	// FailingTotal is how many hosts fail each check in all: Failing
	// holds at most FailingShown of them, and the hosts list
	// (?unit=&failing=) all.
	FailingTotal map[string]int    `json:"failing_total"`
	Thresholds   map[string]string `json:"thresholds"`
}

// FailingShown caps the hosts a coverage report lists per failed check.
const FailingShown = 200

type unitRow struct {
	id, parent             int64
	code, name, kind, path string
	own                    Counts
	total                  Counts
}

// coverageRows computes per-unit counts for every unit in the caller's
// scope with one grouped query, then rolls them up the tree.
func (s *Service) coverageRows(ctx context.Context) (map[int64]*unitRow, []*unitRow, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	scope, args := p.Scope("u.path")
	rows, err := s.DB.Query(ctx, `SELECT u.id, COALESCE(u.parent_id, 0), u.code, u.name, u.kind, u.path FROM units u WHERE `+scope, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("hosts: coverage units: %w", err)
	}
	units := map[int64]*unitRow{}
	var order []*unitRow
	for rows.Next() {
		r := &unitRow{}
		if err := rows.Scan(&r.id, &r.parent, &r.code, &r.name, &r.kind, &r.path); err != nil {
			rows.Close()
			return nil, nil, err
		}
		units[r.id] = r
		order = append(order, r)
	}
	rows.Close()
	now := s.now()
	sigSince := now.Add(-SignatureMaxAge).UnixMicro()
	seenSince := now.Add(-AgentStaleAfter).UnixMicro()
	scope2, args2 := p.Scope("u.path")
	q := `SELECT h.unit_id, COUNT(*),
		SUM(CASE WHEN h.role = 'server' THEN 1 ELSE 0 END),
		SUM(CASE WHEN h.edr_ok OR (h.av_ok AND h.av_updated_at > ?) THEN 1 ELSE 0 END),
		SUM(CASE WHEN h.firewall_ok THEN 1 ELSE 0 END),
		SUM(CASE WHEN h.agent_id <> '' AND h.agent_seen_at >= ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN h.agent_id <> '' THEN 1 ELSE 0 END),
		SUM(CASE WHEN h.agent_id <> '' AND h.agent_seen_at < ? THEN 1 ELSE 0 END),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM findings f WHERE f.host_id = h.id AND f.status IN ('open', 'in_progress')) THEN 1 ELSE 0 END)
		FROM hosts h JOIN units u ON u.id = h.unit_id WHERE ` + scope2 + ` GROUP BY h.unit_id`
	rows, err = s.DB.Query(ctx, q, append([]any{sigSince, seenSince, seenSince}, args2...)...)
	if err != nil {
		return nil, nil, fmt.Errorf("hosts: coverage: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c Counts
		if err := rows.Scan(&id, &c.Hosts, &c.Servers, &c.Antivirus, &c.Firewall, &c.AgentSeen, &c.WithAgent, &c.StaleAgents, &c.OpenFinding); err != nil {
			return nil, nil, err
		}
		c.NoAgent = c.Hosts - c.WithAgent
		if r := units[id]; r != nil {
			r.own = c
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	// Roll up: each unit's counts go to itself and every ancestor in view.
	for _, r := range order {
		for _, part := range strings.Split(strings.Trim(r.path, "/"), "/") {
			anc, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("hosts: coverage: unit %s has a malformed path %q", r.code, r.path)
			}
			if a := units[anc]; a != nil {
				a.total.add(r.own)
			}
		}
	}
	return units, order, nil
}

func (c *Counts) add(o Counts) {
	c.Hosts += o.Hosts
	c.Servers += o.Servers
	c.Antivirus += o.Antivirus
	c.Firewall += o.Firewall
	c.AgentSeen += o.AgentSeen
	c.WithAgent += o.WithAgent
	c.StaleAgents += o.StaleAgents
	c.NoAgent += o.NoAgent
	c.OpenFinding += o.OpenFinding
}

func toUnitCoverage(r *unitRow) UnitCoverage {
	uc := UnitCoverage{Unit: r.code, Name: r.name, Kind: r.kind, Counts: r.total}
	uc.Percents.Antivirus = Percent(r.total.Antivirus, r.total.Hosts)
	uc.Percents.Firewall = Percent(r.total.Firewall, r.total.Hosts)
	uc.Percents.AgentSeen = Percent(r.total.AgentSeen, r.total.Hosts)
	return uc
}

// UnitCoverage reports the coverage of a unit's subtree, its children and
// the hosts failing each check.
func (s *Service) UnitCoverage(ctx context.Context, code string) (*Coverage, error) {
	_, order, err := s.coverageRows(ctx)
	if err != nil {
		return nil, err
	}
	var self *unitRow
	for _, r := range order {
		if r.code == code {
			self = r
		}
	}
	if self == nil {
		return nil, errs.NotFound("unit " + strconv.Quote(code))
	}
	cov := &Coverage{UnitCoverage: toUnitCoverage(self), Children: []UnitCoverage{}, Failing: map[string][]*Host{}, FailingTotal: map[string]int{},
		Thresholds: map[string]string{"signature_max_age": SignatureMaxAge.String(), "agent_stale_after": AgentStaleAfter.String()}}
	for _, r := range order {
		if r.parent == self.id {
			cov.Children = append(cov.Children, toUnitCoverage(r))
		}
	}
	sort.Slice(cov.Children, func(i, j int) bool { return cov.Children[i].Unit < cov.Children[j].Unit })
	for _, check := range []string{"antivirus", "firewall", "agent"} {
		hs, total, err := s.ListHosts(ctx, HostFilter{Unit: code, Failing: check, Sort: "hostname", Limit: FailingShown})
		if err != nil {
			return nil, err
		}
		if hs == nil {
			hs = []*Host{}
		}
		cov.Failing[check], cov.FailingTotal[check] = hs, total
	}
	return cov, nil
}

// AllCoverage reports every unit in the caller's scope (for the dashboard
// and the scoreboard), in tree order.
func (s *Service) AllCoverage(ctx context.Context) ([]UnitCoverage, error) {
	_, order, err := s.coverageRows(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]UnitCoverage, 0, len(order))
	for _, r := range order {
		out = append(out, toUnitCoverage(r))
	}
	return out, nil
}
