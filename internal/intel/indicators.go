package intel

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// Indicator statuses (IndicatorFilter.Status).
const (
	StatusActive  = "active"  // not revoked, still valid
	StatusExpired = "expired" // valid_until passed
	StatusRevoked = "revoked"
)

// IndicatorStatuses lists them.
var IndicatorStatuses = []string{StatusActive, StatusExpired, StatusRevoked}

// IndicatorFilter selects indicators.
type IndicatorFilter struct {
	Kind   string
	Source string
	TLP    string
	Q      string // in the value, comment or tags
	List   int64  // on this list
	Status string // one of IndicatorStatuses
	Sort   string // a key of IndicatorSorts; "" newest first
	Desc   bool
	Offset int
	Limit  int
}

// IndicatorSorts are the columns indicators sort by.
var IndicatorSorts = map[string]string{
	"kind":        "i.kind",
	"value":       "i.value",
	"source":      "i.source",
	"confidence":  "i.confidence",
	"tlp":         "i.tlp",
	"last_seen":   "i.last_seen",
	"valid_until": "i.valid_until",
	"updated":     "i.updated_at",
}

// IndicatorSortKeys lists the keys of IndicatorSorts.
var IndicatorSortKeys = []string{"kind", "value", "source", "confidence", "tlp", "last_seen", "valid_until", "updated"}

const indicatorCols = `SELECT i.id, i.kind, i.value, i.source, i.confidence, i.tlp, i.first_seen, i.last_seen, i.valid_until, i.tags, i.report, i.comment,
	i.stix_id, i.revoked, i.created_at, i.updated_at`

func scanIndicator(sc store.Scanner) (Indicator, error) { return scanIndicatorAnd(sc) }

// scanIndicatorAnd scans an indicator's columns followed by extra ones.
func scanIndicatorAnd(sc store.Scanner, extra ...any) (Indicator, error) {
	var ind Indicator
	var first, last, until, created, updated int64
	var tags string
	dest := append([]any{&ind.ID, &ind.Kind, &ind.Value, &ind.Source, &ind.Confidence, &ind.TLP, &first, &last, &until, &tags, &ind.Report, &ind.Comment,
		&ind.STIXID, &ind.Revoked, &created, &updated}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return ind, err
	}
	ind.FirstSeen, ind.LastSeen, ind.CreatedAt, ind.UpdatedAt = store.Time(first), store.Time(last), store.Time(created), store.Time(updated)
	if until > 0 {
		ind.ValidUntil = store.Time(until)
	}
	if tags != "" {
		ind.Tags = strings.Split(tags, ",")
	}
	return ind, nil
}

// indicatorScope limits indicators (alias i) to those the caller reads:
// every one for the IT Center's readers, else those an entry of a
// published list targets at every unit or the caller's subtree.
func (c *caller) indicatorScope() (string, []any) {
	if c.readsAll {
		return "1=1", nil
	}
	cond, args := c.entryScope()
	return `EXISTS (SELECT 1 FROM warning_list_entries e JOIN warning_lists l ON l.id = e.list_id LEFT JOIN units up ON up.id = e.unit_id
		WHERE e.indicator_id = i.id AND l.status = 'published' AND ` + cond + `)`, args
}

// Indicators returns a page of the indicators the caller reads and their
// true total.
func (s *Service) Indicators(ctx context.Context, f IndicatorFilter) ([]Indicator, int, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("i.id DESC", f.Limit, 100)
	cond, args := c.indicatorScope()
	l.Where(cond, args...)
	if f.Kind != "" {
		if !slices.Contains(format.Kinds, f.Kind) {
			return nil, 0, errs.Invalid("kind", "%q is not one of %s", f.Kind, errs.OneOf{Prefix: "intel.kind.", Codes: format.Kinds})
		}
		l.Where("i.kind = ?", f.Kind)
	}
	if f.Source != "" {
		l.Where("i.source = ?", f.Source)
	}
	if f.TLP != "" {
		if !slices.Contains(format.TLPs, f.TLP) {
			return nil, 0, errs.Invalid("tlp", "%q is not one of %s", f.TLP, errs.OneOf{Prefix: "intel.tlp.", Codes: format.TLPs})
		}
		l.Where("i.tlp = ?", f.TLP)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		pat := store.LikeContains(strings.ToLower(q))
		l.Where(`(i.value LIKE ? ESCAPE '\' OR LOWER(i.comment) LIKE ? ESCAPE '\' OR LOWER(i.tags) LIKE ? ESCAPE '\')`, pat, pat, pat)
	}
	if f.List != 0 {
		if _, err := s.readList(ctx, c, f.List); err != nil {
			return nil, 0, err
		}
		l.Where("EXISTS (SELECT 1 FROM warning_list_entries e2 WHERE e2.indicator_id = i.id AND e2.list_id = ?)", f.List)
	}
	now := store.Micros(s.now())
	switch f.Status {
	case "":
	case StatusActive:
		l.Where("NOT i.revoked AND (i.valid_until = 0 OR i.valid_until > ?)", now)
	case StatusExpired:
		l.Where("NOT i.revoked AND i.valid_until > 0 AND i.valid_until <= ?", now)
	case StatusRevoked:
		l.Where("i.revoked")
	default:
		return nil, 0, errs.Invalid("status", "%q is not one of %s", f.Status, errs.OneOf{Prefix: "intel.status.", Codes: IndicatorStatuses})
	}
	if f.Sort != "" {
		expr, ok := IndicatorSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(IndicatorSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, indicatorCols, ` FROM intel_indicators i`, scanIndicator)
	if err != nil {
		return nil, 0, fmt.Errorf("intel: indicators: %w", err)
	}
	return out, total, nil
}

// IndicatorStatus is the status of ind at now.
func IndicatorStatus(ind Indicator, now time.Time) string {
	switch {
	case ind.Revoked:
		return StatusRevoked
	case !ind.ValidUntil.IsZero() && !ind.ValidUntil.After(now):
		return StatusExpired
	}
	return StatusActive
}
