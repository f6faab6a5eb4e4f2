package incident

import (
	"context"
	"fmt"
	"strings"

	"vigil/internal/auth"
	"vigil/internal/i18n"
)

// LoadDemo opens believable cases on the demo organisation (loaded after
// the alerts): a malware case from the demo's critical alerts in T01 being
// contained, with tasks, observables and notes; a phishing case in T48
// closed and waiting for its final report; a serious ransomware case with
// personal data whose initial report is overdue. officers maps a unit code
// to its officer's e-mail; soc is the SOC analyst's. Nothing happens when
// cases exist.
func (s *Service) LoadDemo(ctx context.Context, officers map[string]string, soc string) (int, error) {
	sys := auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(sys, `SELECT COUNT(*) FROM incidents`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	var alertIDs []int64
	rows, err := s.DB.Query(sys, `SELECT a.id FROM alerts a JOIN units u ON u.id = a.unit_id WHERE u.code LIKE 'T01%' ORDER BY a.severity_rank DESC, a.id LIMIT 2`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		alertIDs = append(alertIDs, id)
	}
	rows.Close()
	now := s.now()
	day := func(d int, hm string) string {
		return now.AddDate(0, 0, d).In(i18n.Location).Format("02/01/2006") + " " + hm
	}
	owner := func(unit string) string {
		if o := officers[unit]; o != "" {
			return o
		}
		return soc
	}
	made := 0
	open := func(in Input) (*Case, error) {
		c, err := s.Create(sys, in)
		if err == nil {
			made++
		}
		return c, err
	}
	// 1. Malware on the accounting hosts of T01, from the alerts.
	c1, err := open(Input{Title: "Mã độc đánh cắp thông tin trên máy trạm phòng Kế toán", Category: "malware", Severity: "high",
		Units: []string{"T01"}, Alerts: alertIDs, SystemName: "Hệ thống máy trạm nội bộ", SecurityLevel: 2, DetectedAt: day(-1, "08:40"),
		Owner: owner("T01"), Description: "Phần mềm giám sát phát hiện certutil tải tệp lạ và kết nối tới máy chủ điều khiển; chưa ghi nhận rò rỉ dữ liệu.",
		Observables: []ObservableInput{{Value: "198.51.100.23"}, {Value: "update-kb5034441.example"}, {Kind: "sha256", Value: strings.Repeat("ab", 32)}}})
	if err != nil {
		return made, fmt.Errorf("incident demo: %w", err)
	}
	if soc != "" {
		if _, err := s.AddParticipant(sys, c1.ID, soc); err != nil {
			return made, err
		}
	}
	for _, st := range []string{StatusTriage, StatusContainment} {
		if _, err := s.SetStatus(sys, c1.ID, StatusInput{Status: st, Note: map[string]string{StatusTriage: "Xác nhận 2 máy nhiễm, cùng một mẫu.", StatusContainment: "Đã cô lập 2 máy khỏi mạng, chặn địa chỉ điều khiển tại tường lửa."}[st]}); err != nil {
			return made, err
		}
	}
	for _, t := range []TaskInput{{Title: "Thu thập nhật ký tường lửa 48 giờ qua", Owner: owner("T01"), Due: day(0, "17:00")},
		{Title: "Quét toàn bộ máy trạm phòng Kế toán", Owner: owner("T01"), Due: day(1, "12:00")}} {
		if _, err := s.AddTask(sys, c1.ID, t); err != nil {
			return made, err
		}
	}
	if _, err := s.AddNote(sys, c1.ID, NoteInput{Text: "Ca trực đêm: không phát hiện thêm máy nhiễm mới."}); err != nil {
		return made, err
	}
	// 2. Phishing in T48, closed, final report due.
	c2, err := open(Input{Title: "Thư điện tử giả mạo Bảo hiểm xã hội Việt Nam gửi cán bộ", Category: "phishing", Severity: "medium",
		Units: []string{"T48"}, DetectedAt: day(-6, "09:15"), Owner: owner("T48"), SystemName: "Hệ thống thư điện tử", SecurityLevel: 3,
		Observables: []ObservableInput{{Kind: "email", Value: "thongbao@baohiemxahoi-vn.example"}, {Kind: "domain", Value: "baohiemxahoi-vn.example"}}})
	if err != nil {
		return made, fmt.Errorf("incident demo: %w", err)
	}
	if err := s.MarkReported(sys, nil, c2.ID, FormInitial, now.AddDate(0, 0, -4)); err != nil {
		return made, err
	}
	if _, err := s.SetStatus(sys, c2.ID, StatusInput{Status: StatusClosed, Note: "Đã thu hồi thư, chặn tên miền giả mạo, đổi mật khẩu 3 tài khoản đã nhập thông tin."}); err != nil {
		return made, err
	}
	lessons, support := "Tập huấn nhận biết thư giả mạo cho cán bộ; bật DMARC chế độ reject.", "self"
	if _, err := s.Update(sys, c2.ID, Patch{Lessons: &lessons, SupportFrom: &support}); err != nil {
		return made, err
	}
	// 3. Ransomware with personal data, serious: the initial report overdue.
	if _, err := open(Input{Title: "Mã hóa dữ liệu máy chủ tệp dùng chung", Category: "ransomware", Severity: "critical", Units: []string{"T01", "T01-01"},
		DetectedAt: day(-7, "23:05"), Owner: owner("T01"), PersonalData: true, Serious: true, SystemName: "Máy chủ tệp dùng chung", SecurityLevel: 3,
		Description: "Nhiều tệp trên máy chủ bị đổi đuôi .lockbit; có hồ sơ chứa dữ liệu cá nhân của người tham gia bảo hiểm."}); err != nil {
		return made, fmt.Errorf("incident demo: %w", err)
	}
	return made, nil
}
