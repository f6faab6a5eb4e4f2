package sources

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func setup(t *testing.T, db *store.DB) (*Service, context.Context) {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []org.UnitInput{{Code: "P1", Name: "Tỉnh một", Kind: "province", Parent: org.RootCode}, {Code: "P2", Name: "Tỉnh hai", Kind: "province", Parent: org.RootCode}} {
		if _, err := o.CreateUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return &Service{DB: db}, ctx
}

// officer is a principal writing unit code's subtree.
func officer(t *testing.T, db *store.DB, code string) context.Context {
	t.Helper()
	var id int64
	var path string
	if err := db.QueryRow(context.Background(), `SELECT id, path FROM units WHERE code = ?`, code).Scan(&id, &path); err != nil {
		t.Fatal(err)
	}
	return auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 0, Email: "o@" + code, Role: auth.RoleOfficer, UnitID: id, UnitCode: code, UnitPath: path, Via: "token"})
}

func TestSourcesLifecycleAndScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := setup(t, db)
		o1, o2 := officer(t, db, "P1"), officer(t, db, "P2")
		src, err := s.Create(o1, Input{Unit: "P1", Name: "Wazuh tỉnh", Kind: KindSIEM, Senders: []string{"10.1.0.5, 10.1.2.0/24"}})
		if err != nil {
			t.Fatal(err)
		}
		if src.Token == "" || src.IntervalMinutes != DefaultInterval || len(src.Senders) != 2 || src.Senders[0] != "10.1.0.5/32" {
			t.Fatalf("created %+v", src)
		}
		var stored string
		db.QueryRow(context.Background(), `SELECT token_hash FROM sources WHERE id = ?`, src.ID).Scan(&stored)
		if stored == src.Token || stored != auth.HashSecret(src.Token) {
			t.Fatal("token not stored as its hash")
		}
		// Bad input, each on its field.
		for _, c := range []struct {
			in    Input
			field string
		}{
			{Input{Unit: "P1", Name: "", Kind: KindSIEM}, "name"},
			{Input{Unit: "P1", Name: "x", Kind: "toaster"}, "kind"},
			{Input{Unit: "P1", Name: "x", Kind: KindIDS, IntervalMinutes: -1}, "interval_minutes"},
			{Input{Unit: "P1", Name: "x", Kind: KindIDS, Senders: []string{"10.1.300.1"}}, "senders"},
			{Input{Unit: "P1", Name: "x", Kind: KindIDS, Senders: []string{"10.1.0.5"}}, "senders"}, // claimed
			{Input{Unit: "P1", Name: "WAZUH TỈNH", Kind: KindIDS}, "name"},                          // duplicate, ignoring case
			{Input{Unit: "P2", Name: "x", Kind: KindIDS}, "unit"},                                   // out of scope
		} {
			_, err := s.Create(o1, c.in)
			if e, ok := errs.As(err); !ok || e.Field != c.field {
				t.Errorf("%+v: %v, want an error on %s", c.in, err, c.field)
			}
		}
		// Scope: P2's officer neither sees nor touches it.
		if _, err := s.Get(o2, src.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("P2 gets P1's source: %v", err)
		}
		if err := s.Revoke(o2, src.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("P2 revokes P1's source: %v", err)
		}
		if _, err := s.RotateToken(o2, src.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("P2 rotates P1's token: %v", err)
		}
		if l, total, _ := s.List(o2, Filter{}); total != 0 || len(l) != 0 {
			t.Errorf("P2 lists %d sources", total)
		}
		viewer := auth.WithPrincipal(context.Background(), &auth.Principal{Role: auth.RoleViewer, UnitPath: src.UnitPath, Via: "token"})
		if _, err := s.Get(viewer, src.ID); err != nil {
			t.Errorf("viewer reads: %v", err)
		}
		name := "x"
		if _, err := s.Update(viewer, src.ID, Patch{Name: &name}); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("viewer renames: %v", err)
		}
		// Authenticate, rotate, revoke.
		id, err := s.Authenticate(context.Background(), src.Token)
		if err != nil || id.ID != src.ID || id.Kind != KindSIEM {
			t.Fatalf("authenticate: %+v %v", id, err)
		}
		if _, err := s.Authenticate(context.Background(), "vgs_nope"); ReasonOf(err) != ReasonUnknownToken {
			t.Errorf("unknown token: %v", err)
		}
		rot, err := s.RotateToken(o1, src.ID)
		if err != nil || rot.Token == src.Token {
			t.Fatalf("rotate: %v", err)
		}
		if _, err := s.Authenticate(context.Background(), src.Token); ReasonOf(err) != ReasonUnknownToken {
			t.Errorf("old token after rotation: %v", err)
		}
		if _, err := s.Authenticate(context.Background(), rot.Token); err != nil {
			t.Errorf("new token: %v", err)
		}
		if id, ok := s.MatchSender(netip.MustParseAddr("10.1.2.77")); !ok || id.ID != src.ID {
			t.Errorf("sender in the prefix: %+v %v", id, ok)
		}
		if _, ok := s.MatchSender(netip.MustParseAddr("10.1.3.1")); ok {
			t.Error("sender outside matched")
		}
		if err := s.Revoke(o1, src.ID); err != nil {
			t.Fatal(err)
		}
		if id, err := s.Authenticate(context.Background(), rot.Token); ReasonOf(err) != ReasonRevoked || id.ID != src.ID {
			t.Errorf("revoked token: %+v %v", id, err)
		}
		if _, ok := s.MatchSender(netip.MustParseAddr("10.1.0.5")); ok {
			t.Error("revoked source's sender still matched")
		}
		if _, err := s.RotateToken(o1, src.ID); errs.Code(err) != errs.ECONFLICT {
			t.Errorf("rotate revoked: %v", err)
		}
		var n int
		db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE object_type = 'source'`).Scan(&n)
		if n != 3 {
			t.Errorf("%d audit rows, want create, rotate, revoke", n)
		}
	})
}

// A token revoked by another hub process (another Service on the same
// database) stops working within the cache's lifetime.
func TestRevokedElsewhereStopsWithinTTL(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, ctx := setup(t, db)
		clock := time.Now()
		other := &Service{DB: db, CacheTTL: 2 * time.Second, Now: func() time.Time { return clock }}
		src, err := s.Create(ctx, Input{Unit: "P1", Name: "IDS", Kind: KindIDS})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Authenticate(ctx, src.Token); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, src.ID); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(3 * time.Second)
		if _, err := other.Authenticate(ctx, src.Token); ReasonOf(err) != ReasonRevoked {
			t.Fatalf("after the TTL: %v", err)
		}
	})
}

func TestCountersFlushInBatches(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, ctx := setup(t, db)
		a, _ := s.Create(ctx, Input{Unit: "P1", Name: "A", Kind: KindFirewall, IntervalMinutes: 1})
		b, _ := s.Create(ctx, Input{Unit: "P2", Name: "B", Kind: KindIDS, Senders: []string{"192.0.2.9"}})
		ta := s.Tally(a.ID)
		at := time.Now().Add(-time.Minute).Truncate(time.Microsecond)
		ta.Accept(100, at)
		ta.Accept(5, at.Add(time.Second))
		ta.Refuse(ReasonOversize, 2)
		ta.Refuse(ReasonInvalidUTF8, 1)
		s.Tally(b.ID).Refuse(ReasonBinary, 4)
		s.Count("udp_queue_dropped", 7)
		s.NoteUnknownSender(netip.MustParseAddr("198.51.100.4"), 3, []byte("<13>Oct 11 22:14:15 host app: hello\x00"))
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		ta.Accept(1, at.Add(2*time.Second))
		s.Count("udp_queue_dropped", 1)
		s.NoteUnknownSender(netip.MustParseAddr("198.51.100.4"), 1, nil)
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Accepted != 106 || got.Refused != 3 || got.RefusedBy[ReasonOversize] != 2 || got.RefusedBy[ReasonInvalidUTF8] != 1 {
			t.Errorf("counts %+v", got)
		}
		if !got.FirstEventAt.Equal(at) || !got.LastEventAt.Equal(at.Add(2*time.Second)) {
			t.Errorf("first %v last %v, want %v and 2s later", got.FirstEventAt, got.LastEventAt, at)
		}
		if !got.Silent(time.Now().Add(2 * time.Minute)) {
			t.Error("not silent two minutes later with a 1-minute interval")
		}
		l, total, err := s.List(ctx, Filter{Status: "silent"})
		if err != nil || total != 0 {
			t.Errorf("silent now: %d %v %+v", total, err, l)
		}
		c, _ := s.Counters(ctx)
		if c["udp_queue_dropped"].Value != 8 {
			t.Errorf("counters %+v", c)
		}
		us, total, err := s.UnknownSenders(ctx, "", false, 0, 10)
		if err != nil || total != 1 || us[0].Count != 4 || us[0].Address != "198.51.100.4" || us[0].Sample != "<13>Oct 11 22:14:15 host app: hello " {
			t.Fatalf("unknown senders %d %v %+v", total, err, us)
		}
		if o, _, _ := s.UnknownSenders(officer(t, db, "P1"), "", false, 0, 10); len(o) != 0 {
			t.Error("an officer sees unknown senders")
		}
		// Registering the address takes it off the unknown list.
		senders := []string{"198.51.100.0/24"}
		if _, err := s.Update(ctx, a.ID, Patch{Senders: &senders}); err != nil {
			t.Fatal(err)
		}
		if _, total, _ := s.UnknownSenders(ctx, "", false, 0, 10); total != 0 {
			t.Errorf("%d unknown senders after registering", total)
		}
		if id, ok := s.MatchSender(netip.MustParseAddr("198.51.100.4")); !ok || id.ID != a.ID {
			t.Errorf("new sender not matched: %v", ok)
		}
	})
}

func TestListFiltersAndSorts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, ctx := setup(t, db)
		for _, in := range []Input{{Unit: "P1", Name: "Beta", Kind: KindIDS}, {Unit: "P1", Name: "Alpha", Kind: KindSIEM}, {Unit: "P2", Name: "Gamma", Kind: KindIDS}} {
			if _, err := s.Create(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		l, total, err := s.List(ctx, Filter{Kind: KindIDS, Sort: "name"})
		if err != nil || total != 2 || l[0].Name != "Beta" || l[1].Name != "Gamma" {
			t.Fatalf("ids by name: %d %v", total, err)
		}
		l, total, _ = s.List(ctx, Filter{Unit: "P1", Q: "alp"})
		if total != 1 || l[0].Name != "Alpha" {
			t.Fatalf("P1 alp: %d", total)
		}
		if _, _, err := s.List(ctx, Filter{Sort: "secret"}); errs.Code(err) != errs.EINVALID {
			t.Errorf("bad sort: %v", err)
		}
	})
}

func TestDemo(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, ctx := setup(t, db)
		if n, err := s.LoadDemo(ctx); err != nil || n != 0 {
			t.Fatalf("demo without the demo organisation: %d %v", n, err)
		}
	})
}
