package watchlist_test

import (
	"context"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/watchlist"
)

// Late units are a list: true totals, pages, sorts, the unit filter, the
// caller's subtree.
func TestLateUnitsList(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.host(t, "A", "PC-A-01", workstation("10.1.0.1", nil, nil))
		f.host(t, "A1", "PC-A1-01", workstation("10.1.1.1", nil, nil))
		f.host(t, "A1", "PC-A1-02", workstation("10.1.1.2", nil, nil))
		f.host(t, "B", "PC-B-01", workstation("10.2.0.1", nil, nil))
		list := f.list(t, "Tháng này", 0, []indicator{{kind: "ip", value: "10.0.0.0/8"}})
		f.publish(t, list)
		// Every item late; A1's deadline the oldest, then B, then A.
		for unit, due := range map[string]int64{"A1": 1000, "B": 2000, "A": 3000} {
			if _, err := db.Exec(ctx, `UPDATE findings SET due_at = ? WHERE kind = 'warning_list' AND host_id IN (SELECT h.id FROM hosts h JOIN units u ON u.id = h.unit_id WHERE u.code = ?)`, due, unit); err != nil {
				t.Fatal(err)
			}
		}
		codes := func(ls []*watchlist.LateUnit) []string {
			var out []string
			for _, l := range ls {
				out = append(out, l.Unit)
			}
			return out
		}
		all, total, err := f.svc.LateUnits(f.analyst, watchlist.LateFilter{})
		if err != nil || total != 3 || len(all) != 3 || all[0].Unit != "A1" || all[0].Overdue != 2 || all[0].Open != 2 || all[1].Unit != "B" {
			t.Fatalf("analyst: %v %d %v", codes(all), total, err)
		}
		page, total, _ := f.svc.LateUnits(f.analyst, watchlist.LateFilter{Limit: 1, Offset: 1})
		if total != 3 || len(page) != 1 || page[0].Unit != "B" {
			t.Errorf("second page of one: %v of %d", codes(page), total)
		}
		byUnit, _, _ := f.svc.LateUnits(f.analyst, watchlist.LateFilter{Sort: "unit", Desc: true})
		if got := codes(byUnit); len(got) != 3 || got[0] != "B" || got[2] != "A" {
			t.Errorf("by unit, descending: %v", got)
		}
		mine, total, _ := f.svc.LateUnits(f.officerA, watchlist.LateFilter{})
		if total != 2 || len(mine) != 2 {
			t.Errorf("officer A sees %v (%d), want A and A1", codes(mine), total)
		}
		if _, total, _ := f.svc.LateUnits(f.analyst, watchlist.LateFilter{Unit: "A1"}); total != 1 {
			t.Errorf("unit filter A1: %d", total)
		}
		if _, _, err := f.svc.LateUnits(f.officerA, watchlist.LateFilter{Unit: "B"}); err == nil {
			t.Errorf("officer A filters on B: no error")
		}
		if _, _, err := f.svc.LateUnits(f.analyst, watchlist.LateFilter{Sort: "nope"}); err == nil {
			t.Errorf("an unknown sort: no error")
		}
	})
}
