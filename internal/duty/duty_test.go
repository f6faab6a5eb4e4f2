package duty_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/duty"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func day(s string) time.Time {
	d, err := duty.ParseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestTetTableAgreesWithTheLunarCalendar(t *testing.T) {
	for y := 2024; y <= 2035; y++ {
		table, computed := duty.TetDay(y), duty.LunarNewYear(y)
		if !table.Equal(computed) {
			t.Errorf("%d: table says %s, the lunar computation %s", y, table.Format("02/01/2006"), computed.Format("02/01/2006"))
		}
	}
	// Years where Vietnam's calendar (UTC+7) and China's (UTC+8) part:
	// 2007, 2030 and 2053 begin a day earlier in Vietnam, 1985 a month.
	for y, want := range map[int]string{1985: "21/01/1985", 2007: "17/02/2007", 2030: "02/02/2030", 2053: "18/02/2053", 2023: "22/01/2023", 2050: "23/01/2050"} {
		if got := duty.LunarNewYear(y).Format("02/01/2006"); got != want {
			t.Errorf("Tết %d = %s, want %s", y, got, want)
		}
	}
	if got := duty.TetDay(2027).Format("02/01/2006"); got != "06/02/2027" {
		t.Errorf("Tết Đinh Mùi = %s, want 06/02/2027", got)
	}
	if got := duty.YearName(2027); got != "Đinh Mùi" {
		t.Errorf("2027 is %q, want Đinh Mùi", got)
	}
	if got := duty.YearName(2024); got != "Giáp Thìn" {
		t.Errorf("2024 is %q, want Giáp Thìn", got)
	}
}

func TestTetHoliday(t *testing.T) {
	for _, c := range []struct {
		year        int
		first, last string
	}{
		{2026, "14/02/2026", "22/02/2026"}, // as the government announced it
		{2027, "05/02/2027", "11/02/2027"}, // Sat 06 and Sun 07 made up on Wed 10 and Thu 11
		{2024, "09/02/2024", "15/02/2024"}, // announced 08–14: the officer adjusts
	} {
		h := duty.TetHoliday(c.year)
		if got := h.First.Format("02/01/2006"); got != c.first {
			t.Errorf("%d: first day off %s, want %s", c.year, got, c.first)
		}
		if got := h.Last.Format("02/01/2006"); got != c.last {
			t.Errorf("%d: last day off %s, want %s", c.year, got, c.last)
		}
		if !h.From.Equal(h.First.AddDate(0, 0, -duty.TetBefore)) || !h.To.Equal(h.Last.AddDate(0, 0, duty.TetAfter)) {
			t.Errorf("%d: period %s–%s", c.year, h.From, h.To)
		}
	}
}

func TestShiftTimesCrossMidnight(t *testing.T) {
	// 3 × 8 h from 06:00 over two days: the night shift ends at 06:00 the
	// next day, local time, 8 hours after it began.
	got := duty.ShiftTimes(day("31/12/2026"), day("01/01/2027"), []int{6 * 60, 14 * 60, 22 * 60})
	if len(got) != 6 {
		t.Fatalf("%d shifts, want 6", len(got))
	}
	want := []string{"31/12/2026 06:00", "31/12/2026 14:00", "31/12/2026 22:00", "01/01/2027 06:00", "01/01/2027 14:00", "01/01/2027 22:00"}
	for i, sh := range got {
		if s := sh[0].In(i18n.Location).Format("02/01/2006 15:04"); s != want[i] {
			t.Errorf("shift %d starts %s, want %s", i, s, want[i])
		}
		if sh[1].Sub(sh[0]) != 8*time.Hour {
			t.Errorf("shift %d lasts %s", i, sh[1].Sub(sh[0]))
		}
		if i > 0 && !got[i-1][1].Equal(sh[0]) {
			t.Errorf("gap before shift %d", i)
		}
	}
	if s := got[5][1].In(i18n.Location).Format("02/01/2006 15:04"); s != "02/01/2027 06:00" {
		t.Errorf("last shift ends %s", s)
	}
	// 06:00 in Vietnam is 23:00 UTC the day before.
	if u := got[0][0].UTC().Format("2006-01-02 15:04"); u != "2026-12-30 23:00" {
		t.Errorf("first shift in UTC %s", u)
	}
	// Custom times, unevenly spaced; the last wraps to the next day's first.
	got = duty.ShiftTimes(day("06/02/2027"), day("06/02/2027"), []int{7*60 + 30, 17 * 60})
	if got[0][1].Sub(got[0][0]) != 9*time.Hour+30*time.Minute || got[1][1].Sub(got[1][0]) != 14*time.Hour+30*time.Minute {
		t.Errorf("custom shifts %v", got)
	}
}

// team is a small organisation: the root, its IT Center (the SOC) and a
// province with a district, with users.
type team struct {
	db    *store.DB
	svc   *duty.Service
	org   *org.Service
	units map[string]*org.Unit
	ctx   map[string]context.Context // by e-mail local part
	now   time.Time
}

func newTeam(t *testing.T, db *store.DB) *team {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	tm := &team{db: db, org: o, units: map[string]*org.Unit{}, ctx: map[string]context.Context{}, now: time.Date(2027, 2, 6, 10, 0, 0, 0, i18n.Location)}
	tm.svc = &duty.Service{DB: db, Now: func() time.Time { return tm.now }}
	root, err := o.EnsureRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tm.units[root.Code] = root
	for _, in := range []org.UnitInput{
		{Code: "ITC", Name: "Trung tâm Công nghệ thông tin", Kind: org.KindServiceUnit, Parent: root.Code},
		{Code: "A", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: root.Code},
		{Code: "A1", Name: "Bảo hiểm xã hội huyện Krông Pắc", Kind: org.KindDistrict, Parent: "A"},
		{Code: "B", Name: "Bảo hiểm xã hội thành phố Hà Nội", Kind: org.KindProvince, Parent: root.Code},
	} {
		u, err := o.CreateUnit(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		tm.units[u.Code] = u
	}
	for _, u := range []struct {
		name, unit string
		role       auth.Role
	}{
		{"soc1", "ITC", auth.RoleAnalyst}, {"soc2", "ITC", auth.RoleAnalyst}, {"soc3", "ITC", auth.RoleAnalyst},
		{"offa", "A", auth.RoleOfficer}, {"viewa", "A", auth.RoleViewer}, {"offa1", "A1", auth.RoleOfficer},
		{"offb", "B", auth.RoleOfficer}, {"admin", root.Code, auth.RoleAdmin},
	} {
		created, err := o.CreateUser(ctx, org.UserInput{Email: u.name + "@t.vigil", Name: "Người " + u.name, Password: "correct-horse-battery", Role: string(u.role), Unit: u.unit})
		if err != nil {
			t.Fatal(err)
		}
		unit := tm.units[u.unit]
		tm.ctx[u.name] = auth.WithPrincipal(context.Background(), &auth.Principal{UserID: created.ID, Email: created.Email, Name: created.Name, Role: u.role,
			UnitID: unit.ID, UnitCode: unit.Code, UnitPath: unit.Path, Via: "session"})
	}
	tm.ctx["system"] = ctx
	return tm
}

func code(err error) string { return errs.Code(err) }

func TestRosterOnDutyAndScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tm := newTeam(t, db)
		// The SOC's analysts plan their own watch: Tết 2027 by the preset.
		r, err := tm.svc.CreateRoster(tm.ctx["soc1"], duty.RosterInput{Unit: "ITC", Preset: duty.PresetTet, Year: 2027, Pattern: duty.Pattern3x8})
		if err != nil {
			t.Fatal(err)
		}
		if r.FirstDay != "2027-02-03" || r.LastDay != "2027-02-13" || r.Shifts != 33 || r.Name != "Trực Tết Đinh Mùi 2027" {
			t.Fatalf("roster %+v", r)
		}
		if r.UncoveredHours != 33*8 || r.UncoveredShifts != 33 {
			t.Errorf("new roster uncovered %v h / %d shifts, want 264 / 33", r.UncoveredHours, r.UncoveredShifts)
		}
		// Another unit's officer does not see it; an analyst elsewhere may
		// read but an officer of A may not plan for ITC.
		if _, err := tm.svc.GetRoster(tm.ctx["offa"], r.ID); code(err) != errs.ENOTFOUND {
			t.Errorf("officer of A reads the SOC roster: %v", err)
		}
		if _, err := tm.svc.CreateRoster(tm.ctx["offa"], duty.RosterInput{Unit: "ITC", From: "06/02/2027", To: "06/02/2027", Pattern: "2x12"}); code(err) != errs.ENOTFOUND {
			t.Errorf("officer of A plans for ITC: %v", err)
		}
		if _, err := tm.svc.CreateRoster(tm.ctx["viewa"], duty.RosterInput{Unit: "A", From: "06/02/2027", To: "06/02/2027", Pattern: "2x12"}); code(err) != errs.EFORBIDDEN {
			t.Errorf("viewer plans for A: %v", err)
		}
		if _, err := tm.svc.CreateRoster(tm.ctx["soc1"], duty.RosterInput{Unit: "A", From: "06/02/2027", To: "06/02/2027", Pattern: "2x12"}); code(err) != errs.EFORBIDDEN {
			t.Errorf("SOC analyst plans for A: %v", err)
		}
		shifts, total, err := tm.svc.Shifts(tm.ctx["soc2"], r.ID, duty.ShiftFilter{Limit: 1000})
		if err != nil || total != 33 {
			t.Fatalf("shifts: %d, %v", total, err)
		}
		// Staff every shift but one night, the lead on days.
		people := []string{"soc1@t.vigil", "soc2@t.vigil", "soc3@t.vigil"}
		var gap *duty.Shift
		for i, sh := range shifts {
			if i == 14 {
				gap = sh
				continue
			}
			if _, err := tm.svc.Assign(tm.ctx["soc1"], sh.ID, duty.Assignment{User: people[i%3]}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tm.svc.Assign(tm.ctx["soc1"], shifts[0].ID, duty.Assignment{User: "offb@t.vigil", Role: duty.RoleLead}); code(err) != errs.EINVALID {
			t.Errorf("officer of B (cannot see ITC) put on a SOC shift: %v", err)
		}
		if _, err := tm.svc.Assign(tm.ctx["soc1"], shifts[0].ID, duty.Assignment{User: "admin@t.vigil", Role: duty.RoleLead}); err != nil {
			t.Fatal(err)
		}
		r, _ = tm.svc.GetRoster(tm.ctx["soc1"], r.ID)
		if r.UncoveredShifts != 1 || r.UncoveredHours != 8 {
			t.Errorf("uncovered %d shifts, %v hours; want 1, 8", r.UncoveredShifts, r.UncoveredHours)
		}
		// Who is on duty: the first shift starts 03/02 06:00.
		at := shifts[0].StartsAt.Add(time.Hour)
		on, err := tm.svc.OnDuty(tm.ctx["system"], tm.units["ITC"].ID, at)
		if err != nil {
			t.Fatal(err)
		}
		if len(on) != 2 || on[0].Email != "admin@t.vigil" || on[0].Role != duty.RoleLead || on[1].Email != "soc1@t.vigil" || on[1].Role != duty.RoleOnDuty {
			t.Errorf("on duty at %s: %+v", at, on)
		}
		// The end of a shift belongs to the next.
		on, _ = tm.svc.OnDuty(tm.ctx["system"], tm.units["ITC"].ID, shifts[0].EndsAt)
		if len(on) != 1 || on[0].Email != "soc2@t.vigil" {
			t.Errorf("on duty at the first shift's end: %+v", on)
		}
		on, _ = tm.svc.OnDuty(tm.ctx["system"], tm.units["ITC"].ID, gap.StartsAt)
		if len(on) != 0 {
			t.Errorf("on duty in the gap: %+v", on)
		}
		if _, err := tm.svc.OnDuty(tm.ctx["offa"], tm.units["ITC"].ID, at); code(err) != errs.ENOTFOUND {
			t.Errorf("officer of A asks who is on duty at ITC: %v", err)
		}
		// The SOC is found by its name, and NowAt without a unit is it.
		soc, err := tm.svc.SOCUnit(tm.ctx["system"])
		if err != nil || soc == nil || soc.Unit != "ITC" || soc.Named {
			t.Fatalf("SOC unit %+v, %v", soc, err)
		}
		now, err := tm.svc.NowAt(tm.ctx["soc3"], "", gap.StartsAt.Add(time.Minute))
		if err != nil || now.Unit != "ITC" || !now.Rostered || len(now.Items) != 0 {
			t.Errorf("now in the gap: %+v, %v", now, err)
		}
		if _, err := tm.svc.SetSOCUnit(tm.ctx["soc1"], "A"); code(err) != errs.EFORBIDDEN {
			t.Errorf("analyst names the SOC: %v", err)
		}
		if soc, err := tm.svc.SetSOCUnit(tm.ctx["admin"], "A"); err != nil || soc.Unit != "A" || !soc.Named {
			t.Errorf("admin names the SOC: %+v, %v", soc, err)
		}
		var e *errs.Error
		if _, err := tm.svc.CreateRoster(tm.ctx["offa"], duty.RosterInput{Unit: "A", From: "31/02/2027", To: "01/03/2027"}); !errors.As(err, &e) || e.Field != "from" {
			t.Errorf("bad date: %v", err)
		}
	})
}

func (tm *team) setDisabled(t *testing.T, email string, v bool) {
	t.Helper()
	if _, err := tm.db.Exec(tm.ctx["system"], `UPDATE users SET disabled = ? WHERE email = ?`, v, email); err != nil {
		t.Fatal(err)
	}
}

func (tm *team) disable(t *testing.T, email string) { tm.setDisabled(t, email, true) }
func (tm *team) enable(t *testing.T, email string)  { tm.setDisabled(t, email, false) }
