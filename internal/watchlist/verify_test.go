package watchlist_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/watchlist"
)

// A disabled account on the list is no hit (matching and verification
// agree: verification counts a disabled account as dealt with). A
// recorded action is verified by a later inventory that no longer shows
// the object, or by the latest scan after it when that scan is clean; a
// scan that still names the indicator verifies nothing.
func TestVerifyByInventoryAndScan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		inv := workstation("10.1.2.3", []asset.Account{{Name: "ketoan", Enabled: true}, {Name: "Guest", Enabled: false}}, nil)
		pc := f.host(t, "A", "PC-A-01", inv)
		list := f.list(t, "Tháng này", 0, []indicator{{kind: "account", value: "ketoan"}, {kind: "account", value: "guest"}, {kind: "ip", value: "10.1.2.3"}})
		f.publish(t, list)
		hits, _, err := f.svc.List(f.officerA, watchlist.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]*watchlist.Hit{}
		for _, h := range hits {
			by[h.Value] = h
		}
		if len(hits) != 2 || by["ketoan"] == nil || by["10.1.2.3"] == nil {
			t.Fatalf("hits %v, want ketoan and the address (Guest is disabled)", keys(by))
		}
		for _, v := range []string{"ketoan", "10.1.2.3"} {
			if _, err := f.svc.RecordAction(f.officerA, by[v].ID, watchlist.ActionInput{Action: by[v].Action, Note: "Đã xử lý " + v}); err != nil {
				t.Fatal(err)
			}
		}
		verify := func(want int) {
			t.Helper()
			if n, err := f.svc.Verify(ctx); err != nil || n != want {
				t.Fatalf("verify closed %d (%v), want %d", n, err, want)
			}
		}
		verify(0) // nothing came in since
		// A new inventory with the account disabled closes its item; the
		// address is still there.
		f.now = f.now.Add(time.Minute)
		inv.Accounts[0].Enabled = false
		raw, _ := json.Marshal(inv)
		if _, err := db.Exec(ctx, `UPDATE hosts SET inventory = ?, inventory_at = ? WHERE id = ?`, string(raw), store.Micros(f.now), pc); err != nil {
			t.Fatal(err)
		}
		verify(1)
		acts, err := f.svc.Actions(f.officerA, by["ketoan"].ID)
		if err != nil || len(acts) != 1 || acts[0].Verification == nil || acts[0].Verification.Kind != watchlist.VerifiedByInventory || acts[0].Verification.Host != "PC-A-01" {
			t.Fatalf("account verified by %+v %v", acts, err)
		}
		// A scan that still finds the address does not verify it.
		task := func(id string, at time.Time, result string) {
			t.Helper()
			if _, err := db.Exec(ctx, `INSERT INTO agent_tasks (id, host_id, kind, params, status, result, created_by, created_at, updated_at)
				VALUES (?, ?, 'scan', '{}', 'done', ?, 'test', ?, ?)`, id, pc, result, store.Micros(at), store.Micros(at)); err != nil {
				t.Fatal(err)
			}
		}
		task("t-dirty", f.now.Add(time.Minute), `{"findings":[{"kind":"ip","value":"10.1.2.3"}]}`)
		verify(0)
		// A later clean scan does.
		task("t-clean", f.now.Add(2*time.Minute), `{"files":1200,"findings":[]}`)
		verify(1)
		acts, _ = f.svc.Actions(f.officerA, by["10.1.2.3"].ID)
		if len(acts) != 1 || acts[0].Verification == nil || acts[0].Verification.Kind != watchlist.VerifiedByScan || acts[0].Verification.Task != "t-clean" {
			t.Fatalf("address verified by %+v", acts)
		}
		h, err := f.svc.Get(f.officerA, by["10.1.2.3"].ID)
		if err != nil || h.Status != "resolved" || h.Note != "Đã xử lý 10.1.2.3" {
			t.Errorf("closed item %+v %v (the note is the officer's words, no action code)", h, err)
		}
	})
}
