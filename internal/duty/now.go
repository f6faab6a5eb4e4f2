package duty

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// OnDutyPerson is someone on duty at a unit at a moment: who to tell.
type OnDutyPerson struct {
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Role   string `json:"role"` // on the shift: lead or on_duty
	// Unit is the roster's unit; RosterID, ShiftID and the shift's times
	// say where the name comes from.
	Unit       string    `json:"unit"`
	RosterID   int64     `json:"roster_id"`
	Roster     string    `json:"roster"`
	ShiftID    int64     `json:"shift_id"`
	ShiftStart time.Time `json:"shift_starts_at"`
	ShiftEnd   time.Time `json:"shift_ends_at"`
}

// OnDuty lists the people on duty at the unit at the moment at: the
// active users on a shift of one of the unit's rosters that covers it,
// leads first. The unit's own rosters only: escalation decides whether to
// go up to a parent or the SOC. The system principal may call it (the
// escalation job does); others need to read the unit, or it is not found.
func (s *Service) OnDuty(ctx context.Context, unitID int64, at time.Time) ([]OnDutyPerson, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var code, path string
	err = s.DB.QueryRow(ctx, `SELECT code, path FROM units WHERE id = ?`, unitID).Scan(&code, &path)
	if err := p.CheckRead(err, func() string { return path }, errs.NotFound("unit "+strconv.FormatInt(unitID, 10))); err != nil {
		return nil, err
	}
	return s.onDuty(ctx, unitID, code, at)
}

func (s *Service) onDuty(ctx context.Context, unitID int64, code string, at time.Time) ([]OnDutyPerson, error) {
	t := store.Micros(at)
	rows, err := s.DB.Query(ctx, `SELECT us.id, us.email, us.name, a.role, r.id, r.name, sh.id, sh.starts_at, sh.ends_at
		FROM duty_shifts sh JOIN duty_rosters r ON r.id = sh.roster_id
		JOIN duty_assignments a ON a.shift_id = sh.id JOIN users us ON us.id = a.user_id
		WHERE r.unit_id = ? AND sh.starts_at <= ? AND sh.ends_at > ? AND NOT us.disabled
		ORDER BY CASE a.role WHEN 'lead' THEN 0 ELSE 1 END, us.name, us.id`, unitID, t, t)
	if err != nil {
		return nil, fmt.Errorf("duty: on duty: %w", err)
	}
	defer rows.Close()
	out := []OnDutyPerson{}
	seen := map[int64]bool{}
	for rows.Next() {
		var o OnDutyPerson
		var from, to int64
		if err := rows.Scan(&o.UserID, &o.Email, &o.Name, &o.Role, &o.RosterID, &o.Roster, &o.ShiftID, &from, &to); err != nil {
			return nil, fmt.Errorf("duty: on duty: %w", err)
		}
		if seen[o.UserID] { // on two overlapping rosters: once
			continue
		}
		seen[o.UserID] = true
		o.Unit, o.ShiftStart, o.ShiftEnd = code, store.Time(from), store.Time(to)
		out = append(out, o)
	}
	return out, rows.Err()
}

// Now is a unit's watch at a moment, for the API and the pages.
type Now struct {
	Unit     string         `json:"unit"`
	UnitName string         `json:"unit_name"`
	At       time.Time      `json:"at"`
	Items    []OnDutyPerson `json:"items"`
	// Rostered says a shift of the unit covers the moment (Items empty
	// then means the shift is uncovered, not that there is no roster).
	Rostered bool `json:"rostered"`
	// Handover are the notes of the shift before the current one.
	Handover []*Note `json:"handover"`
	// NextStart is when the next shift of the unit starts (zero if none).
	NextStart time.Time `json:"next_shift_starts_at,omitzero"`
}

// NowAt says who is on duty at the unit of code (the SOC's unit when
// code is "") at the moment at.
func (s *Service) NowAt(ctx context.Context, code string, at time.Time) (*Now, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var u *unitRef
	if strings.TrimSpace(code) == "" {
		soc, err := s.socUnit(ctx)
		if err != nil {
			return nil, err
		}
		if soc == nil {
			return nil, errs.Invalid("unit", "is required: this hub has no SOC unit named")
		}
		code = soc.Unit
	}
	if u, err = unit(ctx, s.DB, p, code); err != nil {
		return nil, err
	}
	items, err := s.onDuty(ctx, u.ID, u.Code, at)
	if err != nil {
		return nil, err
	}
	n := &Now{Unit: u.Code, UnitName: u.Name, At: at, Items: items, Handover: []*Note{}}
	t := store.Micros(at)
	var cur int64
	err = s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM duty_shifts sh JOIN duty_rosters r ON r.id = sh.roster_id WHERE r.unit_id = ? AND sh.starts_at <= ? AND sh.ends_at > ?`,
		u.ID, t, t).Scan(&cur)
	if err != nil {
		return nil, fmt.Errorf("duty: now: %w", err)
	}
	n.Rostered = cur > 0
	var next int64
	err = s.DB.QueryRow(ctx, `SELECT COALESCE(MIN(sh.starts_at), 0) FROM duty_shifts sh JOIN duty_rosters r ON r.id = sh.roster_id WHERE r.unit_id = ? AND sh.starts_at > ?`,
		u.ID, t).Scan(&next)
	if err != nil {
		return nil, fmt.Errorf("duty: now: %w", err)
	}
	n.NextStart = store.Time(next)
	// The handover: notes of the unit's shifts that ended at the start of
	// the current one (or, between rosters, the last that ended).
	var prev int64
	err = s.DB.QueryRow(ctx, `SELECT COALESCE(MAX(sh.ends_at), 0) FROM duty_shifts sh JOIN duty_rosters r ON r.id = sh.roster_id WHERE r.unit_id = ? AND sh.ends_at <= ?`,
		u.ID, t).Scan(&prev)
	if err != nil {
		return nil, fmt.Errorf("duty: now: %w", err)
	}
	if prev > 0 {
		rows, err := s.DB.Query(ctx, `SELECT n.id, n.shift_id, sh.starts_at, us.email, us.name, n.body, n.created_at
			FROM duty_notes n JOIN duty_shifts sh ON sh.id = n.shift_id JOIN duty_rosters r ON r.id = sh.roster_id JOIN users us ON us.id = n.author_id
			WHERE r.unit_id = ? AND sh.ends_at = ? ORDER BY n.id`, u.ID, prev)
		if err != nil {
			return nil, fmt.Errorf("duty: handover: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var no Note
			var st, c int64
			if err := rows.Scan(&no.ID, &no.ShiftID, &st, &no.Author, &no.AuthorName, &no.Body, &c); err != nil {
				return nil, fmt.Errorf("duty: handover: %w", err)
			}
			no.ShiftStart, no.CreatedAt = store.Time(st), store.Time(c)
			n.Handover = append(n.Handover, &no)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("duty: handover: %w", err)
		}
	}
	return n, nil
}

// SOC is the unit that runs the 24/7 SOC.
type SOC struct {
	UnitID   int64  `json:"-"`
	Unit     string `json:"unit"`
	UnitName string `json:"unit_name"`
	// Named says an administrator named it; otherwise it is the root's
	// IT Center, found by name.
	Named bool `json:"named"`
}

// SOCUnit returns the unit that runs the SOC: the one an administrator
// named (SetSOCUnit), or else the root's child service unit whose name is
// "Trung tâm Công nghệ thông tin" (the IT Center of the directive; any
// accents and case), or nil when there is neither. Everyone signed in,
// the system included, may ask: escalation finds the SOC's roster here.
func (s *Service) SOCUnit(ctx context.Context) (*SOC, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	return s.socUnit(ctx)
}

func (s *Service) socUnit(ctx context.Context) (*SOC, error) {
	var soc SOC
	err := s.DB.QueryRow(ctx, `SELECT u.id, u.code, u.name FROM duty_settings d JOIN units u ON u.id = d.soc_unit_id WHERE d.id = 1`).Scan(&soc.UnitID, &soc.Unit, &soc.UnitName)
	if err == nil {
		soc.Named = true
		return &soc, nil
	}
	if !store.IsNoRows(err) {
		return nil, fmt.Errorf("duty: soc unit: %w", err)
	}
	err = s.DB.QueryRow(ctx, `SELECT u.id, u.code, u.name FROM units u JOIN units root ON root.id = u.parent_id
		WHERE root.parent_id IS NULL AND u.kind = 'service_unit' AND u.name_fold LIKE '%cong nghe thong tin%' ORDER BY u.id LIMIT 1`).Scan(&soc.UnitID, &soc.Unit, &soc.UnitName)
	if store.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("duty: soc unit: %w", err)
	}
	return &soc, nil
}

// SetSOCUnit names the unit that runs the SOC (an administrator only).
func (s *Service) SetSOCUnit(ctx context.Context, code string) (*SOC, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role != auth.RoleAdmin || p.Via == "agent" {
		return nil, errs.Forbidden("only an administrator may name the SOC's unit")
	}
	u, err := unit(ctx, s.DB, p, code)
	if err != nil {
		return nil, err
	}
	before, err := s.socUnit(ctx)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM duty_settings WHERE id = 1`); err != nil {
			return fmt.Errorf("duty: soc unit: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO duty_settings (id, soc_unit_id) VALUES (1, ?)`, u.ID); err != nil {
			return fmt.Errorf("duty: soc unit: %w", err)
		}
		e := audit.Entry{Action: "duty.soc_unit", ObjectType: "unit", ObjectID: u.Code, UnitID: u.ID, After: map[string]any{"unit": u.Code}}
		if before != nil {
			e.Before = map[string]any{"unit": before.Unit}
		}
		return audit.Append(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return s.socUnit(ctx)
}
