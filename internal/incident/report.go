package incident

import (
	"context"
	"time"

	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/natreport"
)

// The national reports read cases through natreport.CaseSource.
var _ natreport.CaseSource = (*Service)(nil)

// ReportCase is one case as the national report forms need it, after the
// caller's scope check (out of scope: not found).
func (s *Service) ReportCase(ctx context.Context, id int64) (*natreport.Case, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.reportCase(ctx, c, true)
}

// ReportCases are the cases of unitCode's subtree ("" every case the
// caller sees) detected in [from, to), for the summary (Mẫu 05).
func (s *Service) ReportCases(ctx context.Context, unitCode string, from, to time.Time) ([]*natreport.Case, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	cases, err := s.casesIn(ctx, p, unitCode, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]*natreport.Case, 0, len(cases))
	for _, c := range cases {
		rc, err := s.reportCase(ctx, c, false)
		if err != nil {
			return nil, err
		}
		out = append(out, rc)
	}
	return out, nil
}

func (s *Service) reportCase(ctx context.Context, c *Case, full bool) (*natreport.Case, error) {
	rc := &natreport.Case{
		ID: c.ID, Number: c.Ref, Title: c.Title, Description: c.Description, Category: c.Category, Severity: c.Severity, Status: c.Status,
		UnitID: c.UnitID, UnitCode: c.Unit, UnitName: c.UnitName, UnitCodes: c.Units,
		SystemName: c.SystemName, SecurityLevel: c.SecurityLevel, PersonalData: c.PersonalData,
		Domains: c.Domains, OS: c.OS, Services: c.Services, SecurityMeasures: c.SecurityMeasures, Purpose: c.Purpose,
		DetectedAt: c.DetectedAt, OpenedAt: c.OpenedAt, ContainedAt: c.ContainedAt, ClosedAt: c.ClosedAt, Serious: c.Serious,
		Owner: c.OwnerName, OwnerEmail: c.Owner, Hosts: c.Hosts,
		Resolution: c.Resolution, Lessons: c.Lessons, SupportFrom: c.SupportFrom, VNCERTHelp: c.VNCERTHelp, DamageVND: c.DamageVND,
	}
	for _, ip := range c.PublicIPs {
		if !isPrivate(ip) {
			rc.PublicIPs = append(rc.PublicIPs, ip)
		}
	}
	if !full {
		return rc, nil
	}
	obs, err := s.observables(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range obs {
		rc.Observables = append(rc.Observables, natreport.Observable{Type: o.Kind, Value: o.Value})
	}
	entries, _, err := s.timeline(ctx, c.ID, TimelineFilter{Oldest: true, Limit: 20000})
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		switch e.Kind {
		case "status", "note", "task", "task_done", "alert":
			kind := e.Kind
			if kind == "task_done" {
				kind = "task"
			}
			// The national forms are Vietnamese: statuses in words, never codes.
			text := e.Describe("vi")
			if e.Kind == "status" {
				text = i18n.T("vi", "inc.ev.status") + ": " + text
			}
			rc.Timeline = append(rc.Timeline, natreport.Entry{At: e.At, Who: e.WhoIn("vi"), Kind: kind, Text: text})
		}
	}
	files, err := s.Evidence(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		rc.Attachments = append(rc.Attachments, f.Name+" (SHA-256 "+f.SHA256+")")
	}
	return rc, nil
}
