// Package incident runs incident cases (issue 13, measure 5 of the
// directive): a case is opened from one or more alerts, from a
// warning-list hit or by hand, worked from new to closed by an owner and
// participants (often of other units), with tasks, a timeline, observables
// linked to the intel indicators, evidence files kept read-only with their
// SHA-256, and the clocks the national rules set (the initial report 5
// days after discovery, the final report 5 days after the response ends,
// 72 hours for a personal-data breach, an emergency report at once when
// the case is serious) next to the SOC's own targets. internal/natreport
// reads cases through CaseSource (report.go).
//
// Rights. A case belongs to its owning unit and concerns every affected
// unit. It is read by whoever reads one of those units (the SOC reads
// every case), by its owner and by its participants. It is worked
// (status, notes, tasks, observables, evidence) by the SOC (analysts,
// administrators), by an officer of one of its units, and by its owner
// and participants unless they are viewers. A case is opened by the SOC
// anywhere and by an officer for units of their own subtree.
package incident

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/outbox"
	"vigil/internal/store"
)

// Deliveries lists the outbox's deliveries about an object (the national
// reports sent for a case); *outbox.Service implements it. Nil until
// wired: the timeline then shows none.
type Deliveries interface {
	ForObject(ctx context.Context, objectType, objectID string) ([]*outbox.Delivery, error)
}

// Service keeps incident cases.
type Service struct {
	DB         *store.DB
	Deliveries Deliveries       // optional
	Now        func() time.Time // for tests; time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ObjectType is the audit, attachment and outbox object type of a case.
const ObjectType = "incident"

// Categories are the rows of Mẫu 05 (the six-monthly / annual summary of
// Circular 20/2017), in the form's order.
var Categories = []string{"dos", "phishing", "malware", "intrusion", "defacement", "ransomware", "destruction", "espionage", "combined", "other"}

// Severities, most severe first.
var Severities = []string{"critical", "high", "medium", "low"}

func severityRank(s string) int {
	switch s {
	case "critical":
		return 4
	case "high":
		return 3
	case "medium":
		return 2
	}
	return 1
}

// Statuses of a case, in order of life.
const (
	StatusNew         = "new"
	StatusTriage      = "triage"
	StatusContainment = "containment"
	StatusEradication = "eradication"
	StatusRecovery    = "recovery"
	StatusClosed      = "closed"
)

// Statuses lists the statuses in order.
var Statuses = []string{StatusNew, StatusTriage, StatusContainment, StatusEradication, StatusRecovery, StatusClosed}

func statusIndex(s string) int { return slices.Index(Statuses, s) }

// SupportFrom are who helped handle a case (the columns of Mẫu 05).
var SupportFrom = []string{"self", "domestic", "foreign"}

// RefPrefix starts every case number: "SC-2026-0012" (sự cố).
const RefPrefix = "SC"

// Limits.
const (
	maxTitle     = 300
	maxText      = 20000
	maxShort     = 500
	maxList      = 200
	maxAlerts    = 500
	maxUnitsCase = 200
	maxNote      = 20000
)

// Case is one incident case.
type Case struct {
	ID          int64     `json:"id"`
	Ref         string    `json:"ref"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Category    string    `json:"category"`
	Severity    string    `json:"severity"`
	Status      string    `json:"status"`
	StatusSince time.Time `json:"status_since"`
	StatusBy    string    `json:"status_by"`

	Unit     string   `json:"unit"` // the owning (reporting) unit
	UnitName string   `json:"unit_name"`
	UnitID   int64    `json:"-"`
	Units    []string `json:"units"` // every affected unit's code, the owning unit first
	Hosts    []string `json:"hosts,omitempty"`

	SystemName       string   `json:"system_name"`
	SecurityLevel    int      `json:"security_level"`
	PersonalData     bool     `json:"personal_data"`
	Serious          bool     `json:"serious"`
	Domains          []string `json:"domains,omitempty"`
	PublicIPs        []string `json:"public_ips,omitempty"`
	OS               []string `json:"os,omitempty"`
	Services         []string `json:"services,omitempty"`
	SecurityMeasures string   `json:"security_measures,omitempty"`
	Purpose          string   `json:"purpose,omitempty"`

	Owner        string        `json:"owner,omitempty"` // e-mail
	OwnerName    string        `json:"owner_name,omitempty"`
	OwnerID      int64         `json:"-"`
	Participants []Participant `json:"participants,omitempty"`
	Source       string        `json:"source"` // manual, alert, hit
	Alerts       []int64       `json:"alerts,omitempty"`

	DetectedAt    time.Time  `json:"detected_at"`
	OpenedAt      time.Time  `json:"opened_at"`
	AckedAt       time.Time  `json:"acked_at,omitzero"`
	ContainedAt   time.Time  `json:"contained_at,omitzero"`
	ClosedAt      time.Time  `json:"closed_at,omitzero"`
	InitialSentAt time.Time  `json:"initial_sent_at,omitzero"`
	FinalSentAt   time.Time  `json:"final_sent_at,omitzero"`
	PDNotifiedAt  time.Time  `json:"personal_data_notified_at,omitzero"`
	ReportDueAt   *time.Time `json:"report_due_at"`

	Resolution  string `json:"resolution,omitempty"`
	Lessons     string `json:"lessons,omitempty"`
	SupportFrom string `json:"support_from,omitempty"`
	VNCERTHelp  bool   `json:"vncert_help"`
	DamageVND   int64  `json:"damage_vnd,omitempty"`

	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Clocks are the reporting deadlines and the SOC's targets (Get and
	// the timers view).
	Clocks []Clock `json:"clocks,omitempty"`
	// CanWork says the caller may work the case (pages show the forms).
	CanWork bool `json:"-"`

	unitPath  string
	seriousAt time.Time
	reminded  string
}

// Participant is a user taking part in a case.
type Participant struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	Unit  string `json:"unit"`
}

// Open reports whether the case is not closed.
func (c *Case) Open() bool { return c.Status != StatusClosed }

// Input opens a case. Units are unit codes, the first the owning unit
// (the alerts' units when empty, else the caller's); Alerts are alert ids
// whose units and hosts join the case; DetectedAt is when the incident was
// discovered ("dd/mm/yyyy hh:mm", "yyyy-mm-dd hh:mm" or RFC 3339; the
// earliest alert, else now, when empty).
type Input struct {
	Title         string            `json:"title"`
	Description   string            `json:"description,omitempty"`
	Category      string            `json:"category"`
	Severity      string            `json:"severity"`
	Units         []string          `json:"units,omitempty"`
	Alerts        []int64           `json:"alerts,omitempty"`
	Hosts         []string          `json:"hosts,omitempty"`
	SystemName    string            `json:"system_name,omitempty"`
	SecurityLevel int               `json:"security_level,omitempty"`
	PersonalData  bool              `json:"personal_data,omitempty"`
	Serious       bool              `json:"serious,omitempty"`
	DetectedAt    string            `json:"detected_at,omitempty"`
	Owner         string            `json:"owner,omitempty"` // e-mail; the caller when empty
	Observables   []ObservableInput `json:"observables,omitempty"`
	// Source says where the case came from (manual, alert, hit); set by
	// the callers that open cases from an alert or a hit.
	Source string `json:"-"`
	// Note is a first timeline note (e.g. the hit it came from).
	Note string `json:"-"`
}

// Patch changes a case: only the fields sent.
type Patch struct {
	Title            *string   `json:"title,omitempty"`
	Description      *string   `json:"description,omitempty"`
	Category         *string   `json:"category,omitempty"`
	Severity         *string   `json:"severity,omitempty"`
	SystemName       *string   `json:"system_name,omitempty"`
	SecurityLevel    *int      `json:"security_level,omitempty"`
	PersonalData     *bool     `json:"personal_data,omitempty"`
	Serious          *bool     `json:"serious,omitempty"`
	Units            *[]string `json:"units,omitempty"`
	Hosts            *[]string `json:"hosts,omitempty"`
	Domains          *[]string `json:"domains,omitempty"`
	PublicIPs        *[]string `json:"public_ips,omitempty"`
	OS               *[]string `json:"os,omitempty"`
	Services         *[]string `json:"services,omitempty"`
	SecurityMeasures *string   `json:"security_measures,omitempty"`
	Purpose          *string   `json:"purpose,omitempty"`
	DetectedAt       *string   `json:"detected_at,omitempty"`
	Owner            *string   `json:"owner,omitempty"`
	Resolution       *string   `json:"resolution,omitempty"`
	Lessons          *string   `json:"lessons,omitempty"`
	SupportFrom      *string   `json:"support_from,omitempty"`
	VNCERTHelp       *bool     `json:"vncert_help,omitempty"`
	DamageVND        *int64    `json:"damage_vnd,omitempty"`
}

func textField(field, s string, max int) (string, error) {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	if utf8.RuneCountInString(s) > max {
		return "", errs.Invalid(field, "must be at most %d characters", max)
	}
	return s, nil
}

// lines splits entries (each may hold several lines or comma-separated
// values) into distinct trimmed values.
func lines(field string, in []string, comma bool) ([]string, error) {
	var out []string
	for _, v := range in {
		for _, l := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' || (comma && (r == ',' || r == ';')) }) {
			l = strings.TrimSpace(strings.ToValidUTF8(l, "\uFFFD"))
			if l == "" || slices.Contains(out, l) {
				continue
			}
			if utf8.RuneCountInString(l) > maxShort {
				return nil, errs.Invalid(field, "must be at most %d characters", maxShort)
			}
			out = append(out, l)
		}
	}
	if len(out) > maxList {
		return nil, errs.Invalid(field, "list at most %d values", maxList)
	}
	return out, nil
}

func checkCategory(c string) (string, error) {
	c = strings.ToLower(strings.TrimSpace(c))
	if !slices.Contains(Categories, c) {
		return "", errs.Invalid("category", "must be one of %s", strings.Join(Categories, ", "))
	}
	return c, nil
}

func checkSeverity(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		s = "medium"
	}
	if !slices.Contains(Severities, s) {
		return "", errs.Invalid("severity", "must be one of %s", strings.Join(Severities, ", "))
	}
	return s, nil
}

func checkLevel(n int) error {
	if n < 0 || n > 5 {
		return errs.Invalid("security_level", "must be a level from 1 to 5 (0: unknown)")
	}
	return nil
}

// ParseTime reads a date and time in Vietnam: "dd/mm/yyyy hh:mm",
// "yyyy-mm-dd hh:mm", a date alone (its start), or RFC 3339.
func ParseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"02/01/2006 15:04", "2/1/2006 15:04", "2006-01-02 15:04", "2006-01-02T15:04", "02/01/2006", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, i18n.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errs.Invalid(field, "%q is not a date and time: write it as dd/mm/yyyy hh:mm (31/12/2026 08:30)", s)
}

// querier is what DB and Tx offer.
type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

type unitRef struct {
	id   int64
	code string
	path string
}

func (s *Service) unitByCode(ctx context.Context, q querier, code string) (unitRef, error) {
	u := unitRef{code: strings.TrimSpace(code)}
	err := q.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, u.code).Scan(&u.id, &u.path)
	if store.IsNoRows(err) {
		return u, errs.Invalid("units", "no unit has the code %q", u.code)
	}
	if err != nil {
		return u, fmt.Errorf("incident: unit %s: %w", u.code, err)
	}
	return u, nil
}

type userRef struct {
	id          int64
	email, name string
}

func (s *Service) userByEmail(ctx context.Context, q querier, field, email string) (userRef, error) {
	u := userRef{email: strings.ToLower(strings.TrimSpace(email))}
	var disabled bool
	err := q.QueryRow(ctx, `SELECT id, name, disabled FROM users WHERE LOWER(email) = ?`, u.email).Scan(&u.id, &u.name, &disabled)
	if store.IsNoRows(err) || (err == nil && disabled) {
		return u, errs.Invalid(field, "no active user has the e-mail %q", u.email)
	}
	if err != nil {
		return u, fmt.Errorf("incident: user %s: %w", u.email, err)
	}
	return u, nil
}

// canOpen reports whether the caller may open a case for the unit at path.
func canOpen(p *auth.Principal, path string) bool {
	return p.Via != "agent" && (p.Role == auth.RoleAnalyst || p.CanWrite(path))
}

// Create opens a case and audits it.
func (s *Service) Create(ctx context.Context, in Input) (*Case, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Via == "agent" || p.Role == auth.RoleViewer {
		return nil, errs.Forbidden("you may not open incident cases")
	}
	var id int64
	for attempt := 0; ; attempt++ {
		err = s.DB.InTx(ctx, func(tx *store.Tx) error {
			var err error
			id, err = s.create(ctx, tx, p, in)
			return err
		})
		if err == nil || attempt >= 4 || !store.IsUniqueViolation(err) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

type alertRow struct {
	id        int64
	title     string
	host      string
	hostID    int64
	unit      unitRef
	firstSeen time.Time
}

func (s *Service) create(ctx context.Context, tx *store.Tx, p *auth.Principal, in Input) (int64, error) {
	title, err := textField("title", in.Title, maxTitle)
	if err != nil {
		return 0, err
	}
	if title == "" {
		return 0, errs.Invalid("title", "is required")
	}
	desc, err := textField("description", in.Description, maxText)
	if err != nil {
		return 0, err
	}
	cat, err := checkCategory(in.Category)
	if err != nil {
		return 0, err
	}
	sev, err := checkSeverity(in.Severity)
	if err != nil {
		return 0, err
	}
	if err := checkLevel(in.SecurityLevel); err != nil {
		return 0, err
	}
	system, err := textField("system_name", in.SystemName, maxShort)
	if err != nil {
		return 0, err
	}
	hosts, err := lines("hosts", in.Hosts, true)
	if err != nil {
		return 0, err
	}
	if len(in.Alerts) > maxAlerts {
		return 0, errs.Invalid("alerts", "link at most %d alerts at once", maxAlerts)
	}
	// The alerts, each in the caller's scope.
	var alertRows []alertRow
	for _, aid := range in.Alerts {
		if slices.ContainsFunc(alertRows, func(a alertRow) bool { return a.id == aid }) {
			continue
		}
		a, err := s.alert(ctx, tx, p, aid)
		if err != nil {
			return 0, err
		}
		alertRows = append(alertRows, a)
	}
	// The units: as given, else the alerts', else the caller's.
	var units []unitRef
	addUnit := func(u unitRef) {
		if !slices.ContainsFunc(units, func(x unitRef) bool { return x.id == u.id }) {
			units = append(units, u)
		}
	}
	codes, err := lines("units", in.Units, true)
	if err != nil {
		return 0, err
	}
	if len(codes) > maxUnitsCase {
		return 0, errs.Invalid("units", "choose at most %d units", maxUnitsCase)
	}
	for _, c := range codes {
		u, err := s.unitByCode(ctx, tx, c)
		if err != nil {
			return 0, err
		}
		addUnit(u)
	}
	for _, a := range alertRows {
		addUnit(a.unit)
		if a.host != "" && !slices.Contains(hosts, a.host) {
			hosts = append(hosts, a.host)
		}
	}
	if len(units) == 0 {
		if p.UnitID == 0 {
			return 0, errs.Invalid("units", "choose the unit the incident belongs to")
		}
		units = append(units, unitRef{id: p.UnitID, code: p.UnitCode, path: p.UnitPath})
	}
	if !canOpen(p, units[0].path) {
		return 0, errs.Forbidden("you may not open incident cases for unit %s", units[0].code)
	}
	if p.Role == auth.RoleOfficer {
		for _, u := range units {
			if !p.CanWrite(u.path) {
				return 0, errs.Forbidden("you may not open incident cases for unit %s", u.code)
			}
		}
	}
	now := s.now()
	detected := now
	for _, a := range alertRows {
		if a.firstSeen.Before(detected) {
			detected = a.firstSeen
		}
	}
	if strings.TrimSpace(in.DetectedAt) != "" {
		if detected, err = ParseTime("detected_at", in.DetectedAt); err != nil {
			return 0, err
		}
	}
	if detected.After(now.Add(5 * time.Minute)) {
		return 0, errs.Invalid("detected_at", "the time of discovery cannot be in the future")
	}
	owner := userRef{id: p.UserID, email: p.Email, name: p.Name}
	if strings.TrimSpace(in.Owner) != "" {
		if owner, err = s.userByEmail(ctx, tx, "owner", in.Owner); err != nil {
			return 0, err
		}
	}
	source := in.Source
	if source == "" {
		source = "manual"
		if len(alertRows) > 0 {
			source = "alert"
		}
	}
	obs := make([]ObservableInput, 0, len(in.Observables))
	for _, o := range in.Observables {
		k, v, err := normalizeObservable(o.Kind, o.Value)
		if err != nil {
			return 0, err
		}
		obs = append(obs, ObservableInput{Kind: k, Value: v, Note: o.Note})
	}

	year := now.In(i18n.Location).Year()
	if tx.Dialect() == store.Postgres {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7326024)`); err != nil {
			return 0, fmt.Errorf("incident: number lock: %w", err)
		}
	}
	var seq int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(ref_seq), 0) FROM incidents WHERE ref_year = ?`, year).Scan(&seq); err != nil {
		return 0, fmt.Errorf("incident: next number: %w", err)
	}
	seq++
	ref := fmt.Sprintf("%s-%d-%04d", RefPrefix, year, seq)
	var seriousAt int64
	if in.Serious {
		seriousAt = store.Micros(now)
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO incidents (ref, ref_year, ref_seq, title, description, category, severity, severity_rank, unit_id, system_name,
		security_level, personal_data, serious, serious_at, status, status_since, status_by, owner_id, source, detected_at, opened_at, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		ref, year, seq, title, desc, cat, sev, severityRank(sev), units[0].id, system, in.SecurityLevel, in.PersonalData, in.Serious, seriousAt,
		store.Micros(now), p.Email, owner.id, source, store.Micros(detected), store.Micros(now), p.Email, store.Micros(now), store.Micros(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("incident: create: %w", err)
	}
	for _, u := range units {
		if _, err := tx.Exec(ctx, `INSERT INTO incident_units (incident_id, unit_id) VALUES (?, ?)`, id, u.id); err != nil {
			return 0, fmt.Errorf("incident: units: %w", err)
		}
	}
	if err := s.setHosts(ctx, tx, id, hosts, alertRows); err != nil {
		return 0, err
	}
	if err := s.event(ctx, tx, id, now, p.Email, "status", StatusNew, 0); err != nil {
		return 0, err
	}
	for _, a := range alertRows {
		if err := s.linkAlert(ctx, tx, id, a, p.Email, now); err != nil {
			return 0, err
		}
	}
	for _, o := range obs {
		if _, err := s.addObservable(ctx, tx, id, o, p.Email, now); err != nil {
			return 0, err
		}
	}
	if note := strings.TrimSpace(in.Note); note != "" {
		if err := s.event(ctx, tx, id, now, p.Email, "note", i18n.Clip(note, maxNote), 0); err != nil {
			return 0, err
		}
	}
	unitCodes := make([]string, len(units))
	for i, u := range units {
		unitCodes[i] = u.code
	}
	alertIDs := make([]int64, len(alertRows))
	for i, a := range alertRows {
		alertIDs[i] = a.id
	}
	return id, audit.Append(ctx, tx, audit.Entry{Action: "incident.create", ObjectType: ObjectType, ObjectID: strconv.FormatInt(id, 10), UnitID: units[0].id,
		After: map[string]any{"ref": ref, "title": title, "category": cat, "severity": sev, "units": unitCodes, "alerts": alertIDs, "owner": owner.email,
			"personal_data": in.PersonalData, "serious": in.Serious, "security_level": in.SecurityLevel, "source": source}})
}

// alert reads an alert the caller may read.
func (s *Service) alert(ctx context.Context, q querier, p *auth.Principal, id int64) (alertRow, error) {
	var a alertRow
	var first int64
	err := q.QueryRow(ctx, `SELECT a.id, a.rule_title, a.host, a.host_id, a.first_seen, u.id, u.code, u.path FROM alerts a JOIN units u ON u.id = a.unit_id WHERE a.id = ?`, id).
		Scan(&a.id, &a.title, &a.host, &a.hostID, &first, &a.unit.id, &a.unit.code, &a.unit.path)
	if err != nil && !store.IsNoRows(err) {
		return a, fmt.Errorf("incident: alert %d: %w", id, err)
	}
	if err != nil || !p.CanRead(a.unit.path) {
		return a, errs.Invalid("alerts", "no alert %d in your units", id)
	}
	a.firstSeen = store.Time(first)
	return a, nil
}

func (s *Service) setHosts(ctx context.Context, tx *store.Tx, id int64, hosts []string, alerts []alertRow) error {
	for _, h := range hosts {
		var hid int64
		for _, a := range alerts {
			if a.host == h {
				hid = a.hostID
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO incident_hosts (incident_id, host, host_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, id, h, hid); err != nil {
			return fmt.Errorf("incident: hosts: %w", err)
		}
	}
	return nil
}

func (s *Service) linkAlert(ctx context.Context, tx *store.Tx, id int64, a alertRow, who string, now time.Time) error {
	res, err := tx.Exec(ctx, `INSERT INTO incident_alerts (incident_id, alert_id, added_by, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		id, a.id, who, store.Micros(now))
	if err != nil {
		return fmt.Errorf("incident: link alert: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	text := a.title
	if a.host != "" {
		text += " — " + a.host
	}
	return s.event(ctx, tx, id, a.firstSeen, who, "alert", i18n.Clip(text, maxShort), a.id)
}

// event adds a timeline entry.
func (s *Service) event(ctx context.Context, tx *store.Tx, id int64, at time.Time, who, kind, text string, ref int64) error {
	if _, err := tx.Exec(ctx, `INSERT INTO incident_events (incident_id, at, who, kind, text, ref_id) VALUES (?, ?, ?, ?, ?, ?)`,
		id, store.Micros(at), who, kind, text, ref); err != nil {
		return fmt.Errorf("incident: timeline: %w", err)
	}
	return nil
}

const columns = `i.id, i.ref, i.title, i.description, i.category, i.severity, i.status, i.status_since, i.status_by,
	ou.code, ou.name, ou.id, ou.path, i.system_name, i.security_level, i.personal_data, i.serious, i.serious_at,
	i.domains, i.public_ips, i.os, i.services, i.security_measures, i.purpose,
	COALESCE(ow.email, ''), COALESCE(ow.name, ''), i.owner_id, i.source,
	i.detected_at, i.opened_at, i.acked_at, i.contained_at, i.closed_at, i.initial_sent_at, i.final_sent_at, i.pd_notified_at,
	i.resolution, i.lessons, i.support_from, i.vncert_help, i.damage_vnd, i.reminded, i.created_by, i.created_at, i.updated_at`

const caseFrom = ` FROM incidents i JOIN units ou ON ou.id = i.unit_id LEFT JOIN users ow ON ow.id = i.owner_id`

func split(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

func scanCase(sc store.Scanner) (*Case, error) {
	var c Case
	var since, seriousAt, detected, opened, acked, contained, closed, isent, fsent, pd, created, updated int64
	var domains, ips, oss, services string
	if err := sc.Scan(&c.ID, &c.Ref, &c.Title, &c.Description, &c.Category, &c.Severity, &c.Status, &since, &c.StatusBy,
		&c.Unit, &c.UnitName, &c.UnitID, &c.unitPath, &c.SystemName, &c.SecurityLevel, &c.PersonalData, &c.Serious, &seriousAt,
		&domains, &ips, &oss, &services, &c.SecurityMeasures, &c.Purpose,
		&c.Owner, &c.OwnerName, &c.OwnerID, &c.Source,
		&detected, &opened, &acked, &contained, &closed, &isent, &fsent, &pd,
		&c.Resolution, &c.Lessons, &c.SupportFrom, &c.VNCERTHelp, &c.DamageVND, &c.reminded, &c.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	c.Domains, c.PublicIPs, c.OS, c.Services = split(domains, "\n"), split(ips, "\n"), split(oss, "\n"), split(services, "\n")
	t := func(v int64) time.Time {
		if v == 0 {
			return time.Time{}
		}
		return store.Time(v)
	}
	c.StatusSince, c.seriousAt, c.DetectedAt, c.OpenedAt = t(since), t(seriousAt), t(detected), t(opened)
	c.AckedAt, c.ContainedAt, c.ClosedAt = t(acked), t(contained), t(closed)
	c.InitialSentAt, c.FinalSentAt, c.PDNotifiedAt = t(isent), t(fsent), t(pd)
	c.CreatedAt, c.UpdatedAt = t(created), t(updated)
	c.Units = []string{}
	return &c, nil
}

// load reads a case without a scope check.
func (s *Service) load(ctx context.Context, q querier, id int64) (*Case, error) {
	c, err := scanCase(q.QueryRow(ctx, `SELECT `+columns+caseFrom+` WHERE i.id = ?`, id))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("incident " + strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("incident: load %d: %w", id, err)
	}
	return c, nil
}

// unitPaths are the paths of a case's units.
func (s *Service) unitPaths(ctx context.Context, q querier, id int64) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT u.path FROM incident_units iu JOIN units u ON u.id = iu.unit_id WHERE iu.incident_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: units: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s *Service) isParticipant(ctx context.Context, q querier, id, userID int64) (bool, error) {
	if userID == 0 {
		return false, nil
	}
	var n int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM incident_participants WHERE incident_id = ? AND user_id = ?`, id, userID).Scan(&n); err != nil {
		return false, fmt.Errorf("incident: participants: %w", err)
	}
	return n > 0, nil
}

// access is what the caller may do with a case.
type access struct{ read, work bool }

func (s *Service) access(ctx context.Context, q querier, p *auth.Principal, c *Case) (access, error) {
	var a access
	if p.Via == "agent" {
		return a, nil
	}
	paths, err := s.unitPaths(ctx, q, c.ID)
	if err != nil {
		return a, err
	}
	for _, path := range paths {
		if p.CanRead(path) {
			a.read = true
		}
		if p.CanWrite(path) {
			a.work = true
		}
	}
	if p.SeesAllUnits() {
		a.read = true
	}
	if p.Role == auth.RoleAnalyst || p.Role == auth.RoleAdmin {
		a.work = true
	}
	member := p.UserID != 0 && c.OwnerID == p.UserID
	if !member {
		if member, err = s.isParticipant(ctx, q, c.ID, p.UserID); err != nil {
			return a, err
		}
	}
	if member {
		a.read = true
		if p.Role != auth.RoleViewer {
			a.work = true
		}
	}
	return a, nil
}

// readable loads a case the caller may read.
func (s *Service) readable(ctx context.Context, q querier, p *auth.Principal, id int64) (*Case, access, error) {
	c, err := s.load(ctx, q, id)
	if err != nil {
		return nil, access{}, err
	}
	a, err := s.access(ctx, q, p, c)
	if err != nil {
		return nil, a, err
	}
	if !a.read {
		return nil, a, errs.NotFound("incident " + strconv.FormatInt(id, 10))
	}
	c.CanWork = a.work
	return c, a, nil
}

// workable loads a case the caller may work.
func (s *Service) workable(ctx context.Context, q querier, p *auth.Principal, id int64) (*Case, error) {
	c, a, err := s.readable(ctx, q, p, id)
	if err != nil {
		return nil, err
	}
	if !a.work {
		return nil, errs.Forbidden("you may read incident %s but not work it", c.Ref)
	}
	return c, nil
}

// Get returns a case the caller may read, with its units, hosts,
// participants, alerts and clocks.
func (s *Service) Get(ctx context.Context, id int64) (*Case, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, _, err := s.readable(ctx, s.DB, p, id)
	if err != nil {
		return nil, err
	}
	if err := s.fill(ctx, []*Case{c}, true); err != nil {
		return nil, err
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	c.Clocks = set.Clocks(c, s.now())
	return c, nil
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// fill adds the units (and with full the hosts, participants and
// alerts) and the report due time of cases.
func (s *Service) fill(ctx context.Context, cs []*Case, full bool) error {
	if len(cs) == 0 {
		return nil
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return err
	}
	byID := map[int64]*Case{}
	ids := make([]any, 0, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
		ids = append(ids, c.ID)
		c.ReportDueAt = set.ReportDue(c)
	}
	in := placeholders(len(ids))
	each := func(q string, fn func(c *Case, rows *sql.Rows) error) error {
		rows, err := s.DB.Query(ctx, q, ids...)
		if err != nil {
			return fmt.Errorf("incident: fill: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := fn(nil, rows); err != nil {
				return err
			}
			_ = id
		}
		return rows.Err()
	}
	if err := each(`SELECT iu.incident_id, u.code, u.id FROM incident_units iu JOIN units u ON u.id = iu.unit_id WHERE iu.incident_id IN (`+in+`) ORDER BY u.path`,
		func(_ *Case, rows *sql.Rows) error {
			var id, uid int64
			var code string
			if err := rows.Scan(&id, &code, &uid); err != nil {
				return err
			}
			if c := byID[id]; c != nil {
				if uid == c.UnitID {
					c.Units = append([]string{code}, c.Units...)
				} else {
					c.Units = append(c.Units, code)
				}
			}
			return nil
		}); err != nil {
		return err
	}
	if !full {
		return nil
	}
	if err := each(`SELECT incident_id, host FROM incident_hosts WHERE incident_id IN (`+in+`) ORDER BY host`, func(_ *Case, rows *sql.Rows) error {
		var id int64
		var h string
		if err := rows.Scan(&id, &h); err != nil {
			return err
		}
		if c := byID[id]; c != nil {
			c.Hosts = append(c.Hosts, h)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := each(`SELECT ip.incident_id, us.email, us.name, u.code FROM incident_participants ip JOIN users us ON us.id = ip.user_id JOIN units u ON u.id = us.unit_id
		WHERE ip.incident_id IN (`+in+`) ORDER BY us.name`, func(_ *Case, rows *sql.Rows) error {
		var id int64
		var pt Participant
		if err := rows.Scan(&id, &pt.Email, &pt.Name, &pt.Unit); err != nil {
			return err
		}
		if c := byID[id]; c != nil {
			c.Participants = append(c.Participants, pt)
		}
		return nil
	}); err != nil {
		return err
	}
	return each(`SELECT incident_id, alert_id FROM incident_alerts WHERE incident_id IN (`+in+`) ORDER BY alert_id`, func(_ *Case, rows *sql.Rows) error {
		var id, aid int64
		if err := rows.Scan(&id, &aid); err != nil {
			return err
		}
		if c := byID[id]; c != nil {
			c.Alerts = append(c.Alerts, aid)
		}
		return nil
	})
}

// CanOpen reports whether the caller may open cases at all (pages show
// the button).
func (s *Service) CanOpen(ctx context.Context) bool {
	p := auth.FromContext(ctx)
	return p != nil && p.Via != "agent" && (p.Role == auth.RoleAdmin || p.Role == auth.RoleAnalyst || p.Role == auth.RoleOfficer)
}

// CasesOfAlert lists the cases (id, ref) an alert is linked to, in the
// caller's scope (the alert page links them).
func (s *Service) CasesOfAlert(ctx context.Context, alertID int64) ([]*Case, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT incident_id FROM incident_alerts WHERE alert_id = ? ORDER BY incident_id`, alertID)
	if err != nil {
		return nil, fmt.Errorf("incident: cases of alert: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []*Case
	for _, id := range ids {
		c, _, err := s.readable(ctx, s.DB, p, id)
		if errs.Code(err) == errs.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
