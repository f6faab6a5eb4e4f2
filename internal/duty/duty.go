// Package duty is who watches when: duty rosters of the IT Center's 24/7
// SOC and of each unit over a period (the Lunar New Year holiday above
// all), their shifts from a pattern (3 × 8 h, 2 × 12 h or custom start
// times), the people on each shift with their role on it, swaps between
// two people, the hours nobody is on duty, the handover notes each shift
// leaves the next, who is on duty now, and the rosters as iCalendar.
//
// Scope is the unit's: a roster is read by whoever reads its unit, and
// made, staffed and changed by whoever writes it (an administrator, the
// unit's officers) and by the SOC's analysts for their own unit's
// subtree, since the SOC plans its own watch. Out of scope is not found.
// A shift's handover note is written by the people on it.
package duty

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Patterns of shifts.
const (
	Pattern3x8   = "3x8"    // three shifts of 8 hours
	Pattern2x12  = "2x12"   // day and night, 12 hours each
	PatternCusto = "custom" // start times of the officer's choosing
)

// Patterns lists the patterns in display order.
var Patterns = []string{Pattern3x8, Pattern2x12, PatternCusto}

// DefaultStarts are the start times of each pattern when none are given.
var DefaultStarts = map[string][]string{
	Pattern3x8:  {"06:00", "14:00", "22:00"},
	Pattern2x12: {"07:00", "19:00"},
}

// PresetTet is the Lunar New Year preset (TetHoliday).
const PresetTet = "tet"

// Roles on a shift.
const (
	RoleOnDuty = "on_duty"
	RoleLead   = "lead"
)

// Roles lists the roles on a shift.
var Roles = []string{RoleOnDuty, RoleLead}

// Limits of one roster.
const (
	MaxDays   = 366
	MaxShifts = 3000
)

// Roster is a unit's shifts over a period.
type Roster struct {
	ID       int64    `json:"id"`
	Unit     string   `json:"unit"`
	UnitName string   `json:"unit_name"`
	Name     string   `json:"name"`
	Preset   string   `json:"preset,omitempty"`
	Pattern  string   `json:"pattern"`
	Starts   []string `json:"starts"` // shift start times, HH:MM in Asia/Ho_Chi_Minh
	// FirstDay and LastDay are the period's days (yyyy-mm-dd); the last
	// day's last shift ends on the next day.
	FirstDay string    `json:"first_day"`
	LastDay  string    `json:"last_day"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Shifts   int       `json:"shifts"`
	// UncoveredShifts and UncoveredHours count the shifts with nobody on
	// duty (no active user assigned) and their hours.
	UncoveredShifts int       `json:"uncovered_shifts"`
	UncoveredHours  float64   `json:"uncovered_hours"`
	CreatedBy       string    `json:"created_by"`
	CreatedAt       time.Time `json:"created_at"`

	unitID   int64
	unitPath string
}

// UnitPath is the materialised path of the roster's unit.
func (r *Roster) UnitPath() string { return r.unitPath }

// UnitID is the id of the roster's unit.
func (r *Roster) UnitID() int64 { return r.unitID }

// Days returns the roster's days, midnight in Asia/Ho_Chi_Minh.
func (r *Roster) Days() []time.Time {
	first, _ := ParseDay(r.FirstDay)
	last, _ := ParseDay(r.LastDay)
	var out []time.Time
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

// Service is the duty roster.
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

// canManage reports whether p may make and staff rosters of the unit at
// path: whoever writes the unit, and an analyst inside their own unit's
// subtree (the SOC plans its own watch).
func canManage(p *auth.Principal, path string) bool {
	if p.CanWrite(path) {
		return true
	}
	return p.Role == auth.RoleAnalyst && p.Via != "agent" && p.UnitPath != "" && strings.HasPrefix(path, p.UnitPath)
}

// CanManage reports whether the caller may make and staff rosters of the
// unit at path (for pages deciding which forms to show).
func CanManage(p *auth.Principal, path string) bool { return p != nil && canManage(p, path) }

type queryer interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

// dbtx is the database or a transaction.
type dbtx interface {
	queryer
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// unitRef is a unit as duty reads it.
type unitRef struct {
	ID         int64
	Code, Name string
	Path       string
}

// unit reads the unit of code the caller may read; anything else is not
// found.
func unit(ctx context.Context, q queryer, p *auth.Principal, code string) (*unitRef, error) {
	var u unitRef
	err := q.QueryRow(ctx, `SELECT id, code, name, path FROM units WHERE code = ?`, strings.TrimSpace(code)).Scan(&u.ID, &u.Code, &u.Name, &u.Path)
	if err := p.CheckRead(err, func() string { return u.Path }, errs.NotFound("unit "+strconv.Quote(code))); err != nil {
		return nil, err
	}
	return &u, nil
}

// RosterInput makes a roster.
type RosterInput struct {
	Unit string `json:"unit"`
	Name string `json:"name"` // "" names it from the preset or the period
	// Preset "tet" plans the Lunar New Year of Year (the next one when 0):
	// From and To default to its days off and the days around them.
	Preset string `json:"preset,omitempty"`
	Year   int    `json:"year,omitempty"`
	// From and To are the first and last days, dd/mm/yyyy or yyyy-mm-dd.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Pattern is 3x8, 2x12 or custom. Starts are the shifts' start times
	// ("06:00, 14:00, 22:00"): required for custom; for 3x8 and 2x12 the
	// first one moves the pattern (3x8 from 07:00 is 07–15–23).
	Pattern string `json:"pattern"`
	Starts  string `json:"starts,omitempty"`
}

// parseClock reads HH:MM as minutes after midnight.
func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		h, m = strings.TrimSpace(s), "00"
		if strings.ContainsAny(h, "hH") {
			h, m, _ = strings.Cut(strings.ToLower(h), "h")
			if m == "" {
				m = "00"
			}
		}
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, false
	}
	return hh*60 + mm, true
}

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// startTimes works out a pattern's start times, in minutes after
// midnight, ascending.
func startTimes(pattern, starts string) ([]int, error) {
	var given []int
	for _, part := range strings.FieldsFunc(starts, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		m, ok := parseClock(part)
		if !ok {
			return nil, errs.Invalid("starts", "%q is not a time of day: write it as HH:MM (06:00)", part)
		}
		given = append(given, m)
	}
	var n int
	switch pattern {
	case Pattern3x8:
		n = 3
	case Pattern2x12:
		n = 2
	case PatternCusto:
		if len(given) == 0 {
			return nil, errs.Invalid("starts", "give the shifts' start times, such as 07:00, 15:00, 23:00")
		}
		if len(given) > 24 {
			return nil, errs.Invalid("starts", "give at most 24 start times")
		}
		slices.Sort(given)
		if len(slices.Compact(slices.Clone(given))) != len(given) {
			return nil, errs.Invalid("starts", "the start times must differ")
		}
		return given, nil
	default:
		return nil, errs.Invalid("pattern", "must be one of %s", strings.Join(Patterns, ", "))
	}
	first := 0
	if len(given) > 0 {
		first = given[0]
	} else {
		first, _ = parseClock(DefaultStarts[pattern][0])
	}
	out := make([]int, n)
	for i := range out {
		out[i] = (first + i*24*60/n) % (24 * 60)
	}
	slices.Sort(out)
	return out, nil
}

// ShiftTimes generates a pattern's shifts over the days first..last (at
// midnight in Asia/Ho_Chi_Minh): each day a shift at each start time,
// ending where the next starts (the last at the next day's first). Each
// is built from its day's date, so the boundaries are local wall-clock
// times whatever the zone's offset does.
func ShiftTimes(first, last time.Time, starts []int) [][2]time.Time {
	var out [][2]time.Time
	at := func(d time.Time, min int) time.Time {
		y, m, dd := d.Date()
		return time.Date(y, m, dd, min/60, min%60, 0, 0, i18n.Location)
	}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		for i, st := range starts {
			var end time.Time
			if i+1 < len(starts) {
				end = at(d, starts[i+1])
			} else {
				end = at(d.AddDate(0, 0, 1), starts[0])
			}
			out = append(out, [2]time.Time{at(d, st), end})
		}
	}
	return out
}

// plan validates in and works out the roster's period and shifts.
func (s *Service) plan(in *RosterInput) (first, last time.Time, starts []int, err error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Pattern = strings.TrimSpace(in.Pattern)
	if in.Pattern == "" {
		in.Pattern = Pattern3x8
	}
	switch in.Preset = strings.TrimSpace(in.Preset); in.Preset {
	case "":
	case PresetTet:
		var h Holiday
		switch {
		case in.Year == 0:
			h = NextTet(s.now())
			in.Year = h.Year
		case in.Year < 1900 || in.Year > 2199:
			return first, last, nil, errs.Invalid("year", "must be a year from 1900 to 2199")
		default:
			h = TetHoliday(in.Year)
		}
		if strings.TrimSpace(in.From) == "" {
			first = h.From
		}
		if strings.TrimSpace(in.To) == "" {
			last = h.To
		}
		if in.Name == "" {
			in.Name = "Trực " + h.Name + " " + strconv.Itoa(h.Year)
		}
	default:
		return first, last, nil, errs.Invalid("preset", "must be one of %s", "tet")
	}
	if first.IsZero() {
		if first, err = ParseDay(strings.TrimSpace(in.From)); err != nil {
			if strings.TrimSpace(in.From) == "" {
				return first, last, nil, errs.Invalid("from", "is required")
			}
			return first, last, nil, errs.Invalid("from", "%q is not a date: write it as dd/mm/yyyy (06/02/2027)", in.From)
		}
	}
	if last.IsZero() {
		if last, err = ParseDay(strings.TrimSpace(in.To)); err != nil {
			if strings.TrimSpace(in.To) == "" {
				return first, last, nil, errs.Invalid("to", "is required")
			}
			return first, last, nil, errs.Invalid("to", "%q is not a date: write it as dd/mm/yyyy (06/02/2027)", in.To)
		}
	}
	if last.Before(first) {
		return first, last, nil, errs.Invalid("to", "the last day is before the first")
	}
	if days := int(last.Sub(first).Hours()/24) + 1; days > MaxDays {
		return first, last, nil, errs.Invalid("to", "a roster covers at most %d days", MaxDays)
	}
	if starts, err = startTimes(in.Pattern, in.Starts); err != nil {
		return first, last, nil, err
	}
	if n := (int(last.Sub(first).Hours()/24) + 1) * len(starts); n > MaxShifts {
		return first, last, nil, errs.Invalid("to", "a roster holds at most %d shifts", MaxShifts)
	}
	if in.Name == "" {
		in.Name = "Lịch trực " + first.Format("02/01/2006") + " – " + last.Format("02/01/2006")
	}
	if len(in.Name) > 200 {
		return first, last, nil, errs.Invalid("name", "must be at most 200 bytes")
	}
	return first, last, starts, nil
}

// CreateRoster makes a roster and its shifts, nobody on them yet.
func (s *Service) CreateRoster(ctx context.Context, in RosterInput) (*Roster, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Unit) == "" {
		return nil, errs.Invalid("unit", "is required")
	}
	u, err := unit(ctx, s.DB, p, in.Unit)
	if err != nil {
		return nil, err
	}
	if !canManage(p, u.Path) {
		return nil, errs.Forbidden("you may not plan the duty of unit %s", u.Code)
	}
	first, last, starts, err := s.plan(&in)
	if err != nil {
		return nil, err
	}
	shifts := ShiftTimes(first, last, starts)
	names := make([]string, len(starts))
	for i, m := range starts {
		names[i] = clock(m)
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := store.Micros(s.now())
		err := tx.QueryRow(ctx, `INSERT INTO duty_rosters (unit_id, name, preset, pattern, starts, first_day, last_day, starts_at, ends_at, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			u.ID, in.Name, in.Preset, in.Pattern, strings.Join(names, ","), first.Format("2006-01-02"), last.Format("2006-01-02"),
			store.Micros(shifts[0][0]), store.Micros(shifts[len(shifts)-1][1]), p.Email, now).Scan(&id)
		if err != nil {
			return fmt.Errorf("duty: create roster: %w", err)
		}
		for _, sh := range shifts {
			if _, err := tx.Exec(ctx, `INSERT INTO duty_shifts (roster_id, starts_at, ends_at) VALUES (?, ?, ?)`, id, store.Micros(sh[0]), store.Micros(sh[1])); err != nil {
				return fmt.Errorf("duty: create shifts: %w", err)
			}
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "roster.create", ObjectType: "roster", ObjectID: strconv.FormatInt(id, 10), UnitID: u.ID,
			After: map[string]any{"name": in.Name, "unit": u.Code, "pattern": in.Pattern, "starts": strings.Join(names, ", "),
				"from": first.Format("2006-01-02"), "to": last.Format("2006-01-02"), "shifts": len(shifts)}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetRoster(ctx, id)
}

const rosterColumns = `r.id, u.id, u.code, u.name, u.path, r.name, r.preset, r.pattern, r.starts, r.first_day, r.last_day, r.starts_at, r.ends_at,
	r.created_by, r.created_at,
	(SELECT COUNT(*) FROM duty_shifts s WHERE s.roster_id = r.id),
	(SELECT COUNT(*) FROM duty_shifts s WHERE s.roster_id = r.id AND ` + uncovered + `),
	(SELECT COALESCE(SUM(s.ends_at - s.starts_at), 0) FROM duty_shifts s WHERE s.roster_id = r.id AND ` + uncovered + `)`

// uncovered is true of a shift (alias s) that no active user is on.
const uncovered = `NOT EXISTS (SELECT 1 FROM duty_assignments a JOIN users us ON us.id = a.user_id WHERE a.shift_id = s.id AND NOT us.disabled)`

const rosterFrom = ` FROM duty_rosters r JOIN units u ON u.id = r.unit_id`

func scanRoster(sc store.Scanner) (*Roster, error) {
	var r Roster
	var starts string
	var from, to, created, gap int64
	if err := sc.Scan(&r.ID, &r.unitID, &r.Unit, &r.UnitName, &r.unitPath, &r.Name, &r.Preset, &r.Pattern, &starts, &r.FirstDay, &r.LastDay,
		&from, &to, &r.CreatedBy, &created, &r.Shifts, &r.UncoveredShifts, &gap); err != nil {
		return nil, err
	}
	r.Starts = strings.Split(starts, ",")
	r.StartsAt, r.EndsAt, r.CreatedAt = store.Time(from), store.Time(to), store.Time(created)
	r.UncoveredHours = hours(gap)
	return &r, nil
}

// hours is a duration in microseconds as hours, to a tenth.
func hours(us int64) float64 {
	return float64(us/360_000_000) / 10
}

func (s *Service) getRoster(ctx context.Context, q queryer, p *auth.Principal, id int64) (*Roster, error) {
	r, err := scanRoster(q.QueryRow(ctx, `SELECT `+rosterColumns+rosterFrom+` WHERE r.id = ?`, id))
	if err := p.CheckRead(err, func() string { return r.unitPath }, errs.NotFound("roster "+strconv.FormatInt(id, 10))); err != nil {
		return nil, err
	}
	return r, nil
}

// GetRoster returns one roster in the caller's scope.
func (s *Service) GetRoster(ctx context.Context, id int64) (*Roster, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.getRoster(ctx, s.DB, p, id)
}

// RosterFilter selects rosters.
type RosterFilter struct {
	Unit   string // a unit code: that unit and its subtree
	Query  string // in the name
	Active bool   // periods not yet over
	At     time.Time
	Sort   string // a key of RosterSorts; "" is the latest period first
	Desc   bool
	Offset int
	Limit  int
}

// RosterSorts are the columns a list of rosters sorts by.
var RosterSorts = map[string]string{
	"name":      "r.name",
	"unit":      "u.code",
	"starts":    "r.starts_at",
	"ends":      "r.ends_at",
	"uncovered": "(SELECT COALESCE(SUM(s.ends_at - s.starts_at), 0) FROM duty_shifts s WHERE s.roster_id = r.id AND " + uncovered + ")",
	"created":   "r.created_at",
}

// RosterSortKeys lists the keys of RosterSorts.
var RosterSortKeys = []string{"name", "unit", "starts", "ends", "uncovered", "created"}

// subtree adds "in unit code's subtree" to l, checking the caller reads it.
func subtree(ctx context.Context, db *store.DB, p *auth.Principal, l *store.List, code string) error {
	if code == "" {
		return nil
	}
	u, err := unit(ctx, db, p, code)
	if err != nil {
		return err
	}
	l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(u.Path))
	return nil
}

// ListRosters returns a page of the rosters in scope and how many match.
func (s *Service) ListRosters(ctx context.Context, f RosterFilter) ([]*Roster, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("r.id DESC", f.Limit, 100).Scope(p, "u.path")
	if err := subtree(ctx, s.DB, p, l, f.Unit); err != nil {
		return nil, 0, err
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		l.Where(`LOWER(r.name) LIKE ? ESCAPE '\'`, store.LikeContains(strings.ToLower(q)))
	}
	if f.Active {
		at := f.At
		if at.IsZero() {
			at = s.now()
		}
		l.Where("r.ends_at > ?", store.Micros(at))
	}
	if f.Sort != "" {
		expr, ok := RosterSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(RosterSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	} else {
		l.OrderBy("r.starts_at", true)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+rosterColumns, rosterFrom, scanRoster)
	if err != nil {
		return nil, 0, fmt.Errorf("duty: list rosters: %w", err)
	}
	return out, total, nil
}

// DeleteRoster removes a roster with its shifts, people, swaps and notes.
func (s *Service) DeleteRoster(ctx context.Context, id int64) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.getRoster(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !canManage(p, r.unitPath) {
			return errs.Forbidden("you may not plan the duty of unit %s", r.Unit)
		}
		// Children first: SQLite enforces the cascade only with foreign
		// keys on, and the order costs nothing.
		for _, q := range []string{
			`DELETE FROM duty_notes WHERE shift_id IN (SELECT id FROM duty_shifts WHERE roster_id = ?)`,
			`DELETE FROM duty_assignments WHERE shift_id IN (SELECT id FROM duty_shifts WHERE roster_id = ?)`,
			`DELETE FROM duty_swaps WHERE roster_id = ?`,
			`DELETE FROM duty_shifts WHERE roster_id = ?`,
			`DELETE FROM duty_rosters WHERE id = ?`,
		} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return fmt.Errorf("duty: delete roster %d: %w", id, err)
			}
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "roster.delete", ObjectType: "roster", ObjectID: strconv.FormatInt(id, 10), UnitID: r.unitID,
			Before: map[string]any{"name": r.Name, "unit": r.Unit, "from": r.FirstDay, "to": r.LastDay, "shifts": r.Shifts}})
	})
}

// Person is someone on a shift.
type Person struct {
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Role   string `json:"role"` // on the shift: on_duty or lead
	// Disabled people stay listed but do not count as on duty.
	Disabled bool `json:"disabled,omitempty"`
}

// Shift is one shift of a roster.
type Shift struct {
	ID        int64     `json:"id"`
	RosterID  int64     `json:"roster_id"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Hours     float64   `json:"hours"`
	People    []Person  `json:"people"`
	Uncovered bool      `json:"uncovered"` // nobody (active) on it
	Notes     int       `json:"notes"`     // handover notes written on it
}

// Covered reports whether someone active is on the shift.
func (sh *Shift) covered() bool {
	for _, p := range sh.People {
		if !p.Disabled {
			return true
		}
	}
	return false
}

// Has reports whether the user is on the shift.
func (sh *Shift) Has(userID int64) bool {
	for _, p := range sh.People {
		if p.UserID == userID {
			return true
		}
	}
	return false
}

// ShiftFilter selects a roster's shifts.
type ShiftFilter struct {
	From, To  time.Time // shifts overlapping [From, To); zero for open ends
	Uncovered bool      // only those nobody is on
	UserID    int64     // only those this user is on
	Desc      bool      // latest first
	Offset    int
	Limit     int
}

// ShiftSortKeys: shifts sort by time only.
var ShiftSortKeys = []string{"starts"}

// Shifts returns a page of a roster's shifts in time order with the
// people on them, and how many match.
func (s *Service) Shifts(ctx context.Context, rosterID int64, f ShiftFilter) ([]*Shift, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.getRoster(ctx, s.DB, p, rosterID); err != nil {
		return nil, 0, err
	}
	l := store.NewList("s.id", f.Limit, 100).Where("s.roster_id = ?", rosterID)
	if !f.From.IsZero() {
		l.Where("s.ends_at > ?", store.Micros(f.From))
	}
	if !f.To.IsZero() {
		l.Where("s.starts_at < ?", store.Micros(f.To))
	}
	if f.Uncovered {
		l.Where(uncovered)
	}
	if f.UserID != 0 {
		l.Where("EXISTS (SELECT 1 FROM duty_assignments a WHERE a.shift_id = s.id AND a.user_id = ?)", f.UserID)
	}
	l.OrderBy("s.starts_at", f.Desc).Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT s.id, s.roster_id, s.starts_at, s.ends_at, (SELECT COUNT(*) FROM duty_notes n WHERE n.shift_id = s.id)`,
		` FROM duty_shifts s`, scanShift)
	if err != nil {
		return nil, 0, fmt.Errorf("duty: shifts: %w", err)
	}
	if err := s.people(ctx, s.DB, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

func scanShift(sc store.Scanner) (*Shift, error) {
	var sh Shift
	var from, to int64
	if err := sc.Scan(&sh.ID, &sh.RosterID, &from, &to, &sh.Notes); err != nil {
		return nil, err
	}
	sh.StartsAt, sh.EndsAt = store.Time(from), store.Time(to)
	sh.Hours = hours(to - from)
	sh.People = []Person{}
	return &sh, nil
}

// people fills the shifts' people (leads first, then by name) and
// whether they are covered.
func (s *Service) people(ctx context.Context, q dbtx, shifts []*Shift) error {
	byID := map[int64]*Shift{}
	ids := make([]string, 0, len(shifts))
	for _, sh := range shifts {
		byID[sh.ID] = sh
		ids = append(ids, strconv.FormatInt(sh.ID, 10))
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		// ids are integers formatted here, not input.
		rows, err := q.Query(ctx, `SELECT a.shift_id, us.id, us.email, us.name, a.role, us.disabled FROM duty_assignments a JOIN users us ON us.id = a.user_id
			WHERE a.shift_id IN (`+strings.Join(ids[:n], ",")+`)`)
		if err != nil {
			return fmt.Errorf("duty: people: %w", err)
		}
		for rows.Next() {
			var id int64
			var pe Person
			if err := rows.Scan(&id, &pe.UserID, &pe.Email, &pe.Name, &pe.Role, &pe.Disabled); err != nil {
				rows.Close()
				return fmt.Errorf("duty: people: %w", err)
			}
			byID[id].People = append(byID[id].People, pe)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("duty: people: %w", err)
		}
		ids = ids[n:]
	}
	for _, sh := range shifts {
		sort.Slice(sh.People, func(i, j int) bool {
			a, b := sh.People[i], sh.People[j]
			if (a.Role == RoleLead) != (b.Role == RoleLead) {
				return a.Role == RoleLead
			}
			return a.Name < b.Name
		})
		sh.Uncovered = !sh.covered()
	}
	return nil
}

// shiftRef is a shift with its roster's unit, for checks.
type shiftRef struct {
	Shift
	Roster   string
	Unit     string
	unitID   int64
	unitPath string
}

func (s *Service) getShift(ctx context.Context, tx dbtx, p *auth.Principal, id int64) (*shiftRef, error) {
	var sh shiftRef
	var from, to int64
	err := tx.QueryRow(ctx, `SELECT s.id, s.roster_id, s.starts_at, s.ends_at, r.name, u.code, u.id, u.path
		FROM duty_shifts s JOIN duty_rosters r ON r.id = s.roster_id JOIN units u ON u.id = r.unit_id WHERE s.id = ?`, id).
		Scan(&sh.ID, &sh.RosterID, &from, &to, &sh.Roster, &sh.Unit, &sh.unitID, &sh.unitPath)
	if err := p.CheckRead(err, func() string { return sh.unitPath }, errs.NotFound("shift "+strconv.FormatInt(id, 10))); err != nil {
		return nil, err
	}
	sh.StartsAt, sh.EndsAt = store.Time(from), store.Time(to)
	sh.Hours = hours(to - from)
	sh.People = []Person{}
	if err := s.people(ctx, tx, []*Shift{&sh.Shift}); err != nil {
		return nil, err
	}
	return &sh, nil
}

// GetShift returns one shift with its people.
func (s *Service) GetShift(ctx context.Context, id int64) (*Shift, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	sh, err := s.getShift(ctx, s.DB, p, id)
	if err != nil {
		return nil, err
	}
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM duty_notes WHERE shift_id = ?`, id).Scan(&sh.Notes); err != nil {
		return nil, fmt.Errorf("duty: shift %d: %w", id, err)
	}
	return &sh.Shift, nil
}
