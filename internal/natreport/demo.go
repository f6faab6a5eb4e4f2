package natreport

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"vigil/internal/auth"
)

// The reports' demo: the demo cases' units get a reporting profile; the
// first case an approved initial report and a draft final report, the
// next ones a draft initial report — what a duty officer finds on the
// morning after. It needs the cases (Cases set) and does nothing when a
// report exists.

// demoProfile is a plausible profile for a demo unit.
func demoProfile(u *unitRow) Profile {
	return Profile{OrgName: u.Name, Address: "Số 7 Tràng Thi, Hoàn Kiếm, Hà Nội", Phone: "024 3936 0000", Email: "vanphong@" + demoDomain(u.Code),
		OwnerBody: "Bảo hiểm xã hội Việt Nam", MemberCode: "MLUC-" + u.Code, ISP: "VNPT", SecurityProvider: "Trung tâm Công nghệ thông tin — BHXH Việt Nam",
		ContactName: "Nguyễn Thị Thu Hà", ContactPosition: "Trưởng phòng CNTT", ContactPhone: "0912 345 678", ContactEmail: "ha.ntt@" + demoDomain(u.Code),
		SignerName: "Trần Văn Minh", SignerTitle: "Giám đốc"}
}

func demoDomain(code string) string { return fmt.Sprintf("%s.demo.vss.gov.vn", strings.ToLower(code)) }

// LoadDemo files the demo reports unless a report exists; it returns how
// many reports it filed.
func (s *Service) LoadDemo(ctx context.Context) (int, error) {
	if s.Cases == nil {
		return 0, nil
	}
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM natreports`).Scan(&n); err != nil || n > 0 {
		return 0, err
	}
	cases, err := s.Cases.ReportCases(ctx, "", time.Unix(0, 0), s.now().Add(24*time.Hour))
	if err != nil || len(cases) == 0 {
		return 0, err
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].ID < cases[j].ID })
	if len(cases) > 3 {
		cases = cases[:3]
	}
	for _, c := range cases {
		u, err := s.unitByID(ctx, s.DB, c.UnitID)
		if err != nil {
			return n, err
		}
		var saved int
		if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM natreport_profiles WHERE unit_id = ?`, u.ID).Scan(&saved); err != nil {
			return n, err
		}
		if saved == 0 {
			if _, err := s.SetProfile(ctx, u.Code, demoProfile(u)); err != nil {
				return n, fmt.Errorf("natreport: demo profile %s: %w", u.Code, err)
			}
		}
	}
	first := true
	for _, c := range cases {
		r, err := s.Create(ctx, c.ID, FormInitial)
		if err != nil {
			return n, fmt.Errorf("natreport: demo report of case %d: %w", c.ID, err)
		}
		n++
		fields := map[string]string{"detection": "monitoring", "notified": "owner,vncert,specialised"}
		if r.Fields["incident_status"] == "" {
			fields["incident_status"] = "handling"
		}
		if r.Fields["description"] == "" {
			fields["description"] = c.Title
		}
		if _, err := s.Update(ctx, r.ID, fields); err != nil {
			return n, err
		}
		if !first {
			continue
		}
		first = false
		if _, err := s.Submit(ctx, r.ID); err != nil {
			return n, fmt.Errorf("natreport: demo submit: %w", err)
		}
		if _, err := s.Approve(ctx, r.ID); err != nil {
			return n, fmt.Errorf("natreport: demo approve: %w", err)
		}
		if _, err := s.Create(ctx, c.ID, FormFinal); err != nil {
			return n, fmt.Errorf("natreport: demo final report: %w", err)
		}
		n++
	}
	return n, nil
}
