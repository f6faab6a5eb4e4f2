package alerts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/detect"
)

// demoRule is a rule the demo raises alerts for: real SigmaHQ rules (id,
// title, level) and the hub's own.
type demoRule struct {
	id, title, level string
	fields           func(host string, i int) []detect.Field
}

var demoRules = []demoRule{
	{"06d71506-7beb-4f22-8888-e2e5e2ca7fd8", "Mimikatz Use", "high", func(h string, i int) []detect.Field {
		return []detect.Field{{Name: "Channel", Value: "Security"}, {Name: "EventID", Value: "4688"},
			{Name: "NewProcessName", Value: `C:\Users\Public\Music\m64.exe`}, {Name: "CommandLine", Value: `m64.exe "privilege::debug" "sekurlsa::logonpasswords" exit`},
			{Name: "SubjectUserName", Value: "ketoan" + fmt.Sprint(i%3+1)}, {Name: "Computer", Value: h}}
	}},
	{"c947b146-0abc-4c87-9c64-b17e9d7274a2", "Shadow Copies Deletion Using Operating Systems Utilities", "high", func(h string, i int) []detect.Field {
		return []detect.Field{{Name: "Channel", Value: "Microsoft-Windows-Sysmon/Operational"}, {Name: "EventID", Value: "1"},
			{Name: "Image", Value: `C:\Windows\System32\vssadmin.exe`}, {Name: "CommandLine", Value: "vssadmin.exe delete shadows /all /quiet"},
			{Name: "ParentImage", Value: `C:\Users\Public\svchosts.exe`}, {Name: "User", Value: `BHXH\nhansu02`}, {Name: "Computer", Value: h}}
	}},
	{"ca2092a1-c273-4878-9b4b-0d60115bf5ea", "Suspicious Encoded PowerShell Command Line", "high", func(h string, i int) []detect.Field {
		return []detect.Field{{Name: "Channel", Value: "Microsoft-Windows-Sysmon/Operational"}, {Name: "EventID", Value: "1"},
			{Name: "Image", Value: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`},
			{Name: "CommandLine", Value: "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA"},
			{Name: "ParentImage", Value: `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`}, {Name: "Computer", Value: h}}
	}},
	{"f2f01843-e7b8-4f95-a35a-d23584476423", "Security Eventlog Cleared", "high", func(h string, i int) []detect.Field {
		return []detect.Field{{Name: "Channel", Value: "Security"}, {Name: "EventID", Value: "4688"},
			{Name: "NewProcessName", Value: `C:\Windows\System32\wevtutil.exe`}, {Name: "CommandLine", Value: "wevtutil cl Security"}, {Name: "Computer", Value: h}}
	}},
	{"57b649ef-ff42-4fb0-8bf6-62da243a1708", "Windows Defender Threat Detected", "high", func(h string, i int) []detect.Field {
		return []detect.Field{{Name: "Channel", Value: "Microsoft-Windows-Windows Defender/Operational"}, {Name: "EventID", Value: "1116"},
			{Name: "Threat Name", Value: "Trojan:Win32/Emotet.RPX!MTB"}, {Name: "Path", Value: `file:_C:\Users\vanthu\Downloads\ThongBao_BHXH_2027.doc.exe`},
			{Name: "Computer", Value: h}}
	}},
	{"ioc:sha256", "Tệp khớp dấu hiệu mã độc trong danh sách cảnh báo của Trung tâm", "critical", func(h string, i int) []detect.Field {
		return []detect.Field{{Name: "file.hash.sha256", Value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
			{Name: "file.path", Value: `C:\ProgramData\Update\wuauclt64.exe`}, {Name: "indicator.list", Value: "Danh sách cảnh báo tháng 01/2027"}, {Name: "host.name", Value: h}}
	}},
	{"ioc:domain", "Kết nối tới tên miền điều khiển (C2) trong danh sách cảnh báo", "critical", func(h string, i int) []detect.Field {
		return []detect.Field{{Name: "dns.question.name", Value: "update-bhxh-gov.com"}, {Name: "source.ip", Value: fmt.Sprintf("10.%d.1.%d", 20+i, 30+i)},
			{Name: "destination.ip", Value: "103.97.125.18"}, {Name: "destination.port", Value: "443"}, {Name: "host.name", Value: h}}
	}},
}

// LoadDemo raises believable alerts on the demo organisation's hosts: a
// few acknowledged and assigned, one closed, critical ones nobody has
// acknowledged yet, and a feed gone quiet. officers maps a unit code to its
// officer's e-mail; soc is the SOC analyst's. Nothing happens when alerts
// exist.
func (s *Service) LoadDemo(ctx context.Context, officers map[string]string, soc string) error {
	sys := auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(sys, `SELECT COUNT(*) FROM alerts`).Scan(&n); err != nil || n > 0 {
		return err
	}
	// Hosts of the units with demo officers first, then others.
	rows, err := s.DB.Query(sys, `SELECT h.hostname, u.id, u.code FROM hosts h JOIN units u ON u.id = h.unit_id ORDER BY
		CASE WHEN u.code LIKE 'T01%' THEN 0 WHEN u.code LIKE 'T48%' THEN 1 ELSE 2 END, h.id LIMIT 200`)
	if err != nil {
		return err
	}
	type host struct {
		name string
		unit int64
		code string
	}
	var hosts []host
	perUnit := map[string]int{}
	for rows.Next() {
		var h host
		if err := rows.Scan(&h.name, &h.unit, &h.code); err != nil {
			rows.Close()
			return err
		}
		if perUnit[h.code] < 2 && len(hosts) < 12 {
			perUnit[h.code]++
			hosts = append(hosts, h)
		}
	}
	rows.Close()
	if len(hosts) == 0 {
		return nil
	}
	now := s.now()
	var ms []Match
	for i, h := range hosts {
		r := demoRules[i%len(demoRules)]
		repeats := 1 + (i*7)%13
		start := now.Add(-time.Duration(30+i*23) * time.Minute)
		for j := range repeats {
			ev := &detect.Event{Host: h.name, Time: start.Add(time.Duration(j*40) * time.Second), Fields: r.fields(h.name, j)}
			ms = append(ms, Match{RuleID: r.id, RuleTitle: r.title, Level: r.level, UnitID: h.unit, Host: h.name, Time: ev.Time, Event: ev})
		}
	}
	// A SIEM gone quiet, raised by the hub's health check.
	ms = append(ms, Match{RuleID: "vigil.health.source-silent", RuleTitle: "Nguồn sự kiện im lặng quá thời gian dự kiến: SIEM tỉnh", Level: "high",
		SourceID: 0, UnitID: hosts[0].unit, Key: "demo-siem", Time: now.Add(-20 * time.Minute)})
	if err := s.Record(sys, ms); err != nil {
		return err
	}
	list, _, err := s.List(sys, Filter{Limit: 100, Sort: "first_seen"})
	if err != nil {
		return err
	}
	str := func(v string) *string { return &v }
	closed := false
	for i, a := range list {
		who := officers[a.Unit]
		if province, _, ok := strings.Cut(a.Unit, "-"); ok && who == "" {
			who = officers[province] // a district's alert: its province's officer
		}
		if who == "" {
			who = soc
		}
		actor, err := s.demoPrincipal(sys, who)
		if err != nil || actor == nil {
			continue
		}
		actx := auth.WithPrincipal(ctx, actor)
		switch {
		case a.Severity == SeverityCritical:
			// Left for escalation: nobody has acknowledged these.
		case !closed && a.RuleID == "f2f01843-e7b8-4f95-a35a-d23584476423":
			closed = true
			_, err = s.Update(actx, a.ID, Update{Action: "close", Reason: "expected", Note: str("Quản trị viên xoá nhật ký khi cài lại máy theo phiếu yêu cầu số 127/CNTT.")})
		case i%3 == 0:
			_, err = s.Update(actx, a.ID, Update{Action: "acknowledge", Assignee: str(who), Note: str("Đã tiếp nhận, đang cách ly máy và thu thập thêm nhật ký.")})
		}
		if err != nil {
			return fmt.Errorf("alerts: demo: %w", err)
		}
	}
	return nil
}

// demoPrincipal is the demo user with this e-mail, acting.
func (s *Service) demoPrincipal(ctx context.Context, email string) (*auth.Principal, error) {
	if email == "" {
		return nil, nil
	}
	p := &auth.Principal{Email: email, Via: "session"}
	err := s.DB.QueryRow(ctx, `SELECT us.id, us.name, us.role, un.id, un.code, un.path FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
		Scan(&p.UserID, &p.Name, &p.Role, &p.UnitID, &p.UnitCode, &p.UnitPath)
	if err != nil {
		return nil, err
	}
	return p, nil
}
