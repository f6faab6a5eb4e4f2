package pipeline

import (
	"context"

	"vigil/internal/auth"
	"vigil/internal/store"
)

// demoRules are the UI-managed rules of the demo organisation: what a SOC
// adds beside SigmaHQ's rules for its own estate.
var demoRules = []string{`title: Đăng nhập SSH thất bại (tài khoản không tồn tại)
id: 3f5c9a10-7d2e-4c61-9b1e-0a6d2f000001
status: experimental
description: Một lần đăng nhập SSH với tên tài khoản không có trên máy; nhiều lần liên tiếp là dò mật khẩu.
level: low
logsource:
  product: linux
  service: sshd
detection:
  keywords:
    - 'Failed password for invalid user'
  condition: keywords
`, `title: Dò mật khẩu SSH - 5 lần thất bại trong 5 phút trên một máy
id: 3f5c9a10-7d2e-4c61-9b1e-0a6d2f000002
status: experimental
level: high
correlation:
  type: event_count
  rules:
    - 3f5c9a10-7d2e-4c61-9b1e-0a6d2f000001
  group-by:
    - host.hostname
  timespan: 5m
  condition:
    gte: 5
  generate: true
`, `title: Nhật ký Security của Windows bị xóa
id: 3f5c9a10-7d2e-4c61-9b1e-0a6d2f000003
status: stable
description: Xóa nhật ký bảo mật thường là bước xóa dấu vết sau xâm nhập.
level: high
tags:
  - attack.defense-evasion
  - attack.t1070.001
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 1102
  condition: selection
`, `title: Cảnh báo mức nghiêm trọng từ Suricata
id: 3f5c9a10-7d2e-4c61-9b1e-0a6d2f000004
status: experimental
level: critical
logsource:
  product: suricata
detection:
  selection:
    event_type: alert
    alert.severity: 1
  condition: selection
`}

// LoadDemo adds the demo's UI rules and an exception; it does nothing
// when UI rules exist.
func (s *Service) LoadDemo(ctx context.Context) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM rules WHERE source = 'ui'`).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, nil
	}
	for _, y := range demoRules {
		if _, err := s.Create(ctx, RuleInput{YAML: y}); err != nil {
			return n, err
		}
		n++
	}
	// A district's honeypot draws SSH guessing all day: its unit asked
	// for the single failures not to alert there (the correlation still
	// does).
	var code string
	err := s.DB.QueryRow(ctx, `SELECT code FROM units WHERE kind = 'district' ORDER BY id LIMIT 1`).Scan(&code)
	if store.IsNoRows(err) {
		return n, nil
	}
	if err != nil {
		return n, err
	}
	if _, err := s.AddException(ctx, "3f5c9a10-7d2e-4c61-9b1e-0a6d2f000001", ExceptionInput{Unit: code,
		Note: "Máy honeypot của đơn vị nhận dò mật khẩu SSH cả ngày; chỉ cảnh báo khi dò dồn dập (luật tương quan)."}); err != nil {
		return n, err
	}
	return n, nil
}
