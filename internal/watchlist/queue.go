package watchlist

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/attach"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// Hit is one match as the clean-up queue shows it: the indicator (kind,
// value), the object it was seen on, the host and unit, the list's reason
// and required action, and the finding's status and deadline.
type Hit struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`  // the indicator's kind (ip, domain, sha256, account, ...)
	Value       string    `json:"value"` // the indicator
	Host        string    `json:"host"`  // the host's name ("" for an alert without a known host)
	HostID      int64     `json:"host_id,omitempty"`
	Unit        string    `json:"unit"`
	UnitName    string    `json:"unit_name"`
	Reason      string    `json:"reason"`
	Status      string    `json:"status"` // the finding's status; "" when no finding could be filed (no host)
	StatusSince time.Time `json:"status_since,omitzero"`
	DueAt       time.Time `json:"due_at,omitzero"`
	Overdue     bool      `json:"overdue"`
	Action      string    `json:"action"`          // the required action
	Taken       string    `json:"taken,omitempty"` // the action an officer recorded last
	TakenNote   string    `json:"taken_note,omitempty"`
	TakenBy     string    `json:"taken_by,omitempty"`
	TakenAt     time.Time `json:"taken_at,omitzero"`
	Awaiting    bool      `json:"awaiting_verification"` // an action is recorded, a scan or inventory has not confirmed it yet
	Severity    string    `json:"severity"`
	Object      string    `json:"object"` // host_address, hostname, account, file_hash, alert
	Seen        string    `json:"seen"`   // what matched on the object: the address, host name, account, process path, or the alert event's field
	AlertID     int64     `json:"alert_id,omitempty"`
	IndicatorID int64     `json:"indicator_id"`
	ListID      int64     `json:"list_id"`
	List        string    `json:"list"`
	FindingID   int64     `json:"finding_id,omitempty"`
	Priority    int       `json:"priority"`
	Note        string    `json:"note,omitempty"` // the finding's note (what closed it)
	FirstAt     time.Time `json:"first_at"`
	LastAt      time.Time `json:"last_at"`

	unitPath string
}

// Filter selects hits; empty fields select everything in scope.
type Filter struct {
	Unit      string   // a unit code: that unit and its subtree
	Statuses  []string // finding statuses; "active" = open and in progress
	Kinds     []string // indicator kinds
	Objects   []string // object kinds
	ListID    int64
	HostID    int64
	FindingID int64
	Overdue   bool
	Sort      string // a key of Sorts; "" = priority, then the earliest deadline
	Desc      bool
	Offset    int
	Limit     int
}

// Sorts are the columns the queue sorts by.
var Sorts = map[string]string{
	"priority": "COALESCE(f.priority, 0)",
	"due":      "CASE WHEN COALESCE(f.due_at, 0) = 0 THEN 9223372036854775807 ELSE f.due_at END",
	"host":     "COALESCE(h.hostname_key, '')",
	"unit":     "u.code",
	"kind":     "i.kind",
	"value":    "i.value",
	"status":   "COALESCE(f.status, '')",
	"object":   "w.object_kind",
	"first":    "w.first_at",
	"last":     "w.last_at",
	"severity": "CASE w.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END",
}

// SortKeys lists the keys of Sorts.
var SortKeys = []string{"priority", "due", "host", "unit", "kind", "value", "status", "object", "first", "last", "severity"}

const hitColumns = `w.id, i.kind, i.value, COALESCE(h.hostname, ''), w.host_id, u.code, u.name, u.path, w.reason, COALESCE(f.status, ''), COALESCE(f.status_since, 0),
	COALESCE(f.due_at, 0), w.action, w.severity, w.object_kind, w.seen, w.alert_id, w.indicator_id, w.list_id, COALESCE(l.name, ''), w.finding_id,
	COALESCE(f.priority, 0), COALESCE(f.note, ''), w.first_at, w.last_at`

const hitFrom = ` FROM watchlist_hits w JOIN intel_indicators i ON i.id = w.indicator_id JOIN units u ON u.id = w.unit_id
	LEFT JOIN hosts h ON h.id = w.host_id LEFT JOIN findings f ON f.id = w.finding_id LEFT JOIN warning_lists l ON l.id = w.list_id`

func (s *Service) scanHit(sc store.Scanner) (*Hit, error) {
	var h Hit
	var since, due, first, last int64
	if err := sc.Scan(&h.ID, &h.Kind, &h.Value, &h.Host, &h.HostID, &h.Unit, &h.UnitName, &h.unitPath, &h.Reason, &h.Status, &since,
		&due, &h.Action, &h.Severity, &h.Object, &h.Seen, &h.AlertID, &h.IndicatorID, &h.ListID, &h.List, &h.FindingID,
		&h.Priority, &h.Note, &first, &last); err != nil {
		return nil, err
	}
	h.StatusSince, h.FirstAt, h.LastAt = store.Time(since), store.Time(first), store.Time(last)
	if due > 0 {
		h.DueAt = store.Time(due)
		h.Overdue = findings.IsActive(h.Status) && s.now().After(h.DueAt)
	}
	return &h, nil
}

func expand(field string, in, allowed []string) ([]string, error) {
	var out []string
	for _, v := range in {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			switch {
			case part == "":
			case field == "status" && part == "active":
				out = append(out, findings.Active...)
			case slices.Contains(allowed, part):
				out = append(out, part)
			default:
				return nil, errs.Invalid(field, "%q is not one of %s", part, errs.OneOf{Prefix: map[string]string{"status": "finding.", "kind": "watchlist.kind.", "object": "watchlist.object."}[field], Codes: allowed})
			}
		}
	}
	return out, nil
}

func inList(column string, values []string) (string, []any) {
	marks := make([]string, len(values))
	args := make([]any, len(values))
	for i, v := range values {
		marks[i], args[i] = "?", v
	}
	return column + " IN (" + strings.Join(marks, ", ") + ")", args
}

// unitPath returns the path of a unit the caller may read, or not found.
func (s *Service) unitPath(ctx context.Context, p *auth.Principal, code string) (string, error) {
	var path string
	err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, code).Scan(&path)
	if err != nil && !store.IsNoRows(err) {
		return "", fmt.Errorf("watchlist: unit: %w", err)
	}
	if err != nil || !p.CanRead(path) {
		return "", errs.NotFound("unit " + strconv.Quote(code))
	}
	return path, nil
}

// List returns a page of the hits in the caller's scope that match f and
// how many match in all. The default order is the unit's queue: highest
// priority first, then the earliest deadline.
func (s *Service) List(ctx context.Context, f Filter) ([]*Hit, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("w.id", f.Limit, 100).Scope(p, "u.path")
	if f.Unit != "" {
		path, err := s.unitPath(ctx, p, f.Unit)
		if err != nil {
			return nil, 0, err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	statuses, err := expand("status", f.Statuses, findings.Statuses)
	if err != nil {
		return nil, 0, err
	}
	if len(statuses) > 0 {
		cond, args := inList("f.status", statuses)
		l.Where(cond, args...)
	}
	kinds, err := expand("kind", f.Kinds, format.Kinds)
	if err != nil {
		return nil, 0, err
	}
	if len(kinds) > 0 {
		cond, args := inList("i.kind", kinds)
		l.Where(cond, args...)
	}
	objects, err := expand("object", f.Objects, ObjectKinds)
	if err != nil {
		return nil, 0, err
	}
	if len(objects) > 0 {
		cond, args := inList("w.object_kind", objects)
		l.Where(cond, args...)
	}
	if f.ListID > 0 {
		l.Where("w.list_id = ?", f.ListID)
	}
	if f.HostID > 0 {
		l.Where("w.host_id = ?", f.HostID)
	}
	if f.FindingID > 0 {
		l.Where("w.finding_id = ?", f.FindingID)
	}
	if f.Overdue {
		l.Where("f.status IN ('open', 'in_progress') AND f.due_at > 0 AND f.due_at < ?", store.Micros(s.now()))
	}
	switch f.Sort {
	case "":
		l.OrderBy(`COALESCE(f.priority, 0) DESC, CASE WHEN COALESCE(f.due_at, 0) = 0 THEN 9223372036854775807 ELSE f.due_at END`, false)
		if f.Desc {
			l.OrderBy(`COALESCE(f.priority, 0), CASE WHEN COALESCE(f.due_at, 0) = 0 THEN 9223372036854775807 ELSE f.due_at END DESC`, false)
		}
	default:
		expr, ok := Sorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(SortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+hitColumns, hitFrom, s.scanHit)
	if err != nil {
		return nil, 0, fmt.Errorf("watchlist: list: %w", err)
	}
	if err := s.addTaken(ctx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// addTaken fills in the last action recorded on each hit's finding.
func (s *Service) addTaken(ctx context.Context, hits []*Hit) error {
	var ids []any
	for _, h := range hits {
		if h.FindingID > 0 {
			ids = append(ids, h.FindingID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.DB.Query(ctx, `SELECT finding_id, action, note, by_user, at, verified_at FROM watchlist_actions WHERE finding_id IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`) ORDER BY id`, ids...)
	if err != nil {
		return fmt.Errorf("watchlist: actions: %w", err)
	}
	defer rows.Close()
	type taken struct {
		action, note, by string
		at, verified     int64
	}
	last := map[int64]taken{}
	for rows.Next() {
		var id int64
		var t taken
		if err := rows.Scan(&id, &t.action, &t.note, &t.by, &t.at, &t.verified); err != nil {
			return err
		}
		last[id] = t
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, h := range hits {
		if t, ok := last[h.FindingID]; ok {
			h.Taken, h.TakenNote, h.TakenBy, h.TakenAt = t.action, t.note, t.by, store.Time(t.at)
			h.Awaiting = t.verified == 0 && h.Status == findings.StatusInProgress
		}
	}
	return nil
}

// Get returns one hit in the caller's scope.
func (s *Service) Get(ctx context.Context, id int64) (*Hit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, p, id)
}

func (s *Service) get(ctx context.Context, p *auth.Principal, id int64) (*Hit, error) {
	h, err := s.scanHit(s.DB.QueryRow(ctx, `SELECT `+hitColumns+hitFrom+` WHERE w.id = ?`, id))
	notFound := errs.NotFound("match " + strconv.FormatInt(id, 10))
	if err := p.CheckRead(err, func() string { return h.unitPath }, notFound); err != nil {
		return nil, err
	}
	if err := s.addTaken(ctx, []*Hit{h}); err != nil {
		return nil, err
	}
	return h, nil
}

// ActionInput is what an officer did about a hit.
type ActionInput struct {
	Action string `json:"action"` // one of format.Actions
	Note   string `json:"note"`   // what was done, in words
}

// Action is a recorded action.
type Action struct {
	ID         int64     `json:"id"`
	FindingID  int64     `json:"finding_id"`
	Action     string    `json:"action"`
	Note       string    `json:"note"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	// VerifiedBy is what verified it in words (the web layer writes it
	// in the reader's language from Verification; a row written before
	// Verification was stored keeps its text).
	VerifiedBy   string        `json:"verified_by,omitempty"`
	Verification *Verification `json:"verification,omitempty"`
}

// MaxNote bounds an action's note.
const MaxNote = 4000

// CheckAction validates and trims an action input.
func CheckAction(in *ActionInput) error {
	in.Action = strings.TrimSpace(in.Action)
	in.Note = strings.TrimSpace(in.Note)
	if !slices.Contains(format.Actions, in.Action) {
		return errs.Invalid("action", "%q is not one of %s", in.Action, errs.OneOf{Prefix: "watchlist.action.", Codes: format.Actions})
	}
	if in.Note == "" {
		return errs.Invalid("note", "say what was done (which scan, what was removed, who reset the password)")
	}
	if len(in.Note) > MaxNote {
		return errs.Invalid("note", "must be at most %d bytes", MaxNote)
	}
	return nil
}

// writable returns the hit when the caller may act on it: in scope (else
// not found), with write rights over its unit, with a finding that is
// still to be worked.
func (s *Service) writable(ctx context.Context, p *auth.Principal, id int64) (*Hit, error) {
	h, err := s.get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(h.unitPath) {
		return nil, errs.Forbidden("you may not act on matches of unit %s", h.Unit)
	}
	if h.FindingID == 0 {
		return nil, errs.Invalid("", "this match is on an alert without a known host: work it from alert #%d", h.AlertID)
	}
	return h, nil
}

// CanAct reports, before a file is read, whether the caller may act on a
// hit (the same answer RecordAction and AddEvidence give).
func (s *Service) CanAct(ctx context.Context, id int64) (*Hit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.writable(ctx, p, id)
}

// RecordAction records what an officer did about a hit's finding: the
// finding goes to in progress, awaiting verification by a later clean scan
// or inventory (Verify).
func (s *Service) RecordAction(ctx context.Context, id int64, in ActionInput) (*Hit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if err := CheckAction(&in); err != nil {
		return nil, err
	}
	h, err := s.writable(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !findings.IsActive(h.Status) {
		return nil, errs.Conflict("status", "the finding is already %s: reopen it in the findings queue first", errs.OneOf{Prefix: "finding.", Codes: []string{h.Status}})
	}
	now := store.Micros(s.now())
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO watchlist_actions (finding_id, hit_id, action, note, by_user, at) VALUES (?, ?, ?, ?, ?, ?)`,
			h.FindingID, h.ID, in.Action, in.Note, p.Email, now); err != nil {
			return fmt.Errorf("watchlist: record action: %w", err)
		}
		// The finding's note is the officer's words; the action itself
		// is stored beside it (watchlist_actions) and shown in words.
		note := in.Note
		since := store.Micros(h.StatusSince)
		if h.Status != findings.StatusInProgress {
			since = now
		}
		if _, err := tx.Exec(ctx, `UPDATE findings SET status = 'in_progress', status_since = ?, note = ?, updated_by = ?, updated_at = ? WHERE id = ?`,
			since, clip(note, MaxNote), p.Email, now, h.FindingID); err != nil {
			return fmt.Errorf("watchlist: record action: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "watchlist.action", ObjectType: "finding", ObjectID: strconv.FormatInt(h.FindingID, 10), UnitID: s.unitID(ctx, tx, h),
			Before: map[string]any{"status": h.Status},
			After:  map[string]any{"status": findings.StatusInProgress, "action": in.Action, "note": in.Note, "indicator": h.Value}})
	})
	if err != nil {
		return nil, err
	}
	return s.get(ctx, p, id)
}

func (s *Service) unitID(ctx context.Context, tx *store.Tx, h *Hit) int64 {
	var id int64
	tx.QueryRow(ctx, `SELECT id FROM units WHERE code = ?`, h.Unit).Scan(&id)
	return id
}

// Actions returns what was recorded on a hit's finding, oldest first.
func (s *Service) Actions(ctx context.Context, id int64) ([]Action, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	h, err := s.get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if h.FindingID == 0 {
		return nil, nil
	}
	rows, err := s.DB.Query(ctx, `SELECT id, finding_id, action, note, by_user, at, verified_at, verified_by FROM watchlist_actions WHERE finding_id = ? ORDER BY id`, h.FindingID)
	if err != nil {
		return nil, fmt.Errorf("watchlist: actions: %w", err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var at, v int64
		if err := rows.Scan(&a.ID, &a.FindingID, &a.Action, &a.Note, &a.By, &at, &v, &a.VerifiedBy); err != nil {
			return nil, err
		}
		a.At = store.Time(at)
		if a.Verification = ParseVerification(a.VerifiedBy); a.Verification != nil {
			a.VerifiedBy = ""
		}
		if v > 0 {
			a.VerifiedAt = store.Time(v)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// EvidenceObject is the attach object type of a warning-list finding's
// files.
const EvidenceObject = "finding"

// AddEvidence attaches a file to a hit's finding (read-only once stored,
// kept with its SHA-256) and audits it.
func (s *Service) AddEvidence(ctx context.Context, id int64, name, contentType string, data io.Reader) (*attach.Attachment, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	h, err := s.writable(ctx, p, id)
	if err != nil {
		return nil, err
	}
	var a *attach.Attachment
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		unit := s.unitID(ctx, tx, h)
		var err error
		a, err = attach.Add(ctx, tx, attach.Input{ObjectType: EvidenceObject, ObjectID: strconv.FormatInt(h.FindingID, 10), UnitID: unit,
			Name: name, ContentType: contentType, Data: data, By: p.Email, At: s.now()})
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "watchlist.evidence", ObjectType: "finding", ObjectID: strconv.FormatInt(h.FindingID, 10), UnitID: unit,
			After: map[string]any{"file": a.Name, "size": a.Size, "sha256": a.SHA256}})
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Evidence lists the files of a hit's finding.
func (s *Service) Evidence(ctx context.Context, id int64) ([]*attach.Attachment, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	h, err := s.get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if h.FindingID == 0 {
		return nil, nil
	}
	key := strconv.FormatInt(h.FindingID, 10)
	m, err := attach.List(ctx, s.DB, EvidenceObject, key)
	if err != nil {
		return nil, err
	}
	return m[key], nil
}

// EvidenceFile returns one file of a hit's finding with its bytes.
func (s *Service) EvidenceFile(ctx context.Context, id, fileID int64) (*attach.Attachment, []byte, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	h, err := s.get(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	if h.FindingID == 0 {
		return nil, nil, errs.NotFound("file " + strconv.FormatInt(fileID, 10))
	}
	return attach.Get(ctx, s.DB, EvidenceObject, strconv.FormatInt(h.FindingID, 10), fileID)
}

// Related returns the other indicators seen on the same host or the same
// alert as a hit, computed when asked (never stored as a cross product).
func (s *Service) Related(ctx context.Context, id int64) ([]*Hit, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	h, err := s.get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	cond, args := p.Scope("u.path")
	q := `SELECT ` + hitColumns + hitFrom + ` WHERE ` + cond + ` AND w.id <> ? AND w.indicator_id <> ? AND (`
	args = append(args, h.ID, h.IndicatorID)
	var or []string
	if h.HostID > 0 {
		or = append(or, "w.host_id = ?")
		args = append(args, h.HostID)
	}
	if h.AlertID > 0 {
		or = append(or, "w.alert_id = ?")
		args = append(args, h.AlertID)
	}
	if len(or) == 0 {
		return nil, nil
	}
	q += strings.Join(or, " OR ") + `) ORDER BY w.id LIMIT 200`
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("watchlist: related: %w", err)
	}
	defer rows.Close()
	var out []*Hit
	for rows.Next() {
		r, err := s.scanHit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LateUnit is a unit with overdue warning-list items.
type LateUnit struct {
	Unit         string    `json:"unit"`
	UnitName     string    `json:"unit_name"`
	Overdue      int       `json:"overdue"`
	OldestDue    time.Time `json:"oldest_due"`
	Open         int       `json:"open"` // every active warning-list item of the unit
	Contact      string    `json:"contact,omitempty"`
	ContactPhone string    `json:"contact_phone,omitempty"`
	ContactEmail string    `json:"contact_email,omitempty"`
	Officer      string    `json:"officer,omitempty"` // an officer's e-mail
}

// LateFilter selects late units.
type LateFilter struct {
	Unit   string // a unit code: that unit and the units under it
	Sort   string // a key of LateSorts; "" is the oldest deadline first
	Desc   bool
	Offset int
	Limit  int
}

// LateSorts are the columns the late units sort by.
var LateSorts = map[string]string{
	"oldest_due": "x.oldest_due",
	"unit":       "u.code",
	"name":       "u.name",
	"overdue":    "x.overdue",
	"open":       "x.open",
}

// LateSortKeys lists the keys of LateSorts.
var LateSortKeys = func() []string {
	keys := make([]string, 0, len(LateSorts))
	for k := range LateSorts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}()

// LateUnits lists a page of the units in scope with overdue warning-list
// items (the oldest deadline first unless sorted otherwise), with who to
// call, and how many units are late in all.
func (s *Service) LateUnits(ctx context.Context, f LateFilter) ([]*LateUnit, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("u.id", f.Limit, 100).Scope(p, "u.path").Where("x.overdue > 0")
	if f.Unit != "" {
		path, err := s.unitPath(ctx, p, f.Unit)
		if err != nil {
			return nil, 0, err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	sort := f.Sort
	if sort == "" {
		sort = "oldest_due"
	}
	expr, ok := LateSorts[sort]
	if !ok {
		return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(LateSortKeys, ", "))
	}
	l.OrderBy(expr, f.Desc)
	l.Skip(f.Offset)
	// now is a number the hub computed, written into the derived table
	// (FetchPage passes only the list's own arguments).
	now := strconv.FormatInt(store.Micros(s.now()), 10)
	late := `f.due_at > 0 AND f.due_at < ` + now
	from := ` FROM (SELECT h.unit_id, SUM(CASE WHEN ` + late + ` THEN 1 ELSE 0 END) AS overdue,
			MIN(CASE WHEN ` + late + ` THEN f.due_at END) AS oldest_due, COUNT(*) AS open
		FROM findings f JOIN hosts h ON h.id = f.host_id
		WHERE f.kind = 'warning_list' AND f.status IN ('open', 'in_progress') GROUP BY h.unit_id) x
		JOIN units u ON u.id = x.unit_id`
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT u.code, u.name, x.overdue, x.oldest_due, x.open,
			COALESCE((SELECT c.name FROM contacts c WHERE c.unit_id = u.id ORDER BY c.id LIMIT 1), ''),
			COALESCE((SELECT c.phone FROM contacts c WHERE c.unit_id = u.id ORDER BY c.id LIMIT 1), ''),
			COALESCE((SELECT c.email FROM contacts c WHERE c.unit_id = u.id ORDER BY c.id LIMIT 1), ''),
			COALESCE((SELECT us.email FROM users us WHERE us.unit_id = u.id AND us.role = 'officer' AND NOT us.disabled ORDER BY us.id LIMIT 1), '')`, from,
		func(sc store.Scanner) (*LateUnit, error) {
			var x LateUnit
			var oldest int64
			if err := sc.Scan(&x.Unit, &x.UnitName, &x.Overdue, &oldest, &x.Open, &x.Contact, &x.ContactPhone, &x.ContactEmail, &x.Officer); err != nil {
				return nil, err
			}
			x.OldestDue = store.Time(oldest)
			return &x, nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("watchlist: late units: %w", err)
	}
	return out, total, nil
}

// Run is one matching of a list, with its progress.
type Run struct {
	ID            int64     `json:"id"`
	ListID        int64     `json:"list_id"` // 0: every published list, against changed inventories
	List          string    `json:"list,omitempty"`
	Cause         string    `json:"cause"`
	Status        string    `json:"status"`
	Phase         string    `json:"phase,omitempty"`
	Done          int64     `json:"done"`
	Total         int64     `json:"total"`
	Indicators    int64     `json:"indicators"`
	HostsScanned  int64     `json:"hosts_scanned"`
	HostsMatched  int64     `json:"hosts_matched"`
	AlertsScanned int64     `json:"alerts_scanned"`
	EventsScanned int64     `json:"events_scanned"`
	Hits          int64     `json:"hits"`
	FindingsNew   int64     `json:"findings_new"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	StartedAt     time.Time `json:"started_at,omitzero"`
	FinishedAt    time.Time `json:"finished_at,omitzero"`
	Seconds       float64   `json:"seconds,omitempty"` // how long it ran
	Error         string    `json:"error,omitempty"`
}

// Runs lists the latest runs (of one list when listID > 0), newest first.
// Runs concern the IT Center's lists as a whole: those who see every unit
// read them; others get none.
func (s *Service) Runs(ctx context.Context, listID int64, limit int) ([]Run, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if !p.SeesAllUnits() {
		return []Run{}, nil
	}
	limit = store.ClampLimit(limit, 20)
	q := `SELECT r.id, r.list_id, COALESCE(l.name, ''), r.cause, r.status, r.phase, r.done, r.total, r.indicators, r.hosts_scanned, r.hosts_matched,
		r.alerts_scanned, r.events_scanned, r.hits, r.findings_new, r.created_by, r.created_at, r.started_at, r.finished_at, r.error
		FROM watchlist_runs r LEFT JOIN warning_lists l ON l.id = r.list_id`
	var args []any
	if listID > 0 {
		q += ` WHERE r.list_id = ?`
		args = append(args, listID)
	}
	rows, err := s.DB.Query(ctx, q+` ORDER BY r.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("watchlist: runs: %w", err)
	}
	defer rows.Close()
	out := []Run{}
	for rows.Next() {
		var r Run
		var created, started, finished int64
		if err := rows.Scan(&r.ID, &r.ListID, &r.List, &r.Cause, &r.Status, &r.Phase, &r.Done, &r.Total, &r.Indicators, &r.HostsScanned, &r.HostsMatched,
			&r.AlertsScanned, &r.EventsScanned, &r.Hits, &r.FindingsNew, &r.CreatedBy, &created, &started, &finished, &r.Error); err != nil {
			return nil, err
		}
		r.CreatedAt, r.StartedAt, r.FinishedAt = store.Time(created), store.Time(started), store.Time(finished)
		if started > 0 && finished >= started {
			r.Seconds = float64(finished-started) / 1e6
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Rerun queues a new matching of a published list (the IT Center).
func (s *Service) Rerun(ctx context.Context, listID int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	if p.Role != auth.RoleAdmin || p.Via == "agent" {
		return errs.Forbidden("only an administrator may match a list again")
	}
	if err := s.queue(ctx, listID, CauseRequest, p.Email); err != nil {
		return err
	}
	s.kick()
	return nil
}
