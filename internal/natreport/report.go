package natreport

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
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

// Enqueuer hands a document to the outbox inside the caller's
// transaction (*outbox.Service is one).
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *store.Tx, m outbox.Message) ([]int64, error)
}

// Reported is a case source that keeps the cases' reporting clocks:
// told, inside the sending transaction, that a case's initial or final
// report went out (*incident.Service is one).
type Reported interface {
	MarkReported(ctx context.Context, tx *store.Tx, caseID int64, form string, at time.Time) error
}

// Service keeps the national reports.
type Service struct {
	DB     *store.DB
	Cases  CaseSource // internal/incident; nil: no case is found
	Outbox Enqueuer   // nil: sending is refused with a reason
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Statuses of a report version.
const (
	StatusDraft    = "draft"
	StatusReview   = "review"
	StatusApproved = "approved"
)

// Statuses lists the statuses in their order of life.
var Statuses = []string{StatusDraft, StatusReview, StatusApproved}

// Report is a report's current version (or the one asked for).
type Report struct {
	ID         int64             `json:"id"`
	Form       Form              `json:"form"`
	CaseID     int64             `json:"case_id,omitempty"`
	CaseNumber string            `json:"case_number,omitempty"`
	CaseTitle  string            `json:"case_title,omitempty"`
	Unit       string            `json:"unit"`
	UnitID     int64             `json:"-"`
	UnitPath   string            `json:"-"`
	PeriodFrom string            `json:"period_from,omitempty"`
	PeriodTo   string            `json:"period_to,omitempty"`
	Number     string            `json:"number,omitempty"`
	Version    int               `json:"version"`
	Latest     int               `json:"latest_version"`
	Status     string            `json:"status"`
	Fields     map[string]string `json:"fields"`
	Rows       []Row             `json:"rows,omitempty"`
	Note       string            `json:"note,omitempty"` // why it was sent back
	Problems   []Problem         `json:"problems"`

	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedBy   string    `json:"updated_by"`
	UpdatedAt   time.Time `json:"updated_at"`
	SubmittedBy string    `json:"submitted_by,omitempty"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
	ApprovedBy  string    `json:"approved_by,omitempty"`
	ApprovedAt  time.Time `json:"approved_at,omitzero"`
	SentBy      string    `json:"sent_by,omitempty"`
	SentAt      time.Time `json:"sent_at,omitzero"`

	labels map[string]string // frozen at approval; nil: the current words
}

// Key is the idempotency key of the version's delivery.
func (r *Report) Key() string { return fmt.Sprintf("vigil-natreport-%d-v%d", r.ID, r.Version) }

func errPeriod(field, v string) error {
	return errs.Invalid(field, "%q is not a month: write it as YYYY-MM (2026-06)", v)
}

func errPeriodOrder() error { return errs.Invalid("to", "the period ends before it starts") }

func parseForm(s string) (Form, error) {
	f := Form(strings.TrimSpace(s))
	if f != FormInitial && f != FormFinal {
		return "", errs.Invalid("form", "must be initial or final")
	}
	return f, nil
}

// ParseForm reads a case report's form name: initial or final.
func ParseForm(s string) (Form, error) { return parseForm(s) }

const versionColumns = `r.id, r.case_id, r.form, r.unit_id, u.code, u.path, r.period_from, r.period_to, r.number, r.version,
	v.version, v.status, v.fields, v.rows_json, v.labels, v.note, v.created_by, v.created_at, v.updated_by, v.updated_at,
	v.submitted_by, v.submitted_at, v.approved_by, v.approved_at, v.sent_by, v.sent_at`

const versionFrom = ` FROM natreports r JOIN natreport_versions v ON v.report_id = r.id JOIN units u ON u.id = r.unit_id`

func scanReport(sc store.Scanner) (*Report, error) {
	var r Report
	var form, fields, rows, labels string
	var created, updated, submitted, approved, sent int64
	if err := sc.Scan(&r.ID, &r.CaseID, &form, &r.UnitID, &r.Unit, &r.UnitPath, &r.PeriodFrom, &r.PeriodTo, &r.Number, &r.Latest,
		&r.Version, &r.Status, &fields, &rows, &labels, &r.Note, &r.CreatedBy, &created, &r.UpdatedBy, &updated,
		&r.SubmittedBy, &submitted, &r.ApprovedBy, &approved, &r.SentBy, &sent); err != nil {
		return nil, err
	}
	r.Form = Form(form)
	r.Fields = map[string]string{}
	if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
		return nil, fmt.Errorf("natreport: report %d fields: %w", r.ID, err)
	}
	if rows != "" {
		if err := json.Unmarshal([]byte(rows), &r.Rows); err != nil {
			return nil, fmt.Errorf("natreport: report %d rows: %w", r.ID, err)
		}
	}
	if labels != "" {
		if err := json.Unmarshal([]byte(labels), &r.labels); err != nil {
			return nil, fmt.Errorf("natreport: report %d labels: %w", r.ID, err)
		}
	}
	r.CreatedAt, r.UpdatedAt, r.SubmittedAt, r.ApprovedAt, r.SentAt = store.Time(created), store.Time(updated), store.Time(submitted), store.Time(approved), store.Time(sent)
	return &r, nil
}

// load reads a report's version (0: the latest) with no scope check.
func (s *Service) load(ctx context.Context, q store.Queryer, id int64, version int) (*Report, error) {
	cond := `v.version = r.version`
	args := []any{id}
	if version > 0 {
		cond = `v.version = ?`
		args = append(args, version)
	}
	r, err := scanReport(q.QueryRowContext(ctx, s.DB.Rebind(`SELECT `+versionColumns+versionFrom+` WHERE r.id = ? AND `+cond), args...))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("report " + strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("natreport: load %d: %w", id, err)
	}
	return r, nil
}

// finish checks the report's fields and fills its case's name.
func (s *Service) finish(ctx context.Context, r *Report, c *Case) error {
	opts, err := s.allOptions(ctx)
	if err != nil {
		return err
	}
	r.Problems = Check(r.Form, r.Fields, opts)
	if r.Problems == nil {
		r.Problems = []Problem{}
	}
	if c != nil {
		r.CaseNumber, r.CaseTitle = c.Number, c.Title
	}
	return nil
}

func (s *Service) allOptions(ctx context.Context) (map[string][]Option, error) {
	out := map[string][]Option{}
	for _, k := range OptionKinds {
		o, err := s.options(ctx, s.DB, k)
		if err != nil {
			return nil, err
		}
		out[k] = o
	}
	return out, nil
}

// reportCase reads a case through the case source (which checks scope).
func (s *Service) reportCase(ctx context.Context, id int64) (*Case, error) {
	if s.Cases == nil {
		return nil, errs.NotFound("incident " + strconv.FormatInt(id, 10))
	}
	return s.Cases.ReportCase(ctx, id)
}

// Get returns a report's version (0: the latest) the caller may read: a
// case's report when they may read the case, a summary when they may read
// its unit.
func (s *Service) Get(ctx context.Context, id int64, version int) (*Report, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.load(ctx, s.DB, id, version)
	if err != nil {
		return nil, err
	}
	var c *Case
	if r.CaseID > 0 {
		if c, err = s.reportCase(ctx, r.CaseID); err != nil {
			if errs.Code(err) == errs.ENOTFOUND {
				return nil, errs.NotFound("report " + strconv.FormatInt(id, 10))
			}
			return nil, err
		}
	} else if !p.CanRead(r.UnitPath) {
		return nil, errs.NotFound("report " + strconv.FormatInt(id, 10))
	}
	return r, s.finish(ctx, r, c)
}

// Versions lists a report's versions, newest first.
func (s *Service) Versions(ctx context.Context, id int64) ([]*Report, error) {
	r, err := s.Get(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT `+versionColumns+versionFrom+` WHERE r.id = ? ORDER BY v.version DESC`, r.ID)
	if err != nil {
		return nil, fmt.Errorf("natreport: versions: %w", err)
	}
	defer rows.Close()
	var out []*Report
	for rows.Next() {
		v, err := scanReport(rows)
		if err != nil {
			return nil, fmt.Errorf("natreport: versions: %w", err)
		}
		v.CaseNumber, v.CaseTitle = r.CaseNumber, r.CaseTitle
		out = append(out, v)
	}
	return out, rows.Err()
}

// ForCase returns a case's reports (initial, final: those that exist).
func (s *Service) ForCase(ctx context.Context, caseID int64) ([]*Report, *Case, error) {
	c, err := s.reportCase(ctx, caseID)
	if err != nil {
		return nil, nil, err
	}
	var out []*Report
	for _, form := range []Form{FormInitial, FormFinal} {
		r, err := s.caseReport(ctx, s.DB, caseID, form)
		if errs.Code(err) == errs.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if err := s.finish(ctx, r, c); err != nil {
			return nil, nil, err
		}
		out = append(out, r)
	}
	return out, c, nil
}

// caseReport loads a case's report of a form (latest version), no scope check.
func (s *Service) caseReport(ctx context.Context, q store.Queryer, caseID int64, form Form) (*Report, error) {
	var id int64
	err := q.QueryRowContext(ctx, s.DB.Rebind(`SELECT id FROM natreports WHERE case_id = ? AND form = ?`), caseID, string(form)).Scan(&id)
	if store.IsNoRows(err) {
		return nil, errs.NotFound(string(form) + " report of incident " + strconv.FormatInt(caseID, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("natreport: case report: %w", err)
	}
	return s.load(ctx, q, id, 0)
}

// CaseReport returns a case's report of a form, latest version.
func (s *Service) CaseReport(ctx context.Context, caseID int64, form Form) (*Report, error) {
	c, err := s.reportCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	r, err := s.caseReport(ctx, s.DB, caseID, form)
	if err != nil {
		return nil, err
	}
	return r, s.finish(ctx, r, c)
}

// Preview fills a case's form without storing it: what a draft would hold.
func (s *Service) Preview(ctx context.Context, caseID int64, form Form) (*Report, error) {
	c, err := s.reportCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	u, err := s.unitByID(ctx, s.DB, c.UnitID)
	if err != nil {
		return nil, err
	}
	pr, err := s.profile(ctx, s.DB, u)
	if err != nil {
		return nil, err
	}
	r := &Report{Form: form, CaseID: c.ID, Unit: u.Code, UnitID: u.ID, UnitPath: u.Path, Status: StatusDraft, Version: 0}
	if r.Fields, err = s.fillCase(ctx, s.DB, c, pr, form); err != nil {
		return nil, err
	}
	return r, s.finish(ctx, r, c)
}

func (s *Service) fillCase(ctx context.Context, q store.Queryer, c *Case, pr *Profile, form Form) (map[string]string, error) {
	if form == FormInitial {
		return fillInitial(c, pr, s.now()), nil
	}
	initial, err := s.caseReport(ctx, q, c.ID, FormInitial)
	if errs.Code(err) == errs.ENOTFOUND || (err == nil && initial.Number == "") {
		initial, err = nil, nil
	} else if err == nil && initial.ApprovedAt.IsZero() {
		// The latest version is a new draft: the number and date are the first approval's.
		if first, ferr := s.load(ctx, q, initial.ID, 1); ferr == nil {
			initial.ApprovedAt = first.ApprovedAt
		}
	}
	if err != nil {
		return nil, err
	}
	return fillFinal(c, pr, initial, s.now()), nil
}

// canDraft: who drafts and edits a case's report — writers of its unit,
// and the SOC's analysts (who work every unit's cases).
func canDraft(p *auth.Principal, unitPath string) bool {
	return p.CanWrite(unitPath) || (p.Role == auth.RoleAnalyst && p.Via != "agent")
}

// auditView is what the audit log records of a report.
type auditView struct {
	Form    Form   `json:"form"`
	Case    int64  `json:"case,omitempty"`
	Period  string `json:"period,omitempty"`
	Number  string `json:"number,omitempty"`
	Version int    `json:"version"`
	Status  string `json:"status"`
	Fields  any    `json:"fields,omitempty"`
}

func (r *Report) view(withFields bool) auditView {
	v := auditView{Form: r.Form, Case: r.CaseID, Number: r.Number, Version: r.Version, Status: r.Status}
	if r.PeriodFrom != "" {
		v.Period = r.PeriodFrom + ".." + r.PeriodTo
	}
	if withFields {
		v.Fields = r.Fields
	}
	return v
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Create drafts a case's report of a form, filled from the case and the
// unit's profile. A case has one report of each form; asking again is a
// conflict naming it.
func (s *Service) Create(ctx context.Context, caseID int64, form Form) (*Report, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if form, err = parseForm(string(form)); err != nil {
		return nil, err
	}
	c, err := s.reportCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	u, err := s.unitByID(ctx, s.DB, c.UnitID)
	if err != nil {
		return nil, err
	}
	if !canDraft(p, u.Path) {
		return nil, errs.Forbidden("only the unit's officers, administrators and the SOC's analysts draft its incident reports")
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if r, err := s.caseReport(ctx, tx, caseID, form); err == nil {
			return errs.Conflict("form", "incident %s already has this report (report %d): edit it", c.Number, r.ID)
		}
		pr, err := s.profile(ctx, tx, u)
		if err != nil {
			return err
		}
		fields, err := s.fillCase(ctx, tx, c, pr, form)
		if err != nil {
			return err
		}
		id, err = s.insert(ctx, tx, form, c.ID, u, Period{}, fields, nil)
		return err
	})
	if store.IsUniqueViolation(err) {
		return nil, errs.Conflict("form", "incident %s already has this report: edit it", c.Number)
	}
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, 0)
}

// insert stores a new report's first version (a draft) and audits it.
func (s *Service) insert(ctx context.Context, tx *store.Tx, form Form, caseID int64, u *unitRow, per Period, fields map[string]string, rows []Row) (int64, error) {
	p := auth.FromContext(ctx)
	now := store.Micros(s.now())
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO natreports (case_id, form, unit_id, period_from, period_to, version, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, 1, ?, ?) RETURNING id`, caseID, string(form), u.ID, per.From, per.To, p.Email, now).Scan(&id); err != nil {
		return 0, fmt.Errorf("natreport: create: %w", err)
	}
	rowsJSON := ""
	if rows != nil {
		rowsJSON = mustJSON(rows)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO natreport_versions (report_id, version, status, fields, rows_json, created_by, created_at, updated_by, updated_at)
		VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)`, id, StatusDraft, mustJSON(fields), rowsJSON, p.Email, now, p.Email, now); err != nil {
		return 0, fmt.Errorf("natreport: create: %w", err)
	}
	r := &Report{Form: form, CaseID: caseID, PeriodFrom: per.From, PeriodTo: per.To, Version: 1, Status: StatusDraft, Fields: fields}
	return id, audit.Append(ctx, tx, audit.Entry{Action: "natreport.create", ObjectType: "natreport", ObjectID: strconv.FormatInt(id, 10),
		UnitID: u.ID, After: r.view(false)})
}

// writable loads a report's latest version for a change by the caller.
func (s *Service) writable(ctx context.Context, tx *store.Tx, id int64, approve bool) (*Report, *auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	r, err := s.Get(ctx, id, 0) // scope
	if err != nil {
		return nil, nil, err
	}
	if r, err = s.load(ctx, tx, id, 0); err != nil {
		return nil, nil, err
	}
	if approve {
		if !p.CanWrite(r.UnitPath) {
			return nil, nil, errs.Forbidden("only the unit's officers and administrators approve and send its reports")
		}
	} else if !canDraft(p, r.UnitPath) {
		return nil, nil, errs.Forbidden("only the unit's officers, administrators and the SOC's analysts draft its incident reports")
	}
	return r, p, nil
}

const maxFieldText = 20000

// Update changes a report's fields (only those given; "" empties one).
// A draft is changed in place; a report in review goes back to draft; an
// approved report gets a new version, a draft holding the change.
func (s *Service) Update(ctx context.Context, id int64, fields map[string]string) (*Report, error) {
	for k, v := range fields {
		if _, ok := FieldOfAny(k); !ok {
			return nil, errs.Invalid("fields", "the form has no field %q", k)
		}
		if utf8.RuneCountInString(v) > maxFieldText {
			return nil, errs.Invalid("fields", "%s: at most %d characters", k, maxFieldText)
		}
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, p, err := s.writable(ctx, tx, id, false)
		if err != nil {
			return err
		}
		for k := range fields {
			if _, ok := FieldOf(r.Form, k); !ok {
				return errs.Invalid("fields", "the form has no field %q", k)
			}
		}
		before := r.view(true)
		before.Fields = maps.Clone(r.Fields)
		for k, v := range fields {
			r.Fields[k] = strings.TrimSpace(strings.ToValidUTF8(v, "\uFFFD"))
		}
		return s.saveFields(ctx, tx, r, p, before, "natreport.update")
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, 0)
}

// saveFields writes r.Fields and r.Rows to r's latest version or, when it
// is approved, to a new draft version.
func (s *Service) saveFields(ctx context.Context, tx *store.Tx, r *Report, p *auth.Principal, before auditView, action string) error {
	now := store.Micros(s.now())
	rowsJSON := ""
	if r.Rows != nil {
		rowsJSON = mustJSON(r.Rows)
	}
	if r.Status == StatusApproved {
		r.Version++
		r.Status = StatusDraft
		if _, err := tx.Exec(ctx, `INSERT INTO natreport_versions (report_id, version, status, fields, rows_json, created_by, created_at, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.Version, StatusDraft, mustJSON(r.Fields), rowsJSON, p.Email, now, p.Email, now); err != nil {
			return fmt.Errorf("natreport: new version: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE natreports SET version = ? WHERE id = ?`, r.Version, r.ID); err != nil {
			return fmt.Errorf("natreport: new version: %w", err)
		}
	} else {
		r.Status = StatusDraft
		if _, err := tx.Exec(ctx, `UPDATE natreport_versions SET status = ?, fields = ?, rows_json = ?, updated_by = ?, updated_at = ?,
			submitted_by = '', submitted_at = 0 WHERE report_id = ? AND version = ?`, StatusDraft, mustJSON(r.Fields), rowsJSON, p.Email, now, r.ID, r.Version); err != nil {
			return fmt.Errorf("natreport: update: %w", err)
		}
	}
	return audit.Append(ctx, tx, audit.Entry{Action: action, ObjectType: "natreport", ObjectID: strconv.FormatInt(r.ID, 10), UnitID: r.UnitID,
		Before: before, After: r.view(true)})
}

// FieldOfAny finds a field in any form.
func FieldOfAny(key string) (Field, bool) {
	for _, f := range Forms {
		if fl, ok := FieldOf(f, key); ok {
			return fl, true
		}
	}
	return Field{}, false
}

// Refill fills again from the case (or, for a summary, counts the cases
// again) the fields a draft left empty; a summary's table is recounted.
func (s *Service) Refill(ctx context.Context, id int64) (*Report, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, p, err := s.writable(ctx, tx, id, false)
		if err != nil {
			return err
		}
		u, err := s.unitByID(ctx, tx, r.UnitID)
		if err != nil {
			return err
		}
		pr, err := s.profile(ctx, tx, u)
		if err != nil {
			return err
		}
		before := r.view(true)
		before.Fields = maps.Clone(r.Fields)
		var fresh map[string]string
		if r.Form == FormSummary {
			per, from, to, err := ParsePeriod(r.PeriodFrom, r.PeriodTo)
			if err != nil {
				return err
			}
			cases, err := s.summaryCases(ctx, u, from, to)
			if err != nil {
				return err
			}
			r.Rows = Tally(cases)
			fresh = fillSummary(pr, per, s.now())
		} else {
			c, err := s.reportCase(ctx, r.CaseID)
			if err != nil {
				return err
			}
			if fresh, err = s.fillCase(ctx, tx, c, pr, r.Form); err != nil {
				return err
			}
		}
		for k, v := range fresh {
			if strings.TrimSpace(r.Fields[k]) == "" {
				r.Fields[k] = v
			}
		}
		return s.saveFields(ctx, tx, r, p, before, "natreport.update")
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, 0)
}

// Submit sends a draft for review; it must have no problem left.
func (s *Service) Submit(ctx context.Context, id int64) (*Report, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, p, err := s.writable(ctx, tx, id, false)
		if err != nil {
			return err
		}
		if r.Status != StatusDraft {
			return errs.Conflict("status", "report %d version %d is not a draft: only a draft is submitted", r.ID, r.Version)
		}
		opts, err := s.allOptions(ctx)
		if err != nil {
			return err
		}
		if probs := Check(r.Form, r.Fields, opts); len(probs) > 0 {
			return errs.Invalid(probs[0].Field, "the report has %d fields to fix before review", len(probs))
		}
		if _, err := tx.Exec(ctx, `UPDATE natreport_versions SET status = ?, submitted_by = ?, submitted_at = ?, note = '' WHERE report_id = ? AND version = ?`,
			StatusReview, p.Email, store.Micros(s.now()), r.ID, r.Version); err != nil {
			return fmt.Errorf("natreport: submit: %w", err)
		}
		before := r.view(false)
		r.Status = StatusReview
		return audit.Append(ctx, tx, audit.Entry{Action: "natreport.submit", ObjectType: "natreport", ObjectID: strconv.FormatInt(r.ID, 10), UnitID: r.UnitID,
			Before: before, After: r.view(false)})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, 0)
}

// Return sends a report in review back to draft, with the reviewer's note.
func (s *Service) Return(ctx context.Context, id int64, note string) (*Report, error) {
	note = strings.TrimSpace(strings.ToValidUTF8(note, "\uFFFD"))
	if note == "" {
		return nil, errs.Invalid("note", "say what to change")
	}
	if utf8.RuneCountInString(note) > 4000 {
		return nil, errs.Invalid("note", "must be at most %d characters", 4000)
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, p, err := s.writable(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if r.Status != StatusReview {
			return errs.Conflict("status", "report %d version %d is not in review", r.ID, r.Version)
		}
		if _, err := tx.Exec(ctx, `UPDATE natreport_versions SET status = ?, note = ?, updated_by = ?, updated_at = ? WHERE report_id = ? AND version = ?`,
			StatusDraft, note, p.Email, store.Micros(s.now()), r.ID, r.Version); err != nil {
			return fmt.Errorf("natreport: return: %w", err)
		}
		before := r.view(false)
		r.Status = StatusDraft
		return audit.Append(ctx, tx, audit.Entry{Action: "natreport.return", ObjectType: "natreport", ObjectID: strconv.FormatInt(r.ID, 10), UnitID: r.UnitID,
			Before: before, After: r.view(false), Note: note})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, 0)
}

// Approve approves a report in review, as a writer of its unit. The first
// approval numbers the report (a yearly sequence per unit, after the
// profile's prefix); the version's words are frozen with it.
func (s *Service) Approve(ctx context.Context, id int64) (*Report, error) {
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, p, err := s.writable(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if r.Status != StatusReview {
			return errs.Conflict("status", "report %d version %d is not in review: submit it first", r.ID, r.Version)
		}
		opts, err := s.allOptions(ctx)
		if err != nil {
			return err
		}
		if probs := Check(r.Form, r.Fields, opts); len(probs) > 0 {
			return errs.Invalid(probs[0].Field, "the report has %d fields to fix before review", len(probs))
		}
		before := r.view(false)
		now := s.now()
		if r.Number == "" {
			u, err := s.unitByID(ctx, tx, r.UnitID)
			if err != nil {
				return err
			}
			pr, err := s.profile(ctx, tx, u)
			if err != nil {
				return err
			}
			if tx.Dialect() == store.Postgres {
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7326025)`); err != nil {
					return fmt.Errorf("natreport: number lock: %w", err)
				}
			}
			year := now.In(i18n.Location).Year()
			var seq int
			if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(ref_seq), 0) FROM natreports WHERE unit_id = ? AND ref_year = ?`, r.UnitID, year).Scan(&seq); err != nil {
				return fmt.Errorf("natreport: next number: %w", err)
			}
			seq++
			r.Number = fmt.Sprintf("%03d/%s", seq, pr.Prefix())
			if _, err := tx.Exec(ctx, `UPDATE natreports SET number = ?, ref_year = ?, ref_seq = ? WHERE id = ?`, r.Number, year, seq, r.ID); err != nil {
				return fmt.Errorf("natreport: number: %w", err)
			}
		}
		labels, err := s.labels(ctx, tx, r.Form)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE natreport_versions SET status = ?, approved_by = ?, approved_at = ?, labels = ? WHERE report_id = ? AND version = ?`,
			StatusApproved, p.Email, store.Micros(now), mustJSON(labels), r.ID, r.Version); err != nil {
			return fmt.Errorf("natreport: approve: %w", err)
		}
		r.Status = StatusApproved
		return audit.Append(ctx, tx, audit.Entry{Action: "natreport.approve", ObjectType: "natreport", ObjectID: strconv.FormatInt(r.ID, 10), UnitID: r.UnitID,
			Before: before, After: r.view(false)})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, 0)
}

// labels are a form's words and every option's label (keys "opt.<kind>.<code>").
func (s *Service) labels(ctx context.Context, q store.Queryer, form Form) (map[string]string, error) {
	words, err := s.words(ctx, q, form)
	if err != nil {
		return nil, err
	}
	for _, k := range OptionKinds {
		opts, err := s.options(ctx, q, k)
		if err != nil {
			return nil, err
		}
		for _, o := range opts {
			words["opt."+k+"."+o.Code] = o.LabelVI
		}
	}
	return words, nil
}

// Labels are the words a version renders with: frozen at approval, the
// current ones before.
func (s *Service) Labels(ctx context.Context, r *Report) (map[string]string, error) {
	if r.labels != nil {
		return r.labels, nil
	}
	return s.labels(ctx, s.DB, r.Form)
}

// SentAt is when a case's report of a form was first handed to the outbox
// (zero: never). It is what stops the case's reporting clock; it reads no
// principal (the case's service calls it for cases it has already checked).
func (s *Service) SentAt(ctx context.Context, caseID int64, form Form) (time.Time, error) {
	var at int64
	err := s.DB.QueryRow(ctx, `SELECT COALESCE(MIN(v.sent_at), 0) FROM natreports r JOIN natreport_versions v ON v.report_id = r.id
		WHERE r.case_id = ? AND r.form = ? AND v.sent_at > 0`, caseID, string(form)).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("natreport: sent at: %w", err)
	}
	return store.Time(at), nil
}

// Purposes of the outbox messages, per form.
var purposes = map[Form]string{FormInitial: "incident_initial", FormFinal: "incident_final", FormSummary: "incident_summary"}

// Send hands an approved report's latest version to the outbox: the PDF
// and DOCX attached to the e-mail (an initial report's subject starts
// "[TBSC]"), the JSON for HTTP endpoints, the version's idempotency key.
// A version is sent once; an edit makes a new version to send.
func (s *Service) Send(ctx context.Context, id int64, to []string) (*Report, error) {
	if s.Outbox == nil {
		return nil, errs.Invalid("", "delivery is not configured on this hub: download the report and send it by hand")
	}
	r, err := s.Get(ctx, id, 0)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusApproved {
		return nil, errs.Conflict("status", "report %d version %d is not approved: only an approved report is sent", r.ID, r.Version)
	}
	if !r.SentAt.IsZero() {
		return nil, errs.Conflict("status", "report %s version %d was sent already", r.Number, r.Version)
	}
	doc, err := s.Document(ctx, r)
	if err != nil {
		return nil, err
	}
	pdf, err := doc.PDF()
	if err != nil {
		return nil, err
	}
	docx, err := doc.DOCX()
	if err != nil {
		return nil, err
	}
	js, err := doc.JSON()
	if err != nil {
		return nil, err
	}
	base := doc.FileBase()
	m := outbox.Message{Purpose: purposes[r.Form], ObjectType: "incident", ObjectID: strconv.FormatInt(r.CaseID, 10), UnitID: r.UnitID,
		Subject: doc.Subject(), Body: doc.Text(), JSON: js, Key: r.Key(), To: to,
		Files: []outbox.File{
			{Name: base + ".pdf", ContentType: "application/pdf", Data: pdf},
			{Name: base + ".docx", ContentType: DOCXType, Data: docx},
		}}
	if r.Form == FormSummary {
		m.ObjectType, m.ObjectID = "report", strconv.FormatInt(r.ID, 10)
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, p, err := s.writable(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if cur.Version != r.Version || cur.Status != StatusApproved || cur.SentAt.After(time.Time{}) {
			return errs.Conflict("status", "report %d changed while it was being sent: try again", r.ID)
		}
		ids, err := s.Outbox.Enqueue(ctx, tx, m)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE natreport_versions SET sent_by = ?, sent_at = ? WHERE report_id = ? AND version = ?`,
			p.Email, store.Micros(now), r.ID, r.Version); err != nil {
			return fmt.Errorf("natreport: send: %w", err)
		}
		// The case's reporting clock stops in the same transaction, when
		// the case source keeps one (internal/incident does).
		if mr, ok := s.Cases.(Reported); ok && r.CaseID > 0 {
			if err := mr.MarkReported(ctx, tx, r.CaseID, string(r.Form), now); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "natreport.send", ObjectType: "natreport", ObjectID: strconv.FormatInt(r.ID, 10), UnitID: r.UnitID,
			After: map[string]any{"number": r.Number, "version": r.Version, "purpose": m.Purpose, "subject": m.Subject, "deliveries": len(ids), "key": m.Key}})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, 0)
}

// validStatus checks a status filter.
func validStatus(s string) error {
	if s != "" && !slices.Contains(Statuses, s) {
		return errs.Invalid("status", "must be one of %s", strings.Join(Statuses, ", "))
	}
	return nil
}
