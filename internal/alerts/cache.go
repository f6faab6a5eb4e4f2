package alerts

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"vigil/internal/store"
)

// hostRef is a host of the inventory, as attribution needs it.
type hostRef struct {
	id, unitID int64
	name       string
	unitPath   string
}

// inventory is the hosts and units Record attributes matches to, reloaded
// every Service.Refresh.
type inventory struct {
	loaded   time.Time
	byName   map[string][]hostRef // host key (short lower-case name) and lower-case FQDN
	byAddr   map[string][]hostRef // canonical address
	unitPath map[int64]string
	root     int64 // the first root unit: home of matches naming no known unit
}

// attribute finds the inventory host a match names: by host name, then by
// its addresses. Among hosts of the same name in several units, one in
// the source's unit subtree wins; outside it a name (or address) is taken
// only when it is unique.
func (inv *inventory) attribute(m *Match) (hostRef, bool) {
	src := inv.unitPath[m.UnitID]
	pick := func(cands []hostRef) (hostRef, bool) {
		if src != "" {
			for _, h := range cands {
				if strings.HasPrefix(h.unitPath, src) {
					return h, true
				}
			}
		}
		// The central SOC's sensors see every unit's hosts: outside the
		// source's subtree a host is taken only when no other has the name.
		if len(cands) == 1 {
			return cands[0], true
		}
		return hostRef{}, false
	}
	if name := strings.ToLower(strings.TrimSpace(m.Host)); name != "" {
		if h, ok := pick(inv.byName[name]); ok {
			return h, true
		}
		if h, ok := pick(inv.byName[hostKey(name)]); ok {
			return h, true
		}
	}
	for _, a := range m.Addresses {
		addr, err := netip.ParseAddr(strings.TrimSpace(a))
		if err != nil {
			continue
		}
		if h, ok := pick(inv.byAddr[addr.Unmap().String()]); ok {
			return h, true
		}
	}
	return hostRef{}, false
}

func loadInventory(ctx context.Context, db *store.DB, now time.Time) (*inventory, error) {
	inv := &inventory{loaded: now, byName: map[string][]hostRef{}, byAddr: map[string][]hostRef{}, unitPath: map[int64]string{}}
	rows, err := db.Query(ctx, `SELECT id, path, parent_id IS NULL FROM units ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("alerts: load units: %w", err)
	}
	for rows.Next() {
		var id int64
		var path string
		var root bool
		if err := rows.Scan(&id, &path, &root); err != nil {
			rows.Close()
			return nil, fmt.Errorf("alerts: load units: %w", err)
		}
		inv.unitPath[id] = path
		if root && inv.root == 0 {
			inv.root = id
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alerts: load units: %w", err)
	}
	rows, err = db.Query(ctx, `SELECT h.id, h.unit_id, h.hostname, h.hostname_key, h.fqdn, h.addresses FROM hosts h ORDER BY h.id`)
	if err != nil {
		return nil, fmt.Errorf("alerts: load hosts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h hostRef
		var key, fqdn, addrs string
		if err := rows.Scan(&h.id, &h.unitID, &h.name, &key, &fqdn, &addrs); err != nil {
			return nil, fmt.Errorf("alerts: load hosts: %w", err)
		}
		h.unitPath = inv.unitPath[h.unitID]
		inv.byName[key] = append(inv.byName[key], h)
		if f := strings.ToLower(fqdn); f != "" && f != key {
			inv.byName[f] = append(inv.byName[f], h)
		}
		for _, a := range strings.Fields(addrs) {
			if addr, err := netip.ParseAddr(a); err == nil {
				s := addr.Unmap().String()
				inv.byAddr[s] = append(inv.byAddr[s], h)
			}
		}
	}
	return inv, rows.Err()
}

// suppression is an active suppression rule.
type suppression struct {
	id       int64
	hostKey  string
	unitPath string // "" for every unit
	field    string
	value    string
	expires  int64
}

// suppressions are the active rules by rule id.
type suppressions struct {
	loaded time.Time
	byRule map[string][]suppression
}

// match returns the id of a suppression rule covering r, 0 when none does.
func (ss *suppressions) match(r *resolved, now time.Time) int64 {
	list := ss.byRule[r.m.RuleID]
	if len(list) == 0 {
		return 0
	}
	at := store.Micros(now)
	for _, s := range list {
		if s.expires <= at || (s.hostKey != "" && s.hostKey != r.hostKey) {
			continue
		}
		if s.unitPath != "" && !strings.HasPrefix(r.unitPath, s.unitPath) {
			continue
		}
		if s.field != "" {
			if r.m.Event == nil {
				continue
			}
			v, ok := r.m.Event.Get(s.field)
			if !ok || !strings.EqualFold(strings.TrimSpace(v), s.value) {
				continue
			}
		}
		return s.id
	}
	return 0
}

func loadSuppressions(ctx context.Context, db *store.DB, now time.Time) (*suppressions, error) {
	ss := &suppressions{loaded: now, byRule: map[string][]suppression{}}
	rows, err := db.Query(ctx, `SELECT s.id, s.rule_id, s.host_key, COALESCE(u.path, ''), s.field, s.value, s.expires_at
		FROM alert_suppressions s LEFT JOIN units u ON u.id = s.unit_id WHERE s.removed_at = 0 AND s.expires_at > ?`, store.Micros(now))
	if err != nil {
		return nil, fmt.Errorf("alerts: load suppressions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s suppression
		var rule string
		if err := rows.Scan(&s.id, &rule, &s.hostKey, &s.unitPath, &s.field, &s.value, &s.expires); err != nil {
			return nil, fmt.Errorf("alerts: load suppressions: %w", err)
		}
		ss.byRule[rule] = append(ss.byRule[rule], s)
	}
	return ss, rows.Err()
}

// loadCaches reloads the inventory and the suppressions when they are
// older than Refresh (suppressions every ten seconds at most, so another
// process's new rule applies soon).
func (s *Service) loadCaches(ctx context.Context, now time.Time) error {
	if s.inv == nil || now.Sub(s.inv.loaded) >= s.refresh() {
		inv, err := loadInventory(ctx, s.DB, now)
		if err != nil {
			if s.inv == nil {
				return err
			}
			s.inv.loaded = now // keep the old one; try again next period
		} else {
			s.inv = inv
		}
	}
	if s.sups == nil || s.supsStale.Swap(false) || now.Sub(s.sups.loaded) >= min(s.refresh(), 10*time.Second) {
		ss, err := loadSuppressions(ctx, s.DB, now)
		if err != nil {
			if s.sups == nil {
				return err
			}
			s.sups.loaded = now
		} else {
			s.sups = ss
		}
	}
	return nil
}

// InvalidateCaches makes the next Record reload the inventory and the
// suppression rules (after an import, or in tests).
func (s *Service) InvalidateCaches() {
	s.recordMu.Lock()
	s.inv, s.sups = nil, nil
	s.recordMu.Unlock()
}
