package outbox

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
	"vigil/internal/store"
)

const deliveryColumns = `SELECT d.id, m.purpose, m.object_type, m.object_id, d.channel, d.target, m.subject, d.status, d.attempts, d.next_at, d.last_error,
	d.created_at, d.delivered_at, d.recipient, u.code, u.name, u.path, d.give_up_at, m.msg_key, d.secret, m.id, d.claimed_until`

const deliveryFrom = ` FROM outbox_deliveries d JOIN outbox_messages m ON m.id = d.message_id JOIN units u ON u.id = d.unit_id`

func scanDelivery(sc store.Scanner, full bool) (*Delivery, error) {
	var d Delivery
	var next, created, delivered, giveUp, claimed int64
	dest := []any{&d.ID, &d.Purpose, &d.ObjectType, &d.ObjectID, &d.Channel, &d.Target, &d.Subject, &d.Status, &d.Attempts, &next, &d.LastError,
		&created, &delivered, &d.Recipient, &d.Unit, &d.UnitName, &d.unitPath, &giveUp, &d.key, &d.secret, &d.msgID, &claimed}
	if full {
		dest = append(dest, &d.body, &d.json)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	if d.Status == StatusPending {
		d.NextAt = store.Time(next)
	}
	d.CreatedAt = store.Time(created)
	if delivered > 0 {
		t := store.Time(delivered)
		d.DeliveredAt = &t
	}
	if giveUp > 0 && (d.Status == StatusPending || d.Status == StatusSending) {
		d.GiveUpAt = store.Time(giveUp)
	}
	return &d, nil
}

// attachLogs reads the attempts of ds, oldest first.
func (s *Service) attachLogs(ctx context.Context, ds []*Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	byID := map[int64]*Delivery{}
	args := make([]any, 0, len(ds))
	for _, d := range ds {
		byID[d.ID] = d
		d.Log = []Attempt{}
		args = append(args, d.ID)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
	rows, err := s.DB.Query(ctx, `SELECT delivery_id, at, result, detail FROM outbox_attempts WHERE delivery_id IN (`+marks+`) ORDER BY delivery_id, seq`, args...)
	if err != nil {
		return fmt.Errorf("outbox: attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, at int64
		var a Attempt
		if err := rows.Scan(&id, &at, &a.Result, &a.Detail); err != nil {
			return err
		}
		a.At = store.Time(at)
		byID[id].Log = append(byID[id].Log, a)
	}
	return rows.Err()
}

// Filter selects deliveries of the list.
type Filter struct {
	Unit       string   // the message's unit (and its subtree)
	Statuses   []string // any of
	Purpose    string
	Channel    string
	ObjectType string
	ObjectID   string
	Query      string // in the target, the recipient or the subject
	Sort       string // a key of Sorts; "" is newest first
	Desc       bool
	Offset     int
	Limit      int
}

// Sorts are the columns the list sorts by.
var Sorts = map[string]string{
	"created":   "d.created_at",
	"status":    "d.status",
	"purpose":   "m.purpose",
	"channel":   "d.channel",
	"target":    "d.target",
	"attempts":  "d.attempts",
	"next":      "d.next_at",
	"delivered": "d.delivered_at",
	"unit":      "u.code",
}

// SortKeys lists the keys of Sorts.
var SortKeys = []string{"created", "status", "purpose", "channel", "target", "attempts", "next", "delivered", "unit"}

// List returns a page of the deliveries in the caller's scope, newest
// first unless sorted, and how many match.
func (s *Service) List(ctx context.Context, f Filter) ([]*Delivery, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("d.id DESC", f.Limit, 50).Scope(p, "u.path")
	if f.Unit != "" {
		var path string
		err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, f.Unit).Scan(&path)
		if store.IsNoRows(err) || (err == nil && !p.CanRead(path)) {
			return nil, 0, errs.Invalid("unit", "no unit %q in your scope", f.Unit)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("outbox: unit %s: %w", f.Unit, err)
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(path))
	}
	var statuses []any
	for _, v := range f.Statuses {
		for _, st := range strings.Split(v, ",") {
			if st = strings.TrimSpace(st); st == "" {
				continue
			}
			if !slices.Contains(Statuses, st) {
				return nil, 0, errs.Invalid("status", "must be one of %s", strings.Join(Statuses, ", "))
			}
			statuses = append(statuses, st)
		}
	}
	if len(statuses) > 0 {
		l.Where("d.status IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(statuses)), ", ")+")", statuses...)
	}
	if f.Purpose != "" {
		if err := validPurpose(f.Purpose); err != nil {
			return nil, 0, err
		}
		l.Where("m.purpose = ?", f.Purpose)
	}
	if f.Channel != "" {
		if !slices.Contains(Channels, f.Channel) {
			return nil, 0, errs.Invalid("channel", "must be one of %s", strings.Join(Channels, ", "))
		}
		l.Where("d.channel = ?", f.Channel)
	}
	if f.ObjectType != "" {
		l.Where("m.object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		l.Where("m.object_id = ?", f.ObjectID)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		pat := store.LikeContains(strings.ToLower(q))
		l.Where(`(LOWER(d.target) LIKE ? ESCAPE '\' OR LOWER(d.recipient) LIKE ? ESCAPE '\' OR LOWER(m.subject) LIKE ? ESCAPE '\')`, pat, pat, pat)
	}
	if f.Sort != "" {
		expr, ok := Sorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(SortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, deliveryColumns, deliveryFrom, func(sc store.Scanner) (*Delivery, error) { return scanDelivery(sc, false) })
	if err != nil {
		return nil, 0, fmt.Errorf("outbox: list deliveries: %w", err)
	}
	return out, total, nil
}

func (s *Service) get(ctx context.Context, p *auth.Principal, id int64) (*Delivery, error) {
	d, err := scanDelivery(s.DB.QueryRow(ctx, deliveryColumns+deliveryFrom+` WHERE d.id = ?`, id), false)
	if err := p.CheckRead(err, func() string { return d.unitPath }, errs.NotFound("delivery "+strconv.FormatInt(id, 10))); err != nil {
		return nil, err
	}
	if err := s.attachLogs(ctx, []*Delivery{d}); err != nil {
		return nil, err
	}
	return d, nil
}

// Get returns a delivery in the caller's scope with its attempts.
func (s *Service) Get(ctx context.Context, id int64) (*Delivery, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, p, id)
}

// CanRetry reports whether the caller may retry deliveries of d's unit.
func (s *Service) CanRetry(ctx context.Context, d *Delivery) bool {
	p := auth.FromContext(ctx)
	return p != nil && p.CanWrite(d.unitPath) && (d.Status == StatusPending || d.Status == StatusFailed)
}

// Retry makes a pending or failed delivery due now; a failed one is
// retried for another give-up span. Someone who may change the unit's
// objects may do it; it is audited.
func (s *Service) Retry(ctx context.Context, id int64) (*Delivery, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(d.unitPath) {
		return nil, errs.Forbidden("you may not retry deliveries of unit %s", d.Unit)
	}
	switch d.Status {
	case StatusDelivered:
		return nil, errs.Conflict("status", "delivery %d was delivered already", id)
	case StatusSending:
		return nil, errs.Conflict("status", "delivery %d is being sent now", id)
	}
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE outbox_deliveries SET status = 'pending', next_at = ?, give_up_at = CASE WHEN give_up_at < ? THEN ? ELSE give_up_at END,
			updated_at = ? WHERE id = ? AND status IN ('pending', 'failed')`,
			store.Micros(now), store.Micros(now.Add(time.Hour)), store.Micros(now.Add(s.giveUpAfter())), store.Micros(now), id)
		if err != nil {
			return fmt.Errorf("outbox: retry %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.Conflict("status", "delivery %d is being sent now", id)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "outbox.retry", ObjectType: "outbox_delivery", ObjectID: strconv.FormatInt(id, 10),
			UnitID: s.unitID(ctx, tx, id), Before: map[string]any{"status": d.Status, "attempts": d.Attempts},
			After: map[string]any{"status": StatusPending, "target": d.Target, "purpose": d.Purpose, "object_type": d.ObjectType, "object_id": d.ObjectID}})
	})
	if err != nil {
		return nil, err
	}
	s.Kick()
	return s.get(ctx, p, id)
}

func (s *Service) unitID(ctx context.Context, tx *store.Tx, id int64) int64 {
	var u int64
	tx.QueryRow(ctx, `SELECT unit_id FROM outbox_deliveries WHERE id = ?`, id).Scan(&u)
	return u
}
