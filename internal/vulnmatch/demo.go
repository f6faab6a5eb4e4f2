package vulnmatch

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/hosts"
	"vigil/internal/vuln/match"
)

// LoadDemo gives the demo organisation's Windows hosts the patch levels a
// review finds: a third current, a third a few months behind, a third
// still on an update from early in the knowledge base's year — each with
// the cumulative update of its level in the hotfix list and the build it
// brings — then matches every host, so the demo shows missing updates,
// their CVEs and the KBs that close them. It needs the knowledge base
// loaded first (internal/vuln's LoadDemo) and does nothing once any host
// has been matched.
func (s *Service) LoadDemo(ctx context.Context, hs *hosts.Service) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM vuln_match_state`).Scan(&n); err != nil {
		return 0, fmt.Errorf("vulnmatch: demo: %w", err)
	}
	if n > 0 {
		return 0, nil
	}
	ix, err := s.Index(ctx)
	if err != nil || ix == nil {
		return 0, err
	}
	rows, err := s.DB.Query(ctx, `SELECT u.code, h.inventory FROM hosts h JOIN units u ON u.id = h.unit_id WHERE h.os_family = 'windows' AND h.inventory <> '' ORDER BY h.id`)
	if err != nil {
		return 0, fmt.Errorf("vulnmatch: demo: %w", err)
	}
	byUnit := map[string][]*asset.Inventory{}
	var units []string
	i := 0
	for rows.Next() {
		var unit, raw string
		if err := rows.Scan(&unit, &raw); err != nil {
			rows.Close()
			return 0, err
		}
		inv := &asset.Inventory{}
		if json.Unmarshal([]byte(raw), inv) != nil || !demoLevel(ix, inv, i) {
			continue
		}
		i++
		if byUnit[unit] == nil {
			units = append(units, unit)
		}
		byUnit[unit] = append(byUnit[unit], inv)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, u := range units {
		if _, err := hs.Import(ctx, u, "demo-windows-updates.json", byUnit[u]); err != nil {
			return 0, fmt.Errorf("vulnmatch: demo: unit %s: %w", u, err)
		}
	}
	st, err := s.RunStats(ctx)
	return st.Hosts, err
}

// demoLevel puts a Windows inventory at a patch level: the i-th host is
// current, a few months behind or far behind.
func demoLevel(ix *match.Index, inv *asset.Inventory, i int) bool {
	w, _, ok := match.IdentifyWindows(inv.OS)
	if !ok {
		return false
	}
	ids := ix.WindowsProducts(w)
	if len(ids) == 0 {
		return false
	}
	levels := ix.Levels(ids[0])
	if len(levels) == 0 {
		return false
	}
	var lv match.Level
	switch i % 3 {
	case 0: // current
		lv = levels[len(levels)-1]
	case 1: // a few months behind
		lv = levels[max(0, len(levels)-3)]
	default: // far behind
		lv = levels[0]
	}
	b := match.HostBuild(inv.OS)
	if b.Number == 0 {
		return false
	}
	inv.OS.Build = strconv.Itoa(b.Number) + "." + strconv.Itoa(lv.Revision)
	if strings.Count(inv.OS.Version, ".") == 3 {
		inv.OS.Version = inv.OS.Version[:strings.LastIndexByte(inv.OS.Version, '.')]
	}
	var keep []asset.Hotfix
	for _, h := range inv.Hotfixes {
		if h.ID == "" || !strings.HasPrefix(strings.ToUpper(h.ID), "KB") {
			keep = append(keep, h)
		}
	}
	at := lv.Released.AddDate(0, 0, 3)
	inv.Hotfixes = append(keep, asset.Hotfix{ID: "KB" + lv.KB, InstalledAt: &at, Description: "Security Update"})
	inv.LastPatchAt = &at
	return true
}
