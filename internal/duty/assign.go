package duty

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

// Assignment puts someone on a shift.
type Assignment struct {
	// User is the person's e-mail: an active user who can see the
	// roster's unit.
	User string `json:"user"`
	Role string `json:"role,omitempty"` // on_duty (default) or lead
}

// member finds the active user of email who can read the unit at path.
// An unknown e-mail gets the same answer, so it reveals no account.
func member(ctx context.Context, tx *store.Tx, field, email, unitCode, unitPath string) (id int64, name string, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return 0, "", errs.Invalid(field, "is required")
	}
	var who auth.Principal
	var disabled bool
	err = tx.QueryRow(ctx, `SELECT us.id, us.name, us.role, un.path, us.disabled FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
		Scan(&id, &name, &who.Role, &who.UnitPath, &disabled)
	if err != nil && !store.IsNoRows(err) {
		return 0, "", fmt.Errorf("duty: user: %w", err)
	}
	who.Via = "session"
	if err != nil || disabled || !who.CanRead(unitPath) {
		return 0, "", errs.Invalid(field, "%q is not an active user who can see unit %s", email, unitCode)
	}
	return id, name, nil
}

// Assign puts a person on a shift with a role (changing the role of one
// already on it).
func (s *Service) Assign(ctx context.Context, shiftID int64, in Assignment) (*Shift, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if in.Role == "" {
		in.Role = RoleOnDuty
	}
	if !slices.Contains(Roles, in.Role) {
		return nil, errs.Invalid("role", "must be one of %s", strings.Join(Roles, ", "))
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		sh, err := s.getShift(ctx, tx, p, shiftID)
		if err != nil {
			return err
		}
		if !canManage(p, sh.unitPath) {
			return errs.Forbidden("you may not plan the duty of unit %s", sh.Unit)
		}
		uid, _, err := member(ctx, tx, "user", in.User, sh.Unit, sh.unitPath)
		if err != nil {
			return err
		}
		var before string
		for _, pe := range sh.People {
			if pe.UserID == uid {
				before = pe.Role
			}
		}
		switch before {
		case in.Role:
			return nil
		case "":
			_, err = tx.Exec(ctx, `INSERT INTO duty_assignments (shift_id, user_id, role, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
				shiftID, uid, in.Role, p.Email, store.Micros(s.now()))
		default:
			_, err = tx.Exec(ctx, `UPDATE duty_assignments SET role = ? WHERE shift_id = ? AND user_id = ?`, in.Role, shiftID, uid)
		}
		if store.IsUniqueViolation(err) {
			return errs.Conflict("user", "%q is already on shift %d", in.User, shiftID)
		}
		if err != nil {
			return fmt.Errorf("duty: assign: %w", err)
		}
		e := audit.Entry{Action: "shift.assign", ObjectType: "shift", ObjectID: strconv.FormatInt(shiftID, 10), UnitID: sh.unitID,
			After: map[string]any{"user": strings.ToLower(strings.TrimSpace(in.User)), "role": in.Role, "shift": shiftLabel(sh.StartsAt, sh.EndsAt), "roster": sh.Roster}}
		if before != "" {
			e.Before = map[string]any{"user": strings.ToLower(strings.TrimSpace(in.User)), "role": before}
		}
		return audit.Append(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return s.GetShift(ctx, shiftID)
}

// Unassign takes a person (by user id) off a shift.
func (s *Service) Unassign(ctx context.Context, shiftID, userID int64) (*Shift, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		sh, err := s.getShift(ctx, tx, p, shiftID)
		if err != nil {
			return err
		}
		if !canManage(p, sh.unitPath) {
			return errs.Forbidden("you may not plan the duty of unit %s", sh.Unit)
		}
		i := slices.IndexFunc(sh.People, func(pe Person) bool { return pe.UserID == userID })
		if i < 0 {
			return errs.NotFound("user " + strconv.FormatInt(userID, 10) + " on shift " + strconv.FormatInt(shiftID, 10))
		}
		if _, err := tx.Exec(ctx, `DELETE FROM duty_assignments WHERE shift_id = ? AND user_id = ?`, shiftID, userID); err != nil {
			return fmt.Errorf("duty: unassign: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "shift.unassign", ObjectType: "shift", ObjectID: strconv.FormatInt(shiftID, 10), UnitID: sh.unitID,
			Before: map[string]any{"user": sh.People[i].Email, "role": sh.People[i].Role, "shift": shiftLabel(sh.StartsAt, sh.EndsAt), "roster": sh.Roster}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetShift(ctx, shiftID)
}

// SwapInput exchanges two people's shifts: UserA (on ShiftA) takes
// ShiftB and UserB (on ShiftB) takes ShiftA, each in the other's role. With
// ShiftB 0, UserB — who need not be on the roster — takes UserA's place on
// ShiftA (a cover).
type SwapInput struct {
	ShiftA int64  `json:"shift_a"`
	UserA  string `json:"user_a"` // e-mail
	ShiftB int64  `json:"shift_b,omitempty"`
	UserB  string `json:"user_b"` // e-mail
	Reason string `json:"reason,omitempty"`
}

// Swap is a recorded exchange of shifts.
type Swap struct {
	ID          int64     `json:"id"`
	RosterID    int64     `json:"roster_id"`
	ShiftA      int64     `json:"shift_a"`
	ShiftAStart time.Time `json:"shift_a_starts_at"`
	UserA       string    `json:"user_a"`
	UserAName   string    `json:"user_a_name"`
	ShiftB      int64     `json:"shift_b,omitempty"`
	ShiftBStart time.Time `json:"shift_b_starts_at,omitzero"`
	UserB       string    `json:"user_b"`
	UserBName   string    `json:"user_b_name"`
	Reason      string    `json:"reason,omitempty"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// Swap exchanges two people's shifts (or has one cover the other's) in
// one transaction, recording both sides.
func (s *Service) Swap(ctx context.Context, in SwapInput) (*Swap, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if in.ShiftA <= 0 {
		return nil, errs.Invalid("shift_a", "is required")
	}
	if in.ShiftB == in.ShiftA {
		return nil, errs.Invalid("shift_b", "must be another shift than shift_a")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if len(in.Reason) > 1000 {
		return nil, errs.Invalid("reason", "must be at most 1000 bytes")
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.getShift(ctx, tx, p, in.ShiftA)
		if err != nil {
			return err
		}
		if !canManage(p, a.unitPath) {
			return errs.Forbidden("you may not plan the duty of unit %s", a.Unit)
		}
		ua, _, err := member(ctx, tx, "user_a", in.UserA, a.Unit, a.unitPath)
		if err != nil {
			return err
		}
		ub, _, err := member(ctx, tx, "user_b", in.UserB, a.Unit, a.unitPath)
		if err != nil {
			return err
		}
		if ua == ub {
			return errs.Invalid("user_b", "must be another person than user_a")
		}
		roleA := roleOf(a.People, ua)
		if roleA == "" {
			return errs.Invalid("user_a", "%q is not on shift %d", in.UserA, a.ID)
		}
		if roleOf(a.People, ub) != "" {
			return errs.Invalid("user_b", "%q is already on shift %d", in.UserB, a.ID)
		}
		now := store.Micros(s.now())
		move := func(shift, from, to int64) error {
			_, err := tx.Exec(ctx, `UPDATE duty_assignments SET user_id = ?, created_by = ?, created_at = ? WHERE shift_id = ? AND user_id = ?`, to, p.Email, now, shift, from)
			return err
		}
		// "shift" names the row's object (shift A) in the audit log.
		after := map[string]any{"user_a": strings.ToLower(strings.TrimSpace(in.UserA)), "user_b": strings.ToLower(strings.TrimSpace(in.UserB)),
			"shift": shiftLabel(a.StartsAt, a.EndsAt), "roster": a.Roster}
		if in.ShiftB != 0 {
			b, err := s.getShift(ctx, tx, p, in.ShiftB)
			if err != nil {
				return err
			}
			if b.RosterID != a.RosterID {
				return errs.Invalid("shift_b", "must be a shift of the same roster")
			}
			if roleOf(b.People, ub) == "" {
				return errs.Invalid("user_b", "%q is not on shift %d", in.UserB, b.ID)
			}
			if roleOf(b.People, ua) != "" {
				return errs.Invalid("user_a", "%q is already on shift %d", in.UserA, b.ID)
			}
			if err := move(b.ID, ub, ua); err != nil {
				return fmt.Errorf("duty: swap: %w", err)
			}
			after["shift_b"] = shiftLabel(b.StartsAt, b.EndsAt)
		}
		if err := move(a.ID, ua, ub); err != nil {
			return fmt.Errorf("duty: swap: %w", err)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO duty_swaps (roster_id, shift_a, user_a, shift_b, user_b, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.RosterID, a.ID, ua, in.ShiftB, ub, in.Reason, p.Email, now).Scan(&id); err != nil {
			return fmt.Errorf("duty: swap: %w", err)
		}
		if in.Reason != "" {
			after["reason"] = in.Reason
		}
		action := "shift.swap"
		if in.ShiftB == 0 {
			action = "shift.cover"
		}
		return audit.Append(ctx, tx, audit.Entry{Action: action, ObjectType: "shift", ObjectID: strconv.FormatInt(a.ID, 10), UnitID: a.unitID, After: after})
	})
	if err != nil {
		return nil, err
	}
	list, _, err := s.listSwaps(ctx, p, SwapFilter{ID: id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errs.NotFound("swap " + strconv.FormatInt(id, 10))
	}
	return list[0], nil
}

func roleOf(people []Person, userID int64) string {
	for _, pe := range people {
		if pe.UserID == userID {
			return pe.Role
		}
	}
	return ""
}

// SwapFilter selects recorded swaps.
type SwapFilter struct {
	Unit     string // that unit's subtree
	RosterID int64
	ID       int64
	Desc     bool // newest first
	Offset   int
	Limit    int
}

// SwapSortKeys: swaps sort by when they were made.
var SwapSortKeys = []string{"created"}

// Swaps returns a page of the swaps in scope, oldest first unless Desc.
func (s *Service) Swaps(ctx context.Context, f SwapFilter) ([]*Swap, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	if f.RosterID != 0 {
		if _, err := s.getRoster(ctx, s.DB, p, f.RosterID); err != nil {
			return nil, 0, err
		}
	}
	return s.listSwaps(ctx, p, f)
}

func (s *Service) listSwaps(ctx context.Context, p *auth.Principal, f SwapFilter) ([]*Swap, int, error) {
	l := store.NewList("w.id", f.Limit, 100).Scope(p, "u.path")
	if err := subtree(ctx, s.DB, p, l, f.Unit); err != nil {
		return nil, 0, err
	}
	if f.RosterID != 0 {
		l.Where("w.roster_id = ?", f.RosterID)
	}
	if f.ID != 0 {
		l.Where("w.id = ?", f.ID)
	}
	l.OrderBy("w.id", f.Desc).Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l,
		`SELECT w.id, w.roster_id, w.shift_a, sa.starts_at, ua.email, ua.name, w.shift_b, COALESCE(sb.starts_at, 0), ub.email, ub.name, w.reason, w.created_by, w.created_at`,
		` FROM duty_swaps w JOIN duty_rosters r ON r.id = w.roster_id JOIN units u ON u.id = r.unit_id
			JOIN duty_shifts sa ON sa.id = w.shift_a LEFT JOIN duty_shifts sb ON sb.id = w.shift_b
			JOIN users ua ON ua.id = w.user_a JOIN users ub ON ub.id = w.user_b`,
		func(sc store.Scanner) (*Swap, error) {
			var w Swap
			var a, b, at int64
			if err := sc.Scan(&w.ID, &w.RosterID, &w.ShiftA, &a, &w.UserA, &w.UserAName, &w.ShiftB, &b, &w.UserB, &w.UserBName, &w.Reason, &w.CreatedBy, &at); err != nil {
				return nil, err
			}
			w.ShiftAStart, w.ShiftBStart, w.CreatedAt = store.Time(a), store.Time(b), store.Time(at)
			return &w, nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("duty: swaps: %w", err)
	}
	return out, total, nil
}

// Note is a handover note a shift leaves the next.
type Note struct {
	ID         int64     `json:"id"`
	ShiftID    int64     `json:"shift_id"`
	ShiftStart time.Time `json:"shift_starts_at"`
	Author     string    `json:"author"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// AddNote records a handover note on a shift. Only the people on the
// shift write it; notes are kept as written (there is no editing).
func (s *Service) AddNote(ctx context.Context, shiftID int64, body string) (*Note, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	body = strings.TrimSpace(body)
	if body == "" {
		return nil, errs.Invalid("body", "is required")
	}
	if len(body) > 8000 {
		return nil, errs.Invalid("body", "must be at most 8000 bytes")
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		sh, err := s.getShift(ctx, tx, p, shiftID)
		if err != nil {
			return err
		}
		if p.UserID == 0 || !sh.Has(p.UserID) {
			return errs.Forbidden("only the people on a shift write its handover note")
		}
		if err := tx.QueryRow(ctx, `INSERT INTO duty_notes (shift_id, author_id, body, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			shiftID, p.UserID, body, store.Micros(s.now())).Scan(&id); err != nil {
			return fmt.Errorf("duty: note: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "shift.note", ObjectType: "shift", ObjectID: strconv.FormatInt(shiftID, 10), UnitID: sh.unitID,
			After: map[string]any{"shift": shiftLabel(sh.StartsAt, sh.EndsAt), "roster": sh.Roster, "note": i18n.Shorten(body, 200)}})
	})
	if err != nil {
		return nil, err
	}
	notes, _, err := s.notes(ctx, NoteFilter{ID: id, Limit: 1})
	if err != nil || len(notes) == 0 {
		return nil, err
	}
	return notes[0], nil
}

// NoteFilter selects handover notes.
type NoteFilter struct {
	ShiftID  int64
	RosterID int64
	ID       int64
	Desc     bool
	Offset   int
	Limit    int
}

// NoteSortKeys: notes sort by when they were written.
var NoteSortKeys = []string{"created"}

// Notes returns a page of the handover notes of a shift or a roster the
// caller reads, oldest first unless Desc.
func (s *Service) Notes(ctx context.Context, f NoteFilter) ([]*Note, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case f.ShiftID != 0:
		_, err = s.getShift(ctx, s.DB, p, f.ShiftID)
	case f.RosterID != 0:
		_, err = s.getRoster(ctx, s.DB, p, f.RosterID)
	default:
		err = errs.Invalid("shift", "is required")
	}
	if err != nil {
		return nil, 0, err
	}
	return s.notes(ctx, f)
}

func (s *Service) notes(ctx context.Context, f NoteFilter) ([]*Note, int, error) {
	l := store.NewList("n.id", f.Limit, 100)
	if f.ShiftID != 0 {
		l.Where("n.shift_id = ?", f.ShiftID)
	}
	if f.RosterID != 0 {
		l.Where("s.roster_id = ?", f.RosterID)
	}
	if f.ID != 0 {
		l.Where("n.id = ?", f.ID)
	}
	l.OrderBy("n.id", f.Desc).Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT n.id, n.shift_id, s.starts_at, us.email, us.name, n.body, n.created_at`,
		` FROM duty_notes n JOIN duty_shifts s ON s.id = n.shift_id JOIN users us ON us.id = n.author_id`,
		func(sc store.Scanner) (*Note, error) {
			var n Note
			var st, at int64
			if err := sc.Scan(&n.ID, &n.ShiftID, &st, &n.Author, &n.AuthorName, &n.Body, &at); err != nil {
				return nil, err
			}
			n.ShiftStart, n.CreatedAt = store.Time(st), store.Time(at)
			return &n, nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("duty: notes: %w", err)
	}
	return out, total, nil
}

// shiftLabel names a shift in the audit log: "06/02/2027 06:00–14:00".
func shiftLabel(from, to time.Time) string {
	return from.In(i18n.Location).Format("02/01/2006 15:04") + "–" + to.In(i18n.Location).Format("15:04")
}
