package duty

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
)

// DemoStaff are the demo's people on duty besides the demo accounts:
// the SOC's analysts work in pairs, each pair one 8-hour shift a day, and
// each province has a second officer for the nights. They sign in with
// the demo password.
var DemoStaff = []struct {
	Email, Name, Unit string
	Role              auth.Role
}{
	{"soc2@demo.vigil.local", "Phạm Thu Trang", "TTCNTT", auth.RoleAnalyst},
	{"soc3@demo.vigil.local", "Lê Quang Huy", "TTCNTT", auth.RoleAnalyst},
	{"soc4@demo.vigil.local", "Vũ Minh Châu", "TTCNTT", auth.RoleAnalyst},
	{"soc5@demo.vigil.local", "Đặng Hoàng Nam", "TTCNTT", auth.RoleAnalyst},
	{"soc6@demo.vigil.local", "Bùi Thị Hạnh", "TTCNTT", auth.RoleAnalyst},
	{"truc.hanoi@demo.vigil.local", "Ngô Văn Thành", "T01", auth.RoleOfficer},
	{"truc.danang@demo.vigil.local", "Trịnh Thị Mai", "T48", auth.RoleOfficer},
}

// LoadDemo gives the demo organisation its watch: the SOC's Tết Đinh Mùi
// 2027 roster (3 × 8 h, every shift a lead and an analyst), a roster for
// this week so "on duty now" names someone, and Hà Nội's and Đà Nẵng's
// Tết rosters (2 × 12 h; Đà Nẵng has nobody on one night), with a few
// handover notes. soc is the SOC's analyst and officers maps a province's
// code to its officer (the demo accounts); password is the demo
// password. It does nothing once any roster exists.
func (s *Service) LoadDemo(ctx context.Context, o *org.Service, password, soc string, officers map[string]string) error {
	sys := auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(sys, `SELECT COUNT(*) FROM duty_rosters`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	socUnit, err := s.socUnit(sys)
	if err != nil {
		return err
	}
	if socUnit == nil {
		return nil
	}
	for _, st := range DemoStaff {
		if _, err := o.GetUnit(sys, st.Unit); err != nil {
			continue
		}
		users, _, err := o.ListUsers(sys, org.UserFilter{Query: st.Email, Limit: 1})
		if err != nil {
			return err
		}
		if len(users) > 0 {
			continue
		}
		if _, err := o.CreateUser(sys, org.UserInput{Email: st.Email, Name: st.Name, Password: password, Role: string(st.Role), Unit: st.Unit}); err != nil {
			return fmt.Errorf("duty: demo user %s: %w", st.Email, err)
		}
	}
	pairs := [][2]string{{soc, "soc2@demo.vigil.local"}, {"soc3@demo.vigil.local", "soc4@demo.vigil.local"}, {"soc5@demo.vigil.local", "soc6@demo.vigil.local"}}
	staff := func(roster *Roster, each func(i int, sh *Shift) []Assignment) ([]*Shift, error) {
		shifts, _, err := s.Shifts(sys, roster.ID, ShiftFilter{Limit: 1000})
		if err != nil {
			return nil, err
		}
		for i, sh := range shifts {
			for _, a := range each(i, sh) {
				if _, err := s.Assign(sys, sh.ID, a); err != nil {
					return nil, fmt.Errorf("duty: demo roster %q: %w", roster.Name, err)
				}
			}
		}
		return shifts, nil
	}
	socPair := func(i int, _ *Shift) []Assignment {
		p := pairs[i%3]
		return []Assignment{{User: p[0], Role: RoleLead}, {User: p[1], Role: RoleOnDuty}}
	}
	// The SOC: Tết 2027, fully covered.
	tet, err := s.CreateRoster(sys, RosterInput{Unit: socUnit.Unit, Preset: PresetTet, Year: 2027, Pattern: Pattern3x8})
	if err != nil {
		return err
	}
	tetShifts, err := staff(tet, socPair)
	if err != nil {
		return err
	}
	// The SOC: this week, so the dashboard names who is on duty now.
	today := time.Now().In(i18n.Location)
	week, err := s.CreateRoster(sys, RosterInput{Unit: socUnit.Unit, Name: "Trực SOC tuần này", Pattern: Pattern3x8,
		From: today.AddDate(0, 0, -2).Format("02/01/2006"), To: today.AddDate(0, 0, 4).Format("02/01/2006")})
	if err != nil {
		return err
	}
	weekShifts, err := staff(week, socPair)
	if err != nil {
		return err
	}
	// Provinces: Hà Nội covered; Đà Nẵng with nobody on the night of
	// mùng 1 (Lunar New Year's night).
	second := map[string]string{"T01": "truc.hanoi@demo.vigil.local", "T48": "truc.danang@demo.vigil.local"}
	for _, code := range []string{"T01", "T48"} {
		officer := officers[code]
		if officer == "" {
			continue
		}
		if _, err := o.GetUnit(sys, code); errs.Code(err) == errs.ENOTFOUND {
			continue
		}
		ro, err := s.CreateRoster(sys, RosterInput{Unit: code, Preset: PresetTet, Year: 2027, Pattern: Pattern2x12})
		if err != nil {
			return err
		}
		tetNight := TetDay(2027).Add(19 * time.Hour)
		_, err = staff(ro, func(i int, sh *Shift) []Assignment {
			if code == "T48" && sh.StartsAt.Equal(tetNight) {
				return nil // the gap the page shows red
			}
			if i%2 == 0 {
				return []Assignment{{User: officer, Role: RoleLead}}
			}
			return []Assignment{{User: second[code], Role: RoleOnDuty}}
		})
		if err != nil {
			return err
		}
	}
	// Handover notes, written by those on the shifts.
	notes := []string{
		"Ca trực ổn định. SIEM ghi nhận 3 cảnh báo quét cổng từ địa chỉ nước ngoài vào cổng thông tin, đã chặn trên tường lửa biên. Chưa có sự cố.",
		"Máy chủ dịch vụ công trực tuyến tải cao lúc 21:00 (CPU 85%), đã báo nhóm vận hành theo dõi. Kết nối tới NCSC bình thường.",
		"Đã rà soát cảnh báo mã độc trên 2 máy trạm của BHXH tỉnh Hà Nội: tệp đã bị cách ly, cán bộ ATTT đơn vị đang quét lại. Ca sau theo dõi kết quả.",
	}
	// On the two shifts that ended last, so the shift on now has its
	// handover, and on the first of Tết.
	var ended []*Shift
	for _, sh := range weekShifts {
		if !sh.EndsAt.After(time.Now()) {
			ended = append(ended, sh)
		}
	}
	if len(ended) < 2 {
		ended = append([]*Shift{weekShifts[0], weekShifts[1]}, ended...)
	}
	for i, sh := range []*Shift{ended[len(ended)-2], ended[len(ended)-1], tetShifts[0]} {
		if err := s.demoNote(sys, sh, notes[i]); err != nil {
			return err
		}
	}
	return nil
}

// demoNote writes a note as the shift's lead.
func (s *Service) demoNote(sys context.Context, sh *Shift, body string) error {
	got, err := s.GetShift(sys, sh.ID)
	if err != nil || len(got.People) == 0 {
		return err
	}
	lead := got.People[0]
	var p auth.Principal
	err = s.DB.QueryRow(sys, `SELECT us.id, us.email, us.name, us.role, u.id, u.code, u.path FROM users us JOIN units u ON u.id = us.unit_id WHERE us.id = ?`, lead.UserID).
		Scan(&p.UserID, &p.Email, &p.Name, &p.Role, &p.UnitID, &p.UnitCode, &p.UnitPath)
	if err != nil {
		return fmt.Errorf("duty: demo note: %w", err)
	}
	p.Via = "session"
	_, err = s.AddNote(auth.WithPrincipal(sys, &p), sh.ID, body)
	return err
}
