package readiness_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/attach"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/escalate/escalatetest"
	"vigil/internal/i18n"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/readiness"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// provider is a measure.Provider whose samples the test sets (the real
// providers are the capabilities' services; this one lets the test move
// figures). It records the requests it answered.
type provider struct {
	mu      sync.Mutex
	samples []measure.Sample
	asked   []measure.Request
}

func (p *provider) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, r)
	var out []measure.Sample
	for _, s := range p.samples {
		if r.Wants(s.Key) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (p *provider) set(s ...measure.Sample) {
	p.mu.Lock()
	p.samples = s
	p.mu.Unlock()
}

// fixture: root BHXH with the IT Center (ITC, the SOC), province A with
// district A1, and province B.
type fixture struct {
	db    *store.DB
	svc   *readiness.Service
	prov  *provider
	now   time.Time
	units map[string]*org.Unit
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	f := &fixture{db: db, units: map[string]*org.Unit{}, prov: &provider{}, now: time.Date(2027, 1, 20, 3, 0, 0, 0, time.UTC)}
	f.svc = &readiness.Service{DB: db, Providers: []measure.Provider{f.prov}, Now: func() time.Time { return f.now },
		SOCUnit: func(ctx context.Context) (int64, error) { return f.units["ITC"].ID, nil }}
	root, err := o.EnsureRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.units[root.Code] = root
	for _, u := range []org.UnitInput{
		{Code: "ITC", Name: "Trung tâm Công nghệ thông tin", Kind: org.KindServiceUnit, Parent: org.RootCode},
		{Code: "A", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "A1", Name: "Bảo hiểm xã hội huyện Krông Pắc", Kind: org.KindDistrict, Parent: "A"},
		{Code: "B", Name: "Bảo hiểm xã hội thành phố Hà Nội", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		x, err := o.CreateUnit(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		f.units[u.Code] = x
	}
	return f
}

func (f *fixture) as(role auth.Role, unit string) context.Context {
	u := f.units[unit]
	return auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 1, Email: string(role) + "." + strings.ToLower(unit) + "@test.vigil",
		Role: role, UnitID: u.ID, UnitCode: u.Code, UnitPath: u.Path, Via: "token"})
}

func (f *fixture) id(code string) int64 { return f.units[code].ID }

func code(err error) string { return errs.Code(err) }

func field(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Field
	}
	return ""
}

func cell(t *testing.T, sb *readiness.Scoreboard, unit, key string) *readiness.Cell {
	t.Helper()
	for _, r := range sb.Units {
		if r.Unit == unit {
			return r.Cell(key)
		}
	}
	t.Fatalf("unit %s not on the scoreboard", unit)
	return nil
}

func TestStatusRules(t *testing.T) {
	t.Parallel()
	min := &readiness.Criterion{Kind: readiness.KindMetric, Direction: readiness.MinShare, Target: 95, Margin: 5}
	minEmpty := &readiness.Criterion{Kind: readiness.KindMetric, Direction: readiness.MinShare, Target: 100, Margin: 10, EmptyMet: true}
	maxCount := &readiness.Criterion{Kind: readiness.KindMetric, Direction: readiness.MaxCount, Target: 0, Margin: 5}
	maxShare := &readiness.Criterion{Kind: readiness.KindMetric, Direction: readiness.MaxShare, Target: 10, Margin: 5}
	info := &readiness.Criterion{Kind: readiness.KindMetric, Direction: readiness.Info}
	for _, tc := range []struct {
		name     string
		c        *readiness.Criterion
		num, den float64
		has      bool
		want     string
	}{
		{"19 of 20 is 95 %: met", min, 19, 20, true, readiness.StatusMet},
		{"18 of 20 is 90 %: at the margin", min, 18, 20, true, readiness.StatusAtRisk},
		{"17 of 20 is 85 %: failed", min, 17, 20, true, readiness.StatusFailed},
		{"no hosts is no evidence", min, 0, 0, true, readiness.StatusGap},
		{"key not computed anywhere", min, 0, 0, false, readiness.StatusGap},
		{"nothing to close is met", minEmpty, 0, 0, true, readiness.StatusMet},
		{"0 open is met", maxCount, 0, 0, true, readiness.StatusMet},
		{"5 open is at risk", maxCount, 5, 0, true, readiness.StatusAtRisk},
		{"6 open failed", maxCount, 6, 0, true, readiness.StatusFailed},
		{"count not computed", maxCount, 0, 0, false, readiness.StatusGap},
		{"clicks 10 %: met", maxShare, 1, 10, true, readiness.StatusMet},
		{"clicks 15 %: at risk", maxShare, 3, 20, true, readiness.StatusAtRisk},
		{"clicks 20 %: failed", maxShare, 2, 10, true, readiness.StatusFailed},
		{"info has no status", info, 4, 0, true, readiness.StatusInfo},
	} {
		if got := tc.c.Evaluate(tc.num, tc.den, tc.has); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	if w := readiness.Worst(readiness.StatusMet, readiness.StatusGap, readiness.StatusInfo); w != readiness.StatusGap {
		t.Errorf("worst of met and gap: %s", w)
	}
	if w := readiness.Worst(readiness.StatusGap, readiness.StatusAtRisk, readiness.StatusMet); w != readiness.StatusAtRisk {
		t.Errorf("worst with at risk: %s", w)
	}
	if w := readiness.Worst(readiness.StatusInfo); w != "" {
		t.Errorf("worst of info only: %q", w)
	}
}

func TestCampaignScoreboard(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		itc := f.as(auth.RoleOfficer, org.RootCode)
		offA := f.as(auth.RoleOfficer, "A")
		offB := f.as(auth.RoleOfficer, "B")
		in := readiness.Input{Name: "Tết Đinh Mùi 2027", Template: readiness.BuiltinTemplate, StartsAt: "04/02/2027", DueAt: "12/02/2027"}
		if _, err := f.svc.Create(offA, in); code(err) != errs.EFORBIDDEN {
			t.Fatalf("a province officer opens a campaign: %v", err)
		}
		bad := in
		bad.DueAt = "31/02/2027"
		if _, err := f.svc.Create(itc, bad); code(err) != errs.EINVALID || field(err) != "due_at" {
			t.Fatalf("bad deadline: %v", err)
		}
		bad = in
		bad.Template = "nope"
		if _, err := f.svc.Create(itc, bad); field(err) != "template" {
			t.Fatalf("unknown template: %v", err)
		}
		bad = in
		bad.Units = []string{"ZZ"}
		if _, err := f.svc.Create(itc, bad); field(err) != "units" {
			t.Fatalf("unknown unit: %v", err)
		}
		c, err := f.svc.Create(itc, in)
		if err != nil {
			t.Fatal(err)
		}
		if c.Targets != 5 || len(c.Criteria) != 19 {
			t.Fatalf("campaign %+v with %d criteria", c, len(c.Criteria))
		}
		// Figures: A has 10 hosts, 9 current; A1 has 10, 10 current: A's
		// subtree is 19 of 20 (95 %, met), A1 alone 100 %. B: 8 of 10.
		// Firewall: only B is known (others have no hosts.firewall_on
		// sample: 0 of 0, a gap). Open MS 2023: 3 in A1, none listed for A
		// (computed for the hub: A counts 3 from A1, B 0). NCSC uptime on
		// B's probe counts for the IT Center.
		f.prov.set(
			measure.Sample{Key: measure.KeyHostsAVCurrent, UnitID: f.id("A"), Num: 9, Den: 10},
			measure.Sample{Key: measure.KeyHostsAVCurrent, UnitID: f.id("A1"), Num: 10, Den: 10},
			measure.Sample{Key: measure.KeyHostsAVCurrent, UnitID: f.id("B"), Num: 8, Den: 10},
			measure.Sample{Key: measure.KeyHostsFirewallOn, UnitID: f.id("B"), Num: 10, Den: 10},
			measure.Sample{Key: measure.KeyFindingsMS2023Open, UnitID: f.id("A1"), Num: 3},
			measure.Sample{Key: measure.KeyFindingsMS2023Accepted, UnitID: f.id("A1"), Dim: "ld@test.vigil", Num: 2},
			measure.Sample{Key: measure.KeyNCSCUptime, UnitID: f.id("B"), Num: 990, Den: 1000},
			measure.Sample{Key: measure.KeyDutyCovered, UnitID: f.id("ITC"), Num: 200, Den: 216},
			measure.Sample{Key: measure.KeyFindingsOverdue, UnitID: f.id("B"), Num: 0},
		)
		res, err := f.svc.Refresh(itc, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Units != 5 {
			t.Fatalf("refreshed %+v", res)
		}
		// The providers were asked for the campaign's keys over its period.
		r := f.prov.asked[len(f.prov.asked)-1]
		if !r.Keys[measure.KeyHostsAVCurrent] || r.Keys[measure.KeyHostsTotal] || !r.Now.Equal(f.now) ||
			!r.From.Equal(time.Date(2027, 2, 4, 0, 0, 0, 0, i18n.Location)) || !r.To.Equal(time.Date(2027, 2, 13, 0, 0, 0, 0, i18n.Location)) {
			t.Fatalf("request %+v", r)
		}
		if _, err := f.svc.Refresh(offA, c.ID); code(err) != errs.EFORBIDDEN {
			t.Fatalf("an officer refreshes: %v", err)
		}
		sb, err := f.svc.Scoreboard(itc, c.ID, readiness.ScoreFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sb.Units) != 5 {
			t.Fatalf("%d units", len(sb.Units))
		}
		check := func(unit, key, status string, value float64) {
			t.Helper()
			x := cell(t, sb, unit, key)
			if x == nil {
				t.Fatalf("%s %s: no cell", unit, key)
			}
			if x.Status != status {
				t.Errorf("%s %s: status %s, want %s (%+v)", unit, key, x.Status, status, x)
			}
			if value >= 0 && (x.Value == nil || *x.Value != value) {
				t.Errorf("%s %s: value %v, want %v", unit, key, x.Value, value)
			} else if value < 0 && x.Value != nil {
				t.Errorf("%s %s: value %v, want none", unit, key, *x.Value)
			}
		}
		check("A", "m1.av_current", readiness.StatusMet, 95)
		check("A1", "m1.av_current", readiness.StatusMet, 100)
		check("B", "m1.av_current", readiness.StatusFailed, 80)
		check(org.RootCode, "m1.av_current", readiness.StatusAtRisk, 90)
		check("A", "m1.firewall_on", readiness.StatusGap, -1)
		check("B", "m1.firewall_on", readiness.StatusMet, 100)
		check("A", "m3.ms2023_open", readiness.StatusAtRisk, 3)
		check("B", "m3.ms2023_open", readiness.StatusMet, 0)
		check("A", "m3.ms2023_accepted", readiness.StatusInfo, 2)
		check("A", "m1.malware_closed", readiness.StatusGap, -1) // not computed by any provider
		check("A", "m1.secret_protection", readiness.StatusAtRisk, 0)
		// Measure 5 is the IT Center's: the NCSC link counts B's probe.
		check("ITC", "m5.ncsc_uptime", readiness.StatusMet, 99)
		check("ITC", "m5.soc_roster", readiness.StatusFailed, 200.0/216*100)
		if x := cell(t, sb, "A", "m5.ncsc_uptime"); x != nil {
			t.Errorf("measure 5 on a province: %+v", x)
		}
		var rowA *readiness.Row
		for _, r := range sb.Units {
			if r.Unit == "A" {
				rowA = r
			}
		}
		if m := rowA.Measure(1); m == nil || m.Status != readiness.StatusAtRisk {
			t.Errorf("A measure 1: %+v", m)
		}
		if rowA.Measure(5) != nil {
			t.Errorf("A has measure 5")
		}

		// Scope: A's officer sees A and A1; B's officer does not see A.
		sbA, err := f.svc.Scoreboard(offA, c.ID, readiness.ScoreFilter{})
		if err != nil || len(sbA.Units) != 2 || sbA.Units[0].Unit != "A" || sbA.Units[1].Unit != "A1" {
			t.Fatalf("A's scoreboard: %+v %v", sbA, err)
		}
		if _, err := f.svc.Scoreboard(offB, c.ID, readiness.ScoreFilter{Unit: "A"}); code(err) != errs.ENOTFOUND {
			t.Fatalf("B asks for A: %v", err)
		}
		if _, err := f.svc.Sheet(offB, c.ID, "A1"); code(err) != errs.ENOTFOUND {
			t.Fatalf("B reads A1's sheet: %v", err)
		}
		list, total, err := f.svc.List(offB, readiness.Filter{})
		if err != nil || total != 1 || list[0].Targets != 1 {
			t.Fatalf("B's campaigns: %d %+v %v", total, list, err)
		}

		// Since holds while the status holds; a change restarts it.
		since := cell(t, sb, "A", "m1.av_current").Since
		f.now = f.now.Add(time.Hour)
		f.prov.samples[0].Num = 10 // A: 20 of 20, still met
		f.prov.samples[2].Num = 10 // B: 100 %, now met
		if _, err := f.svc.Refresh(itc, c.ID); err != nil {
			t.Fatal(err)
		}
		sb, _ = f.svc.Scoreboard(itc, c.ID, readiness.ScoreFilter{})
		if x := cell(t, sb, "A", "m1.av_current"); !x.Since.Equal(since) || *x.Value != 100 {
			t.Errorf("A's since moved: %v → %v (%v)", since, x.Since, *x.Value)
		}
		if x := cell(t, sb, "B", "m1.av_current"); !x.Since.Equal(f.now) || x.Status != readiness.StatusMet {
			t.Errorf("B's since: %v, want %v (%s)", x.Since, f.now, x.Status)
		}
		// The next day: a history point each, and a trend against yesterday.
		f.now = f.now.Add(24 * time.Hour)
		f.prov.samples[4].Num = 0 // A1's MS 2023 findings fixed
		if _, err := f.svc.Refresh(itc, c.ID); err != nil {
			t.Fatal(err)
		}
		sh, err := f.svc.Sheet(offA, c.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if m3 := sh.Row.Measure(3); m3.Trend != "up" || m3.Status != readiness.StatusMet {
			t.Errorf("A measure 3 trend %q status %s", m3.Trend, m3.Status)
		}
		if len(sh.History) != 8 { // measures 1–4, two days
			t.Errorf("history %+v", sh.History)
		}
		if len(sh.Next) == 0 || sh.Next[0].Status != readiness.StatusAtRisk && sh.Next[0].Status != readiness.StatusFailed {
			t.Errorf("what to do next: %+v", sh.Next)
		}
		// Filter by status.
		gaps, err := f.svc.Scoreboard(itc, c.ID, readiness.ScoreFilter{Status: readiness.StatusFailed})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range gaps.Units {
			if r.Status != readiness.StatusFailed {
				t.Errorf("status filter kept %s (%s)", r.Unit, r.Status)
			}
		}
		if _, err := f.svc.Scoreboard(itc, c.ID, readiness.ScoreFilter{Status: "green"}); field(err) != "status" {
			t.Errorf("bad status filter: %v", err)
		}
	})
}

func TestAttestation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		itc := f.as(auth.RoleOfficer, org.RootCode)
		offA1 := f.as(auth.RoleOfficer, "A1")
		viewA1 := f.as(auth.RoleViewer, "A1")
		offB := f.as(auth.RoleOfficer, "B")
		c, err := f.svc.Create(itc, readiness.Input{Name: "Tết", StartsAt: "2027-02-04", DueAt: "2027-02-12", Units: []string{"A"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Refresh(itc, c.ID); err != nil {
			t.Fatal(err)
		}
		in := readiness.AttestInput{Criterion: "m1.secret_protection", Note: "Máy soạn thảo văn bản mật không nối mạng.",
			Files: []attach.Input{{Name: "bien-ban.txt", Data: strings.NewReader("biên bản kiểm tra")}}}
		if _, err := f.svc.Attest(viewA1, c.ID, in); code(err) != errs.EFORBIDDEN {
			t.Fatalf("a viewer attests: %v", err)
		}
		if _, err := f.svc.Attest(offB, c.ID, in); code(err) != errs.ENOTFOUND {
			t.Fatalf("B attests for a campaign not theirs: %v", err)
		}
		wrong := in
		wrong.Criterion = "m1.av_current"
		if _, err := f.svc.Attest(offA1, c.ID, wrong); field(err) != "criterion" {
			t.Fatalf("attests a metric: %v", err)
		}
		empty := in
		empty.Note = " "
		if _, err := f.svc.Attest(offA1, c.ID, empty); field(err) != "note" {
			t.Fatalf("attests without a note: %v", err)
		}
		a, err := f.svc.Attest(offA1, c.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != readiness.AttestSubmitted || len(a.Files) != 1 || len(a.Files[0].SHA256) != 64 || a.Unit != "A1" {
			t.Fatalf("attestation %+v", a)
		}
		if _, err := f.svc.Review(offA1, a.ID, true, ""); code(err) != errs.EFORBIDDEN {
			t.Fatalf("the unit accepts its own: %v", err)
		}
		if _, err := f.svc.Review(itc, a.ID, false, ""); field(err) != "note" {
			t.Fatalf("sent back without a reason: %v", err)
		}
		if a, err = f.svc.Review(itc, a.ID, false, "Thiếu chữ ký của thủ trưởng đơn vị."); err != nil || a.State != readiness.AttestReturned {
			t.Fatalf("sent back: %+v %v", a, err)
		}
		sb, _ := f.svc.Scoreboard(itc, c.ID, readiness.ScoreFilter{})
		if x := cell(t, sb, "A1", "m1.secret_protection"); x.Status != readiness.StatusFailed || x.Attestation == nil {
			t.Errorf("returned: %+v", x)
		}
		if x := cell(t, sb, "A", "m1.secret_protection"); x.Status != readiness.StatusFailed || x.Den != 2 {
			t.Errorf("A's rollup of a returned attestation: %+v", x)
		}
		in.Files = nil
		if a, err = f.svc.Attest(offA1, c.ID, in); err != nil || a.State != readiness.AttestSubmitted || len(a.Files) != 1 {
			t.Fatalf("attested again: %+v %v", a, err)
		}
		if a, err = f.svc.Review(itc, a.ID, true, ""); err != nil || a.State != readiness.AttestAccepted || a.ReviewedBy == "" {
			t.Fatalf("accepted: %+v %v", a, err)
		}
		if _, err := f.svc.Review(itc, a.ID, true, ""); code(err) != errs.ECONFLICT {
			t.Fatalf("accepted twice: %v", err)
		}
		if _, err := f.svc.Attest(offA1, c.ID, in); code(err) != errs.ECONFLICT {
			t.Fatalf("attests over an accepted one: %v", err)
		}
		sb, _ = f.svc.Scoreboard(itc, c.ID, readiness.ScoreFilter{})
		if x := cell(t, sb, "A1", "m1.secret_protection"); x.Status != readiness.StatusMet || *x.Value != 100 {
			t.Errorf("accepted: %+v", x)
		}
		if x := cell(t, sb, "A", "m1.secret_protection"); x.Status != readiness.StatusAtRisk || *x.Value != 50 {
			t.Errorf("A's rollup (A itself not attested, before the deadline): %+v", x)
		}
		// The file comes back only to a reader of A1.
		if _, data, err := f.svc.File(offA1, a.ID, a.Files[0].ID); err != nil || string(data) != "biên bản kiểm tra" {
			t.Fatalf("file: %q %v", data, err)
		}
		if _, _, err := f.svc.File(offB, a.ID, a.Files[0].ID); code(err) != errs.ENOTFOUND {
			t.Fatalf("B reads A1's evidence: %v", err)
		}
		list, total, err := f.svc.Attestations(itc, readiness.AttestFilter{Campaign: c.ID, State: readiness.AttestAccepted})
		if err != nil || total != 1 || list[0].ID != a.ID {
			t.Fatalf("accepted list: %d %v", total, err)
		}
		// The audit log holds each step.
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'readiness.%'`).Scan(&n); err != nil || n != 6 {
			t.Errorf("%d audit rows (create, attest, return, attest, accept + refresh ×1): %v", n, err)
		}
	})
}

func TestTemplateEdit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		itc := f.as(auth.RoleOfficer, org.RootCode)
		old, err := f.svc.Create(itc, readiness.Input{Name: "Trước", StartsAt: "2027-02-04", DueAt: "2027-02-12"})
		if err != nil {
			t.Fatal(err)
		}
		tpl, err := f.svc.Template(itc, readiness.BuiltinTemplate)
		if err != nil {
			t.Fatal(err)
		}
		in := readiness.TemplateInput{Name: tpl.Name, NameEn: tpl.NameEn}
		for _, c := range tpl.Criteria {
			if c.Key == "m4.drill_reported" {
				continue // removed
			}
			if c.Key == "m1.av_current" {
				c.Target, c.Label = 98, "Máy có mẫu nhận diện mới (dưới 3 ngày)"
			}
			in.Criteria = append(in.Criteria, c)
		}
		in.Criteria = append(in.Criteria, &readiness.Criterion{Key: "m1.scanned", Measure: 1, Kind: readiness.KindMetric, Metric: measure.KeyHostsScannedPeriod,
			Direction: readiness.MinShare, Target: 80, Margin: 10, Label: "Máy được quét mã độc toàn bộ trong kỳ"})
		if _, err := f.svc.SaveTemplate(f.as(auth.RoleOfficer, "A"), readiness.BuiltinTemplate, in); code(err) != errs.EFORBIDDEN {
			t.Fatalf("a province edits the template: %v", err)
		}
		bad := in
		bad.Criteria = append(append([]*readiness.Criterion{}, in.Criteria...), &readiness.Criterion{Key: "m1.x", Measure: 1, Kind: readiness.KindMetric,
			Metric: "hosts.nope", Direction: readiness.MinShare, Label: "x"})
		if _, err := f.svc.SaveTemplate(itc, readiness.BuiltinTemplate, bad); field(err) != "criteria[20].metric" {
			t.Fatalf("unknown metric: %v (%s)", err, field(err))
		}
		saved, err := f.svc.SaveTemplate(itc, readiness.BuiltinTemplate, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(saved.Criteria) != 19 || saved.Criteria[0].Target != 98 {
			t.Fatalf("saved %d criteria, first %+v", len(saved.Criteria), saved.Criteria[0])
		}
		c, err := f.svc.Create(itc, readiness.Input{Name: "Sau", StartsAt: "2027-02-04", DueAt: "2027-02-12"})
		if err != nil {
			t.Fatal(err)
		}
		keys := map[string]float64{}
		for _, cr := range c.Criteria {
			keys[cr.Key] = cr.Target
		}
		if _, ok := keys["m4.drill_reported"]; ok || keys["m1.av_current"] != 98 || keys["m1.scanned"] != 80 {
			t.Errorf("new campaign's criteria %v", keys)
		}
		o, err := f.svc.Get(itc, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(o.Criteria) != 19 || o.Criteria[0].Target != 95 {
			t.Errorf("the running campaign moved: %d criteria, %+v", len(o.Criteria), o.Criteria[0])
		}
	})
}

// TestReminders: a unit at risk is reminded once a day through its
// escalation channel, by e-mail to a real SMTP server.
func TestReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		itc := f.as(auth.RoleOfficer, org.RootCode)
		smtpd := escalatetest.NewSMTPServer(t)
		esc := &escalate.Service{DB: db, Mail: smtpd.Mailer()}
		sys := auth.WithPrincipal(context.Background(), auth.System)
		if _, err := esc.CreateChannel(sys, escalate.ChannelInput{Unit: "B", Name: "Hộp thư an toàn thông tin", Kind: "email", Target: "attt.b@test.vigil"}); err != nil {
			t.Fatal(err)
		}
		c, err := f.svc.Create(itc, readiness.Input{Name: "Tết Đinh Mùi 2027", StartsAt: "2027-01-15", DueAt: "2027-02-12", Units: []string{"B"}})
		if err != nil {
			t.Fatal(err)
		}
		f.prov.set(measure.Sample{Key: measure.KeyHostsAVCurrent, UnitID: f.id("B"), Num: 5, Den: 10})
		if n, err := f.svc.RefreshDue(context.Background()); err != nil || n != 1 {
			t.Fatalf("refreshed %d: %v", n, err)
		}
		// A campaign whose period starts more than 14 days ahead reminds
		// no one yet.
		later, err := f.svc.Create(itc, readiness.Input{Name: "Hè 2027", StartsAt: "2027-06-01", DueAt: "2027-06-30", Units: []string{"B"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Refresh(itc, later.ID); err != nil {
			t.Fatal(err)
		}
		n, err := f.svc.Remind(context.Background(), esc)
		if err != nil || n != 1 {
			t.Fatalf("reminded %d units: %v", n, err)
		}
		if n, _ := f.svc.Remind(context.Background(), esc); n != 0 {
			t.Errorf("reminded again the same day: %d", n)
		}
		if _, err := esc.Deliver(context.Background()); err != nil {
			t.Fatal(err)
		}
		msgs := smtpd.Wait(1, 10*time.Second)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, c.Name) || !strings.Contains(msgs[0].Body, "50 %") {
			t.Fatalf("mails %+v", msgs)
		}
	})
}

// TestConcurrentRefresh: refreshes of one campaign at the same time (the
// job and the button, two hubs) all succeed and leave one row per
// (unit, criterion).
func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		itc := f.as(auth.RoleOfficer, org.RootCode)
		c, err := f.svc.Create(itc, readiness.Input{Name: "Tết", StartsAt: "2027-02-04", DueAt: "2027-02-12"})
		if err != nil {
			t.Fatal(err)
		}
		f.prov.set(measure.Sample{Key: measure.KeyHostsAVCurrent, UnitID: f.id("A"), Num: 1, Den: 2})
		var wg sync.WaitGroup
		errc := make(chan error, 6)
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.svc.Refresh(itc, c.ID)
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		var rows, distinct int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*), COUNT(DISTINCT unit_id || '|' || criterion) FROM readiness_snapshots WHERE campaign_id = ?`, c.ID).Scan(&rows, &distinct); err != nil {
			t.Fatal(err)
		}
		if rows == 0 || rows != distinct {
			t.Errorf("%d rows, %d distinct", rows, distinct)
		}
	})
}

// TestRefreshDue: the job refreshes a campaign from the day it opens
// until its deadline, then once more for its final figures, then leaves
// it as it was.
func TestRefreshDue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		itc := f.as(auth.RoleOfficer, org.RootCode)
		if _, err := f.svc.Create(itc, readiness.Input{Name: "Tết", StartsAt: "2027-02-04", DueAt: "2027-02-12"}); err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			now  time.Time
			want int
		}{
			{time.Date(2027, 1, 20, 3, 0, 0, 0, time.UTC), 1}, // two weeks before the period: refreshed
			{time.Date(2027, 2, 10, 3, 0, 0, 0, time.UTC), 1}, // during it
			{time.Date(2027, 2, 13, 3, 0, 0, 0, time.UTC), 1}, // past the deadline: the final figures
			{time.Date(2027, 2, 14, 3, 0, 0, 0, time.UTC), 0}, // then left alone
		} {
			f.now = step.now
			if n, err := f.svc.RefreshDue(context.Background()); err != nil || n != step.want {
				t.Errorf("at %v: refreshed %d, want %d (%v)", step.now, n, step.want, err)
			}
		}
	})
}
