package advisory

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Target is one target unit's answer to an advisory.
type Target struct {
	Unit        string    `json:"unit"`
	UnitName    string    `json:"unit_name"`
	UnitID      int64     `json:"-"`
	Path        string    `json:"-"`
	Depth       int       `json:"depth"`
	AckedAt     time.Time `json:"acked_at,omitzero"`
	AckedBy     string    `json:"acked_by,omitempty"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	CompletedBy string    `json:"completed_by,omitempty"`
	Note        string    `json:"note,omitempty"`
	Evidence    string    `json:"evidence,omitempty"`
	// State is "waiting", "acknowledged" or "completed".
	State   string `json:"state"`
	Overdue bool   `json:"overdue"`
	// DaysLate is how many days past the deadline an overdue unit is.
	DaysLate int `json:"days_late,omitempty"`
	// Findings counts the open findings (open or in progress) of the
	// unit's subtree about the advisory's CVEs; ByCVE per CVE.
	Findings int        `json:"findings"`
	ByCVE    []CVECount `json:"by_cve,omitempty"`
}

// CVECount is a unit's open findings about one CVE.
type CVECount struct {
	CVE   string `json:"cve"`
	Count int    `json:"count"`
}

// Target states.
const (
	StateWaiting      = "waiting"
	StateAcknowledged = "acknowledged"
	StateCompleted    = "completed"
)

// States lists the target states in order.
var States = []string{StateWaiting, StateAcknowledged, StateCompleted}

func (t *Target) finish(a *Advisory, now time.Time) {
	switch {
	case !t.CompletedAt.IsZero():
		t.State = StateCompleted
	case !t.AckedAt.IsZero():
		t.State = StateAcknowledged
	default:
		t.State = StateWaiting
	}
	if t.CompletedAt.IsZero() && a.PastDeadline(now) {
		t.Overdue = true
		t.DaysLate = int(now.Sub(a.Deadline)/(24*time.Hour)) + 1
	}
}

const targetColumns = `u.code, u.name, u.id, u.path, t.acked_at, t.acked_by, t.completed_at, t.completed_by, t.note, t.evidence`

func scanTarget(sc store.Scanner) (*Target, error) {
	var t Target
	var acked, done int64
	if err := sc.Scan(&t.Unit, &t.UnitName, &t.UnitID, &t.Path, &acked, &t.AckedBy, &done, &t.CompletedBy, &t.Note, &t.Evidence); err != nil {
		return nil, err
	}
	t.AckedAt, t.CompletedAt = store.Time(acked), store.Time(done)
	t.Depth = strings.Count(t.Path, "/") - 2
	return &t, nil
}

// target reads the target row of unitID (not found when the unit is not a target).
func (s *Service) target(ctx context.Context, a *Advisory, unitID int64) (*Target, error) {
	t, err := scanTarget(s.DB.QueryRow(ctx, `SELECT `+targetColumns+` FROM advisory_targets t JOIN units u ON u.id = t.unit_id
		WHERE t.advisory_id = ? AND t.unit_id = ?`, a.ID, unitID))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("target unit")
	}
	if err != nil {
		return nil, fmt.Errorf("advisory: target: %w", err)
	}
	t.finish(a, s.now())
	return t, nil
}

// Issue sends a draft to its target units, as the IT Center: every unit,
// or each chosen unit with the units under it, becomes a target row. The
// advisory must have a deadline still to come.
func (s *Service) Issue(ctx context.Context, id int64) (*Advisory, error) {
	p, err := s.requireITCenter(ctx)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status != StatusDraft {
			return errs.Conflict("status", "advisory %s is not a draft: only a draft is issued", a.Ref)
		}
		if a.Deadline.IsZero() {
			return errs.Invalid("deadline", "an advisory needs a deadline before it is issued")
		}
		now := s.now()
		if a.Deadline.Before(now) {
			return errs.Invalid("deadline", "the deadline has passed: set a later one before issuing")
		}
		if !a.AllUnits && len(a.Units) == 0 {
			return errs.Invalid("units", "choose the target units, or all units, before issuing")
		}
		var n int64
		if a.AllUnits {
			res, err := tx.Exec(ctx, `INSERT INTO advisory_targets (advisory_id, unit_id) SELECT ?, id FROM units`, id)
			if err != nil {
				return fmt.Errorf("advisory: issue: %w", err)
			}
			n, _ = res.RowsAffected()
		} else {
			for _, code := range a.Units {
				var path string
				err := tx.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, code).Scan(&path)
				if store.IsNoRows(err) {
					return errs.Invalid("units", "no unit has the code %q", code)
				}
				if err != nil {
					return fmt.Errorf("advisory: issue: %w", err)
				}
				res, err := tx.Exec(ctx, `INSERT INTO advisory_targets (advisory_id, unit_id)
					SELECT ?, u.id FROM units u WHERE u.path LIKE ? ESCAPE '\'
					AND NOT EXISTS (SELECT 1 FROM advisory_targets x WHERE x.advisory_id = ? AND x.unit_id = u.id)`, id, store.LikePrefix(path), id)
				if err != nil {
					return fmt.Errorf("advisory: issue: %w", err)
				}
				k, _ := res.RowsAffected()
				n += k
			}
		}
		if n == 0 {
			return errs.Invalid("units", "the target units chosen no longer exist")
		}
		if _, err := tx.Exec(ctx, `UPDATE advisories SET status = ?, status_since = ?, status_by = ?, issued_by = ?, issued_at = ?, updated_at = ? WHERE id = ?`,
			StatusIssued, store.Micros(now), p.Email, p.Email, store.Micros(now), store.Micros(now), id); err != nil {
			return fmt.Errorf("advisory: issue: %w", err)
		}
		v := viewOf(a.Ref, StatusIssued, a.Channel, a.fields())
		return audit.Append(ctx, tx, audit.Entry{Action: "advisory.issue", ObjectType: "advisory", ObjectID: strconv.FormatInt(id, 10),
			After: struct {
				auditView
				Targets int64 `json:"targets"`
			}{v, n}})
	})
	if err != nil {
		return nil, err
	}
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	// The advisory is issued whatever happens to its messages; a failure
	// to queue them is logged (the page and the units' queue show it).
	if _, err := s.notifyIssued(ctx, a); err != nil {
		logger := s.Logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.Error("advisory: telling the target units", "advisory", a.Ref, "err", err)
	}
	return a, nil
}

// Withdraw takes back a draft or an issued advisory, as the IT Center,
// with the reason; the units' answers stay.
func (s *Service) Withdraw(ctx context.Context, id int64, reason string) (*Advisory, error) {
	p, err := s.requireITCenter(ctx)
	if err != nil {
		return nil, err
	}
	reason, err = textField("reason", reason, maxNote)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if a.Status == StatusWithdrawn {
			return errs.Conflict("status", "advisory %s is already withdrawn", a.Ref)
		}
		now := s.now()
		if _, err := tx.Exec(ctx, `UPDATE advisories SET status = ?, status_since = ?, status_by = ?, updated_at = ? WHERE id = ?`,
			StatusWithdrawn, store.Micros(now), p.Email, store.Micros(now), id); err != nil {
			return fmt.Errorf("advisory: withdraw: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "advisory.withdraw", ObjectType: "advisory", ObjectID: strconv.FormatInt(id, 10),
			Before: map[string]string{"ref": a.Ref, "status": a.Status}, After: map[string]string{"ref": a.Ref, "status": StatusWithdrawn}, Note: reason})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// Answer is a unit's acknowledgement or completion report. Unit is the
// unit's code ("" for the caller's own unit); Note says what was done
// (required to complete); Evidence is optional (a reference, a link).
type Answer struct {
	Unit     string `json:"unit"`
	Note     string `json:"note"`
	Evidence string `json:"evidence"`
}

// Acknowledge records that a target unit has received the advisory.
func (s *Service) Acknowledge(ctx context.Context, id int64, in Answer) (*Target, error) {
	return s.answer(ctx, id, in, false)
}

// Complete records that a target unit has done what the advisory asks,
// with a note; it acknowledges too when that was not done.
func (s *Service) Complete(ctx context.Context, id int64, in Answer) (*Target, error) {
	return s.answer(ctx, id, in, true)
}

func (s *Service) answer(ctx context.Context, id int64, in Answer, complete bool) (*Target, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	note, err := textField("note", in.Note, maxNote)
	if err != nil {
		return nil, err
	}
	evidence, err := textField("evidence", in.Evidence, maxNote)
	if err != nil {
		return nil, err
	}
	if complete && note == "" {
		return nil, errs.Invalid("note", "say what the unit did to complete the advisory")
	}
	// The advisory first, as the caller reads it: one they may not see is
	// not found, whatever unit they name.
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	code := strings.TrimSpace(in.Unit)
	if code == "" {
		code = p.UnitCode
	}
	unitID, path, err := s.unitPath(ctx, p, code)
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(path) {
		return nil, errs.Forbidden("only an officer of unit %s (or of a unit above it) answers advisories for it", code)
	}
	if a.Status != StatusIssued {
		return nil, errs.Conflict("status", "advisory %s is not in force: only an issued advisory is answered", a.Ref)
	}
	action := "advisory.ack"
	if complete {
		action = "advisory.complete"
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var acked, done int64
		err := tx.QueryRow(ctx, `SELECT acked_at, completed_at FROM advisory_targets WHERE advisory_id = ? AND unit_id = ?`, id, unitID).Scan(&acked, &done)
		if store.IsNoRows(err) {
			return errs.Invalid("unit", "unit %s is not a target of advisory %s", code, a.Ref)
		}
		if err != nil {
			return fmt.Errorf("advisory: answer: %w", err)
		}
		now := store.Micros(s.now())
		switch {
		case done > 0:
			return errs.Conflict("status", "unit %s already reported advisory %s completed", code, a.Ref)
		case !complete && acked > 0:
			return errs.Conflict("status", "unit %s already acknowledged advisory %s", code, a.Ref)
		case complete:
			_, err = tx.Exec(ctx, `UPDATE advisory_targets SET completed_at = ?, completed_by = ?, note = ?, evidence = ?,
				acked_at = CASE WHEN acked_at = 0 THEN ? ELSE acked_at END, acked_by = CASE WHEN acked_at = 0 THEN ? ELSE acked_by END
				WHERE advisory_id = ? AND unit_id = ?`, now, p.Email, note, evidence, now, p.Email, id, unitID)
		default:
			_, err = tx.Exec(ctx, `UPDATE advisory_targets SET acked_at = ?, acked_by = ?, note = CASE WHEN ? <> '' THEN ? ELSE note END
				WHERE advisory_id = ? AND unit_id = ?`, now, p.Email, note, note, id, unitID)
		}
		if err != nil {
			return fmt.Errorf("advisory: answer: %w", err)
		}
		after := map[string]string{"ref": a.Ref, "unit": code}
		if evidence != "" {
			after["evidence"] = evidence
		}
		return audit.Append(ctx, tx, audit.Entry{Action: action, ObjectType: "advisory", ObjectID: strconv.FormatInt(id, 10), UnitID: unitID,
			After: after, Note: note})
	})
	if err != nil {
		return nil, err
	}
	return s.target(ctx, a, unitID)
}
