package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestReviewAuditChainNoForkUnderLoad is a positive control: many changes
// through the API at once (several writers) leave one unbroken chain on
// both engines (SQLite: immediate transactions and seq as primary key;
// PostgreSQL: the head row locked FOR UPDATE).
func TestReviewAuditChainNoForkUnderLoad(t *testing.T) {
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

// TestReviewAuditChainRewritable: the chain is an unkeyed SHA-256 chain
// whose head lives in the same database (audit.go:154-180, audit_head).
// Anyone who can write the database (the threat `vigil audit verify` is
// for) can edit a row, recompute every later hash with the public
// algorithm and move the head, and verify reports a clean log. Fix: anchor
// the head outside the database (periodically log/sign it: slog line,
// syslog, a file an operator keeps, an external timestamping or WORM
// store) and have verify compare against the anchor, or key the chain with
// an HMAC secret kept outside the database.
func TestReviewAuditChainRewritable(t *testing.T) {
	t.Skip("known limitation, mitigated: a database writer can rewrite the whole unkeyed chain and the plain walk passes; the hub logs anchors and vigil audit verify --anchor-file catches it (internal/audit TestAnchorsCatchRewrittenChain)")
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	_ = w
	ctx := context.Background()
	// Rewrite history: the contact added to B never had that phone number.
	rows, err := db.Query(ctx, `SELECT seq, at, actor_id, actor, action, object_type, object_id, COALESCE(unit_id, 0), summary, ip FROM audit_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var recs []audit.Record
	for rows.Next() {
		var r audit.Record
		var at int64
		var summary string
		rows.Scan(&r.Seq, &at, &r.ActorID, &r.Actor, &r.Action, &r.ObjectType, &r.ObjectID, &r.UnitID, &summary, &r.IP)
		r.At = store.Time(at)
		r.Summary = json.RawMessage(summary)
		recs = append(recs, r)
	}
	rows.Close()
	prev := ""
	for i := range recs {
		r := &recs[i]
		if r.Action == "contact.create" {
			r.Summary = json.RawMessage(`{"after":{"name":"nobody","position":"","phone":"","email":""}}`)
		}
		r.PrevHash = prev
		r.Hash = r.ComputeHash()
		prev = r.Hash
		if _, err := db.Exec(ctx, `UPDATE audit_log SET summary = ?, prev_hash = ?, hash = ? WHERE seq = ?`, string(r.Summary), r.PrevHash, r.Hash, r.Seq); err != nil {
			t.Fatal(err)
		}
	}
	db.Exec(ctx, `UPDATE audit_head SET last_hash = ? WHERE id = 1`, prev)
	rep, err := audit.Verify(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Error("a rewritten audit history (every hash recomputed) passes vigil audit verify")
	}
}
