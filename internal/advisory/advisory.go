// Package advisory carries advisories from the IT Center or a national
// agency to the units (issue 12): title, severity, affected products and
// CVEs, required actions, a deadline and target units; units acknowledge
// and report completion, overdue units are listed, and an advisory that
// names CVEs links to each unit's matching findings. RSS and Atom channels
// bring advisories in as drafts.
//
// Rights. The IT Center — users of the root unit who may write there
// (administrators, the root unit's officers) — writes, issues and
// withdraws advisories and imports feeds; it and the central SOC
// (analysts) read every advisory, drafts included. Any other user reads
// the issued (or withdrawn) advisories that target a unit of their
// subtree, and an officer acknowledges and reports completion for the
// units of their subtree (their own unit by default).
//
// Targets. A draft keeps what was chosen: every unit, or unit codes each
// meaning that unit and the units under it. Issuing lists every target
// unit as its own row, so each unit — a province and each of its
// districts — acknowledges and completes for itself, and the IT Center
// sees each one's state. Units created after the issue are not targets.
//
// Overdue. A target is overdue when the advisory is issued, has a
// deadline (the end of a day in Vietnam) that has passed, and the unit
// has not reported completion.
package advisory

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Service keeps advisories and the units' answers.
type Service struct {
	DB  *store.DB
	Now func() time.Time // for tests; time.Now when nil
	// Notify, when set, tells each target unit of an issued advisory
	// through its escalation channels.
	Notify Notifier
	Logger *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Severities, most severe first.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
)

// Severities lists the severities, most severe first.
var Severities = []string{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow}

// Statuses of an advisory.
const (
	StatusDraft     = "draft"
	StatusIssued    = "issued"
	StatusWithdrawn = "withdrawn"
)

// Statuses lists the statuses in their order of life.
var Statuses = []string{StatusDraft, StatusIssued, StatusWithdrawn}

// RefPrefix starts every reference number: "CB-2026-014" (cảnh báo).
const RefPrefix = "CB"

// DefaultIssuer is the issuer of an advisory written at the hub.
const DefaultIssuer = "Trung tâm Công nghệ thông tin"

// Issuers are the usual issuers, suggested by the form (any text goes).
var Issuers = []string{DefaultIssuer, "NCSC", "VNCERT/CC", "A05 — Bộ Công an", "Microsoft", "CISA"}

// Limits on what one advisory holds.
const (
	maxTitle    = 300
	maxText     = 20000
	maxProducts = 100
	maxProduct  = 200
	maxCVEs     = 100
	maxIssuer   = 200
	maxLink     = 2000
	maxNote     = 4000
	maxUnits    = 1000
)

// Advisory is one advisory. Targets, Acked, Completed and Overdue count
// the target units the reader sees.
type Advisory struct {
	ID          int64     `json:"id"`
	Ref         string    `json:"ref"`
	Title       string    `json:"title"`
	Severity    string    `json:"severity"`
	Summary     string    `json:"summary"`
	Products    []string  `json:"products"`
	CVEs        []string  `json:"cves"`
	Actions     string    `json:"actions"`
	Deadline    time.Time `json:"deadline,omitzero"`
	Issuer      string    `json:"issuer"`
	Channel     string    `json:"channel,omitempty"`
	Link        string    `json:"link,omitempty"`
	Published   time.Time `json:"published,omitzero"`
	AllUnits    bool      `json:"all_units"`
	Units       []string  `json:"units"` // the units chosen (each with its subtree) when not all
	Status      string    `json:"status"`
	StatusSince time.Time `json:"status_since"`
	StatusBy    string    `json:"status_by"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	IssuedBy    string    `json:"issued_by,omitempty"`
	IssuedAt    time.Time `json:"issued_at,omitzero"`

	Targets   int `json:"targets"`
	Acked     int `json:"acked"`
	Completed int `json:"completed"`
	Overdue   int `json:"overdue"`

	// Mine is the caller's own unit's answer, when their unit is a target.
	Mine *Target `json:"mine,omitempty"`
}

// PastDeadline reports whether an issued advisory's deadline has passed at now.
func (a *Advisory) PastDeadline(now time.Time) bool {
	return a.Status == StatusIssued && !a.Deadline.IsZero() && now.After(a.Deadline)
}

// Input writes a draft. Deadline is a day, dd/mm/yyyy or yyyy-mm-dd (the
// advisory is due at the end of it, in Vietnam); Units are unit codes,
// each meaning that unit and its subtree, used when AllUnits is false.
type Input struct {
	Title     string    `json:"title"`
	Severity  string    `json:"severity"`
	Summary   string    `json:"summary"`
	Products  []string  `json:"products"`
	CVEs      []string  `json:"cves"`
	Actions   string    `json:"actions"`
	Deadline  string    `json:"deadline"`
	Issuer    string    `json:"issuer"`
	Link      string    `json:"link"`
	AllUnits  bool      `json:"all_units"`
	Units     []string  `json:"units"`
	Channel   string    `json:"-"`
	Published time.Time `json:"-"`
}

// Patch changes an advisory: only the fields sent. Targets (AllUnits,
// Units) change only while it is a draft.
type Patch struct {
	Title    *string   `json:"title,omitempty"`
	Severity *string   `json:"severity,omitempty"`
	Summary  *string   `json:"summary,omitempty"`
	Products *[]string `json:"products,omitempty"`
	CVEs     *[]string `json:"cves,omitempty"`
	Actions  *string   `json:"actions,omitempty"`
	Deadline *string   `json:"deadline,omitempty"`
	Issuer   *string   `json:"issuer,omitempty"`
	Link     *string   `json:"link,omitempty"`
	AllUnits *bool     `json:"all_units,omitempty"`
	Units    *[]string `json:"units,omitempty"`
}

// fields is an advisory's writable content, validated.
type fields struct {
	Title, Severity, Summary, Actions, Issuer, Link string
	Products, CVEs, Units                           []string
	Deadline                                        time.Time
	AllUnits                                        bool
}

func (a *Advisory) fields() fields {
	return fields{Title: a.Title, Severity: a.Severity, Summary: a.Summary, Actions: a.Actions, Issuer: a.Issuer, Link: a.Link,
		Products: a.Products, CVEs: a.CVEs, Units: a.Units, Deadline: a.Deadline, AllUnits: a.AllUnits}
}

func textField(field, s string, max int) (string, error) {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	if utf8.RuneCountInString(s) > max {
		return "", errs.Invalid(field, "must be at most %d characters", max)
	}
	return s, nil
}

// ParseCVEs normalises a list of CVE ids (findings.ParseCVE), dropping
// repeats; an entry may hold several separated by commas or spaces.
func ParseCVEs(in []string) ([]string, error) {
	var out []string
	for _, v := range in {
		for _, c := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
			cve, err := findings.ParseCVE(c)
			if err != nil {
				if e, ok := errs.As(err); ok {
					e.Field = "cves"
				}
				return nil, err
			}
			if !slices.Contains(out, cve) {
				out = append(out, cve)
			}
		}
	}
	if len(out) > maxCVEs {
		return nil, errs.Invalid("cves", "an advisory names at most %d CVEs", maxCVEs)
	}
	return out, nil
}

// ParseDeadline reads a deadline day (dd/mm/yyyy or yyyy-mm-dd) and
// returns the end of that day in Vietnam; "" is no deadline.
func ParseDeadline(s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	t, err := findings.ParseDue(s)
	if err != nil {
		return time.Time{}, errs.Invalid("deadline", "%q is not a date: write it as dd/mm/yyyy (31/12/2026) or yyyy-mm-dd", strings.TrimSpace(s))
	}
	return t, nil
}

func splitLines(in []string) []string {
	var out []string
	for _, v := range in {
		for _, l := range strings.Split(v, "\n") {
			if l = strings.TrimSpace(l); l != "" && !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

func (f *fields) validate() error {
	var err error
	if f.Title, err = textField("title", f.Title, maxTitle); err != nil {
		return err
	}
	if f.Title == "" {
		return errs.Invalid("title", "is required")
	}
	f.Severity = strings.ToLower(strings.TrimSpace(f.Severity))
	if f.Severity == "" {
		f.Severity = SeverityMedium
	}
	if !slices.Contains(Severities, f.Severity) {
		return errs.Invalid("severity", "must be one of %s", errs.OneOf{Prefix: "severity.", Codes: Severities})
	}
	if f.Summary, err = textField("summary", f.Summary, maxText); err != nil {
		return err
	}
	if f.Actions, err = textField("actions", f.Actions, maxText); err != nil {
		return err
	}
	if f.Issuer, err = textField("issuer", f.Issuer, maxIssuer); err != nil {
		return err
	}
	if f.Issuer == "" {
		f.Issuer = DefaultIssuer
	}
	if f.Link, err = textField("link", f.Link, maxLink); err != nil {
		return err
	}
	if f.Link != "" {
		u, perr := url.Parse(f.Link)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errs.Invalid("link", "must be an http or https address")
		}
	}
	f.Products = splitLines(f.Products)
	if len(f.Products) > maxProducts {
		return errs.Invalid("products", "an advisory lists at most %d products", maxProducts)
	}
	for _, p := range f.Products {
		if utf8.RuneCountInString(p) > maxProduct {
			return errs.Invalid("products", "a product's name must be at most %d characters", maxProduct)
		}
	}
	if f.CVEs, err = ParseCVEs(f.CVEs); err != nil {
		return err
	}
	units := splitCodes(f.Units)
	if len(units) > maxUnits {
		return errs.Invalid("units", "choose at most %d units", maxUnits)
	}
	f.Units = units
	if f.AllUnits {
		f.Units = nil
	}
	return nil
}

// rootPath is the path of the root unit ("" when there is none).
func (s *Service) rootPath(ctx context.Context, q store.Queryer) (string, error) {
	var path string
	err := q.QueryRowContext(ctx, `SELECT path FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&path)
	if err != nil && !store.IsNoRows(err) {
		return "", fmt.Errorf("advisory: root unit: %w", err)
	}
	return path, nil
}

// ITCenter reports whether the caller writes advisories: a user of the
// root unit who may write there.
func (s *Service) ITCenter(ctx context.Context) (bool, error) {
	p := auth.FromContext(ctx)
	if p == nil {
		return false, nil
	}
	root, err := s.rootPath(ctx, s.DB)
	if err != nil {
		return false, err
	}
	return root != "" && p.CanWrite(root), nil
}

// requireITCenter returns the caller when they write advisories.
func (s *Service) requireITCenter(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := s.ITCenter(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Forbidden("only the IT Center (the root unit's officers and administrators) writes and issues advisories")
	}
	return p, nil
}

// checkUnits refuses unit codes that do not exist.
func (s *Service) checkUnits(ctx context.Context, q store.Queryer, codes []string) error {
	for _, c := range codes {
		var id int64
		err := q.QueryRowContext(ctx, s.DB.Rebind(`SELECT id FROM units WHERE code = ?`), c).Scan(&id)
		if store.IsNoRows(err) {
			return errs.Invalid("units", "no unit has the code %q", c)
		}
		if err != nil {
			return fmt.Errorf("advisory: unit %s: %w", c, err)
		}
	}
	return nil
}

// auditView is what the audit log records of an advisory.
type auditView struct {
	Ref      string   `json:"ref"`
	Title    string   `json:"title"`
	Severity string   `json:"severity"`
	CVEs     []string `json:"cves,omitempty"`
	Deadline string   `json:"deadline,omitempty"`
	Issuer   string   `json:"issuer,omitempty"`
	AllUnits bool     `json:"all_units,omitempty"`
	Units    []string `json:"units,omitempty"`
	Status   string   `json:"status"`
	Channel  string   `json:"channel,omitempty"`
}

func viewOf(ref, status, channel string, f fields) auditView {
	v := auditView{Ref: ref, Title: f.Title, Severity: f.Severity, CVEs: f.CVEs, Issuer: f.Issuer, AllUnits: f.AllUnits, Units: f.Units, Status: status, Channel: channel}
	if !f.Deadline.IsZero() {
		v.Deadline = f.Deadline.In(i18n.Location).Format("2006-01-02")
	}
	return v
}

// Create files a draft advisory as the IT Center.
func (s *Service) Create(ctx context.Context, in Input) (*Advisory, error) {
	if _, err := s.requireITCenter(ctx); err != nil {
		return nil, err
	}
	var id int64
	err := s.inTxNumbering(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.create(ctx, tx, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// inTxNumbering runs fn in a transaction, again should another
// transaction have taken the same reference number (the unique index
// refuses the second; the next try numbers after it). On PostgreSQL a
// transaction lock makes numbering one at a time already.
func (s *Service) inTxNumbering(ctx context.Context, fn func(tx *store.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := s.DB.InTx(ctx, fn)
		if err == nil || attempt >= 4 || !store.IsUniqueViolation(err) {
			return err
		}
	}
}

// create inserts a draft inside tx and audits it (the caller's rights are
// checked by the caller).
func (s *Service) create(ctx context.Context, tx *store.Tx, in Input) (int64, error) {
	f := fields{Title: in.Title, Severity: in.Severity, Summary: in.Summary, Actions: in.Actions, Issuer: in.Issuer, Link: in.Link,
		Products: in.Products, CVEs: in.CVEs, Units: in.Units, AllUnits: in.AllUnits}
	d, err := ParseDeadline(in.Deadline)
	if err != nil {
		return 0, err
	}
	f.Deadline = d
	if err := f.validate(); err != nil {
		return 0, err
	}
	if err := s.checkUnits(ctx, tx, f.Units); err != nil {
		return 0, err
	}
	channel, err := textField("channel", in.Channel, maxIssuer)
	if err != nil {
		return 0, err
	}
	p := auth.FromContext(ctx)
	now := s.now()
	year := now.In(i18n.Location).Year()
	if tx.Dialect() == store.Postgres {
		// Numbers are given one transaction at a time across hubs (SQLite
		// has one writer anyway).
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7326022)`); err != nil {
			return 0, fmt.Errorf("advisory: number lock: %w", err)
		}
	}
	var seq int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(ref_seq), 0) FROM advisories WHERE ref_year = ?`, year).Scan(&seq); err != nil {
		return 0, fmt.Errorf("advisory: next number: %w", err)
	}
	seq++
	ref := fmt.Sprintf("%s-%d-%03d", RefPrefix, year, seq)
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO advisories (ref, ref_year, ref_seq, title, severity, summary, products, cves, actions, deadline, issuer,
		channel, link, published_at, all_units, target_codes, status, status_since, status_by, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		ref, year, seq, f.Title, f.Severity, f.Summary, strings.Join(f.Products, "\n"), strings.Join(f.CVEs, ","), f.Actions,
		store.Micros(f.Deadline), f.Issuer, channel, f.Link, store.Micros(in.Published), f.AllUnits, strings.Join(f.Units, ","),
		StatusDraft, store.Micros(now), p.Email, p.Email, store.Micros(now), store.Micros(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("advisory: create: %w", err)
	}
	err = audit.Append(ctx, tx, audit.Entry{Action: "advisory.create", ObjectType: "advisory", ObjectID: strconv.FormatInt(id, 10),
		After: viewOf(ref, StatusDraft, channel, f)})
	return id, err
}

// Update changes an advisory that is not withdrawn, as the IT Center;
// the targets change only while it is a draft.
func (s *Service) Update(ctx context.Context, id int64, in Patch) (*Advisory, error) {
	if _, err := s.requireITCenter(ctx); err != nil {
		return nil, err
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status == StatusWithdrawn {
			return errs.Conflict("status", "advisory %s was withdrawn: it cannot be changed", a.Ref)
		}
		before := a.fields()
		f := a.fields()
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		set(&f.Title, in.Title)
		set(&f.Severity, in.Severity)
		set(&f.Summary, in.Summary)
		set(&f.Actions, in.Actions)
		set(&f.Issuer, in.Issuer)
		set(&f.Link, in.Link)
		if in.Products != nil {
			f.Products = *in.Products
		}
		if in.CVEs != nil {
			f.CVEs = *in.CVEs
		}
		if in.Deadline != nil {
			if f.Deadline, err = ParseDeadline(*in.Deadline); err != nil {
				return err
			}
			if f.Deadline.IsZero() && a.Status == StatusIssued {
				return errs.Invalid("deadline", "an issued advisory keeps a deadline")
			}
		}
		if in.AllUnits != nil || in.Units != nil {
			if a.Status != StatusDraft {
				if (in.AllUnits != nil && *in.AllUnits != a.AllUnits) || (in.Units != nil && !sameSet(splitCodes(*in.Units), a.Units)) {
					return errs.Conflict("units", "advisory %s is issued: its target units no longer change", a.Ref)
				}
			} else {
				if in.AllUnits != nil {
					f.AllUnits = *in.AllUnits
				}
				if in.Units != nil {
					f.Units = *in.Units
				}
			}
		}
		if err := f.validate(); err != nil {
			return err
		}
		if err := s.checkUnits(ctx, tx, f.Units); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE advisories SET title = ?, severity = ?, summary = ?, products = ?, cves = ?, actions = ?, deadline = ?,
			issuer = ?, link = ?, all_units = ?, target_codes = ?, updated_at = ? WHERE id = ?`,
			f.Title, f.Severity, f.Summary, strings.Join(f.Products, "\n"), strings.Join(f.CVEs, ","), f.Actions, store.Micros(f.Deadline),
			f.Issuer, f.Link, f.AllUnits, strings.Join(f.Units, ","), store.Micros(s.now()), id); err != nil {
			return fmt.Errorf("advisory: update: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "advisory.update", ObjectType: "advisory", ObjectID: strconv.FormatInt(id, 10),
			Before: viewOf(a.Ref, a.Status, a.Channel, before), After: viewOf(a.Ref, a.Status, a.Channel, f)})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// splitCodes reads unit codes, one an entry or several separated by
// commas or spaces, dropping repeats.
func splitCodes(in []string) []string {
	var out []string
	for _, u := range in {
		for _, c := range strings.FieldsFunc(u, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

const columns = `a.id, a.ref, a.title, a.severity, a.summary, a.products, a.cves, a.actions, a.deadline, a.issuer, a.channel, a.link,
	a.published_at, a.all_units, a.target_codes, a.status, a.status_since, a.status_by, a.created_by, a.created_at, a.updated_at,
	a.issued_by, a.issued_at`

func scanAdvisory(sc store.Scanner) (*Advisory, error) {
	var a Advisory
	var products, cves, codes string
	var deadline, published, since, created, updated, issued int64
	if err := sc.Scan(&a.ID, &a.Ref, &a.Title, &a.Severity, &a.Summary, &products, &cves, &a.Actions, &deadline, &a.Issuer, &a.Channel, &a.Link,
		&published, &a.AllUnits, &codes, &a.Status, &since, &a.StatusBy, &a.CreatedBy, &created, &updated, &a.IssuedBy, &issued); err != nil {
		return nil, err
	}
	a.Products, a.CVEs, a.Units = nonEmpty(strings.Split(products, "\n")), nonEmpty(strings.Split(cves, ",")), nonEmpty(strings.Split(codes, ","))
	a.Deadline, a.Published, a.StatusSince = store.Time(deadline), store.Time(published), store.Time(since)
	a.CreatedAt, a.UpdatedAt, a.IssuedAt = store.Time(created), store.Time(updated), store.Time(issued)
	return &a, nil
}

func nonEmpty(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// load reads an advisory with no scope check (callers check).
func (s *Service) load(ctx context.Context, q store.Queryer, id int64) (*Advisory, error) {
	a, err := scanAdvisory(q.QueryRowContext(ctx, s.DB.Rebind(`SELECT `+columns+` FROM advisories a WHERE a.id = ?`), id))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("advisory " + strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("advisory: load %d: %w", id, err)
	}
	return a, nil
}

// seesAll reports whether the caller reads every advisory, drafts included.
func (s *Service) seesAll(ctx context.Context, p *auth.Principal) (bool, error) {
	if p.SeesAllUnits() {
		return true, nil
	}
	return s.ITCenter(ctx)
}

// Get returns an advisory the caller may read, with its target counts in
// the caller's scope and the caller's own unit's answer.
func (s *Service) Get(ctx context.Context, id int64) (*Advisory, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.load(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	all, err := s.seesAll(ctx, p)
	if err != nil {
		return nil, err
	}
	if !all {
		cond, args := p.Scope("u.path")
		var n int
		if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM advisory_targets t JOIN units u ON u.id = t.unit_id WHERE t.advisory_id = ? AND `+cond,
			append([]any{id}, args...)...).Scan(&n); err != nil {
			return nil, fmt.Errorf("advisory: get: %w", err)
		}
		if n == 0 {
			return nil, errs.NotFound("advisory " + strconv.FormatInt(id, 10))
		}
	}
	if err := s.count(ctx, p, []*Advisory{a}); err != nil {
		return nil, err
	}
	if p.UnitID != 0 {
		t, err := s.target(ctx, a, p.UnitID)
		if err != nil && errs.Code(err) != errs.ENOTFOUND {
			return nil, err
		}
		a.Mine = t
	}
	return a, nil
}

// count fills the target counts of as, in the caller's scope.
func (s *Service) count(ctx context.Context, p *auth.Principal, as []*Advisory) error {
	if len(as) == 0 {
		return nil
	}
	byID := map[int64]*Advisory{}
	ids := make([]any, 0, len(as))
	for _, a := range as {
		byID[a.ID] = a
		ids = append(ids, a.ID)
	}
	cond, args := p.Scope("u.path")
	now := store.Micros(s.now())
	q := `SELECT t.advisory_id, COUNT(*),
		SUM(CASE WHEN t.acked_at > 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN t.completed_at > 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN t.completed_at = 0 AND a.status = 'issued' AND a.deadline > 0 AND a.deadline < ? THEN 1 ELSE 0 END)
		FROM advisory_targets t JOIN units u ON u.id = t.unit_id JOIN advisories a ON a.id = t.advisory_id
		WHERE t.advisory_id IN (` + placeholders(len(ids)) + `) AND ` + cond + ` GROUP BY t.advisory_id`
	rows, err := s.DB.Query(ctx, q, append(append([]any{now}, ids...), args...)...)
	if err != nil {
		return fmt.Errorf("advisory: count targets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n, acked, done, late int
		if err := rows.Scan(&id, &n, &acked, &done, &late); err != nil {
			return fmt.Errorf("advisory: count targets: %w", err)
		}
		if a := byID[id]; a != nil {
			a.Targets, a.Acked, a.Completed, a.Overdue = n, acked, done, late
		}
	}
	return rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
