package readiness

import (
	"context"
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

// Campaign is a readiness campaign.
type Campaign struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Template    string    `json:"template"`
	StartsAt    time.Time `json:"starts_at"`
	DueAt       time.Time `json:"due_at"`
	AllUnits    bool      `json:"all_units"`
	Units       []string  `json:"units"` // the codes chosen, each with its subtree
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	RefreshedAt time.Time `json:"refreshed_at,omitzero"`
	// Targets counts the target units the reader sees.
	Targets  int          `json:"targets"`
	Criteria []*Criterion `json:"criteria,omitempty"`
}

// Open reports whether the campaign's deadline is still ahead at now.
func (c *Campaign) Open(now time.Time) bool { return now.Before(c.DueAt) }

// Input opens a campaign. StartsAt is a day (the period starts at its
// beginning, Vietnam time), DueAt a day (the deadline is the end of it),
// both dd/mm/yyyy or yyyy-mm-dd; Units are unit codes, each with its
// subtree; none means every unit.
type Input struct {
	Name     string   `json:"name"`
	Template string   `json:"template"`
	Units    []string `json:"units"`
	StartsAt string   `json:"starts_at"`
	DueAt    string   `json:"due_at"`
}

// ParseDay reads a day written dd/mm/yyyy or yyyy-mm-dd (or a full
// RFC 3339 time) and returns its start in Vietnam.
func ParseDay(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errs.Invalid(field, "is required")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"02/01/2006", "2/1/2006", "2006-01-02"} {
		if d, err := time.ParseInLocation(layout, s, i18n.Location); err == nil {
			return d, nil
		}
	}
	return time.Time{}, errs.Invalid(field, "%q is not a date: write it as dd/mm/yyyy (31/12/2026) or yyyy-mm-dd", s)
}

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

// Create opens a campaign as the IT Center: the template's criteria are
// copied, the target units listed, and a first refresh is left to the
// caller (the web layer and the CLI refresh at once).
func (s *Service) Create(ctx context.Context, in Input) (*Campaign, error) {
	p, err := s.requireITCenter(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.ensureBuiltin(ctx); err != nil {
		return nil, err
	}
	name, err := text("name", in.Name, maxName)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, errs.Invalid("name", "is required")
	}
	key := strings.TrimSpace(in.Template)
	if key == "" {
		key = BuiltinTemplate
	}
	starts, err := ParseDay("starts_at", in.StartsAt)
	if err != nil {
		return nil, err
	}
	due, err := ParseDay("due_at", in.DueAt)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(in.DueAt, "T") {
		due = due.Add(24*time.Hour - time.Microsecond)
	}
	if !due.After(starts) {
		return nil, errs.Invalid("due_at", "the deadline must come after the start")
	}
	codes := splitCodes(in.Units)
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		t, err := s.template(ctx, tx, key)
		if errs.Code(err) == errs.ENOTFOUND {
			return errs.Invalid("template", "no template has the key %q", key)
		}
		if err != nil {
			return err
		}
		var paths []string
		for _, c := range codes {
			var path string
			err := tx.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, c).Scan(&path)
			if store.IsNoRows(err) {
				return errs.Invalid("units", "no unit has the code %q", c)
			}
			if err != nil {
				return fmt.Errorf("readiness: unit %s: %w", c, err)
			}
			paths = append(paths, path)
		}
		now := store.Micros(s.now())
		if err := tx.QueryRow(ctx, `INSERT INTO readiness_campaigns (name, template_key, starts_at, due_at, all_units, target_codes, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, name, key, store.Micros(starts), store.Micros(due), len(codes) == 0,
			strings.Join(codes, ","), p.Email, now).Scan(&id); err != nil {
			return fmt.Errorf("readiness: create campaign: %w", err)
		}
		if len(paths) == 0 {
			_, err = tx.Exec(ctx, `INSERT INTO readiness_campaign_units (campaign_id, unit_id) SELECT ?, id FROM units`, id)
		} else {
			conds := make([]string, len(paths))
			args := []any{id}
			for i, path := range paths {
				conds[i] = `path LIKE ? ESCAPE '\'`
				args = append(args, store.LikePrefix(path))
			}
			_, err = tx.Exec(ctx, `INSERT INTO readiness_campaign_units (campaign_id, unit_id) SELECT ?, id FROM units WHERE `+strings.Join(conds, " OR "), args...)
		}
		if err != nil {
			return fmt.Errorf("readiness: campaign units: %w", err)
		}
		if err := insertCriteria(ctx, tx, "readiness_campaign_criteria", "campaign_id", id, t.Criteria); err != nil {
			return fmt.Errorf("readiness: campaign criteria: %w", err)
		}
		after := map[string]any{"name": name, "template": key, "starts_at": i18n.FormatDate(starts, "vi"), "due_at": i18n.FormatDate(due, "vi")}
		if len(codes) > 0 {
			after["units"] = strings.Join(codes, ", ")
		} else {
			after["units"] = "*"
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "readiness.create", ObjectType: "readiness_campaign", ObjectID: strconv.FormatInt(id, 10), After: after})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

const campaignColumns = `c.id, c.name, c.template_key, c.starts_at, c.due_at, c.all_units, c.target_codes, c.created_by, c.created_at, c.refreshed_at`

func scanCampaign(sc store.Scanner) (*Campaign, error) {
	var c Campaign
	var starts, due, created, refreshed int64
	var codes string
	if err := sc.Scan(&c.ID, &c.Name, &c.Template, &starts, &due, &c.AllUnits, &codes, &c.CreatedBy, &created, &refreshed); err != nil {
		return nil, err
	}
	c.StartsAt, c.DueAt, c.CreatedAt, c.RefreshedAt = store.Time(starts), store.Time(due), store.Time(created), store.Time(refreshed)
	c.Units = []string{}
	if codes != "" {
		c.Units = strings.Split(codes, ",")
	}
	return &c, nil
}

// load reads a campaign and its criteria, with no scope check.
func (s *Service) load(ctx context.Context, q store.Queryer, id int64) (*Campaign, error) {
	c, err := scanCampaign(q.QueryRowContext(ctx, s.DB.Rebind(`SELECT `+campaignColumns+` FROM readiness_campaigns c WHERE c.id = ?`), id))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("campaign " + strconv.FormatInt(id, 10))
	}
	if err != nil {
		return nil, fmt.Errorf("readiness: campaign %d: %w", id, err)
	}
	rows, err := q.QueryContext(ctx, s.DB.Rebind(`SELECT `+criterionColumns+` FROM readiness_campaign_criteria WHERE campaign_id = ? ORDER BY position, key`), id)
	if err != nil {
		return nil, fmt.Errorf("readiness: campaign %d criteria: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		cr, err := scanCriterion(rows)
		if err != nil {
			return nil, fmt.Errorf("readiness: campaign %d criteria: %w", id, err)
		}
		c.Criteria = append(c.Criteria, cr)
	}
	return c, rows.Err()
}

// Get returns a campaign the caller sees: one with a target unit in their
// subtree (the IT Center and the SOC see all).
func (s *Service) Get(ctx context.Context, id int64) (*Campaign, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.load(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	if err := s.countTargets(ctx, p, []*Campaign{c}); err != nil {
		return nil, err
	}
	all, err := s.seesAll(ctx, p)
	if err != nil {
		return nil, err
	}
	if !all && c.Targets == 0 {
		return nil, errs.NotFound("campaign " + strconv.FormatInt(id, 10))
	}
	return c, nil
}

func (s *Service) countTargets(ctx context.Context, p *auth.Principal, cs []*Campaign) error {
	if len(cs) == 0 {
		return nil
	}
	byID := map[int64]*Campaign{}
	args := []any{}
	for _, c := range cs {
		byID[c.ID] = c
		args = append(args, c.ID)
	}
	cond, sargs := p.Scope("u.path")
	rows, err := s.DB.Query(ctx, `SELECT t.campaign_id, COUNT(*) FROM readiness_campaign_units t JOIN units u ON u.id = t.unit_id
		WHERE t.campaign_id IN (`+placeholders(len(args))+`) AND `+cond+` GROUP BY t.campaign_id`, append(args, sargs...)...)
	if err != nil {
		return fmt.Errorf("readiness: campaign targets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return err
		}
		if c := byID[id]; c != nil {
			c.Targets = n
		}
	}
	return rows.Err()
}

// Filter selects campaigns.
type Filter struct {
	State  string // "open" (deadline ahead), "closed", "" for any
	Query  string // words of the name
	Sort   string // a key of Sorts; "" is the latest deadline first
	Desc   bool
	Offset int
	Limit  int
}

// Sorts are the columns a list of campaigns sorts by.
var Sorts = map[string]string{"name": "c.name", "starts": "c.starts_at", "due": "c.due_at", "created": "c.created_at"}

// SortKeys lists the keys of Sorts.
var SortKeys = []string{"created", "due", "name", "starts"}

// States are the values of Filter.State.
var States = []string{"open", "closed"}

// List returns the campaigns the caller sees, filtered, sorted and paged,
// with the true total.
func (s *Service) List(ctx context.Context, f Filter) ([]*Campaign, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	all, err := s.seesAll(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("c.due_at DESC, c.id DESC", f.Limit, 100)
	if !all {
		cond, args := p.Scope("u.path")
		l.Where(`EXISTS (SELECT 1 FROM readiness_campaign_units t JOIN units u ON u.id = t.unit_id WHERE t.campaign_id = c.id AND `+cond+`)`, args...)
	}
	now := store.Micros(s.now())
	switch f.State {
	case "":
	case "open":
		l.Where("c.due_at > ?", now)
	case "closed":
		l.Where("c.due_at <= ?", now)
	default:
		return nil, 0, errs.Invalid("state", "must be one of %s", strings.Join(States, ", "))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		l.Where(`LOWER(c.name) LIKE ? ESCAPE '\'`, store.LikeContains(strings.ToLower(q)))
	}
	if f.Sort != "" {
		expr, ok := Sorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(SortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+campaignColumns, ` FROM readiness_campaigns c`, scanCampaign)
	if err != nil {
		return nil, 0, fmt.Errorf("readiness: list campaigns: %w", err)
	}
	if err := s.countTargets(ctx, p, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
