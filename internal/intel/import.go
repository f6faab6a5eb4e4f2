package intel

import (
	"cmp"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// Problems the service finds in a file's rows, beside the readers' own
// (format.Problem.Reason); the pages translate them like the readers'.
const (
	ReasonUnitUnknown = "no unit has this code"
	ReasonUnitOutside = "the unit is outside your units"
	ReasonBadAction   = "unknown action"
	ReasonBadSeverity = "unknown severity"
	ReasonBadTLP      = "unknown TLP marking"
	ReasonBadKind     = "unknown indicator kind"
)

// ServiceReasons lists them, for the translation test.
var ServiceReasons = []string{ReasonUnitUnknown, ReasonUnitOutside, ReasonBadAction, ReasonBadSeverity, ReasonBadTLP, ReasonBadKind, ReasonNoIndicator}

// An entry that gives no action (neither the file's row nor the import
// names one) is stored with action "": the matcher then asks for the
// action fitting what matched (watchlist.requiredAction: a full malware
// scan for a host's own address or name or a contact, removal for a hash
// found running, a password reset for an account, disabling it for an
// administrator account). An explicit action from the file is kept.

// readFile reads an import's file (format.Read; a variable for tests).
var readFile = format.Read

// batch is how many values one statement names (ids to remove).
const batch = 500

// importWait is how long an import waits for the one before it.
const importWait = 30 * time.Second

func (s *Service) acquire(ctx context.Context) (func(), error) {
	s.once.Do(func() { s.slots = make(chan struct{}, 1) })
	t := time.NewTimer(importWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots }, nil
	case <-t.C:
		return nil, &errs.Error{Code: errs.EUNAVAILABLE, RetryAfter: time.Minute,
			Message: "the hub is importing another intelligence file; try again shortly",
			Format:  "the hub is importing another intelligence file; try again shortly"}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// checkChoice checks v is one of choices, whose labels are the message
// keys prefix+choice.
func checkChoice(field, v string, choices []string, prefix string) error {
	if v != "" && !slices.Contains(choices, v) {
		return errs.Invalid(field, "%q is not one of %s", v, errs.OneOf{Prefix: prefix, Codes: choices})
	}
	return nil
}

// CanImport checks, before a file is read, that the caller may import
// as in says (the web layer asks first, so a caller who may not import
// does not make the hub read a large body).
func (s *Service) CanImport(ctx context.Context, in ImportInput) error {
	c, err := s.caller(ctx)
	if err != nil {
		return err
	}
	_, err = s.checkImport(ctx, c, &in)
	return err
}

func (s *Service) checkImport(ctx context.Context, c *caller, in *ImportInput) (unit, error) {
	in.List, in.Unit, in.Name = strings.TrimSpace(in.List), strings.TrimSpace(in.Unit), strings.TrimSpace(in.Name)
	if in.Name == "" {
		in.Name = "indicators"
	}
	if in.List == "" && in.ListID == 0 && !c.manage {
		return unit{}, errs.Forbidden("only the IT Center may import intelligence outside a warning list")
	}
	if err := checkText("list", in.List, 200, false); err != nil {
		return unit{}, err
	}
	for _, f := range []struct{ name, v string }{{"source", in.Source}, {"intel_report", in.Report}, {"reason", in.Reason}} {
		if err := checkText(f.name, f.v, 2000, false); err != nil {
			return unit{}, err
		}
	}
	if err := checkChoice("tlp", in.TLP, format.TLPs, "intel.tlp."); err != nil {
		return unit{}, err
	}
	if err := checkChoice("action", in.Action, format.Actions, "intel.action."); err != nil {
		return unit{}, err
	}
	if err := checkChoice("severity", in.Severity, Severities, "severity."); err != nil {
		return unit{}, err
	}
	if in.List == "" && in.ListID == 0 {
		if in.Unit != "" {
			return unit{}, errs.Invalid("unit", "a unit applies to the entries of a list: name the list too")
		}
		return unit{}, nil
	}
	return s.unitFor(ctx, c, in.Unit)
}

// Import reads a file of any format format.Detect knows, stores its
// indicators (the same kind, value and source update the stored row:
// last seen, confidence, marking, validity, tags, comment; its STIX id
// and creation time stay) in one transaction, and, with List or ListID,
// adds them to the list. List names the list of the current month
// (Asia/Ho_Chi_Minh): the IT Center's import creates it when new and
// publishes it; an officer's adds entries for its subtree to the list as
// it is. The audit log records the import once, with its counts.
func (s *Service) Import(ctx context.Context, in ImportInput) (*ImportResult, error) {
	c, err := s.caller(ctx)
	if err != nil {
		return nil, err
	}
	tgt, err := s.checkImport(ctx, c, &in)
	if err != nil {
		return nil, err
	}
	if in.Data == nil {
		return nil, errs.Invalid("file", "no file given")
	}
	release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := readFile(in.Name, in.Data, format.ReadOptions{Source: in.Source, TLP: in.TLP, Report: in.Report, MaxObjects: s.maxIndicators()})
	if err != nil {
		if _, ok := errs.As(err); ok {
			return nil, err
		}
		if errors.Is(err, format.ErrTooManyObjects) {
			return nil, errs.Errorf(errs.ETOOLARGE, "%s holds more than the %d indicators one import may hold; split it", in.Name, s.maxIndicators())
		}
		var fe *format.FileError
		if errors.As(err, &fe) {
			// The problem says where and why in the reader's language
			// (format.Problem.Localize); the file is named once.
			p := fe.Problem
			p.File = ""
			return nil, errs.Invalid("file", "%s cannot be read: %v", in.Name, p)
		}
		return nil, errs.Invalid("file", "%s cannot be read: %v", in.Name, err)
	}
	if len(res.Indicators) > s.maxIndicators() {
		return nil, errs.Errorf(errs.ETOOLARGE, "%s holds %d indicators, more than the %d one import may hold; split it", in.Name, len(res.Indicators), s.maxIndicators())
	}
	out := &ImportResult{ObjectsRead: res.ObjectsRead, Format: res.Format, Skipped: res.Skipped}
	if out.Skipped == nil {
		out.Skipped = []format.Problem{}
	}
	withList := in.List != "" || in.ListID != 0
	inds, err := s.prepare(ctx, c, &in, tgt, withList, res.Indicators, out)
	if err != nil {
		return nil, err
	}
	var hook int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		o := *out
		o.Skipped = slices.Clone(out.Skipped)
		var l *List
		if withList {
			var err error
			if l, err = s.listForImport(ctx, tx, c, &in); err != nil {
				return err
			}
		}
		if len(inds) > 10*batch && tx.Dialect() == store.SQLite {
			// A big import writes every index page of the tables many
			// times over through SQLite's default 2 MB cache: this
			// transaction's connection keeps 256 MB of pages instead,
			// and gives them back before it commits.
			if _, err := tx.Exec(ctx, `PRAGMA cache_size = -262144`); err != nil {
				return fmt.Errorf("intel: cache size: %w", err)
			}
			defer tx.Exec(ctx, `PRAGMA cache_size = -2000`)
		}
		if err := s.storeJSON(ctx, tx, inds, lastOf(inds, false)); err != nil {
			return err
		}
		o.IndicatorsLoaded = len(inds)
		note := map[string]any{"file": in.Name, "format": res.Format, "objects_read": o.ObjectsRead, "indicators_loaded": o.IndicatorsLoaded, "skipped": len(o.Skipped)}
		objType, objID := "intel_import", in.Name
		if l != nil {
			keys := lastOf(inds, true)
			if err := s.entriesJSON(ctx, tx, l.ID, inds, keys); err != nil {
				return err
			}
			n := len(keys)
			note["list"], note["entries"] = l.ID, n
			objType, objID = "warning_list", strconv.FormatInt(l.ID, 10)
			if err := recount(ctx, tx, l.ID); err != nil {
				return err
			}
			switch {
			case l.Status == ListDraft && c.manage && in.ListID == 0:
				if _, err := s.publish(ctx, tx, c, l.ID); err != nil {
					return err
				}
				hook = l.ID
			case l.Status == ListPublished:
				hook = l.ID
			}
			if o.List, err = getList(ctx, tx, l.ID); err != nil {
				return err
			}
		}
		if err := bump(ctx, tx); err != nil {
			return err
		}
		if err := audit.Append(ctx, tx, audit.Entry{Action: "intel.import", ObjectType: objType, ObjectID: objID, UnitID: tgt.id, After: note}); err != nil {
			return err
		}
		*out = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.invalidate()
	if hook != 0 {
		s.published(ctx, hook)
	}
	return out, nil
}

// prepare checks each indicator's fields and the unit its entry targets,
// fills the entry defaults and sets aside (as a problem) what it cannot
// take. Indicator.ID carries the target unit's id from here on.
func (s *Service) prepare(ctx context.Context, c *caller, in *ImportInput, tgt unit, withList bool, inds []format.Indicator, out *ImportResult) ([]format.Indicator, error) {
	units := map[string]*unit{}
	keep := inds[:0]
	now := s.now()
	for _, ind := range inds {
		bad := func(field, reason string) {
			out.Skipped = append(out.Skipped, format.Problem{File: in.Name, Object: ind.Value, Field: field, Reason: reason, Format: reason})
		}
		switch {
		case !slices.Contains(format.Kinds, ind.Kind):
			bad("type", ReasonBadKind)
			continue
		case ind.TLP != "" && !slices.Contains(format.TLPs, ind.TLP):
			bad("tlp", ReasonBadTLP)
			continue
		case ind.Action != "" && !slices.Contains(format.Actions, ind.Action):
			bad("action", ReasonBadAction)
			continue
		case ind.Severity != "" && !slices.Contains(Severities, ind.Severity):
			bad("severity", ReasonBadSeverity)
			continue
		}
		ind.ID = tgt.id
		if withList {
			if code := strings.TrimSpace(ind.Unit); code != "" && code != tgt.code {
				u, ok := units[code]
				if !ok {
					u = &unit{code: code}
					err := s.DB.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, code).Scan(&u.id, &u.path)
					if err != nil && !store.IsNoRows(err) {
						return nil, fmt.Errorf("intel: unit %s: %w", code, err)
					}
					if err != nil || !c.p.CanRead(u.path) {
						u.id = -1
					} else if !c.p.CanWrite(u.path) {
						u.id = -2
					}
					units[code] = u
				}
				switch u.id {
				case -1:
					bad("unit", ReasonUnitUnknown)
					continue
				case -2:
					bad("unit", ReasonUnitOutside)
					continue
				}
				ind.ID = u.id
			}
			if ind.Action == "" {
				ind.Action = in.Action
			}
			if ind.Severity == "" {
				ind.Severity = in.Severity
			}
			if ind.Severity == "" {
				ind.Severity = "high"
			}
			if ind.Reason == "" {
				ind.Reason = in.Reason
			}
			if ind.Reason == "" {
				// A file that gives no reason says why in the comment.
				ind.Reason = ind.Comment
			}
		}
		if ind.TLP == "" {
			ind.TLP = format.TLPAmber
		}
		if ind.Source == "" {
			ind.Source = in.Source
		}
		if ind.LastSeen.IsZero() {
			ind.LastSeen = now
		}
		if ind.FirstSeen.IsZero() || ind.FirstSeen.After(ind.LastSeen) {
			ind.FirstSeen = ind.LastSeen
		}
		if ind.Confidence < 0 || ind.Confidence > 100 {
			ind.Confidence = 50
		}
		if ind.STIXID == "" {
			ind.STIXID = stixID(ind.Kind, ind.Value, ind.Source)
		}
		if ind.Report == "" {
			ind.Report = in.Report
		}
		ind.Value, ind.Comment, ind.Reason = i18n.Clip(ind.Value, 2048), i18n.Clip(ind.Comment, 2000), i18n.Clip(ind.Reason, 2000)
		keep = append(keep, ind)
	}
	return keep, nil
}

// stixID names an indicator that came without a STIX id: a UUIDv5-like
// id from its identity, so the same indicator always gets the same id.
func stixID(kind, value, source string) string {
	h := sha1.Sum([]byte("vigil-intel\x00" + kind + "\x00" + value + "\x00" + source))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("indicator--%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// listForImport finds the list an import joins: ListID, or the newest
// draft or published list of the current month named List, which the IT
// Center creates when there is none.
func (s *Service) listForImport(ctx context.Context, tx *store.Tx, c *caller, in *ImportInput) (*List, error) {
	if in.ListID != 0 {
		l, err := getList(ctx, tx, in.ListID)
		if err != nil {
			return nil, err
		}
		if l.Status == ListDraft && !c.readsAll {
			return nil, errs.NotFound("warning list")
		}
		if l.Status != ListDraft && l.Status != ListPublished {
			return nil, errs.Conflict("list", "a superseded or withdrawn list can no longer change")
		}
		return l, nil
	}
	month := Month(s.now())
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM warning_lists WHERE month = ? AND name = ? AND status IN ('draft', 'published') ORDER BY version DESC LIMIT 1`, month, in.List).Scan(&id)
	switch {
	case err == nil:
		l, err := getList(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		if l.Status == ListDraft && !c.readsAll {
			return nil, errs.Invalid("list", "there is no list %q of %s; the IT Center creates lists", in.List, month)
		}
		return l, nil
	case !store.IsNoRows(err):
		return nil, fmt.Errorf("intel: list %q: %w", in.List, err)
	}
	if !c.manage {
		return nil, errs.Invalid("list", "there is no list %q of %s; the IT Center creates lists", in.List, month)
	}
	li := ListInput{Name: in.List, Month: month}
	if err := li.check(s.now()); err != nil {
		return nil, err
	}
	return s.createList(ctx, tx, c, li)
}

func joinTags(tags []string) string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(strings.ReplaceAll(t, ",", " "))
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return i18n.Clip(strings.Join(out, ","), 2000)
}

// lastOf indexes the last occurrence in inds of each identity (kind,
// value, source) — with units, of each (identity, target unit), the
// unit being Indicator.ID — in file order: one row a statement may
// touch only once on PostgreSQL, and the last statement of a thing in a
// file wins, as it would row by row. The result is in index order, so
// each B-tree is written from one end to the other instead of at random
// pages. One sort, no map: a million-row file is deduplicated in the
// time of its sort.
func lastOf(inds []format.Indicator, units bool) []int {
	same := func(x, y *format.Indicator) int {
		if c := strings.Compare(x.Kind, y.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(x.Value, y.Value); c != 0 {
			return c
		}
		if c := strings.Compare(x.Source, y.Source); c != 0 || !units {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	}
	order := make([]int, len(inds))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := same(&inds[a], &inds[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	// The last of each run of equal keys is its last occurrence in the
	// file; out overwrites order behind the element being read.
	out := order[:0]
	for j, i := range order {
		if j+1 == len(order) || same(&inds[order[j+1]], &inds[i]) != 0 {
			out = append(out, i)
		}
	}
	return out
}
