package readiness

import (
	"context"
	"strings"

	"vigil/internal/attach"
	"vigil/internal/auth"
	"vigil/internal/duty"
	"vigil/internal/i18n"
)

// DemoCampaign is the name of the demo campaign.
const DemoCampaign = "Tết Đinh Mùi 2027"

// LoadDemo opens the campaign "Tết Đinh Mùi 2027" over every demo unit
// for the roster's period of that holiday (duty.TetHoliday), refreshes it
// from the providers, and has one unit's officer attest the
// state-secret measure (waiting for the IT Center's review). officers
// maps a unit code to its officer's e-mail. Nothing happens when a
// campaign exists.
func (s *Service) LoadDemo(ctx context.Context, officers map[string]string) (int, error) {
	sys := auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(sys, `SELECT COUNT(*) FROM readiness_campaigns`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	h := duty.TetHoliday(2027)
	c, err := s.Create(sys, Input{Name: DemoCampaign, Template: BuiltinTemplate,
		StartsAt: h.From.In(i18n.Location).Format("02/01/2006"), DueAt: h.To.In(i18n.Location).Format("02/01/2006")})
	if err != nil {
		return 0, err
	}
	if _, err := s.refresh(sys, c, true); err != nil {
		return 0, err
	}
	for _, code := range []string{"T01", "T48"} {
		email := officers[code]
		if email == "" {
			continue
		}
		var uid int64
		var path string
		if err := s.DB.QueryRow(sys, `SELECT u.id, u.path FROM units u WHERE u.code = ?`, code).Scan(&uid, &path); err != nil {
			continue
		}
		officer := auth.WithPrincipal(ctx, &auth.Principal{Email: email, Name: email, Role: auth.RoleOfficer, UnitID: uid, UnitCode: code, UnitPath: path, Via: "system"})
		if _, err := s.Attest(officer, c.ID, AttestInput{Unit: code, Criterion: "m1.secret_protection",
			Note: "Đã rà soát máy tính soạn thảo văn bản mật: không kết nối Internet, niêm phong cổng USB; biên bản kiểm tra ngày " +
				strings.TrimSpace(i18n.FormatDate(s.now(), "vi")) + ".",
			Files: []attach.Input{{Name: "bien-ban-kiem-tra-bao-mat.txt", ContentType: "text/plain",
				Data: strings.NewReader("BIÊN BẢN KIỂM TRA BẢO VỆ BÍ MẬT NHÀ NƯỚC\nĐơn vị: " + code + "\nMáy soạn thảo văn bản mật: 2; không kết nối Internet; cổng USB niêm phong.\n")}}}); err != nil {
			return 0, err
		}
		break
	}
	return 1, nil
}
