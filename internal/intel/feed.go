package intel

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/auth"
	"vigil/internal/detect/ioc"
	"vigil/internal/store"
)

// What published lists send to agents and to the detection pipeline: the
// entries of every published list whose indicator is not revoked and
// still valid. They are read from the database once per change and kept
// in memory: the version is intel_version (which every publication,
// withdrawal, entry change and import raises, in any hub process) and
// the earliest end of validity among them, so an entry that expires
// drops out without a change. The version is read at most once a
// second, so 50,000 agents polling cost one small query a second.

// versionCheck is how often the database's version is read.
const versionCheck = time.Second

type unitSet struct {
	path string // the targeted unit's path: agents of its subtree get inds
	inds []agentapi.Indicator
}

type agentCache struct {
	mu      sync.Mutex
	checked time.Time // when intel_version was last read
	built   bool
	version int64 // intel_version of the set
	expires int64 // micros: the earliest valid_until in the set (0: none)
	gen     int64 // sets built so far: the pipeline's version
	all     []agentapi.Indicator
	units   []unitSet
	perUnit map[int64][]agentapi.Indicator // an agent unit's set, made when asked
	paths   map[int64]string
}

// invalidate makes the next read look at the database's version again
// (a change this process committed).
func (s *Service) invalidate() {
	s.cache.mu.Lock()
	s.cache.checked = time.Time{}
	s.cache.mu.Unlock()
}

// refresh rebuilds the cached set when the version moved or an entry
// expired. Called with c.mu held.
func (s *Service) refresh(ctx context.Context) error {
	c := &s.cache
	now := s.now()
	if c.built && now.Sub(c.checked) < versionCheck && now.Sub(c.checked) >= 0 && (c.expires == 0 || store.Micros(now) < c.expires) {
		return nil
	}
	var v int64
	if err := s.DB.QueryRow(ctx, `SELECT version FROM intel_version WHERE id = 1`).Scan(&v); err != nil {
		return fmt.Errorf("intel: version: %w", err)
	}
	c.checked = now
	if c.built && v == c.version && (c.expires == 0 || store.Micros(now) < c.expires) {
		return nil
	}
	rows, err := s.DB.Query(ctx, `SELECT i.kind, i.value, i.valid_until, e.unit_id, COALESCE(u.path, ''), l.name, e.reason
		FROM warning_list_entries e
		JOIN warning_lists l ON l.id = e.list_id
		JOIN intel_indicators i ON i.id = e.indicator_id
		LEFT JOIN units u ON u.id = e.unit_id
		WHERE l.status = 'published' AND NOT i.revoked AND (i.valid_until = 0 OR i.valid_until > ?)
		ORDER BY l.published_at DESC, l.id DESC`, store.Micros(now))
	if err != nil {
		return fmt.Errorf("intel: published entries: %w", err)
	}
	defer rows.Close()
	type key struct{ kind, value, path string }
	seen := map[key]bool{}
	var all []agentapi.Indicator
	byPath := map[string][]agentapi.Indicator{}
	var expires int64
	for rows.Next() {
		var kind, value, path, list, reason string
		var until, unitID int64
		if err := rows.Scan(&kind, &value, &until, &unitID, &path, &list, &reason); err != nil {
			return err
		}
		if unitID != 0 && path == "" {
			continue // the unit was deleted
		}
		k := key{kind, value, path}
		if seen[k] {
			continue
		}
		seen[k] = true
		if until > 0 && (expires == 0 || until < expires) {
			expires = until
		}
		comment := list
		if reason != "" {
			comment += ": " + reason
		}
		ind := agentapi.Indicator{Type: kind, Value: value, Comment: comment}
		if unitID == 0 {
			all = append(all, ind)
		} else {
			byPath[path] = append(byPath[path], ind)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("intel: published entries: %w", err)
	}
	if all == nil {
		all = []agentapi.Indicator{}
	}
	c.units = c.units[:0]
	for p, inds := range byPath {
		c.units = append(c.units, unitSet{path: p, inds: inds})
	}
	c.all, c.version, c.expires, c.built = all, v, expires, true
	c.perUnit, c.paths = map[int64][]agentapi.Indicator{}, map[int64]string{}
	c.gen++
	return nil
}

// AgentIndicators returns the indicators of the published lists an agent
// scans for: those targeting every unit and those targeting its unit's
// subtree (a caller that is no agent gets every entry). It is the hosts
// service's indicator source (hub wiring).
func (s *Service) AgentIndicators(ctx context.Context) ([]agentapi.Indicator, error) {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	p := auth.FromContext(ctx)
	if len(c.units) == 0 {
		return c.all, nil
	}
	if p == nil || p.Via != "agent" || p.UnitID == 0 {
		out := append([]agentapi.Indicator(nil), c.all...)
		for _, u := range c.units {
			out = append(out, u.inds...)
		}
		return out, nil
	}
	if set, ok := c.perUnit[p.UnitID]; ok {
		return set, nil
	}
	path, ok := c.paths[p.UnitID]
	if !ok {
		if err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE id = ?`, p.UnitID).Scan(&path); err != nil && !store.IsNoRows(err) {
			return nil, fmt.Errorf("intel: agent unit: %w", err)
		}
		c.paths[p.UnitID] = path
	}
	set := c.all
	for _, u := range c.units {
		if path != "" && strings.HasPrefix(path, u.path) {
			if len(set) == len(c.all) {
				set = append([]agentapi.Indicator(nil), c.all...)
			}
			set = append(set, u.inds...)
		}
	}
	if len(c.perUnit) < 10000 {
		c.perUnit[p.UnitID] = set
	}
	return set, nil
}

// Version is the version of the published lists' indicators as the
// detection pipeline compares it: it changes only when they do.
func (s *Service) Version(ctx context.Context) (string, error) {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := s.refresh(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("intel:%d:%d", c.version, c.gen), nil
}

// AgentVersion names the published lists' indicators as agents get
// them: the lists' version and the next expiry. The set a unit's agent
// gets follows from the two alone (the entries of that version still
// valid), so every hub process names the same set alike (Version's
// rebuild count is this process's own); hosts.Service.IndicatorVersion.
func (s *Service) AgentVersion(ctx context.Context) (string, error) {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := s.refresh(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("intel:%d:%d", c.version, c.expires), nil
}

// Add adds every published entry (every unit's) to b, for the detection
// pipeline (pipeline.IndicatorProvider, with Version).
func (s *Service) Add(ctx context.Context, b *ioc.Builder) (int, error) {
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := s.refresh(ctx); err != nil {
		return 0, err
	}
	n := 0
	add := func(inds []agentapi.Indicator) {
		for _, in := range inds {
			k, ok := ioc.ParseKind(in.Type)
			if ok && b.Add(k, in.Value, in.Comment) == nil {
				n++
			}
		}
	}
	add(c.all)
	for _, u := range c.units {
		add(u.inds)
	}
	return n, nil
}
