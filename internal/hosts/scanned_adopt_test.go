package hosts

import (
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// A host a scanner added knowing only its address is taken over by the
// first inventory of that machine (same address, a real name): one host,
// not two; two such hosts for one inventory are ambiguous and neither is
// taken.
func TestInventoryTakesOverAScannedAddress(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, ctx := setup(t, db)
		var unitID int64
		if err := db.QueryRow(ctx, `SELECT id FROM units WHERE code = 'P1'`).Scan(&unitID); err != nil {
			t.Fatal(err)
		}
		var scanned int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			scanned, _, err = UpsertScanned(ctx, tx, unitID, Scanned{Addr: "10.1.0.5", OS: "Windows"}, time.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Import(ctx, "P1", "a.json", []*asset.Inventory{inv("PC-05", "10.1.0.5", time.Hour, true)})
		if err != nil || res.Created != 0 || res.Updated != 1 {
			t.Fatalf("inventory of the scanned address: %+v %v", res, err)
		}
		var name, source string
		if err := db.QueryRow(ctx, `SELECT hostname, source FROM hosts WHERE id = ?`, scanned).Scan(&name, &source); err != nil {
			t.Fatal(err)
		}
		if name != "PC-05" || source == SourceScan {
			t.Errorf("the scanned host is now %q from %q", name, source)
		}
		// In P2, the same address scanned twice under two hosts (an
		// import and a second scan that could not tell): neither is taken.
		var p2 int64
		if err := db.QueryRow(ctx, `SELECT id FROM units WHERE code = 'P2'`).Scan(&p2); err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, _, err := UpsertScanned(ctx, tx, p2, Scanned{Addr: "10.2.0.7"}, time.Now()); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO hosts (unit_id, hostname, hostname_key, addresses, source, first_seen_at, last_seen_at) VALUES (?, '10.2.0.7', '10.2.0.7', ' 10.2.0.7 ', ?, 1, 1)`, p2, SourceScan)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if res, err := s.Import(ctx, "P2", "b.json", []*asset.Inventory{inv("PC-07", "10.2.0.7", time.Hour, true)}); err != nil || res.Created != 1 {
			t.Errorf("ambiguous scanned hosts: %+v %v", res, err)
		}
	})
}
