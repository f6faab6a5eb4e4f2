package intel_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/auth"
	"vigil/internal/detect/ioc"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/intel"
	"vigil/internal/intel/format"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// fixture is a small organisation: the root (the IT Center's level, an
// administrator and a root officer), provinces A (officer, viewer, and
// district A1) and B (officer).
type fixture struct {
	db    *store.DB
	svc   *intel.Service
	now   time.Time
	ctx   map[string]context.Context // admin, root, officerA, viewerA, officerB, analyst
	units map[string]int64

	mu        sync.Mutex
	published []int64
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	sys := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(sys); err != nil {
		t.Fatal(err)
	}
	for _, u := range []org.UnitInput{
		{Code: "ITC", Name: "Trung tâm CNTT", Kind: org.KindServiceUnit, Parent: org.RootCode},
		{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "A1", Name: "Huyện A1", Kind: org.KindDistrict, Parent: "A"},
		{Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		if _, err := o.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{db: db, now: time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC), ctx: map[string]context.Context{}, units: map[string]int64{}}
	f.svc = &intel.Service{DB: db, Now: func() time.Time { return f.now }, Logger: slog.New(slog.DiscardHandler)}
	f.svc.OnPublish = append(f.svc.OnPublish, func(_ context.Context, id int64) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.published = append(f.published, id)
		return errors.New("a failing hook is logged, not returned")
	})
	for name, a := range map[string]struct {
		role auth.Role
		unit string
	}{
		"admin": {auth.RoleAdmin, org.RootCode}, "root": {auth.RoleOfficer, org.RootCode}, "analyst": {auth.RoleAnalyst, "ITC"},
		"officerA": {auth.RoleOfficer, "A"}, "viewerA": {auth.RoleViewer, "A"}, "officerB": {auth.RoleOfficer, "B"},
	} {
		p := &auth.Principal{Email: name + "@test.vigil", Role: a.role, Via: "token", UnitCode: a.unit}
		if err := db.QueryRow(sys, `SELECT id, path FROM units WHERE code = ?`, a.unit).Scan(&p.UnitID, &p.UnitPath); err != nil {
			t.Fatal(err)
		}
		f.ctx[name] = auth.WithPrincipal(context.Background(), p)
	}
	for _, c := range []string{"A", "A1", "B"} {
		var id int64
		if err := db.QueryRow(sys, `SELECT id FROM units WHERE code = ?`, c).Scan(&id); err != nil {
			t.Fatal(err)
		}
		f.units[c] = id
	}
	return f
}

func (f *fixture) hooks() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.published)
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func imp(t *testing.T, f *fixture, who string, in intel.ImportInput, data string) *intel.ImportResult {
	t.Helper()
	in.Data = strings.NewReader(data)
	if in.Name == "" {
		in.Name = "t.csv"
	}
	res, err := f.svc.Import(f.ctx[who], in)
	if err != nil {
		t.Fatalf("import by %s: %v", who, err)
	}
	return res
}

func code(err error) string { return errs.Code(err) }

func TestImportUpsertsIndicators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		res := imp(t, f, "admin", intel.ImportInput{Source: "NCSC", TLP: "green"}, "type,value,comment\nip,203.0.113.7,c2\ndomain,evil.example,phishing\nbogus,x\naccount,svc_backup,\n")
		if res.ObjectsRead != 4 || res.IndicatorsLoaded != 3 || len(res.Skipped) != 1 {
			t.Fatalf("first import: %+v", res)
		}
		var stix string
		var created int64
		if err := db.QueryRow(context.Background(), `SELECT stix_id, created_at FROM intel_indicators WHERE value = '203.0.113.7'`).Scan(&stix, &created); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stix, "indicator--") {
			t.Errorf("stix id %q", stix)
		}
		f.now = f.now.Add(time.Hour)
		res = imp(t, f, "admin", intel.ImportInput{Source: "NCSC", TLP: "red"}, "ip,203.0.113.7,c2 again\nip,198.51.100.1,new\n")
		if res.IndicatorsLoaded != 2 {
			t.Fatalf("second import: %+v", res)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM intel_indicators`); n != 4 {
			t.Errorf("%d indicators stored, want 4 (same kind+value+source updates)", n)
		}
		var stix2, tlp, comment string
		var created2, last int64
		if err := db.QueryRow(context.Background(), `SELECT stix_id, created_at, tlp, comment, last_seen FROM intel_indicators WHERE value = '203.0.113.7'`).
			Scan(&stix2, &created2, &tlp, &comment, &last); err != nil {
			t.Fatal(err)
		}
		if stix2 != stix || created2 != created || tlp != "red" || comment != "c2 again" || last != store.Micros(f.now) {
			t.Errorf("updated row: stix %q→%q created %d→%d tlp %s comment %q last %d", stix, stix2, created, created2, tlp, comment, last)
		}
		// Another source is another row.
		imp(t, f, "admin", intel.ImportInput{Source: "MISP"}, "ip,203.0.113.7\n")
		if n := count(t, db, `SELECT COUNT(*) FROM intel_indicators WHERE value = '203.0.113.7'`); n != 2 {
			t.Errorf("%d rows for two sources", n)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'intel.import'`); n != 3 {
			t.Errorf("%d audit rows for three imports, want one each", n)
		}
		// Rights: only the IT Center imports outside a list.
		for _, who := range []string{"officerA", "viewerA", "analyst"} {
			_, err := f.svc.Import(f.ctx[who], intel.ImportInput{Name: "x.csv", Data: strings.NewReader("ip,192.0.2.1\n")})
			if code(err) != errs.EFORBIDDEN {
				t.Errorf("%s imports global intel: %v", who, err)
			}
		}
		_, err := f.svc.Import(f.ctx["admin"], intel.ImportInput{Name: "x.csv", TLP: "purple", Data: strings.NewReader("ip,192.0.2.1\n")})
		if code(err) != errs.EINVALID || !strings.Contains(i18n.ErrorText("vi", err), "TLP:AMBER+STRICT (chỉ nội bộ)") || !strings.Contains(err.Error(), "amber+strict") {
			t.Errorf("bad tlp: %v / %s", err, i18n.ErrorText("vi", err))
		}
		// A file refused whole: nothing stored, the reason in words in
		// either language, no Go error text.
		_, err = f.svc.Import(f.ctx["admin"], intel.ImportInput{Name: "wrongcols.csv", List: "L", Data: strings.NewReader("foo,bar\nx,y\n")})
		if vi := i18n.ErrorText("vi", err); code(err) != errs.EINVALID || vi != "Tệp: không đọc được wrongcols.csv: dòng 1: không hiểu các cột: cần dòng tiêu đề có cột type và value, hoặc các dòng dạng type,value[,comment]" {
			t.Errorf("refused (vi): %v / %q", err, vi)
		}
		if en := i18n.ErrorText("en", err); en != "File: wrongcols.csv cannot be read: line 1: columns not understood: want a header naming type and value, or rows type,value[,comment]" {
			t.Errorf("refused (en): %q", en)
		}
		_, err = f.svc.Import(f.ctx["admin"], intel.ImportInput{Name: "e.json", Data: strings.NewReader(`{"Event":{"info":"x","Attribute":"oops"}}`)})
		if vi := i18n.ErrorText("vi", err); strings.Contains(vi, "json: cannot") || strings.Contains(vi, "mispAttribute") || !strings.Contains(vi, "trường Event.Attribute") {
			t.Errorf("bad MISP event (vi): %q", vi)
		}
		// The cap.
		f.svc.MaxIndicators = 1
		if _, err := f.svc.Import(f.ctx["admin"], intel.ImportInput{Name: "x.csv", Data: strings.NewReader("ip,192.0.2.1\nip,192.0.2.2\n")}); code(err) != errs.ETOOLARGE {
			t.Errorf("over the cap: %v", err)
		}
	})
}

func TestImportWithListCreatesAndPublishes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		res := imp(t, f, "root", intel.ImportInput{List: "Danh sách tháng 12", Source: "ITC"}, "type,value,comment,source,confidence,tlp,valid_until,tags,unit,action,severity,reason\nip,203.0.113.7,c2\nhostname,pc-evil,\nip,10.9.9.9,,,,,,,A,reimage,critical\n")
		if res.List == nil || res.List.Status != intel.ListPublished || res.List.Entries != 3 || res.List.Month != "2026-12" {
			t.Fatalf("list after import: %+v", res.List)
		}
		id := res.List.ID
		if h := f.hooks(); !slices.Equal(h, []int64{id}) {
			t.Errorf("hooks ran for %v", h)
		}
		ents, total, err := f.svc.Entries(f.ctx["admin"], id, intel.EntryFilter{Sort: "value"})
		if err != nil || total != 3 {
			t.Fatalf("entries: %v %d", err, total)
		}
		byValue := map[string]intel.Entry{}
		for _, e := range ents {
			byValue[e.Value] = e
		}
		if e := byValue["10.9.9.9"]; e.Unit != "A" || e.Action != "reimage" || e.Severity != "critical" {
			t.Errorf("unit entry %+v", e)
		}
		// No action in the file: none stored, the matcher asks for what fits
		// the object matched (G2: not "block" for every address).
		if e := byValue["pc-evil"]; e.Unit != "" || e.Action != "" || e.Severity != "high" {
			t.Errorf("default entry %+v", e)
		}
		if e := byValue["203.0.113.7"]; e.Action != "" {
			t.Errorf("default entry %+v", e)
		}
		// The same name again joins the published list; the hooks run again.
		res = imp(t, f, "root", intel.ImportInput{List: "Danh sách tháng 12"}, "domain,bad.example\n")
		if res.List.ID != id || res.List.Entries != 4 {
			t.Errorf("second import joined %+v", res.List)
		}
		if len(f.hooks()) != 2 {
			t.Errorf("hooks %v", f.hooks())
		}
		// An officer adds entries for its own unit to the month's list;
		// a row for another unit is a problem, not an entry.
		res = imp(t, f, "officerA", intel.ImportInput{List: "Danh sách tháng 12", Unit: "A"}, "type,value,comment,source,confidence,tlp,valid_until,tags,unit,action,severity,reason\nip,10.1.1.1\nip,10.2.2.2,,,,,,,B\nip,10.3.3.3,,,,,,,A1\n")
		if res.IndicatorsLoaded != 2 || len(res.Skipped) != 1 || res.Skipped[0].Field != "unit" || res.Skipped[0].Reason != intel.ReasonUnitUnknown {
			t.Errorf("officer import: %+v", res)
		}
		for _, c := range []struct {
			who string
			in  intel.ImportInput
			err string
		}{
			{"officerA", intel.ImportInput{List: "Danh sách tháng 12", Unit: "B"}, errs.EINVALID}, // outside: "does not exist"
			{"officerA", intel.ImportInput{List: "Danh sách tháng 12"}, errs.EINVALID},
			{"officerA", intel.ImportInput{List: "Danh sách mới", Unit: "A"}, errs.EINVALID},
			{"viewerA", intel.ImportInput{List: "Danh sách tháng 12", Unit: "A"}, errs.EFORBIDDEN},
			{"root", intel.ImportInput{List: "Danh sách tháng 12", Unit: "NOPE"}, errs.EINVALID},
		} {
			c.in.Name, c.in.Data = "x.csv", strings.NewReader("ip,10.4.4.4\n")
			if _, err := f.svc.Import(f.ctx[c.who], c.in); code(err) != c.err {
				t.Errorf("%s %+v: %v, want %s", c.who, c.in, err, c.err)
			}
		}
	})
}

func TestListsVersionPublishWithdraw(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		admin := f.ctx["admin"]
		if _, err := f.svc.CreateList(f.ctx["officerA"], intel.ListInput{Name: "x"}); code(err) != errs.EFORBIDDEN {
			t.Errorf("officer creates a list: %v", err)
		}
		if _, err := f.svc.CreateList(admin, intel.ListInput{Name: "x", Month: "2026-13"}); code(err) != errs.EINVALID {
			t.Errorf("bad month: %v", err)
		}
		if _, err := f.svc.CreateList(admin, intel.ListInput{Name: ""}); code(err) != errs.EINVALID {
			t.Errorf("no name: %v", err)
		}
		l, err := f.svc.CreateList(admin, intel.ListInput{Name: "Danh sách cảnh báo tháng 11/2026", Month: "2026-11"})
		if err != nil {
			t.Fatal(err)
		}
		if l.Status != intel.ListDraft || l.Version != 1 || l.Issuer != intel.DefaultIssuer || l.RetroDays != 30 {
			t.Errorf("new list %+v", l)
		}
		// Versions count per month and name: another list of the month is
		// version 1 of its own name, and so is the first of a third name.
		other, err := f.svc.CreateList(admin, intel.ListInput{Name: "Audit list 12", Month: "2026-11"})
		if err != nil || other.Version != 1 {
			t.Fatalf("another list of the month: %+v %v", other, err)
		}
		other2, err := f.svc.NewVersion(admin, other.ID)
		if err != nil || other2.Version != 2 {
			t.Fatalf("its next version: %+v %v", other2, err)
		}
		// Migration 0035: (month, name, version) is unique on both engines.
		if _, err := db.Exec(context.Background(), `INSERT INTO warning_lists (name, month, version, issuer, status, status_since, retro_days, created_by, created_at)
			VALUES ('Audit list 12', '2026-11', 2, 'x', 'draft', 0, 30, 'test', 0)`); !store.IsUniqueViolation(err) {
			t.Errorf("a second version 2 of the same month and name: %v", err)
		}
		// Drafts are the IT Center's.
		if _, err := f.svc.GetList(f.ctx["officerA"], l.ID); code(err) != errs.ENOTFOUND {
			t.Errorf("officer reads a draft: %v", err)
		}
		if _, err := f.svc.GetList(f.ctx["analyst"], l.ID); err != nil {
			t.Errorf("analyst reads a draft: %v", err)
		}
		// Entries from pasted values, then by indicator id.
		res, err := f.svc.AddEntries(admin, l.ID, intel.EntryInput{Values: "ip,192.0.2.10\nip,192.0.2.11\n", Severity: "critical", Reason: "C2"})
		if err != nil || res.IndicatorsLoaded != 2 {
			t.Fatalf("add pasted: %+v %v", res, err)
		}
		var indID int64
		if err := db.QueryRow(context.Background(), `SELECT id FROM intel_indicators WHERE value = '192.0.2.10'`).Scan(&indID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddEntries(admin, l.ID, intel.EntryInput{IndicatorIDs: []int64{indID, 999999}, Unit: "B", Action: "block"}); err != nil {
			t.Fatal(err)
		}
		if len(f.hooks()) != 0 {
			t.Errorf("a draft ran the hooks")
		}
		if _, err := f.svc.Publish(f.ctx["officerA"], l.ID); code(err) != errs.EFORBIDDEN {
			t.Errorf("officer publishes: %v", err)
		}
		if _, err := f.svc.Publish(f.ctx["analyst"], l.ID); code(err) != errs.EFORBIDDEN {
			t.Errorf("analyst publishes: %v", err)
		}
		p1, err := f.svc.Publish(admin, l.ID)
		if err != nil || p1.Status != intel.ListPublished || p1.Entries != 3 || p1.PublishedBy != "admin@test.vigil" {
			t.Fatalf("publish: %+v %v", p1, err)
		}
		if _, err := f.svc.Publish(admin, l.ID); code(err) != errs.ECONFLICT {
			t.Errorf("publish twice: %v", err)
		}
		// Officers read published entries for every unit or their subtree.
		_, totalA, err := f.svc.Entries(f.ctx["officerA"], l.ID, intel.EntryFilter{})
		if err != nil || totalA != 2 {
			t.Errorf("officerA sees %d entries (%v), want the 2 for every unit", totalA, err)
		}
		_, totalB, _ := f.svc.Entries(f.ctx["officerB"], l.ID, intel.EntryFilter{})
		if totalB != 3 {
			t.Errorf("officerB sees %d entries, want 3", totalB)
		}
		// An officer removes only its subtree's entries.
		if _, err := f.svc.RemoveEntries(f.ctx["officerA"], l.ID, intel.RemoveInput{IndicatorIDs: []int64{indID}}); code(err) != errs.ENOTFOUND {
			t.Errorf("officerA removes B's entry: %v", err)
		}
		// A new version copies the entries; publishing it supersedes.
		v2, err := f.svc.NewVersion(admin, l.ID)
		if err != nil || v2.Version != 2 || v2.Entries != 3 || v2.Status != intel.ListDraft || v2.Month != "2026-11" { // not 4: "Audit list 12" has its own
			t.Fatalf("new version: %+v %v", v2, err)
		}
		n, err := f.svc.RemoveEntries(admin, v2.ID, intel.RemoveInput{IndicatorIDs: []int64{indID}, Unit: "B"})
		if err != nil || n != 1 {
			t.Fatalf("remove: %d %v", n, err)
		}
		if _, err := f.svc.Publish(admin, v2.ID); err != nil {
			t.Fatal(err)
		}
		old, _ := f.svc.GetList(admin, l.ID)
		if old.Status != intel.ListSuperseded {
			t.Errorf("old version is %s", old.Status)
		}
		if _, err := f.svc.AddEntries(admin, l.ID, intel.EntryInput{Values: "ip,192.0.2.99"}); code(err) != errs.ECONFLICT {
			t.Errorf("entries added to a superseded list: %v", err)
		}
		lists, total, err := f.svc.Lists(f.ctx["officerA"], intel.ListFilter{Month: "2026-11", Sort: "since", Desc: true}) // published only: the drafts are the IT Center's
		if err != nil || total != 2 || lists[0].ID == 0 {
			t.Errorf("lists: %d %v", total, err)
		}
		w, err := f.svc.Withdraw(admin, v2.ID, "nhầm danh sách")
		if err != nil || w.Status != intel.ListWithdrawn {
			t.Fatalf("withdraw: %+v %v", w, err)
		}
		if _, err := f.svc.Withdraw(admin, v2.ID, ""); code(err) != errs.ECONFLICT {
			t.Errorf("withdraw twice: %v", err)
		}
		for _, a := range []string{"watchlist.create", "watchlist.new_version", "watchlist.publish", "watchlist.supersede", "watchlist.withdraw", "watchlist.entry_add", "watchlist.entry_remove", "intel.import"} {
			if count(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, a) == 0 {
				t.Errorf("no audit row %s", a)
			}
		}
	})
}

func agentCtx(f *fixture, unit string) context.Context {
	return auth.WithPrincipal(context.Background(), &auth.Principal{Via: "agent", AgentID: "ag", UnitID: f.units[unit], UnitCode: unit})
}

func values(inds []agentapi.Indicator) []string {
	var out []string
	for _, i := range inds {
		out = append(out, i.Value)
	}
	slices.Sort(out)
	return out
}

func TestAgentsAndPipelineReceivePublishedLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		admin := f.ctx["admin"]
		v0, err := f.svc.Version(admin)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := f.svc.AgentIndicators(agentCtx(f, "A1")); len(got) != 0 {
			t.Errorf("agents get %v before any list", got)
		}
		l, _ := f.svc.CreateList(admin, intel.ListInput{Name: "L"})
		if _, err := f.svc.AddEntries(admin, l.ID, intel.EntryInput{Values: "ip,203.0.113.50\n"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddEntries(admin, l.ID, intel.EntryInput{Values: "ip,203.0.113.51\n", Unit: "A"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.svc.AgentIndicators(agentCtx(f, "A1")); len(got) != 0 {
			t.Errorf("agents get a draft: %v", got)
		}
		if _, err := f.svc.Publish(admin, l.ID); err != nil {
			t.Fatal(err)
		}
		a1, _ := f.svc.AgentIndicators(agentCtx(f, "A1"))
		b, _ := f.svc.AgentIndicators(agentCtx(f, "B"))
		if !slices.Equal(values(a1), []string{"203.0.113.50", "203.0.113.51"}) || !slices.Equal(values(b), []string{"203.0.113.50"}) {
			t.Errorf("A1 gets %v, B gets %v", values(a1), values(b))
		}
		if !strings.HasPrefix(a1[0].Comment, "L") {
			t.Errorf("comment %q", a1[0].Comment)
		}
		v1, _ := f.svc.Version(admin)
		if v1 == v0 {
			t.Error("version did not change on publish")
		}
		if v, _ := f.svc.Version(admin); v != v1 {
			t.Errorf("version moved without a change: %s → %s", v1, v)
		}
		bld := ioc.NewBuilder()
		n, err := f.svc.Add(admin, bld)
		if err != nil || n != 2 {
			t.Fatalf("pipeline add: %d %v", n, err)
		}
		if _, ok := bld.Build().LookupIPString("203.0.113.51"); !ok {
			t.Error("pipeline set lacks the unit's entry")
		}
		// An entry past its validity drops out without a change.
		if _, err := db.Exec(context.Background(), `UPDATE intel_indicators SET valid_until = ? WHERE value = '203.0.113.50'`, store.Micros(f.now.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(context.Background(), `UPDATE intel_version SET version = version + 1`); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(2 * time.Second)
		if got, _ := f.svc.AgentIndicators(agentCtx(f, "B")); len(got) != 1 {
			t.Errorf("B gets %v before expiry", values(got))
		}
		f.now = f.now.Add(2 * time.Hour)
		if got, _ := f.svc.AgentIndicators(agentCtx(f, "B")); len(got) != 0 {
			t.Errorf("B gets %v after expiry", values(got))
		}
		if _, err := f.svc.Withdraw(admin, l.ID, ""); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.svc.AgentIndicators(agentCtx(f, "A1")); len(got) != 0 {
			t.Errorf("A1 gets %v after withdrawal", values(got))
		}
	})
}

func TestIndicatorsScopeAndFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		imp(t, f, "admin", intel.ImportInput{Source: "NCSC"}, "ip,198.51.100.1\ndomain,hidden.example\n")
		imp(t, f, "admin", intel.ImportInput{List: "L", Unit: "B"}, "domain,onlyb.example\n")
		imp(t, f, "admin", intel.ImportInput{List: "L"}, "domain,everyone.example\n")
		_, total, err := f.svc.Indicators(f.ctx["analyst"], intel.IndicatorFilter{})
		if err != nil || total != 4 {
			t.Errorf("analyst sees %d (%v)", total, err)
		}
		inds, total, err := f.svc.Indicators(f.ctx["officerA"], intel.IndicatorFilter{})
		if err != nil || total != 1 || inds[0].Value != "everyone.example" {
			t.Errorf("officerA sees %d %v (%v)", total, inds, err)
		}
		_, total, _ = f.svc.Indicators(f.ctx["officerB"], intel.IndicatorFilter{Kind: "domain", Sort: "value"})
		if total != 2 {
			t.Errorf("officerB sees %d domains", total)
		}
		_, total, _ = f.svc.Indicators(f.ctx["admin"], intel.IndicatorFilter{Q: "HIDDEN", Status: intel.StatusActive})
		if total != 1 {
			t.Errorf("search: %d", total)
		}
		if _, _, err := f.svc.Indicators(f.ctx["admin"], intel.IndicatorFilter{Status: "dead"}); code(err) != errs.EINVALID {
			t.Errorf("bad status: %v", err)
		}
		if _, _, err := f.svc.Indicators(f.ctx["admin"], intel.IndicatorFilter{Sort: "nope"}); code(err) != errs.EINVALID {
			t.Errorf("bad sort: %v", err)
		}
	})
}

// TestEveryImportProblemIsTranslated: every reason a reader or the
// service gives a skipped object has its Vietnamese text.
func TestEveryImportProblemIsTranslated(t *testing.T) {
	for _, f := range append(slices.Clone(format.ReasonFormats), intel.ServiceReasons...) {
		if !i18n.HasIntelProblem(f) {
			t.Errorf("import problem %q has no Vietnamese text (intelReasons in internal/i18n/messages_intel.go)", f)
		}
	}
	for _, w := range format.JSONWords {
		if !i18n.HasIntelWord(w) {
			t.Errorf("JSON word %q has no Vietnamese text (intelWords in internal/i18n/messages_intel.go)", w)
		}
	}
	// A whole file refused says where and why in Vietnamese.
	_, err := format.ReadAs("misp", "e.json", strings.NewReader(`{"Event":{"Attribute":"x"}}`), format.ReadOptions{})
	var fe *format.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("%v", err)
	}
	if got := fe.Localize("vi"); got != "e.json (Event.Attribute): giá trị kiểu chuỗi ở chỗ cần kiểu danh sách" {
		t.Errorf("vi refusal: %q", got)
	}
	p := format.Problem{Format: "missing %s", Reason: "missing value", Args: []any{"value"}}
	if got := i18n.IntelProblem("vi", p.Format, p.Reason, p.Args); got != "thiếu giá trị" {
		t.Errorf("vi: %q", got)
	}
	if got := i18n.IntelProblem("vi", "%d more problems not listed", "3 more problems not listed", []any{float64(3)}); got != "còn 3 lỗi khác không liệt kê" {
		t.Errorf("vi from JSON: %q", got)
	}
}
