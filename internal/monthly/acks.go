package monthly

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Ack is a unit's acknowledgement of its published report of a month;
// AckedBy empty: the unit has not acknowledged it yet.
type Ack struct {
	Unit     string    `json:"unit"`
	UnitName string    `json:"unit_name"`
	AckedBy  string    `json:"acked_by,omitempty"`
	AckedAt  time.Time `json:"acked_at,omitzero"`

	unitPath string
}

// addressees are the units a report goes to, with their
// acknowledgements: the top-level units for the organisation's report
// (each acknowledges its own report of the month, published with it),
// the unit itself for a unit's report.
func (s *Service) addressees(ctx context.Context, q store.Queryer, r *Report) ([]Ack, error) {
	_, rootID, err := rootPath(ctx, q)
	if err != nil {
		return nil, err
	}
	cond, arg := `u.id = ?`, r.UnitID
	if r.UnitID == rootID {
		cond = `u.parent_id = ?`
	}
	rows, err := q.QueryContext(ctx, s.DB.Rebind(`SELECT u.code, u.name, u.path, COALESCE(a.acked_by, ''), COALESCE(a.acked_at, 0)
		FROM units u LEFT JOIN monthly_report_acks a ON a.month = ? AND a.unit_id = u.id
		WHERE `+cond+` ORDER BY u.path`), r.Month, arg)
	if err != nil {
		return nil, fmt.Errorf("monthly: acknowledgements: %w", err)
	}
	defer rows.Close()
	out := []Ack{}
	for rows.Next() {
		var a Ack
		var at int64
		if err := rows.Scan(&a.Unit, &a.UnitName, &a.unitPath, &a.AckedBy, &at); err != nil {
			return nil, fmt.Errorf("monthly: acknowledgements: %w", err)
		}
		if at > 0 {
			a.AckedAt = store.Time(at)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Acks lists the units a report goes to that the caller reads, with who
// acknowledged and when: the IT Center sees who has not.
func (s *Service) Acks(ctx context.Context, id int64) ([]Ack, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusPublished {
		return []Ack{}, nil
	}
	p := auth.FromContext(ctx)
	all, err := s.addressees(ctx, s.DB, r)
	if err != nil {
		return nil, err
	}
	out := []Ack{}
	for _, a := range all {
		if p.CanRead(a.unitPath) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (s *Service) countAcks(ctx context.Context, p *auth.Principal, r *Report) error {
	r.Acknowledged, r.Expected = 0, 0
	if r.Status != StatusPublished {
		return nil
	}
	all, err := s.addressees(ctx, s.DB, r)
	if err != nil {
		return err
	}
	for _, a := range all {
		if p.CanRead(a.unitPath) {
			r.Expected++
			if a.AckedBy != "" {
				r.Acknowledged++
			}
		}
	}
	return nil
}

// Acknowledge records that the unit of a published report received it,
// as one of the unit's officers. Acknowledging twice keeps the first.
func (s *Service) Acknowledge(ctx context.Context, id int64) (*Ack, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != StatusPublished {
		return nil, errs.Conflict("status", "monthly report %d is not published: only a published report is acknowledged", r.ID)
	}
	_, rootID, err := rootPath(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	if r.UnitID == rootID {
		return nil, errs.Invalid("unit", "the organisation's report is acknowledged by each unit on its own report")
	}
	if !p.CanWrite(r.unitPath) {
		return nil, errs.Forbidden("only the unit's officers acknowledge a report for it")
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM monthly_report_acks WHERE month = ? AND unit_id = ?`, r.Month, r.UnitID).Scan(&n); err != nil {
			return fmt.Errorf("monthly: acknowledge: %w", err)
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO monthly_report_acks (month, unit_id, report_id, acked_by, acked_at) VALUES (?, ?, ?, ?, ?)`,
			r.Month, r.UnitID, r.ID, p.Email, store.Micros(s.now())); err != nil {
			return fmt.Errorf("monthly: acknowledge: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "monthly.acknowledge", ObjectType: "monthly_report", ObjectID: strconv.FormatInt(r.ID, 10),
			UnitID: r.UnitID, After: map[string]any{"month": r.Month, "unit": r.Unit}})
	})
	if err != nil && !store.IsUniqueViolation(err) {
		return nil, err
	}
	all, err := s.addressees(ctx, s.DB, r)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, errs.NotFound("unit " + r.Unit)
	}
	return &all[0], nil
}
