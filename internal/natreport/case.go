// Package natreport produces the national incident reports of Circular
// 20/2017/TT-BTTTT — Mẫu 03 (initial report), Mẫu 04 (final report) and
// Mẫu 05 (six-monthly / annual summary) — from an incident case and the
// reporting unit's profile: filled, checked for the mandatory fields,
// reviewed and approved, numbered, rendered as PDF, DOCX, JSON and as text
// ready to paste into IRLab, and handed to the outbox for delivery.
//
// The package reads cases through CaseSource (internal/incident implements
// it), so it does not know the incident tables.
package natreport

import (
	"context"
	"time"
)

// Form names one of the three forms.
type Form string

const (
	FormInitial Form = "initial" // Mẫu 03
	FormFinal   Form = "final"   // Mẫu 04
	FormSummary Form = "summary" // Mẫu 05
)

// Case is an incident case as the forms need it. internal/incident fills
// it; times are absolute (render them in Asia/Ho_Chi_Minh).
type Case struct {
	ID          int64
	Number      string // the case's reference, e.g. "SC-2026-0012"
	Title       string
	Description string
	Category    string // dos, phishing, malware, intrusion, defacement, ransomware, destruction, espionage, combined, other
	Severity    string // low, medium, high, critical
	Status      string // new, triage, containment, eradication, recovery, closed

	UnitID    int64  // the case's owning (reporting) unit
	UnitCode  string // its code
	UnitName  string
	UnitCodes []string // every affected unit's code

	// The affected system (form block 3 and 9).
	SystemName       string
	SecurityLevel    int // 1–5, 0 unknown
	PersonalData     bool
	Domains          []string
	PublicIPs        []string // public addresses only: the form forbids internal ones
	OS               []string // "Windows Server 2019", …
	Services         []string
	SecurityMeasures string
	Purpose          string

	DetectedAt  time.Time // discovery: starts the 5-day clock
	OpenedAt    time.Time
	ContainedAt time.Time // zero until contained
	ClosedAt    time.Time // zero until closed: "response ended" starts the final report's clock
	Serious     bool      // beyond the unit's capacity / serious (Decision 05/2017 Art. 11)

	Owner       string // the case owner's name
	OwnerEmail  string
	Hosts       []string // affected host names
	Observables []Observable
	Timeline    []Entry  // notes and status changes, oldest first (for the final report's outcome)
	Resolution  string   // how it was resolved (closing note)
	Lessons     string   // recommendations (lessons learned)
	SupportFrom string   // "", "self", "domestic", "foreign": who helped handle it (Mẫu 05 columns)
	VNCERTHelp  bool     // support requested from the national coordinator
	DamageVND   int64    // estimated damage, 0 unknown
	Attachments []string // evidence file names (listed on the form, not embedded)
}

// Observable is an indicator seen in the case.
type Observable struct {
	Type  string // ip, domain, url, hash, account, hostname, email (the intel types)
	Value string
}

// Entry is one line of the case's history.
type Entry struct {
	At   time.Time
	Who  string
	Kind string // status, note, task, alert
	Text string
}

// CaseSource reads cases for the reports. Both methods check the caller
// (the principal in ctx) may see the cases; a case out of scope is
// errs.NotFound.
type CaseSource interface {
	// ReportCase is one case.
	ReportCase(ctx context.Context, id int64) (*Case, error)
	// ReportCases are the cases of unitCode's subtree ("" every unit the
	// caller sees) detected in [from, to), for the summary (Mẫu 05).
	ReportCases(ctx context.Context, unitCode string, from, to time.Time) ([]*Case, error)
}
