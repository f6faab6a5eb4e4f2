package intel

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// EntryInput adds entries to a list: indicators already stored (by id)
// or pasted values (one a line, or the indicator CSV), all targeting Unit
// ("" every unit: the IT Center only) with the action, severity and
// reason given (by kind, high and none when empty).
type EntryInput struct {
	IndicatorIDs []int64 `json:"indicator_ids,omitempty"`
	Values       string  `json:"values,omitempty"`
	Unit         string  `json:"unit,omitempty"`
	Action       string  `json:"action,omitempty"`
	Severity     string  `json:"severity,omitempty"`
	Reason       string  `json:"reason,omitempty"`
	Source       string  `json:"source,omitempty"` // of pasted values
	TLP          string  `json:"tlp,omitempty"`    // of pasted values
}

// maxEntryIDs bounds the indicator ids of one request.
const maxEntryIDs = 10000

// AddEntries adds entries to a draft or published list (see EntryInput).
// Entries added to a published list are in force at once and the
// OnPublish hooks run again, so they are matched.
func (s *Service) AddEntries(ctx context.Context, listID int64, in EntryInput) (*ImportResult, error) {
	if strings.TrimSpace(in.Values) != "" {
		if len(in.IndicatorIDs) > 0 {
			return nil, errs.Invalid("values", "give pasted values or indicator ids, not both")
		}
		return s.Import(ctx, ImportInput{Name: i18n.PastedName, Data: strings.NewReader(in.Values), Source: in.Source, TLP: in.TLP,
			ListID: listID, Unit: in.Unit, Action: in.Action, Severity: in.Severity, Reason: in.Reason})
	}
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	if len(in.IndicatorIDs) == 0 {
		return nil, errs.Invalid("indicator_ids", "give pasted values or indicator ids")
	}
	if len(in.IndicatorIDs) > maxEntryIDs {
		return nil, errs.Invalid("indicator_ids", "at most %d indicators at once", maxEntryIDs)
	}
	ii := ImportInput{ListID: listID, Unit: in.Unit, Action: in.Action, Severity: in.Severity, Reason: in.Reason, Name: "ids"}
	tgt, err := s.checkImport(ctx, c, &ii)
	if err != nil {
		return nil, err
	}
	out := &ImportResult{ObjectsRead: len(in.IndicatorIDs), Skipped: []format.Problem{}}
	var hook int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		o := *out
		o.Skipped = []format.Problem{}
		l, err := s.listForImport(ctx, tx, c, &ii)
		if err != nil {
			return err
		}
		var inds []format.Indicator
		for _, id := range in.IndicatorIDs {
			var ind format.Indicator
			err := tx.QueryRow(ctx, `SELECT kind, value, source FROM intel_indicators WHERE id = ?`, id).Scan(&ind.Kind, &ind.Value, &ind.Source)
			if store.IsNoRows(err) {
				o.Skipped = append(o.Skipped, format.Problem{Object: strconv.FormatInt(id, 10), Field: "indicator_ids", Reason: ReasonNoIndicator, Format: ReasonNoIndicator})
				continue
			}
			if err != nil {
				return fmt.Errorf("intel: indicator %d: %w", id, err)
			}
			ind.ID, ind.Action, ind.Severity, ind.Reason = tgt.id, ii.Action, ii.Severity, ii.Reason
			if ind.Severity == "" {
				ind.Severity = "high"
			}
			inds = append(inds, ind)
		}
		keys := lastOf(inds, true)
		if err := s.entriesJSON(ctx, tx, l.ID, inds, keys); err != nil {
			return err
		}
		n := len(keys)
		o.IndicatorsLoaded = n
		if err := recount(ctx, tx, l.ID); err != nil {
			return err
		}
		if l.Status == ListPublished {
			hook = l.ID
			if err := bump(ctx, tx); err != nil {
				return err
			}
		}
		if o.List, err = getList(ctx, tx, l.ID); err != nil {
			return err
		}
		*out = o
		return audit.Append(ctx, tx, audit.Entry{Action: "watchlist.entry_add", ObjectType: "warning_list", ObjectID: strconv.FormatInt(l.ID, 10), UnitID: tgt.id,
			After: map[string]any{"entries": n, "unit": tgt.code, "action": ii.Action, "severity": ii.Severity, "indicator_ids": clipIDs(in.IndicatorIDs)}})
	})
	if err != nil {
		return nil, err
	}
	if hook != 0 {
		s.invalidate()
		s.published(ctx, hook)
	}
	return out, nil
}

// ReasonNoIndicator is the problem of an indicator id that names none.
const ReasonNoIndicator = "no indicator has this id"

func clipIDs(ids []int64) []int64 {
	if len(ids) > 100 {
		return ids[:100]
	}
	return ids
}

// RemoveInput names entries to remove: the indicators' entries targeting
// Unit ("" every target the caller may touch; "*" those targeting every
// unit).
type RemoveInput struct {
	IndicatorIDs []int64 `json:"indicator_ids"`
	Unit         string  `json:"unit,omitempty"`
}

// RemoveEntries removes entries from a draft or published list and
// returns how many it removed. An officer removes only entries targeting
// its subtree.
func (s *Service) RemoveEntries(ctx context.Context, listID int64, in RemoveInput) (int, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return 0, err
	}
	if !c.manage && c.p.Role != auth.RoleOfficer {
		return 0, errs.Forbidden("only the IT Center and units' officers may change warning-list entries")
	}
	if len(in.IndicatorIDs) == 0 {
		return 0, errs.Invalid("indicator_ids", "name the indicators whose entries to remove")
	}
	if len(in.IndicatorIDs) > maxEntryIDs {
		return 0, errs.Invalid("indicator_ids", "at most %d indicators at once", maxEntryIDs)
	}
	var cond string
	var args []any
	switch u := strings.TrimSpace(in.Unit); {
	case u == "*":
		if !c.manage {
			return 0, errs.Forbidden("only the IT Center may change entries targeting every unit")
		}
		cond = "unit_id = 0"
	case u != "":
		t, err := s.unitFor(ctx, c, u)
		if err != nil {
			return 0, err
		}
		cond, args = "unit_id = ?", []any{t.id}
	case c.manage:
		cond = "1=1"
	default:
		sc, sargs := c.p.Scope("path")
		cond, args = "unit_id IN (SELECT id FROM units WHERE "+sc+")", sargs
	}
	var removed int
	var hook bool
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		l, err := getList(ctx, tx, listID)
		if err != nil {
			return err
		}
		if l.Status == ListDraft && !c.readsAll {
			return errs.NotFound("warning list")
		}
		if l.Status != ListDraft && l.Status != ListPublished {
			return errs.Conflict("list", "a superseded or withdrawn list can no longer change")
		}
		ids := slices.Clone(in.IndicatorIDs)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for start := 0; start < len(ids); start += batch {
			part := ids[start:min(start+batch, len(ids))]
			a := append([]any{listID}, args...)
			for _, id := range part {
				a = append(a, id)
			}
			res, err := tx.Exec(ctx, `DELETE FROM warning_list_entries WHERE list_id = ? AND `+cond+` AND indicator_id IN (`+
				strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")+`)`, a...)
			if err != nil {
				return fmt.Errorf("intel: remove entries: %w", err)
			}
			n, _ := res.RowsAffected()
			removed += int(n)
		}
		if removed == 0 {
			return errs.NotFound("warning-list entry")
		}
		if err := recount(ctx, tx, listID); err != nil {
			return err
		}
		if l.Status == ListPublished {
			hook = true
			if err := bump(ctx, tx); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "watchlist.entry_remove", ObjectType: "warning_list", ObjectID: strconv.FormatInt(listID, 10),
			Before: map[string]any{"entries": removed, "unit": in.Unit, "indicator_ids": clipIDs(in.IndicatorIDs)}})
	})
	if err != nil {
		return 0, err
	}
	if hook {
		s.invalidate()
	}
	return removed, nil
}
