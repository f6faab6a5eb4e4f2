package intel

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/audit"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// DefaultIssuer is the issuer of a list that names none.
const DefaultIssuer = "Trung tâm CNTT"

// Severities of an entry, most urgent first.
var Severities = []string{"critical", "high", "medium", "low"}

// Statuses lists the warning-list statuses.
var Statuses = []string{ListDraft, ListPublished, ListSuperseded, ListWithdrawn}

// ListInput creates a list.
type ListInput struct {
	Name        string `json:"name"`
	Month       string `json:"month,omitempty"` // YYYY-MM; the current month (Asia/Ho_Chi_Minh) when empty
	Issuer      string `json:"issuer,omitempty"`
	Description string `json:"description,omitempty"`
	RetroDays   *int   `json:"retro_days,omitempty"` // 30 when absent
}

var monthRE = regexp.MustCompile(`^(20[0-9]{2})-(0[1-9]|1[0-2])$`)

// Month is the month (YYYY-MM) of t in Asia/Ho_Chi_Minh.
func Month(t time.Time) string { return t.In(i18n.Location).Format("2006-01") }

const listCols = `l.id, l.name, l.month, l.version, l.issuer, l.description, l.status, l.status_since, l.retro_days, l.entries,
	l.created_by, l.created_at, l.published_by, l.published_at`

func scanList(sc store.Scanner) (*List, error) {
	var l List
	var since, created, published int64
	if err := sc.Scan(&l.ID, &l.Name, &l.Month, &l.Version, &l.Issuer, &l.Description, &l.Status, &since, &l.RetroDays, &l.Entries,
		&l.CreatedBy, &created, &l.PublishedBy, &published); err != nil {
		return nil, err
	}
	l.StatusSince, l.CreatedAt = store.Time(since), store.Time(created)
	if published > 0 {
		l.PublishedAt = store.Time(published)
	}
	return &l, nil
}

func checkText(field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return errs.Invalid(field, "is required")
	}
	if len(v) > max {
		return errs.Invalid(field, "must be at most %d bytes", max)
	}
	if !utf8.ValidString(v) {
		return errs.Invalid(field, "is not valid UTF-8 text")
	}
	return nil
}

func (in *ListInput) check(now time.Time) error {
	in.Name, in.Issuer, in.Description, in.Month = strings.TrimSpace(in.Name), strings.TrimSpace(in.Issuer), strings.TrimSpace(in.Description), strings.TrimSpace(in.Month)
	if err := checkText("name", in.Name, 200, true); err != nil {
		return err
	}
	if err := checkText("issuer", in.Issuer, 200, false); err != nil {
		return err
	}
	if err := checkText("description", in.Description, 4000, false); err != nil {
		return err
	}
	if in.Month == "" {
		in.Month = Month(now)
	}
	if !monthRE.MatchString(in.Month) {
		return errs.Invalid("month", "%q is not a month written YYYY-MM", in.Month)
	}
	if in.Issuer == "" {
		in.Issuer = DefaultIssuer
	}
	if in.RetroDays == nil {
		d := 30
		in.RetroDays = &d
	}
	if *in.RetroDays < 0 || *in.RetroDays > 365 {
		return errs.Invalid("retro_days", "must be between 0 and 365 days")
	}
	return nil
}

// CreateList creates a draft list (the IT Center only). Lists are
// versioned by month and name: a list is version n+1 of the lists of its
// month with its name (another list of the month does not count).
func (s *Service) CreateList(ctx context.Context, in ListInput) (*List, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if !c.manage {
		return nil, errs.Forbidden("only the IT Center may create warning lists")
	}
	if err := in.check(s.now()); err != nil {
		return nil, err
	}
	var l *List
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		l, err = s.createList(ctx, tx, c, in)
		return err
	})
	return l, err
}

func (s *Service) createList(ctx context.Context, tx *store.Tx, c *caller, in ListInput) (*List, error) {
	var v int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM warning_lists WHERE month = ? AND name = ?`, in.Month, in.Name).Scan(&v); err != nil {
		return nil, fmt.Errorf("intel: create list: %w", err)
	}
	now := store.Micros(s.now())
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO warning_lists (name, month, version, issuer, description, status, status_since, retro_days, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?) RETURNING id`,
		in.Name, in.Month, v+1, in.Issuer, in.Description, now, *in.RetroDays, c.p.Email, now).Scan(&id)
	if err != nil {
		if store.IsUniqueViolation(err) {
			return nil, errs.Conflict("month", "another version of %s of %s was created at the same time; try again", in.Name, in.Month)
		}
		return nil, fmt.Errorf("intel: create list: %w", err)
	}
	l, err := getList(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return l, audit.Append(ctx, tx, audit.Entry{Action: "watchlist.create", ObjectType: "warning_list", ObjectID: strconv.FormatInt(id, 10),
		After: map[string]any{"name": l.Name, "month": l.Month, "version": l.Version, "issuer": l.Issuer, "retro_days": l.RetroDays}})
}

// queryRower is *store.DB or *store.Tx.
type queryRower interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

func getList(ctx context.Context, q queryRower, id int64) (*List, error) {
	l, err := scanList(q.QueryRow(ctx, `SELECT `+listCols+` FROM warning_lists l WHERE l.id = ?`, id))
	if err != nil {
		if store.IsNoRows(err) {
			return nil, errs.NotFound("warning list")
		}
		return nil, fmt.Errorf("intel: list %d: %w", id, err)
	}
	return l, nil
}

// GetList returns a list the caller may read (a draft: the IT Center).
func (s *Service) GetList(ctx context.Context, id int64) (*List, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.readList(ctx, c, id)
}

func (s *Service) readList(ctx context.Context, c *caller, id int64) (*List, error) {
	l, err := getList(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	if l.Status == ListDraft && !c.readsAll {
		return nil, errs.NotFound("warning list")
	}
	return l, nil
}

// ListFilter selects lists.
type ListFilter struct {
	Status string // one of Statuses
	Month  string
	Q      string // in the name
	Sort   string // a key of ListSorts; "" newest first
	Desc   bool
	Offset int
	Limit  int
}

// ListSorts are the columns lists sort by.
var ListSorts = map[string]string{
	"month":     "l.month",
	"name":      "l.name",
	"status":    "l.status",
	"since":     "l.status_since",
	"entries":   "l.entries",
	"published": "l.published_at",
}

// ListSortKeys lists the keys of ListSorts.
var ListSortKeys = []string{"month", "name", "status", "since", "entries", "published"}

// Lists returns a page of the lists the caller reads and their true total.
func (s *Service) Lists(ctx context.Context, f ListFilter) ([]*List, int, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("l.id DESC", f.Limit, 50).Where(c.listScope())
	if f.Status != "" {
		if !slices.Contains(Statuses, f.Status) {
			return nil, 0, errs.Invalid("status", "%q is not one of %s", f.Status, errs.OneOf{Prefix: "intel.list_status.", Codes: Statuses})
		}
		l.Where("l.status = ?", f.Status)
	}
	if f.Month != "" {
		if !monthRE.MatchString(f.Month) {
			return nil, 0, errs.Invalid("month", "%q is not a month written YYYY-MM", f.Month)
		}
		l.Where("l.month = ?", f.Month)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		l.Where(`LOWER(l.name) LIKE ? ESCAPE '\'`, store.LikeContains(strings.ToLower(q)))
	}
	if f.Sort != "" {
		expr, ok := ListSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(ListSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+listCols, ` FROM warning_lists l`, scanList)
	if err != nil {
		return nil, 0, fmt.Errorf("intel: lists: %w", err)
	}
	return out, total, nil
}

// NewVersion makes a draft copy of a list (its entries included) as the
// next version of its month and name: the way to correct a published list.
func (s *Service) NewVersion(ctx context.Context, id int64) (*List, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if !c.manage {
		return nil, errs.Forbidden("only the IT Center may make a new version of a warning list")
	}
	var out *List
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		from, err := getList(ctx, tx, id)
		if err != nil {
			return err
		}
		rd := from.RetroDays
		l, err := s.createList(ctx, tx, c, ListInput{Name: from.Name, Month: from.Month, Issuer: from.Issuer, Description: from.Description, RetroDays: &rd})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO warning_list_entries (list_id, indicator_id, unit_id, action, severity, reason, added_at)
			SELECT ?, indicator_id, unit_id, action, severity, reason, added_at FROM warning_list_entries WHERE list_id = ?`, l.ID, from.ID); err != nil {
			return fmt.Errorf("intel: new version: %w", err)
		}
		if err := recount(ctx, tx, l.ID); err != nil {
			return err
		}
		out, err = getList(ctx, tx, l.ID)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "watchlist.new_version", ObjectType: "warning_list", ObjectID: strconv.FormatInt(l.ID, 10),
			After: map[string]any{"from": from.ID, "version": out.Version, "entries": out.Entries}})
	})
	return out, err
}

// ListPatch changes a list's text.
type ListPatch struct {
	Name        *string `json:"name,omitempty"`
	Issuer      *string `json:"issuer,omitempty"`
	Description *string `json:"description,omitempty"`
	RetroDays   *int    `json:"retro_days,omitempty"`
}

// UpdateList changes a list's name, issuer, description or retro-hunt
// days (the IT Center; not a superseded or withdrawn one).
func (s *Service) UpdateList(ctx context.Context, id int64, p ListPatch) (*List, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if !c.manage {
		return nil, errs.Forbidden("only the IT Center may change warning lists")
	}
	var out *List
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		l, err := getList(ctx, tx, id)
		if err != nil {
			return err
		}
		if l.Status == ListSuperseded || l.Status == ListWithdrawn {
			return errs.Conflict("status", "a superseded or withdrawn list can no longer change")
		}
		in := ListInput{Name: l.Name, Month: l.Month, Issuer: l.Issuer, Description: l.Description, RetroDays: &l.RetroDays}
		if p.Name != nil {
			in.Name = *p.Name
		}
		if p.Issuer != nil {
			in.Issuer = *p.Issuer
		}
		if p.Description != nil {
			in.Description = *p.Description
		}
		if p.RetroDays != nil {
			in.RetroDays = p.RetroDays
		}
		if err := in.check(s.now()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE warning_lists SET name = ?, issuer = ?, description = ?, retro_days = ? WHERE id = ?`,
			in.Name, in.Issuer, in.Description, *in.RetroDays, id); err != nil {
			return fmt.Errorf("intel: update list: %w", err)
		}
		out, err = getList(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "watchlist.update", ObjectType: "warning_list", ObjectID: strconv.FormatInt(id, 10),
			Before: map[string]any{"name": l.Name, "issuer": l.Issuer, "description": l.Description, "retro_days": l.RetroDays},
			After:  map[string]any{"name": out.Name, "issuer": out.Issuer, "description": out.Description, "retro_days": out.RetroDays}})
	})
	return out, err
}

// recount stores a list's number of entries.
func recount(ctx context.Context, tx *store.Tx, id int64) error {
	_, err := tx.Exec(ctx, `UPDATE warning_lists SET entries = (SELECT COUNT(*) FROM warning_list_entries WHERE list_id = ?) WHERE id = ?`, id, id)
	return err
}

// Publish puts a draft in force: its status becomes published, the
// previous published version of the same month and name becomes
// superseded, and after the commit every OnPublish hook runs (their
// errors are logged; the publication stands). The IT Center only.
func (s *Service) Publish(ctx context.Context, id int64) (*List, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if !c.manage {
		return nil, errs.Forbidden("only the IT Center may publish warning lists")
	}
	var out *List
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.publish(ctx, tx, c, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.published(ctx, id)
	return out, nil
}

func (s *Service) publish(ctx context.Context, tx *store.Tx, c *caller, id int64) (*List, error) {
	l, err := getList(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if l.Status != ListDraft {
		return nil, errs.Conflict("status", "only a draft can be published")
	}
	now := store.Micros(s.now())
	rows, err := tx.Query(ctx, `SELECT id FROM warning_lists WHERE month = ? AND name = ? AND status = 'published' AND id <> ?`, l.Month, l.Name, id)
	if err != nil {
		return nil, fmt.Errorf("intel: publish: %w", err)
	}
	var old []int64
	for rows.Next() {
		var o int64
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return nil, err
		}
		old = append(old, o)
	}
	rows.Close()
	for _, o := range old {
		if _, err := tx.Exec(ctx, `UPDATE warning_lists SET status = 'superseded', status_since = ? WHERE id = ?`, now, o); err != nil {
			return nil, fmt.Errorf("intel: publish: %w", err)
		}
		if err := audit.Append(ctx, tx, audit.Entry{Action: "watchlist.supersede", ObjectType: "warning_list", ObjectID: strconv.FormatInt(o, 10),
			Before: map[string]any{"status": ListPublished}, After: map[string]any{"status": ListSuperseded, "by": id}}); err != nil {
			return nil, err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE warning_lists SET status = 'published', status_since = ?, published_by = ?, published_at = ? WHERE id = ?`,
		now, c.p.Email, now, id); err != nil {
		return nil, fmt.Errorf("intel: publish: %w", err)
	}
	if err := bump(ctx, tx); err != nil {
		return nil, err
	}
	out, err := getList(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	return out, audit.Append(ctx, tx, audit.Entry{Action: "watchlist.publish", ObjectType: "warning_list", ObjectID: strconv.FormatInt(id, 10),
		Before: map[string]any{"status": l.Status}, After: map[string]any{"status": ListPublished, "entries": out.Entries, "superseded": old}})
}

// published runs the OnPublish hooks for list id, logging their errors.
func (s *Service) published(ctx context.Context, id int64) {
	s.invalidate()
	for _, h := range s.OnPublish {
		if err := h(ctx, id); err != nil {
			s.logger().Error("warning list published; a publish hook failed", "list", id, "err", err)
		}
	}
}

// Withdraw takes a published (or draft) list back: nothing matches it
// any more and agents stop receiving it. The IT Center only.
func (s *Service) Withdraw(ctx context.Context, id int64, reason string) (*List, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if !c.manage {
		return nil, errs.Forbidden("only the IT Center may withdraw warning lists")
	}
	reason = strings.TrimSpace(reason)
	if err := checkText("reason", reason, 2000, false); err != nil {
		return nil, err
	}
	var out *List
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		l, err := getList(ctx, tx, id)
		if err != nil {
			return err
		}
		if l.Status != ListPublished && l.Status != ListDraft {
			return errs.Conflict("status", "only a draft or a published list can be withdrawn")
		}
		if _, err := tx.Exec(ctx, `UPDATE warning_lists SET status = 'withdrawn', status_since = ? WHERE id = ?`, store.Micros(s.now()), id); err != nil {
			return fmt.Errorf("intel: withdraw: %w", err)
		}
		if err := bump(ctx, tx); err != nil {
			return err
		}
		out, err = getList(ctx, tx, id)
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "watchlist.withdraw", ObjectType: "warning_list", ObjectID: strconv.FormatInt(id, 10),
			Before: map[string]any{"status": l.Status}, After: map[string]any{"status": ListWithdrawn}, Note: reason})
	})
	if err == nil {
		s.invalidate()
	}
	return out, err
}

// Entry is one indicator on a list, targeting every unit or one unit's
// subtree, with what the unit must do.
type Entry struct {
	ListID      int64     `json:"list_id"`
	IndicatorID int64     `json:"indicator_id"`
	Kind        string    `json:"kind"`
	Value       string    `json:"value"`
	Source      string    `json:"source,omitempty"`
	Confidence  int       `json:"confidence"`
	TLP         string    `json:"tlp"`
	ValidUntil  time.Time `json:"valid_until,omitzero"`
	Revoked     bool      `json:"revoked,omitempty"`
	Comment     string    `json:"comment,omitempty"`
	Unit        string    `json:"unit,omitempty"` // "" = every unit
	UnitName    string    `json:"unit_name,omitempty"`
	Action      string    `json:"action"`
	Severity    string    `json:"severity"`
	Reason      string    `json:"reason,omitempty"`
	AddedAt     time.Time `json:"added_at"`
}

// EntryFilter selects a list's entries.
type EntryFilter struct {
	Kind     string
	Unit     string // entries targeting this unit exactly; "*" every unit
	Severity string
	Action   string
	Q        string // in the value or the reason
	Sort     string // a key of EntrySorts; "" as added
	Desc     bool
	Offset   int
	Limit    int
}

// EntrySorts are the columns entries sort by.
var EntrySorts = map[string]string{
	"kind":     "i.kind",
	"value":    "i.value",
	"unit":     "up.code",
	"severity": "CASE e.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END",
	"action":   "e.action",
	"added":    "e.added_at",
}

// EntrySortKeys lists the keys of EntrySorts.
var EntrySortKeys = []string{"kind", "value", "unit", "severity", "action", "added"}

const entryCols = `SELECT e.list_id, e.indicator_id, i.kind, i.value, i.source, i.confidence, i.tlp, i.valid_until, i.revoked, i.comment,
	COALESCE(up.code, ''), COALESCE(up.name, ''), e.action, e.severity, e.reason, e.added_at`

const entryFrom = ` FROM warning_list_entries e JOIN intel_indicators i ON i.id = e.indicator_id LEFT JOIN units up ON up.id = e.unit_id`

func scanEntry(sc store.Scanner) (Entry, error) {
	var e Entry
	var until, added int64
	if err := sc.Scan(&e.ListID, &e.IndicatorID, &e.Kind, &e.Value, &e.Source, &e.Confidence, &e.TLP, &until, &e.Revoked, &e.Comment,
		&e.Unit, &e.UnitName, &e.Action, &e.Severity, &e.Reason, &added); err != nil {
		return e, err
	}
	if until > 0 {
		e.ValidUntil = store.Time(until)
	}
	e.AddedAt = store.Time(added)
	return e, nil
}

// Entries returns a page of a list's entries the caller reads (those
// targeting every unit or a unit of its subtree) and their true total.
func (s *Service) Entries(ctx context.Context, listID int64, f EntryFilter) ([]Entry, int, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.readList(ctx, c, listID); err != nil {
		return nil, 0, err
	}
	// The row key: entries are keyed by three columns; the indicator id
	// orders ties.
	l := store.NewList("e.indicator_id", f.Limit, 100).Where("e.list_id = ?", listID)
	cond, args := c.entryScope()
	l.Where(cond, args...)
	if f.Kind != "" {
		if !slices.Contains(format.Kinds, f.Kind) {
			return nil, 0, errs.Invalid("kind", "%q is not one of %s", f.Kind, errs.OneOf{Prefix: "intel.kind.", Codes: format.Kinds})
		}
		l.Where("i.kind = ?", f.Kind)
	}
	switch f.Unit {
	case "":
	case "*":
		l.Where("e.unit_id = 0")
	default:
		l.Where("up.code = ?", f.Unit)
	}
	if f.Severity != "" {
		if !slices.Contains(Severities, f.Severity) {
			return nil, 0, errs.Invalid("severity", "%q is not one of %s", f.Severity, errs.OneOf{Prefix: "severity.", Codes: Severities})
		}
		l.Where("e.severity = ?", f.Severity)
	}
	if f.Action != "" {
		if !slices.Contains(format.Actions, f.Action) {
			return nil, 0, errs.Invalid("action", "%q is not one of %s", f.Action, errs.OneOf{Prefix: "intel.action.", Codes: format.Actions})
		}
		l.Where("e.action = ?", f.Action)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		pat := store.LikeContains(strings.ToLower(q))
		l.Where(`(i.value LIKE ? ESCAPE '\' OR LOWER(e.reason) LIKE ? ESCAPE '\')`, pat, pat)
	}
	sort := f.Sort
	if sort == "" {
		sort = "added"
	}
	expr, ok := EntrySorts[sort]
	if !ok {
		return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(EntrySortKeys, ", "))
	}
	l.OrderBy(expr, f.Desc)
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, entryCols, entryFrom, scanEntry)
	if err != nil {
		return nil, 0, fmt.Errorf("intel: entries: %w", err)
	}
	return out, total, nil
}
