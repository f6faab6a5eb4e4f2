package audit_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// describeWorld is two provinces with a user, a contact and a host each,
// and a log with a row of every kind of actor.
type describeWorld struct {
	db    *store.DB
	admin *auth.Principal
	offA  *auth.Principal
}

func newDescribeWorld(t *testing.T, db *store.DB) *describeWorld {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO units (id, code, name, name_fold, kind, parent_id, path, created_at, updated_at) VALUES (1, 'ROOT', 'Bảo hiểm xã hội Việt Nam', 'x', 'headquarters', NULL, '/1/', 0, 0)`,
		`INSERT INTO units (id, code, name, name_fold, kind, parent_id, path, created_at, updated_at) VALUES (2, 'A', 'BHXH tỉnh A', 'x', 'province', 1, '/1/2/', 0, 0)`,
		`INSERT INTO units (id, code, name, name_fold, kind, parent_id, path, created_at, updated_at) VALUES (3, 'B', 'BHXH tỉnh B', 'x', 'province', 1, '/1/3/', 0, 0)`,
		`INSERT INTO users (id, email, name, name_fold, role, unit_id, created_at, updated_at) VALUES (10, 'a@test.vigil', 'Nguyễn Văn A', 'x', 'admin', 1, 0, 0)`,
		`INSERT INTO users (id, email, name, name_fold, role, unit_id, created_at, updated_at) VALUES (11, 'b@test.vigil', 'Trần Thị B', 'x', 'officer', 2, 0, 0)`,
		// Contact 7 is B's now; a row of A's names a contact 7 deleted
		// before the id was given again.
		`INSERT INTO contacts (id, unit_id, name, created_at, updated_at) VALUES (7, 3, 'Bí mật của B', 0, 0)`,
		`INSERT INTO hosts (id, unit_id, hostname, hostname_key, source, first_seen_at, last_seen_at) VALUES (5, 2, 'PC-A-01', 'pc-a-01', 'agent', 0, 0)`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return &describeWorld{db: db,
		admin: &auth.Principal{UserID: 10, Email: "a@test.vigil", Role: auth.RoleAdmin, UnitID: 1, UnitPath: "/1/"},
		offA:  &auth.Principal{UserID: 11, Email: "b@test.vigil", Role: auth.RoleOfficer, UnitID: 2, UnitPath: "/1/2/"},
	}
}

func (w *describeWorld) log(t *testing.T, p *auth.Principal, e audit.Entry) {
	t.Helper()
	if err := audit.Log(auth.WithPrincipal(context.Background(), p), w.db, e); err != nil {
		t.Fatal(err)
	}
}

func (w *describeWorld) describe(t *testing.T, p *auth.Principal, lang string, f audit.Filter) []audit.View {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), p)
	f.Limit = 100
	recs, _, err := audit.List(ctx, w.db, f)
	if err != nil {
		t.Fatal(err)
	}
	views, err := audit.Describe(ctx, w.db, recs, lang)
	if err != nil {
		t.Fatal(err)
	}
	return views
}

// TestDescribeSentences puts rows into words: names for ids, a precise
// sentence for a one-field update, a readable sentence for an action no
// sentence was written for, before → after per field, nothing secret,
// and no name read across units through a reused id.
func TestDescribeSentences(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newDescribeWorld(t, db)
		agent := &auth.Principal{Email: "agent:ag1", Via: "agent"}
		if _, err := db.Exec(context.Background(), `INSERT INTO agents (id, host_id, unit_id, secret_hash, enrolled_at, last_seen_at) VALUES ('ag1', 5, 2, 'x', 0, 0)`); err != nil {
			t.Fatal(err)
		}
		w.log(t, w.admin, audit.Entry{Action: "user.update", ObjectType: "user", ObjectID: "11", UnitID: 2,
			Before: map[string]any{"name": "Trần Thị B", "role": "viewer", "unit": "A", "disabled": false},
			After:  map[string]any{"name": "Trần Thị B", "role": "officer", "unit": "A", "disabled": false}})
		w.log(t, w.offA, audit.Entry{Action: "auth.login", ObjectType: "user", ObjectID: "11", UnitID: 2, After: map[string]any{"via": "password"}})
		w.log(t, w.admin, audit.Entry{Action: "contact.delete", ObjectType: "contact", ObjectID: "7", UnitID: 2})
		w.log(t, auth.System, audit.Entry{Action: "host.update", ObjectType: "host", ObjectID: "5", UnitID: 2,
			Before: map[string]any{"role": "workstation"}, After: map[string]any{"role": "server", "password": "hunter2hunter2", "new_field": strings.Repeat("x", 200)}})
		w.log(t, agent, audit.Entry{Action: "host.scan_finished", ObjectType: "host", ObjectID: "5", UnitID: 2, After: map[string]any{"files": 1234, "findings": 0}})
		w.log(t, w.admin, audit.Entry{Action: "weird.thing", ObjectType: "gadget", ObjectID: "", UnitID: 2})
		w.log(t, auth.System, audit.Entry{Action: "auth.login_failed", ObjectType: "user", ObjectID: "unknown:0123456789abcdef", After: map[string]any{"reason": "unknown account"}})

		for _, lang := range []string{"vi", "en"} {
			views := w.describe(t, w.admin, lang, audit.Filter{})
			got := map[string]audit.View{}
			for _, v := range views {
				got[v.Action] = v
				if strings.ContainsAny(v.Sentence, "{}") || strings.Contains(v.Sentence, v.Action) || strings.Contains(v.Sentence, "[redacted]") {
					t.Errorf("%s: %s: sentence %q", lang, v.Action, v.Sentence)
				}
				if v.ObjectName == "" || v.ActorName == "" {
					t.Errorf("%s: %s: no actor or object name: %+v", lang, v.Action, v)
				}
			}
			want := map[string]map[string]string{
				"vi": {
					"user.update":        "Nguyễn Văn A đã đổi vai trò của người dùng Trần Thị B",
					"auth.login":         "Trần Thị B đã đăng nhập",
					"contact.delete":     "Nguyễn Văn A đã xóa đầu mối liên hệ #7",
					"host.update":        "Hệ thống Vigil đã sửa máy PC-A-01",
					"host.scan_finished": "Tác tử trên máy PC-A-01 đã rà quét xong máy PC-A-01",
					"weird.thing":        "Nguyễn Văn A đã thực hiện một thao tác trên đối tượng đối tượng",
					"auth.login_failed":  "Đăng nhập thất bại: tài khoản không tồn tại",
				},
				"en": {
					"user.update":        "Nguyễn Văn A changed the role of user Trần Thị B",
					"auth.login":         "Trần Thị B signed in",
					"contact.delete":     "Nguyễn Văn A removed contact #7",
					"host.update":        "Vigil (system) changed host PC-A-01",
					"host.scan_finished": "The agent on PC-A-01 finished scanning host PC-A-01",
					"weird.thing":        "Nguyễn Văn A acted on object object",
					"auth.login_failed":  "Failed sign-in: no such account",
				},
			}[lang]
			for action, sentence := range want {
				if got[action].Sentence != sentence {
					t.Errorf("%s: %s: %q, want %q", lang, action, got[action].Sentence, sentence)
				}
			}
			u := got["user.update"]
			if !u.Diff || len(u.Changes) != 1 || u.Changes[0].Field != "role" || u.Changes[0].Before != map[string]string{"vi": "Người xem", "en": "Viewer"}[lang] ||
				u.Changes[0].After != map[string]string{"vi": "Cán bộ an toàn thông tin đơn vị", "en": "Unit security officer"}[lang] {
				t.Errorf("%s: role change: %+v", lang, u.Changes)
			}
			if u.ActorEmail != "a@test.vigil" || u.ActorKind != audit.ActorPerson || u.UnitName != "BHXH tỉnh A" {
				t.Errorf("%s: actor %q %q %q, unit %q", lang, u.ActorName, u.ActorEmail, u.ActorKind, u.UnitName)
			}
			h := got["host.update"]
			fields := map[string]audit.Change{}
			for _, c := range h.Changes {
				fields[c.Field] = c
			}
			if fields["password"].After != map[string]string{"vi": "(đã ẩn)", "en": "(hidden)"}[lang] {
				t.Errorf("%s: a secret shows as %q", lang, fields["password"].After)
			}
			if c := fields["new_field"]; c.Label != "New field" || c.HasBefore || !c.AfterShown().Clipped || len([]rune(c.AfterShown().Short)) != audit.Clip || c.AfterShown().Full != strings.Repeat("x", 200) {
				t.Errorf("%s: unlabelled long field: %+v", lang, c)
			}
			if got["host.scan_finished"].ActorKind != audit.ActorAgent || got["auth.login_failed"].ActorKind != audit.ActorAnonymous || h.ActorKind != audit.ActorSystem {
				t.Errorf("%s: actor kinds %q %q %q", lang, got["host.scan_finished"].ActorKind, got["auth.login_failed"].ActorKind, h.ActorKind)
			}
			if s := got["host.scan_finished"].Changes; len(s) != 2 || s[0].Value().Full != map[string]string{"vi": "1.234", "en": "1,234"}[lang] {
				t.Errorf("%s: scan facts %+v", lang, s)
			}
		}
		// An officer of A, to whom contact 7 of B is not visible, gets no
		// name through the reused id either.
		for _, v := range w.describe(t, w.offA, "vi", audit.Filter{}) {
			if strings.Contains(v.Sentence, "Bí mật") {
				t.Errorf("officer of A reads B's contact name: %s", v.Sentence)
			}
		}
	})
}

// TestListByActorKind filters by who acted on every plan List picks.
func TestListByActorKind(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newDescribeWorld(t, db)
		agent := &auth.Principal{Email: "agent:ag1", Via: "agent"}
		type row struct{ kind, action string }
		var rows []row
		for i := 0; i < 30; i++ {
			var p *auth.Principal
			e := audit.Entry{Action: "unit.update", ObjectType: "unit", ObjectID: "A", UnitID: 2}
			switch i % 5 {
			case 0:
				p = auth.System
			case 1:
				p = agent
				e.Action = "host.scan_finished"
			case 2:
				p = auth.System
				e.Action = "auth.login_failed"
			case 3:
				p = w.offA
				e.Action = "auth.login"
			default:
				p = w.admin
			}
			w.log(t, p, e)
			rows = append(rows, row{audit.ActorKindOf(&audit.Record{ActorID: p.UserID, Actor: p.Email, Action: e.Action}), e.Action})
		}
		for _, p := range []*auth.Principal{w.admin, w.offA} {
			for _, f := range []audit.Filter{{ActorKind: audit.ActorPerson}, {ActorKind: audit.ActorSystem}, {ChangesOnly: true}, {ActorKind: audit.ActorPerson, ChangesOnly: true}} {
				var want []string
				for i := len(rows) - 1; i >= 0; i-- {
					r := rows[i]
					person := r.kind == audit.ActorPerson || r.kind == audit.ActorAnonymous
					if (f.ActorKind == audit.ActorPerson && !person) || (f.ActorKind == audit.ActorSystem && person) || (f.ChangesOnly && strings.HasPrefix(r.action, "auth.")) {
						continue
					}
					want = append(want, r.kind+" "+r.action)
				}
				var got []string
				for _, v := range w.describe(t, p, "en", f) {
					got = append(got, v.ActorKind+" "+v.Action)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s, %+v:\n got %q\nwant %q", p.Email, f, got, want)
				}
			}
		}
		if db.Dialect == store.SQLite {
			// The system's rows come from their own index, not from a
			// walk of the whole log.
			for q, index := range map[string]string{
				`SELECT a.seq FROM audit_log a WHERE a.actor_id = 0 AND a.action <> 'auth.login_failed' ORDER BY a.seq DESC LIMIT 51`:                   "audit_system ",
				`SELECT a.seq FROM audit_log a WHERE a.unit_id = 2 AND a.actor_id = 0 AND a.action <> 'auth.login_failed' ORDER BY a.seq DESC LIMIT 51`: "audit_system_unit ",
			} {
				var plan []string
				rows, err := db.Query(context.Background(), `EXPLAIN QUERY PLAN `+q)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var id, parent, unused int
					var detail string
					if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
						t.Fatal(err)
					}
					plan = append(plan, detail)
				}
				rows.Close()
				if !strings.Contains(strings.Join(plan, "; ")+" ", index) {
					t.Errorf("%s\nuses %q, not %s", q, plan, index)
				}
			}
		}
	})
}

// BenchmarkDescribe is the cost of putting one page of 50 rows into words
// on top of listing them: the summaries parsed, one query per kind of
// object, the sentences written.
func BenchmarkDescribe(b *testing.B) {
	db := storetest.Open(b, "sqlite")
	ctx := context.Background()
	for i := 1; i <= 60; i++ {
		if _, err := db.Exec(ctx, `INSERT INTO units (id, code, name, name_fold, kind, parent_id, path, created_at, updated_at) VALUES (?, ?, ?, 'x', 'district', NULL, ?, 0, 0)`,
			i, fmt.Sprintf("U%02d", i), fmt.Sprintf("BHXH huyện %d", i), fmt.Sprintf("/%d/", i)); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO users (id, email, name, name_fold, role, unit_id, created_at, updated_at) VALUES (?, ?, ?, 'x', 'officer', ?, 0, 0)`,
			i, fmt.Sprintf("u%d@test.vigil", i), fmt.Sprintf("Người dùng %d", i), i); err != nil {
			b.Fatal(err)
		}
	}
	kinds := []audit.Entry{
		{Action: "auth.login", ObjectType: "user", After: map[string]any{"via": "password"}},
		{Action: "user.update", ObjectType: "user", Before: map[string]any{"name": "A", "role": "viewer"}, After: map[string]any{"name": "A", "role": "officer"}},
		{Action: "unit.update", ObjectType: "unit", Before: map[string]any{"name": "A"}, After: map[string]any{"name": "B"}},
		{Action: "contact.create", ObjectType: "contact", After: map[string]any{"name": "C", "phone": "0900", "email": "c@x"}},
		{Action: "token.revoke", ObjectType: "api_token"},
	}
	for i := 0; i < 50; i++ {
		e := kinds[i%len(kinds)]
		e.UnitID = int64(1 + i)
		e.ObjectID = fmt.Sprint(1 + i)
		if e.ObjectType == "unit" {
			e.ObjectID = fmt.Sprintf("U%02d", 1+i)
		}
		p := &auth.Principal{UserID: int64(1 + i%40), Email: fmt.Sprintf("u%d@test.vigil", 1+i%40), Role: auth.RoleAdmin}
		if err := audit.Log(auth.WithPrincipal(ctx, p), db, e); err != nil {
			b.Fatal(err)
		}
	}
	actx := auth.WithPrincipal(ctx, &auth.Principal{UserID: 1, Role: auth.RoleAdmin, UnitPath: "/"})
	recs, _, err := audit.List(actx, db, audit.Filter{Limit: 50})
	if err != nil || len(recs) != 50 {
		b.Fatal(len(recs), err)
	}
	for b.Loop() {
		if _, err := audit.Describe(actx, db, recs, "vi"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEveryRecordedActionHasASentence finds every action the hub records
// in its source and checks each has a sentence of its own in both
// languages (the generic one is for rows of older or newer hubs).
func TestEveryRecordedActionHasASentence(t *testing.T) {
	re := regexp.MustCompile(`(?:Action: *|s\.[Aa]udit\([a-z]+, [a-z]+, |appendUserAudit\(ctx, tx, |appendAudit\(ctx, tx, )"([a-z_]+\.[a-z_]+)"`)
	found := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			found[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 20 {
		t.Fatalf("found only %d actions: %v", len(found), found)
	}
	for a := range found {
		if !i18n.Has("audit.do." + a) {
			t.Errorf("%s has no sentence (audit.do.%s in internal/i18n/audit_messages.go)", a, a)
		}
		for _, lang := range []string{"vi", "en"} {
			views, err := audit.Describe(context.Background(), nil, []audit.Record{{Action: a, ObjectType: "x", ObjectID: "1", Actor: "system", Summary: []byte(`{}`)}}, lang)
			if err != nil {
				t.Fatal(err)
			}
			if s := views[0].Sentence; strings.Contains(s, map[string]string{"vi": "một thao tác", "en": "acted on"}[lang]) || strings.Contains(s, a) {
				t.Errorf("%s (%s) has no sentence of its own: %q", a, lang, s)
			}
		}
	}
}

// TestPastedImportInWords: an import of pasted values names them in
// words, not by the import's file name "pasted".
func TestPastedImportInWords(t *testing.T) {
	for lang, want := range map[string]string{"vi": "(các giá trị dán trực tiếp)", "en": "(pasted values)"} {
		views, err := audit.Describe(context.Background(), nil, []audit.Record{{Action: "intel.import", ObjectType: "intel_import", ObjectID: i18n.PastedName, Actor: "a@test.vigil", Summary: []byte(`{}`)}}, lang)
		if err != nil || len(views) != 1 || views[0].ObjectName != want {
			t.Errorf("%s: %v %+v", lang, err, views)
		}
	}
}
