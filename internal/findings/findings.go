// Package findings is the one queue of things to fix on a unit's hosts.
//
// Every capability that finds something wrong with a host feeds it here as
// an Observation of a Kind — a malware hit from a scan, a missing update
// from the inventory, a vulnerability from a scanner report, a match
// against the IT Center's warning list — and the officer works them all the
// same way: one lifecycle (open → in progress → resolved, or accepted risk,
// or false positive), an owner, a due date set from the severity, a note
// that says what was done, and every change in the audit log.
//
// A finding is identified by (host, kind, key): the same problem reported
// again updates its last sighting instead of adding a row, and a resolved
// finding seen again is reopened. Feeders call Record inside their own
// transaction, so a finding and the report that produced it land together.
package findings

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Kinds of findings.
const (
	KindMalware       = "malware"        // a scan matched a file, process or connection
	KindMissingUpdate = "missing_update" // an update the host lacks
	KindVulnerability = "vulnerability"  // a CVE on the host (scanner or inventory match)
	KindWarningList   = "warning_list"   // the host is on, or talked to something on, a warning list
)

// Kinds lists every kind, in display order.
var Kinds = []string{KindMalware, KindVulnerability, KindMissingUpdate, KindWarningList}

// Severities, most severe first.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
)

// Severities lists the severities, most severe first.
var Severities = []string{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow}

// Statuses of the lifecycle.
const (
	StatusOpen          = "open"
	StatusInProgress    = "in_progress"
	StatusResolved      = "resolved"       // fixed: removed, patched, reimaged...
	StatusAcceptedRisk  = "accepted_risk"  // known and tolerated, with a reason
	StatusFalsePositive = "false_positive" // not a problem after all
)

// Statuses lists every status; Active are those still to be worked.
var (
	Statuses = []string{StatusOpen, StatusInProgress, StatusResolved, StatusAcceptedRisk, StatusFalsePositive}
	Active   = []string{StatusOpen, StatusInProgress}
)

// DueIn is how long a unit has to fix a finding of each severity, counted
// from when it is first seen (or reopened). The directive asks for the
// holiday's exposure to be closed fast; these follow common practice
// (CISA BOD 22-01 gives two weeks for known-exploited flaws).
var DueIn = map[string]time.Duration{
	SeverityCritical: 3 * 24 * time.Hour,
	SeverityHigh:     7 * 24 * time.Hour,
	SeverityMedium:   30 * 24 * time.Hour,
	SeverityLow:      90 * 24 * time.Hour,
}

// Finding is one thing to fix on one host.
type Finding struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	Key      string `json:"key"`
	HostID   int64  `json:"host_id"`
	Hostname string `json:"hostname"`
	Unit     string `json:"unit"`
	UnitName string `json:"unit_name"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	// Evidence is the kind's own record of what was seen (for malware: the
	// indicator, path, hash, process, connection, scan task).
	Evidence    json.RawMessage `json:"evidence"`
	Source      string          `json:"source"`
	Status      string          `json:"status"`
	StatusSince time.Time       `json:"status_since"`
	Owner       string          `json:"owner,omitempty"` // e-mail of the person working it
	OwnerName   string          `json:"owner_name,omitempty"`
	DueAt       time.Time       `json:"due_at,omitzero"`
	Overdue     bool            `json:"overdue"`
	FirstSeen   time.Time       `json:"first_seen"`
	LastSeen    time.Time       `json:"last_seen"`
	TimesSeen   int             `json:"times_seen"`
	Reopened    int             `json:"reopened"`
	Note        string          `json:"note,omitempty"`
	UpdatedBy   string          `json:"updated_by,omitempty"`
	UpdatedAt   time.Time       `json:"updated_at"`
	// Vulnerability facts (kinds vulnerability and missing_update; zero
	// otherwise): Host repeats Hostname under the name the API
	// gives it; KEVDue is CISA's federal due date, shown beside Vigil's.
	Host     string    `json:"host"`
	CVE      string    `json:"cve"`
	CVSS     float64   `json:"cvss"`
	EPSS     float64   `json:"epss"`
	KEV      bool      `json:"kev"`
	KEVDue   time.Time `json:"kev_due,omitzero"`
	Port     string    `json:"port,omitempty"`
	Priority int       `json:"priority"`
	// An accepted risk's approver (e-mail and name) and the day it ends;
	// then the finding reopens.
	RiskApprover     string    `json:"risk_approver,omitempty"`
	RiskApproverName string    `json:"risk_approver_name,omitempty"`
	RiskExpires      time.Time `json:"risk_expires,omitzero"`

	unitID         int64
	unitPath       string
	ownerID        int64
	riskApproverID int64
}

// UnitPath is the materialised path of the finding's unit, for scope checks.
func (f *Finding) UnitPath() string { return f.unitPath }

// IsActive reports whether the finding is still to be worked.
func IsActive(status string) bool { return status == StatusOpen || status == StatusInProgress }

// Service is the findings queue.
type Service struct {
	DB  *store.DB
	Now func() time.Time // for tests; time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Observation is one sighting of a finding, as a feeder reports it.
type Observation struct {
	HostID   int64
	Kind     string
	Key      string // identifies the same problem across reports on the host
	Title    string
	Severity string
	Evidence any    // marshalled to JSON
	Source   string // what reported it ("scan task …", "inventory", "import nessus.xml")
	SeenAt   time.Time
	// Vulnerability facts (kinds vulnerability and missing_update): the CVE
	// (the most severe one for an update fixing several), its CVSS base
	// score, EPSS probability (0..1), whether CISA's KEV lists it and the
	// due date it gives, and the port a scanner saw it on. Zero when not
	// known.
	CVE    string
	CVSS   float64
	EPSS   float64
	KEV    bool
	KEVDue time.Time
	Port   string
}

// Outcome says what Record did with an observation.
type Outcome int

const (
	Created    Outcome = iota + 1 // a new finding
	Updated                       // an active finding seen again
	Reopened                      // a resolved finding seen again: open once more
	Suppressed                    // seen again but marked accepted risk or false positive
)

func (o Observation) validate() error {
	switch {
	case !slices.Contains(Kinds, o.Kind):
		return fmt.Errorf("findings: unknown kind %q", o.Kind)
	case !slices.Contains(Severities, o.Severity):
		return fmt.Errorf("findings: unknown severity %q", o.Severity)
	case o.HostID <= 0:
		return fmt.Errorf("findings: observation without a host")
	case strings.TrimSpace(o.Key) == "":
		return fmt.Errorf("findings: observation without a key")
	}
	return nil
}

// Record files an observation inside the feeder's transaction: a new
// finding, or a new sighting of a known one (a resolved one reopens; one
// accepted or marked a false positive stays so). Reopening is audited as
// the system's doing.
func Record(ctx context.Context, tx *store.Tx, o Observation) (int64, Outcome, error) {
	if err := o.validate(); err != nil {
		return 0, 0, err
	}
	if o.SeenAt.IsZero() {
		o.SeenAt = time.Now()
	}
	evidence := []byte("{}")
	if o.Evidence != nil {
		var err error
		if evidence, err = json.Marshal(o.Evidence); err != nil {
			return 0, 0, fmt.Errorf("findings: evidence: %w", err)
		}
	}
	seen := store.Micros(o.SeenAt)
	key, title, source := i18n.Clip(o.Key, 1000), i18n.Clip(o.Title, 500), i18n.Clip(o.Source, 200)
	// One query reads the due days, the host's exposure and the finding
	// if it exists: feeders record thousands at a time.
	st, err := loadRecordState(ctx, tx, o, key)
	if err != nil {
		return 0, 0, err
	}
	due := seen + int64(st.days)*24*time.Hour.Microseconds()
	priority := Priority(PriorityFacts{Kind: o.Kind, Severity: o.Severity, CVSS: o.CVSS, EPSS: o.EPSS, KEV: o.KEV,
		Exposed: exposed(st.x, o.Kind, o.Port, o.Title+" "+productOfObservation(o.Evidence, evidence)), Internet: st.x.Internet, Server: st.x.Server})
	var kevDue int64
	if !o.KEVDue.IsZero() {
		kevDue = store.Micros(o.KEVDue)
	}
	cve, port := i18n.Clip(o.CVE, 40), i18n.Clip(o.Port, 40)

	id, status := st.id, st.status
	if id == 0 {
		err = sql.ErrNoRows
	}
	switch {
	case store.IsNoRows(err):
		err = tx.QueryRow(ctx, `INSERT INTO findings (host_id, kind, finding_key, title, severity, evidence, source, status, status_since, due_at, first_seen, last_seen, updated_at,
			cve, cvss, epss, kev, kev_due, port, priority)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			o.HostID, o.Kind, key, title, o.Severity, string(evidence), source, seen, due, seen, seen, seen,
			cve, o.CVSS, o.EPSS, o.KEV, kevDue, port, priority).Scan(&id)
		if err != nil {
			return 0, 0, fmt.Errorf("findings: record: %w", err)
		}
		return id, Created, nil
	case err != nil:
		return 0, 0, fmt.Errorf("findings: record: %w", err)
	}
	switch status {
	case StatusResolved:
		if _, err := tx.Exec(ctx, `UPDATE findings SET status = 'open', status_since = ?, due_at = ?, reopened = reopened + 1, times_seen = times_seen + 1,
			last_seen = ?, title = ?, severity = ?, evidence = ?, source = ?, updated_by = 'system', updated_at = ?,
			cve = ?, cvss = ?, epss = ?, kev = ?, kev_due = ?, port = ?, priority = ? WHERE id = ?`,
			seen, due, seen, title, o.Severity, string(evidence), source, seen, cve, o.CVSS, o.EPSS, o.KEV, kevDue, port, priority, id); err != nil {
			return 0, 0, fmt.Errorf("findings: reopen: %w", err)
		}
		var unitID int64
		if err := tx.QueryRow(ctx, `SELECT unit_id FROM hosts WHERE id = ?`, o.HostID).Scan(&unitID); err != nil {
			return 0, 0, fmt.Errorf("findings: reopen: %w", err)
		}
		actx := auth.WithPrincipal(ctx, auth.System)
		if err := audit.Append(actx, tx, audit.Entry{Action: "finding.reopen", ObjectType: "finding", ObjectID: strconv.FormatInt(id, 10), UnitID: unitID,
			Before: map[string]any{"status": status}, After: map[string]any{"status": StatusOpen, "source": source}}); err != nil {
			return 0, 0, err
		}
		return id, Reopened, nil
	case StatusAcceptedRisk, StatusFalsePositive:
		if _, err := tx.Exec(ctx, `UPDATE findings SET times_seen = times_seen + 1, last_seen = ?, priority = ? WHERE id = ?`, seen, priority, id); err != nil {
			return 0, 0, fmt.Errorf("findings: record: %w", err)
		}
		return id, Suppressed, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE findings SET times_seen = times_seen + 1, last_seen = ?, title = ?, severity = ?, evidence = ?, source = ?,
		cve = ?, cvss = ?, epss = ?, kev = ?, kev_due = ?, port = ?, priority = ? WHERE id = ?`,
		seen, title, o.Severity, string(evidence), source, cve, o.CVSS, o.EPSS, o.KEV, kevDue, port, priority, id); err != nil {
		return 0, 0, fmt.Errorf("findings: record: %w", err)
	}
	return id, Updated, nil
}

// Filter selects findings. Empty fields select everything in scope.
type Filter struct {
	Unit       string   // a unit code: that unit and its subtree
	Kinds      []string // any of
	Statuses   []string // any of; "active" stands for open and in progress
	Severities []string // any of
	HostID     int64
	Owner      string // e-mail
	Overdue    bool   // active and past their due date
	CVE        string // findings about this CVE (the finding's CVE, or one a missing update fixes)
	KEV        bool   // only those CISA lists as known exploited
	Source     string // reported by this source ("msrc", "nvd", "import x.nessus")
	Key        string // the finding's key ("kb:5034441")
	// MS2023 selects the Microsoft 2023 high and critical fixes the
	// directive names: missing updates computed from MSRC data, high or
	// critical, released in a 2023 monthly document or fixing a CVE
	// numbered 2023.
	MS2023 bool
	Sort   string // a key of Sorts; "" is newest first
	Desc   bool
	Offset int // rows skipped (pages by position)
	Limit  int
}

// Sorts are the columns a list of findings sorts by.
var Sorts = map[string]string{
	"severity":   "CASE f.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END",
	"due":        "CASE WHEN f.due_at = 0 THEN 9223372036854775807 ELSE f.due_at END",
	"host":       "h.hostname_key",
	"unit":       "u.code",
	"kind":       "f.kind",
	"status":     "f.status",
	"first_seen": "f.first_seen",
	"last_seen":  "f.last_seen",
	"title":      "f.title",
	"priority":   "f.priority",
	"cvss":       "f.cvss",
	"epss":       "f.epss",
	"cve":        "f.cve",
}

// SortKeys lists the keys of Sorts, for messages and the API document.
var SortKeys = []string{"severity", "due", "host", "unit", "kind", "status", "first_seen", "last_seen", "title", "priority", "cvss", "epss", "cve"}

const columns = `f.id, f.kind, f.finding_key, f.host_id, h.hostname, u.id, u.code, u.name, u.path, f.title, f.severity, f.evidence, f.source,
	f.status, f.status_since, f.owner_id, COALESCE(o.email, ''), COALESCE(o.name, ''), f.due_at, f.first_seen, f.last_seen, f.times_seen, f.reopened,
	f.note, f.updated_by, f.updated_at, f.cve, f.cvss, f.epss, f.kev, f.kev_due, f.port, f.priority,
	f.risk_approver_id, COALESCE(ra.email, ''), COALESCE(ra.name, ''), f.risk_expires_at`

const from = ` FROM findings f JOIN hosts h ON h.id = f.host_id JOIN units u ON u.id = h.unit_id LEFT JOIN users o ON o.id = f.owner_id LEFT JOIN users ra ON ra.id = f.risk_approver_id`

func (s *Service) scan(sc interface{ Scan(...any) error }) (*Finding, error) {
	var f Finding
	var evidence string
	var since, due, first, last, updated, kevDue, riskExpires int64
	if err := sc.Scan(&f.ID, &f.Kind, &f.Key, &f.HostID, &f.Hostname, &f.unitID, &f.Unit, &f.UnitName, &f.unitPath, &f.Title, &f.Severity, &evidence, &f.Source,
		&f.Status, &since, &f.ownerID, &f.Owner, &f.OwnerName, &due, &first, &last, &f.TimesSeen, &f.Reopened, &f.Note, &f.UpdatedBy, &updated,
		&f.CVE, &f.CVSS, &f.EPSS, &f.KEV, &kevDue, &f.Port, &f.Priority, &f.riskApproverID, &f.RiskApprover, &f.RiskApproverName, &riskExpires); err != nil {
		return nil, err
	}
	f.Host = f.Hostname
	if kevDue > 0 {
		f.KEVDue = store.Time(kevDue)
	}
	if riskExpires > 0 {
		f.RiskExpires = store.Time(riskExpires)
	}
	f.Evidence = json.RawMessage(evidence)
	f.StatusSince, f.FirstSeen, f.LastSeen, f.UpdatedAt = store.Time(since), store.Time(first), store.Time(last), store.Time(updated)
	if due > 0 {
		f.DueAt = store.Time(due)
		f.Overdue = IsActive(f.Status) && s.now().After(f.DueAt)
	}
	return &f, nil
}

// expand validates a list filter value against the allowed values.
func expand(field string, in []string, allowed []string) ([]string, error) {
	var out []string
	for _, v := range in {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			switch {
			case part == "":
			case field == "status" && part == "active":
				out = append(out, Active...)
			case slices.Contains(allowed, part):
				out = append(out, part)
			default:
				return nil, errs.Invalid(field, "%q is not one of %s", part, strings.Join(allowed, ", "))
			}
		}
	}
	return out, nil
}

// in returns "column IN (?, ...)" and its arguments.
func in(column string, values []string) (string, []any) {
	marks := make([]string, len(values))
	args := make([]any, len(values))
	for i, v := range values {
		marks[i], args[i] = "?", v
	}
	return column + " IN (" + strings.Join(marks, ", ") + ")", args
}

// List returns a page of the findings in the caller's scope that match f,
// in f's order (newest first by default), and how many match in all.
func (s *Service) List(ctx context.Context, f Filter) ([]*Finding, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("f.id DESC", f.Limit, 100).Scope(p, "u.path")
	if f.Unit != "" {
		var path string
		err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, f.Unit).Scan(&path)
		if err != nil && !store.IsNoRows(err) {
			return nil, 0, fmt.Errorf("findings: unit: %w", err)
		}
		if err != nil || !p.CanRead(path) {
			return nil, 0, errs.NotFound("unit " + strconv.Quote(f.Unit))
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	for _, c := range []struct {
		field, column string
		values        []string
		allowed       []string
	}{
		{"kind", "f.kind", f.Kinds, Kinds},
		{"status", "f.status", f.Statuses, Statuses},
		{"severity", "f.severity", f.Severities, Severities},
	} {
		vals, err := expand(c.field, c.values, c.allowed)
		if err != nil {
			return nil, 0, err
		}
		if len(vals) > 0 {
			cond, args := in(c.column, vals)
			l.Where(cond, args...)
		}
	}
	if f.HostID != 0 {
		l.Where("f.host_id = ?", f.HostID)
	}
	if f.Owner != "" {
		l.Where("o.email = ?", strings.ToLower(strings.TrimSpace(f.Owner)))
	}
	if f.Overdue {
		l.Where("f.status IN ('open', 'in_progress') AND f.due_at > 0 AND f.due_at < ?", store.Micros(s.now()))
	}
	if c := strings.TrimSpace(f.CVE); c != "" {
		cve, err := ParseCVE(c)
		if err != nil {
			return nil, 0, err
		}
		// A missing update lists the CVEs it fixes in its evidence.
		l.Where(`(f.cve = ? OR (f.kind = 'missing_update' AND f.evidence LIKE ? ESCAPE '\'))`, cve, store.LikeContains(`"`+cve+`"`))
	}
	if f.KEV {
		l.Where("f.kev")
	}
	if f.Source != "" {
		l.Where("f.source = ?", f.Source)
	}
	if f.Key != "" {
		l.Where("f.finding_key = ?", f.Key)
	}
	if f.MS2023 {
		l.Where(MS2023Condition)
	}
	if f.Sort == "" && (f.CVE != "" || f.KEV || f.MS2023) {
		f.Sort, f.Desc = "priority", true
	}
	if f.Sort != "" {
		expr, ok := Sorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(SortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+columns, from, s.scan)
	if err != nil {
		return nil, 0, fmt.Errorf("findings: list: %w", err)
	}
	return out, total, nil
}

// get reads one finding; an absent one and one outside the caller's scope
// are both "not found", a database failure is an error.
func (s *Service) get(ctx context.Context, q interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}, p *auth.Principal, id int64) (*Finding, error) {
	f, err := s.scan(q.QueryRow(ctx, `SELECT `+columns+from+` WHERE f.id = ?`, id))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("finding " + strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("findings: get %d: %w", id, err)
	}
	if !p.CanRead(f.unitPath) {
		return nil, errs.NotFound("finding " + strconv.FormatInt(id, 10))
	}
	return f, nil
}

// Get returns one finding in the caller's scope.
func (s *Service) Get(ctx context.Context, id int64) (*Finding, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, s.DB, p, id)
}

// Update changes what the officer controls. Nil fields are left alone.
type Update struct {
	Status *string `json:"status,omitempty"`
	// Note says what was done; required when a finding is closed
	// (resolved, accepted risk, false positive).
	Note *string `json:"note,omitempty"`
	// Owner is the e-mail of a user who can see the finding's unit; ""
	// leaves it unassigned.
	Owner *string `json:"owner,omitempty"`
	// Due is a date (2026-12-31 or 31/12/2026, the end of that day in
	// Asia/Ho_Chi_Minh); "" removes the due date.
	Due *string `json:"due,omitempty"`
	// Approver and Expires are needed to accept a risk: the e-mail of an
	// officer of the finding's unit or a unit above it (or an
	// administrator) who approved it, and the day the acceptance ends
	// (yyyy-mm-dd or dd/mm/yyyy, at most a year ahead), when the finding
	// reopens. The note gives the reason.
	Approver *string `json:"approver,omitempty"`
	Expires  *string `json:"expires,omitempty"`
}

// MaxRiskDays bounds a risk acceptance: it is looked at again within a
// year.
const MaxRiskDays = 365

// MS2023Condition selects, in a findings query, the Microsoft 2023 high
// and critical fixes: missing updates computed from MSRC data, of severity
// high or critical, released in a 2023 monthly document ("2023-Dec") or
// fixing a CVE numbered 2023 (a later cumulative update that closes 2023
// flaws counts too).
const MS2023Condition = `(f.kind = 'missing_update' AND f.source = 'msrc' AND f.severity IN ('critical', 'high')
	AND (f.evidence LIKE '%"document":"2023-%' OR f.evidence LIKE '%"CVE-2023-%' OR f.cve LIKE 'CVE-2023-%'))`

// ParseCVE checks a CVE id (CVE-2023-21554; lower case accepted) and
// returns it in upper case.
func ParseCVE(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	bad := errs.Invalid("cve", "%q is not a CVE id: write it as CVE-2023-21554", s)
	rest, ok := strings.CutPrefix(c, "CVE-")
	if !ok || len(rest) < 9 || len(c) > 30 || rest[4] != '-' {
		return "", bad
	}
	for i, r := range rest {
		if i != 4 && (r < '0' || r > '9') {
			return "", bad
		}
	}
	return c, nil
}

// ParseDue reads a due date as a day, yyyy-mm-dd or dd/mm/yyyy, and
// returns the last moment of that day in Vietnam.
func ParseDue(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if d, err := time.ParseInLocation(layout, s, i18n.Location); err == nil {
			return d.Add(24*time.Hour - time.Microsecond), nil
		}
	}
	return time.Time{}, errs.Invalid("due", "%q is not a date: write it as dd/mm/yyyy (31/12/2026) or yyyy-mm-dd", s)
}

// Update applies in to the finding, as the caller, and audits the change.
func (s *Service) Update(ctx context.Context, id int64, in Update) (*Finding, error) {
	out, err := s.UpdateMany(ctx, []int64{id}, in)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// UpdateMany applies in to every finding of ids in one transaction: all
// change or, if one cannot (out of scope, a closing without a note), none
// does and the error names that finding.
func (s *Service) UpdateMany(ctx context.Context, ids []int64, in Update) ([]*Finding, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errs.Invalid("ids", "choose at least one finding")
	}
	if len(ids) > 1000 {
		return nil, errs.Invalid("ids", "change at most 1000 findings at once")
	}
	if in.Status == nil && in.Note == nil && in.Owner == nil && in.Due == nil && in.Approver == nil && in.Expires == nil {
		return nil, errs.Invalid("", "nothing to change: give status, note, owner or due")
	}
	if in.Status != nil && !slices.Contains(Statuses, *in.Status) {
		return nil, errs.Invalid("status", "%q is not one of %s", *in.Status, strings.Join(Statuses, ", "))
	}
	if in.Note != nil {
		n := strings.TrimSpace(*in.Note)
		if len(n) > 4000 {
			return nil, errs.Invalid("note", "must be at most 4000 bytes")
		}
		in.Note = &n
	}
	var due time.Time
	if in.Due != nil && strings.TrimSpace(*in.Due) != "" {
		if due, err = ParseDue(*in.Due); err != nil {
			return nil, err
		}
	}
	var risk riskInput
	given := func(p *string) bool { return p != nil && strings.TrimSpace(*p) != "" }
	if (given(in.Approver) || given(in.Expires)) && (in.Status == nil || *in.Status != StatusAcceptedRisk) {
		return nil, errs.Invalid("status", "an approver and an end date go with accepting a risk: choose the status accepted_risk")
	}
	if in.Status != nil && *in.Status == StatusAcceptedRisk {
		if risk, err = s.readRisk(in); err != nil {
			return nil, err
		}
	}
	out := make([]*Finding, 0, len(ids))
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		out = out[:0]
		for _, id := range ids {
			f, err := s.update(ctx, tx, p, id, in, due, risk)
			if err != nil {
				if len(ids) > 1 {
					if e, ok := errs.As(err); ok {
						return errs.New(e.Code, e.Field, "finding %d: %v", id, e)
					}
				}
				return err
			}
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// riskInput is a risk acceptance's approver and end, read once for all
// the findings of a change.
type riskInput struct {
	approver string
	expires  time.Time
}

func (s *Service) readRisk(in Update) (riskInput, error) {
	var r riskInput
	if in.Approver != nil {
		r.approver = strings.ToLower(strings.TrimSpace(*in.Approver))
	}
	if r.approver == "" {
		return r, errs.Invalid("approver", "accepting a risk needs the e-mail of the officer or administrator who approved it")
	}
	if in.Expires == nil || strings.TrimSpace(*in.Expires) == "" {
		return r, errs.Invalid("expires", "accepting a risk needs the day the acceptance ends")
	}
	end, err := ParseDue(*in.Expires)
	if err != nil {
		return r, errs.Invalid("expires", "%q is not a date: write it as dd/mm/yyyy (31/12/2026) or yyyy-mm-dd", *in.Expires)
	}
	now := s.now()
	if !end.After(now) {
		return r, errs.Invalid("expires", "the acceptance must end after today")
	}
	if end.After(now.AddDate(0, 0, MaxRiskDays+1)) {
		return r, errs.Invalid("expires", "a risk is accepted for at most %d days", MaxRiskDays)
	}
	r.expires = end
	return r, nil
}

// approverFor checks that email names an active user who may approve a
// risk on the finding's unit: an administrator, or an officer of that unit
// or of a unit above it.
func approverFor(ctx context.Context, tx *store.Tx, f *Finding, email string) (int64, error) {
	var id int64
	var a auth.Principal
	var disabled bool
	err := tx.QueryRow(ctx, `SELECT us.id, us.role, un.path, us.disabled FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
		Scan(&id, &a.Role, &a.UnitPath, &disabled)
	if err != nil && !store.IsNoRows(err) {
		return 0, fmt.Errorf("findings: approver: %w", err)
	}
	a.Via = "session"
	if err != nil || disabled || !a.CanWrite(f.unitPath) {
		return 0, errs.Invalid("approver", "%q is not an active officer of unit %s or of a unit above it, nor an administrator", email, f.Unit)
	}
	return id, nil
}

func (s *Service) update(ctx context.Context, tx *store.Tx, p *auth.Principal, id int64, in Update, due time.Time, risk riskInput) (*Finding, error) {
	f, err := s.get(ctx, tx, p, id)
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(f.unitPath) {
		return nil, errs.Forbidden("you may not change findings of unit %s", f.Unit)
	}
	before, after := map[string]any{}, map[string]any{}
	now := s.now().UTC()
	status, note, ownerID, dueAt := f.Status, f.Note, f.ownerID, store.Micros(f.DueAt)
	if f.DueAt.IsZero() {
		dueAt = 0
	}
	since := store.Micros(f.StatusSince)
	if in.Status != nil && *in.Status != f.Status {
		before["status"], after["status"] = f.Status, *in.Status
		status, since = *in.Status, store.Micros(now)
	}
	if in.Note != nil && *in.Note != f.Note {
		before["note"], after["note"] = f.Note, *in.Note
		note = *in.Note
	}
	if !IsActive(status) && status != f.Status && strings.TrimSpace(note) == "" {
		return nil, errs.Invalid("note", "say what was done (the evidence that it is fixed, or why it is not a problem)")
	}
	if in.Owner != nil {
		email := strings.ToLower(strings.TrimSpace(*in.Owner))
		var newID int64
		if email != "" {
			var owner auth.Principal
			var disabled bool
			err := tx.QueryRow(ctx, `SELECT us.id, us.role, un.path, us.disabled FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
				Scan(&newID, &owner.Role, &owner.UnitPath, &disabled)
			if err != nil && !store.IsNoRows(err) {
				return nil, fmt.Errorf("findings: owner: %w", err)
			}
			// The owner must be able to see the finding. The answer is
			// the same for an unknown e-mail, so it reveals no account.
			owner.Via = "session"
			if err != nil || disabled || !owner.CanRead(f.unitPath) {
				return nil, errs.Invalid("owner", "%q is not an active user who can see unit %s", email, f.Unit)
			}
		}
		if newID != f.ownerID {
			before["owner"], after["owner"] = f.Owner, email
			ownerID = newID
		}
	}
	if in.Due != nil {
		d := int64(0)
		if !due.IsZero() {
			d = store.Micros(due)
		}
		if d != dueAt {
			before["due"], after["due"] = formatDue(dueAt), formatDue(d)
			dueAt = d
		}
	}
	approverID, riskEnd := f.riskApproverID, store.Micros(f.RiskExpires)
	if f.RiskExpires.IsZero() {
		riskEnd = 0
	}
	switch {
	case status == StatusAcceptedRisk && in.Status != nil && *in.Status == StatusAcceptedRisk:
		aid, err := approverFor(ctx, tx, f, risk.approver)
		if err != nil {
			return nil, err
		}
		if aid != approverID || store.Micros(risk.expires) != riskEnd {
			before["approver"], after["approver"] = f.RiskApprover, risk.approver
			before["expires"], after["expires"] = formatDue(riskEnd), formatDue(store.Micros(risk.expires))
			if _, ok := after["status"]; !ok {
				// Renewed or re-approved: the reason is asked again.
				if in.Note == nil || strings.TrimSpace(*in.Note) == "" {
					return nil, errs.Invalid("note", "say why the risk is accepted")
				}
			}
			approverID, riskEnd = aid, store.Micros(risk.expires)
		}
	case status != StatusAcceptedRisk:
		approverID, riskEnd = 0, 0
	}
	if len(after) == 0 {
		return f, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE findings SET status = ?, status_since = ?, note = ?, owner_id = ?, due_at = ?, risk_approver_id = ?, risk_expires_at = ?,
		updated_by = ?, updated_at = ? WHERE id = ?`,
		status, since, note, ownerID, dueAt, approverID, riskEnd, p.Email, store.Micros(now), id); err != nil {
		return nil, fmt.Errorf("findings: update %d: %w", id, err)
	}
	if err := audit.Append(ctx, tx, audit.Entry{Action: "finding.update", ObjectType: "finding", ObjectID: strconv.FormatInt(id, 10), UnitID: f.unitID,
		Before: before, After: after}); err != nil {
		return nil, err
	}
	return s.get(ctx, tx, p, id)
}

func formatDue(us int64) string {
	if us == 0 {
		return ""
	}
	return store.Time(us).In(i18n.Location).Format("2006-01-02")
}
