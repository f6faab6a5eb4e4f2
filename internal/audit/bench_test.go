package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// goldenRecord is a stored row whose hash must never change: every hub's
// chain was written with this encoding, and a different one would make
// `vigil audit verify` report every row as altered.
func goldenRecord() audit.Record {
	return audit.Record{
		Seq: 42, At: time.Date(2026, 1, 28, 3, 4, 5, 678901000, time.UTC), ActorID: 7, Actor: "attt.hanoi@demo.vigil.local",
		Action: "unit.update", ObjectType: "unit", ObjectID: "T01-03", UnitID: 12,
		Summary: json.RawMessage(`{"after":{"name":"Bảo hiểm xã hội quận Ba Đình"},"before":{"name":"BHXH Ba Đình"}}`),
		IP:      "10.1.2.3", PrevHash: "5f1c0c6b1e0b4d1b9b0f7c8f6f1e2d3c4b5a69788796a5b4c3d2e1f001122334",
	}
}

const goldenHash = "0d6f335c46833e944caccd0a671764881f9bc694bca6419fd8e46d0f38f0020f"

func TestComputeHashGolden(t *testing.T) {
	r := goldenRecord()
	if got := r.ComputeHash(); got != goldenHash {
		t.Fatalf("ComputeHash of the golden record = %s, want %s: the chain encoding changed, and every stored chain would fail verification", got, goldenHash)
	}
	r.UnitID, r.Summary = 0, json.RawMessage(`{}`)
	if r.ComputeHash() == goldenHash {
		t.Fatal("ComputeHash ignores the unit and summary")
	}
}

// BenchmarkComputeHash is the per-row cost of hashing in Verify and Append.
func BenchmarkComputeHash(b *testing.B) {
	r := goldenRecord()
	for b.Loop() {
		r.ComputeHash()
	}
}

// TestListPlansAgree checks that every query shape List picks for the audit
// page — the whole log, one branch per unit of a small subtree, the plain
// scoped walk for a large one — returns exactly the rows a caller may see,
// newest first, page after page.
func TestListPlansAgree(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		type unit struct {
			id         int64
			code, path string
		}
		// Root 1; province A (2) with districts 3-5; province B (6) with
		// no rows at all; province C (7) with 70 districts, more than List
		// merges one by one.
		units := []unit{{1, "ROOT", "/1/"}, {2, "A", "/1/2/"}, {3, "A-01", "/1/2/3/"}, {4, "A-02", "/1/2/4/"}, {5, "A-03", "/1/2/5/"},
			{6, "B", "/1/6/"}, {7, "C", "/1/7/"}}
		for i := int64(8); i < 78; i++ {
			units = append(units, unit{i, fmt.Sprintf("C-%02d", i-7), fmt.Sprintf("/1/7/%d/", i)})
		}
		for _, u := range units {
			if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, name_fold, kind, parent_id, path, created_at, updated_at) VALUES (?, ?, ?, ?, 'district', NULL, ?, 0, 0)`,
				u.id, u.code, u.code, strings.ToLower(u.code), u.path); err != nil {
				t.Fatal(err)
			}
		}
		type row struct {
			seq          int64
			actor, unit  string
			path, action string
		}
		var all []row
		actors := []string{"a@test.vigil", "b@test.vigil", "c@test.vigil"}
		actions := []string{"unit.update", "user.update", "auth.login"}
		for i := 0; i < 400; i++ {
			var u unit
			switch {
			case i%9 == 0: // no unit
			case i%4 == 0:
				u = units[1+i%4] // province A's subtree
			default:
				u = units[6+i%71] // province C's subtree
			}
			e := audit.Entry{Action: actions[i%3], ObjectType: "x", ObjectID: fmt.Sprint(i), UnitID: u.id}
			actx := auth.WithPrincipal(ctx, &auth.Principal{UserID: int64(1 + i%3), Email: actors[i%3], Role: auth.RoleAdmin})
			if err := audit.Log(actx, db, e); err != nil {
				t.Fatal(err)
			}
			all = append(all, row{int64(i + 1), actors[i%3], u.code, u.path, actions[i%3]})
		}
		slices.Reverse(all)
		principals := map[string]*auth.Principal{
			"admin": {Role: auth.RoleAdmin, UnitPath: "/1/"}, "officer A": {Role: auth.RoleOfficer, UnitPath: "/1/2/"},
			"officer B (quiet)": {Role: auth.RoleOfficer, UnitPath: "/1/6/"}, "officer C (large)": {Role: auth.RoleOfficer, UnitPath: "/1/7/"},
			"viewer A-01": {Role: auth.RoleViewer, UnitPath: "/1/2/3/"}, "officer root (large)": {Role: auth.RoleOfficer, UnitPath: "/1/"},
		}
		filters := []audit.Filter{{}, {Actor: "b@test.vigil"}, {Action: "user."}, {Action: "auth.login"}, {UnitCode: "A-01"}, {UnitCode: "C-05"},
			{UnitCode: "B"}, {UnitCode: "NONE"}, {Actor: "c@test.vigil", UnitCode: "A-02"}}
		for name, p := range principals {
			for _, f := range filters {
				var want []int64
				for _, r := range all {
					visible := r.path != "" && strings.HasPrefix(r.path, p.UnitPath) || p.SeesAllUnits()
					if visible && (f.Actor == "" || r.actor == f.Actor) && (f.UnitCode == "" || r.unit == f.UnitCode) &&
						(f.Action == "" || r.action == f.Action || strings.HasSuffix(f.Action, ".") && strings.HasPrefix(r.action, f.Action)) {
						want = append(want, r.seq)
					}
				}
				var got []int64
				f.Limit = 7
				pctx := auth.WithPrincipal(ctx, p)
				for page := 0; ; page++ {
					recs, total, err := audit.List(pctx, db, f)
					if err != nil {
						t.Fatalf("%s %+v: %v", name, f, err)
					}
					if total != (audit.Total{N: len(want)}) {
						t.Errorf("%s %+v: total %+v, want %d", name, f, total, len(want))
					}
					for _, r := range recs {
						got = append(got, r.Seq)
						if r.UnitCode == "" && r.UnitID != 0 {
							t.Errorf("%s %+v: row %d has unit id %d but no code", name, f, r.Seq, r.UnitID)
						}
					}
					if len(recs) < f.Limit || page > 100 {
						break
					}
					f.Offset += f.Limit
				}
				// Oldest first is the same rows the other way round.
				var back []int64
				for off := 0; off < len(want)+f.Limit; off += f.Limit {
					f.Offset, f.Oldest = off, true
					recs, _, err := audit.List(pctx, db, f)
					if err != nil {
						t.Fatalf("%s %+v: %v", name, f, err)
					}
					for _, r := range recs {
						back = append(back, r.Seq)
					}
				}
				slices.Reverse(back)
				if !slices.Equal(back, want) {
					t.Errorf("%s, filter %+v oldest first:\n got %v\nwant %v", name, f, back, want)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s, filter %+v:\n got %v\nwant %v", name, f, got, want)
				}
			}
		}
	})
}
