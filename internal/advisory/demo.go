package advisory

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/i18n"
)

// The advisory demo: what the IT Center would have sent the units in the
// weeks before Tết Đinh Mùi (06/02/2027) — Microsoft fixes whose CVEs the
// demo's findings hold, a phishing campaign ahead of the holidays whose
// deadline has passed (so some units are late), and a draft filed from a
// national CERT's RSS channel. Times are relative to now.

//go:embed demo_feed.xml
var demoFeed []byte

// demoUnit is a target unit of the demo and the principal answering for it.
type demoUnit struct {
	code, path string
	id         int64
}

// LoadDemo files the demo advisories unless there are advisories already;
// officers maps unit codes to their demo officer's e-mail. It returns how
// many advisories it filed.
func (s *Service) LoadDemo(ctx context.Context, officers map[string]string) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM advisories`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	var units []demoUnit
	rows, err := s.DB.Query(ctx, `SELECT id, code, path FROM units ORDER BY path`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var u demoUnit
		if err := rows.Scan(&u.id, &u.code, &u.path); err != nil {
			rows.Close()
			return 0, err
		}
		units = append(units, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(units) == 0 {
		return 0, nil
	}
	now := s.now()
	at := func(days float64) *Service {
		t := now.Add(time.Duration(days * float64(24*time.Hour)))
		return &Service{DB: s.DB, Now: func() time.Time { return t }}
	}
	date := func(t time.Time) string { return t.In(i18n.Location).Format("2006-01-02") }
	// as answers for a unit as its officer (the demo officer when there is one).
	as := func(u demoUnit) context.Context {
		email := officers[u.code]
		if email == "" {
			email = "attt." + strings.ToLower(u.code) + "@demo.vigil.local"
		}
		return auth.WithPrincipal(ctx, &auth.Principal{Email: email, Role: auth.RoleOfficer, UnitID: u.id, UnitCode: u.code, UnitPath: u.path, Via: "system"})
	}
	filed := 0

	// 1. Microsoft fixes, every unit, due the last working day before Tết.
	tet := time.Date(2027, 2, 6, 0, 0, 0, 0, i18n.Location)
	deadline := tet.AddDate(0, 0, -8) // Friday 29/01/2027
	if !deadline.After(now.AddDate(0, 0, 7)) {
		deadline = now.AddDate(0, 0, 30)
	}
	ms, err := at(-12).Create(ctx, Input{
		Title:    "Cài đặt khẩn các bản vá Microsoft: Outlook (CVE-2023-23397), Windows SmartScreen (CVE-2023-36025), HTTP/2 Rapid Reset (CVE-2023-44487)",
		Severity: SeverityCritical,
		Summary: "Các lỗ hổng đã bị khai thác trong thực tế (CISA KEV). CVE-2023-23397 cho phép đánh cắp mã băm NTLM chỉ bằng một thư điện tử, không cần người dùng mở thư; " +
			"CVE-2023-36025 vượt qua cảnh báo SmartScreen khi mở tệp .url độc hại; CVE-2023-44487 cho phép tấn công từ chối dịch vụ máy chủ web qua HTTP/2. " +
			"Rà soát cho thấy nhiều máy trạm và máy chủ của các đơn vị còn thiếu các bản cập nhật tích lũy tháng 10 và 11/2023.",
		Products: []string{"Microsoft Outlook 2013, 2016, 2019; Microsoft 365 Apps", "Windows 10 Version 22H2, Windows 11 Version 23H2",
			"Windows Server 2019, Windows Server 2022"},
		CVEs: []string{"CVE-2023-23397", "CVE-2023-36025", "CVE-2023-44487"},
		Actions: "1. Cài bản cập nhật tích lũy mới nhất (tối thiểu KB5032189/KB5032190 cho máy trạm, KB5032196/KB5032198 cho máy chủ) và bản vá Outlook tháng 3/2023.\n" +
			"2. Chặn cổng TCP 445 đi ra Internet tại tường lửa biên.\n" +
			"3. Rà quét lại bằng Vigil sau khi cài; báo cáo hoàn thành kèm số máy đã cập nhật.",
		Deadline: date(deadline), AllUnits: true,
	})
	if err != nil {
		return filed, fmt.Errorf("advisory demo: %w", err)
	}
	if _, err := at(-11).Issue(ctx, ms.ID); err != nil {
		return filed, fmt.Errorf("advisory demo: %w", err)
	}
	filed++
	for i, u := range units {
		switch {
		case officers[u.code] != "" || i%3 == 0:
			if _, err := at(-10+float64(i%5)*0.3).Acknowledge(as(u), ms.ID, Answer{}); err != nil {
				return filed, fmt.Errorf("advisory demo: %w", err)
			}
			if officers[u.code] != "" && i%2 == 0 || i%6 == 0 {
				if _, err := at(-3+float64(i%4)*0.4).Complete(as(u), ms.ID, Answer{Note: fmt.Sprintf("Đã cài bản cập nhật tích lũy tháng 11/2023 trên %d máy trạm và %d máy chủ; đã chặn cổng 445 ra Internet.", 20+i%37, 1+i%4),
					Evidence: fmt.Sprintf("Công văn số %d/BHXH-CNTT", 100+i)}); err != nil {
					return filed, fmt.Errorf("advisory demo: %w", err)
				}
			}
		}
	}

	// 2. Phishing before the holidays, every unit, deadline passed 5 days ago.
	ph, err := at(-19).Create(ctx, Input{
		Title:    "Cảnh báo chiến dịch thư điện tử lừa đảo giả danh cơ quan BHXH dịp cuối năm, trước Tết Nguyên đán",
		Severity: SeverityHigh,
		Issuer:   "NCSC",
		Summary: "Các đối tượng gửi thư điện tử và tin nhắn giả danh cơ quan Bảo hiểm xã hội, thông báo \"điều chỉnh mức đóng\", \"thưởng Tết\" kèm tệp nén hoặc đường dẫn " +
			"tới trang đăng nhập giả mạo nhằm lấy cắp tài khoản thư công vụ. Tệp đính kèm thường là .iso, .lnk, .zip chứa mã độc.",
		Products: []string{"Hệ thống thư điện tử công vụ", "Máy trạm người dùng"},
		Actions: "1. Phổ biến tới toàn bộ cán bộ, viên chức: không mở tệp đính kèm, không nhập mật khẩu qua đường dẫn trong thư lạ.\n" +
			"2. Chặn tệp đính kèm .iso, .img, .lnk tại cổng thư.\n" +
			"3. Báo cáo hoàn thành kèm số người đã được phổ biến.",
		Deadline: date(now.AddDate(0, 0, -5)), AllUnits: true,
	})
	if err != nil {
		return filed, fmt.Errorf("advisory demo: %w", err)
	}
	if _, err := at(-18).Issue(ctx, ph.ID); err != nil {
		return filed, fmt.Errorf("advisory demo: %w", err)
	}
	filed++
	for i, u := range units {
		if i%4 == 3 { // a quarter of the units never answered: overdue
			continue
		}
		if _, err := at(-17+float64(i%6)*0.5).Acknowledge(as(u), ph.ID, Answer{}); err != nil {
			return filed, fmt.Errorf("advisory demo: %w", err)
		}
		if i%8 == 2 { // acknowledged, not completed: overdue too
			continue
		}
		if _, err := at(-12+float64(i%7)*0.8).Complete(as(u), ph.ID, Answer{Note: fmt.Sprintf("Đã phổ biến tới %d cán bộ qua hội nghị giao ban; cổng thư đã chặn tệp .iso, .lnk.", 15+i%60)}); err != nil {
			return filed, fmt.Errorf("advisory demo: %w", err)
		}
	}

	// 3. A draft from a national CERT's RSS channel.
	k, err := at(-1).ImportFeed(ctx, "VNCERT/CC", bytes.NewReader(demoFeed))
	if err != nil {
		return filed, fmt.Errorf("advisory demo: %w", err)
	}
	return filed + k, nil
}
