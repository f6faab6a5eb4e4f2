package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func appendN(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := auth.WithClientIP(auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 7, Email: "officer@test.vigil", Role: auth.RoleAdmin}), "192.0.2.9")
	for i := 0; i < n; i++ {
		err := audit.Log(ctx, db, audit.Entry{Action: "unit.update", ObjectType: "unit", ObjectID: "T01",
			Before: map[string]any{"name": "a"}, After: map[string]any{"name": "b", "password": "hunter2hunter2"}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func verify(t *testing.T, db *store.DB) *audit.Report {
	t.Helper()
	rep, err := audit.Verify(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		appendN(t, db, 20)
		if rep := verify(t, db); !rep.OK() || rep.Rows != 20 {
			t.Fatalf("fresh chain: %+v", rep)
		}
		// Secrets never reach the log.
		var summary string
		db.QueryRow(ctx, `SELECT summary FROM audit_log WHERE seq = 1`).Scan(&summary)
		if strings.Contains(summary, "hunter2") || !strings.Contains(summary, "[redacted]") {
			t.Errorf("summary not redacted: %s", summary)
		}

		// Altered content.
		db.Exec(ctx, `UPDATE audit_log SET actor = 'someone-else' WHERE seq = 5`)
		rep := verify(t, db)
		if rep.OK() || rep.Problems[0].Seq != 5 || !strings.Contains(rep.Problems[0].Reason, "altered") {
			t.Fatalf("altered row: %+v", rep.Problems)
		}
		db.Exec(ctx, `UPDATE audit_log SET actor = 'officer@test.vigil' WHERE seq = 5`)
		if !verify(t, db).OK() {
			t.Fatal("restored row still flagged")
		}

		// A deleted row in the middle.
		db.Exec(ctx, `DELETE FROM audit_log WHERE seq = 9`)
		rep = verify(t, db)
		if rep.OK() || rep.Problems[0].Seq != 10 || !strings.Contains(rep.Problems[0].Reason, "missing") {
			t.Fatalf("deleted row: %+v", rep.Problems)
		}
	})
}

func TestVerifyFindsDeletedTailAndRewrittenChain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		appendN(t, db, 10)
		db.Exec(ctx, `DELETE FROM audit_log WHERE seq = 10`)
		rep := verify(t, db)
		if rep.OK() || !strings.Contains(rep.Problems[0].Reason, "head") {
			t.Fatalf("deleted last row: %+v", rep.Problems)
		}
		// A forger who recomputes one row's hash breaks the next row's link.
		db.Exec(ctx, `UPDATE audit_log SET hash = 'forged' WHERE seq = 3`)
		rep = verify(t, db)
		found := false
		for _, p := range rep.Problems {
			if p.Seq == 4 && strings.Contains(p.Reason, "prev_hash") {
				found = true
			}
		}
		if !found {
			t.Fatalf("rewritten hash not caught at the next row: %+v", rep.Problems)
		}
	})
}

func TestListScopeAndFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		appendN(t, db, 30)
		ctx := auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 1, Email: "a@test.vigil", Role: auth.RoleAnalyst})
		page, total, err := audit.List(ctx, db, audit.Filter{Limit: 10})
		if err != nil || len(page) != 10 || total != (audit.Total{N: 30}) || page[0].Seq != 30 {
			t.Fatalf("first page: %d rows, total %+v, err %v", len(page), total, err)
		}
		page2, _, _ := audit.List(ctx, db, audit.Filter{Limit: 10, Offset: 10})
		if page2[0].Seq != 20 {
			t.Fatalf("second page starts at %d", page2[0].Seq)
		}
		oldest, _, _ := audit.List(ctx, db, audit.Filter{Limit: 10, Offset: 10, Oldest: true})
		if oldest[0].Seq != 11 || oldest[9].Seq != 20 {
			t.Fatalf("oldest first, second page: %d..%d", oldest[0].Seq, oldest[9].Seq)
		}
		// A count bounded below the rows says it is a lower bound.
		if _, total, _ := audit.List(ctx, db, audit.Filter{Limit: 10, CountLimit: 25}); total != (audit.Total{N: 25, Capped: true}) {
			t.Fatalf("bounded count: %+v", total)
		}
		only, _, _ := audit.List(ctx, db, audit.Filter{Action: "unit."})
		if len(only) != 30 {
			t.Fatalf("prefix filter: %d", len(only))
		}
		// Rows without a unit are invisible to officers.
		off := auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 2, Role: auth.RoleOfficer, UnitPath: "/1/"})
		rows, _, _ := audit.List(off, db, audit.Filter{})
		if len(rows) != 0 {
			t.Fatalf("officer sees %d unit-less rows", len(rows))
		}
		if _, _, err := audit.List(context.Background(), db, audit.Filter{}); err == nil {
			t.Fatal("anonymous list allowed")
		}
	})
}

func TestAnchorsCatchRewrittenChain(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		appendN(t, db, 5)
		anchor, err := audit.Head(ctx, db)
		if err != nil || anchor.Seq != 5 {
			t.Fatalf("head %+v %v", anchor, err)
		}
		parsed, err := audit.ParseAnchor(fmt.Sprintf("%d:%s", anchor.Seq, anchor.Hash))
		if err != nil || parsed != anchor {
			t.Fatalf("parse anchor: %+v %v", parsed, err)
		}
		// A writer rewrites row 2 and recomputes the chain after it.
		var recs []audit.Record
		rows, _ := db.Query(ctx, `SELECT seq, at, actor_id, actor, action, object_type, object_id, COALESCE(unit_id, 0), summary, ip FROM audit_log ORDER BY seq`)
		for rows.Next() {
			var r audit.Record
			var at int64
			var summary string
			rows.Scan(&r.Seq, &at, &r.ActorID, &r.Actor, &r.Action, &r.ObjectType, &r.ObjectID, &r.UnitID, &summary, &r.IP)
			r.At, r.Summary = store.Time(at), json.RawMessage(summary)
			recs = append(recs, r)
		}
		rows.Close()
		prev := ""
		for i := range recs {
			r := &recs[i]
			if r.Seq == 2 {
				r.Actor = "someone-else"
			}
			r.PrevHash = prev
			r.Hash = r.ComputeHash()
			prev = r.Hash
			db.Exec(ctx, `UPDATE audit_log SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?`, r.Actor, r.PrevHash, r.Hash, r.Seq)
		}
		db.Exec(ctx, `UPDATE audit_head SET last_hash = ? WHERE id = 1`, prev)
		if !verify(t, db).OK() {
			t.Fatal("a consistently rewritten chain should pass the plain walk (that is why anchors exist)")
		}
		probs, err := audit.CheckAnchors(ctx, db, []audit.Anchor{anchor})
		if err != nil || len(probs) != 1 {
			t.Fatalf("anchor check: %+v %v", probs, err)
		}
		if _, err := audit.ParseAnchor("12:nothex"); err == nil {
			t.Fatal("bad anchor accepted")
		}
	})
}

// Verify on a hub that keeps appending must not report tampering.
func TestVerifyWhileAppending(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		appendN(t, db, 200)
		done := make(chan struct{})
		go func() {
			defer close(done)
			appendN(t, db, 200)
		}()
		for i := 0; i < 5; i++ {
			if rep := verify(t, db); !rep.OK() {
				t.Fatalf("verify during appends: %+v", rep.Problems)
			}
		}
		<-done
		if rep := verify(t, db); !rep.OK() || rep.Rows != 400 {
			t.Fatalf("after: %+v", rep)
		}
	})
}
