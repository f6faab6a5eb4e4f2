package web_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestAuditChainNoForkUnderLoad: many changes through the API at once
// (several writers) leave one unbroken chain on both engines (SQLite:
// immediate transactions and seq as primary key; PostgreSQL: the head row
// locked FOR UPDATE).
func TestAuditChainNoForkUnderLoad(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var wg sync.WaitGroup
		for i := 0; i < 24; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				actor, parent := "admin", "B"
				if i%2 == 0 {
					actor, parent = "officerA", "A"
				}
				r := w.call(actor, "POST", "/api/v1/units", map[string]string{"code": fmt.Sprintf("L%02d", i), "name": "load", "kind": "district", "parent": parent})
				if r.Status != 201 {
					t.Errorf("create L%02d: %d %s", i, r.Status, r.Body)
				}
			}(i)
		}
		wg.Wait()
		rep, err := audit.Verify(context.Background(), db, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Errorf("audit chain broken after concurrent writes: %+v", rep.Problems)
		}
	})
}
