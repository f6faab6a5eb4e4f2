package intel

import (
	"context"
	"crypto/sha1"
	"database/sql"
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

// DefaultAction is the action an entry requires when neither the file nor
// the import says: block what the perimeter can block, remove a file,
// reset an account's password, scan a named host.
func DefaultAction(kind string) string {
	switch kind {
	case format.KindMD5, format.KindSHA1, format.KindSHA256:
		return format.ActionRemoval
	case format.KindAccount:
		return format.ActionPasswordReset
	case format.KindHostname:
		return format.ActionScan
	}
	return format.ActionBlock
}

// readFile reads an import's file (format.Read; a variable for tests).
var readFile = format.Read

// batch is how many rows one INSERT carries: 15 columns × 500 stays
// under both engines' limits on bound values, and the same statement
// text every batch is prepared once per transaction (store.Tx).
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

func checkChoice(field, v string, choices []string) error {
	if v != "" && !slices.Contains(choices, v) {
		return errs.Invalid(field, "%q is not one of %s", v, strings.Join(choices, ", "))
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
	if err := checkChoice("tlp", in.TLP, format.TLPs); err != nil {
		return unit{}, err
	}
	if err := checkChoice("action", in.Action, format.Actions); err != nil {
		return unit{}, err
	}
	if err := checkChoice("severity", in.Severity, Severities); err != nil {
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
		ids, err := s.upsert(ctx, tx, inds, withList)
		if err != nil {
			return err
		}
		o.IndicatorsLoaded = len(inds)
		note := map[string]any{"file": in.Name, "format": res.Format, "objects_read": o.ObjectsRead, "indicators_loaded": o.IndicatorsLoaded, "skipped": len(o.Skipped)}
		objType, objID := "intel_import", in.Name
		if l != nil {
			n, err := s.addEntries(ctx, tx, l.ID, inds, ids)
			if err != nil {
				return err
			}
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
			out.Skipped = append(out.Skipped, format.Problem{File: in.Name, Object: ind.Value, Field: field, Reason: reason})
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
			if ind.Action == "" {
				ind.Action = DefaultAction(ind.Kind)
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

type identity struct{ kind, value, source string }

// upsert stores inds in batches: a new (kind, value, source) is inserted,
// a known one updated. With ids it returns each identity's row id.
func (s *Service) upsert(ctx context.Context, tx *store.Tx, inds []format.Indicator, wantIDs bool) (map[identity]int64, error) {
	// The same identity twice in one statement is an error on
	// PostgreSQL: the last occurrence wins, as it would row by row.
	last := make(map[identity]int, len(inds))
	for i, ind := range inds {
		last[identity{ind.Kind, ind.Value, ind.Source}] = i
	}
	rows := make([]int, 0, len(last))
	for i, ind := range inds {
		if last[identity{ind.Kind, ind.Value, ind.Source}] == i {
			rows = append(rows, i)
		}
	}
	var ids map[identity]int64
	if wantIDs {
		ids = make(map[identity]int64, len(rows))
	}
	now := store.Micros(s.now())
	args := make([]any, 0, batch*15)
	var full *sql.Stmt
	for start := 0; start < len(rows); start += batch {
		part := rows[start:min(start+batch, len(rows))]
		args = args[:0]
		for _, i := range part {
			ind := &inds[i]
			until := int64(0)
			if !ind.ValidUntil.IsZero() {
				until = store.Micros(ind.ValidUntil)
			}
			args = append(args, ind.Kind, ind.Value, ind.Source, ind.Confidence, ind.TLP, store.Micros(ind.FirstSeen), store.Micros(ind.LastSeen),
				until, joinTags(ind.Tags), i18n.Clip(ind.Report, 500), ind.Comment, ind.STIXID, ind.Revoked, now, now)
		}
		q := upsertSQL(len(part), wantIDs)
		if !wantIDs {
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return nil, fmt.Errorf("intel: store indicators: %w", err)
			}
			continue
		}
		var rs *sql.Rows
		var err error
		if len(part) == batch {
			// Tx.Query prepares nothing (its rows may be open when the
			// statement runs again); these are read to the end first, so
			// the full batch's statement is prepared once.
			if full == nil {
				if full, err = tx.PrepareContext(ctx, s.DB.Rebind(q)); err != nil {
					return nil, fmt.Errorf("intel: store indicators: %w", err)
				}
				defer full.Close()
			}
			rs, err = full.QueryContext(ctx, args...)
		} else {
			rs, err = tx.Query(ctx, q, args...)
		}
		if err != nil {
			return nil, fmt.Errorf("intel: store indicators: %w", err)
		}
		for rs.Next() {
			var id int64
			var k identity
			if err := rs.Scan(&id, &k.kind, &k.value, &k.source); err != nil {
				rs.Close()
				return nil, err
			}
			ids[k] = id
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, fmt.Errorf("intel: store indicators: %w", err)
		}
	}
	return ids, nil
}

// The statements of a full batch, built once.
var (
	upsertFull    = buildUpsert(batch, false)
	upsertFullIDs = buildUpsert(batch, true)
	entryFull     = buildEntry(batch)
)

func upsertSQL(n int, returning bool) string {
	switch {
	case n == batch && returning:
		return upsertFullIDs
	case n == batch:
		return upsertFull
	}
	return buildUpsert(n, returning)
}

func buildUpsert(n int, returning bool) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO intel_indicators (kind, value, source, confidence, tlp, first_seen, last_seen, valid_until, tags, report, comment, stix_id, revoked, created_at, updated_at) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(` ON CONFLICT (kind, value, source) DO UPDATE SET
		confidence = excluded.confidence, tlp = excluded.tlp, valid_until = excluded.valid_until, tags = excluded.tags,
		comment = excluded.comment, revoked = excluded.revoked, updated_at = excluded.updated_at,
		last_seen = CASE WHEN excluded.last_seen > intel_indicators.last_seen THEN excluded.last_seen ELSE intel_indicators.last_seen END,
		first_seen = CASE WHEN excluded.first_seen < intel_indicators.first_seen THEN excluded.first_seen ELSE intel_indicators.first_seen END,
		report = CASE WHEN excluded.report <> '' THEN excluded.report ELSE intel_indicators.report END`)
	if returning {
		b.WriteString(` RETURNING id, kind, value, source`)
	}
	return b.String()
}

// addEntries adds the indicators (ids by identity; Indicator.ID is the
// target unit, 0 every unit) to list id; an entry already there takes
// the new action, severity and reason. It returns the entries written.
func (s *Service) addEntries(ctx context.Context, tx *store.Tx, listID int64, inds []format.Indicator, ids map[identity]int64) (int, error) {
	type key struct{ ind, unit int64 }
	last := map[key]int{}
	for i, ind := range inds {
		id, ok := ids[identity{ind.Kind, ind.Value, ind.Source}]
		if !ok {
			return 0, errors.New("intel: an indicator was stored without an id")
		}
		last[key{id, ind.ID}] = i
	}
	keys := make([]key, 0, len(last))
	for k := range last {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int { return last[a] - last[b] })
	now := store.Micros(s.now())
	args := make([]any, 0, batch*7)
	for start := 0; start < len(keys); start += batch {
		part := keys[start:min(start+batch, len(keys))]
		args = args[:0]
		for _, k := range part {
			ind := &inds[last[k]]
			args = append(args, listID, k.ind, k.unit, ind.Action, ind.Severity, ind.Reason, now)
		}
		if _, err := tx.Exec(ctx, entrySQL(len(part)), args...); err != nil {
			return 0, fmt.Errorf("intel: add entries: %w", err)
		}
	}
	return len(keys), nil
}

func entrySQL(n int) string {
	if n == batch {
		return entryFull
	}
	return buildEntry(n)
}

func buildEntry(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO warning_list_entries (list_id, indicator_id, unit_id, action, severity, reason, added_at) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
	}
	b.WriteString(` ON CONFLICT (list_id, indicator_id, unit_id) DO UPDATE SET action = excluded.action, severity = excluded.severity, reason = excluded.reason`)
	return b.String()
}
