package taxii

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// ObjectQuery is a request for a collection's objects: the filters of
// the TAXII 2.1 specification (section 3.4) and the page.
type ObjectQuery struct {
	Limit        int       // 0: DefaultPageSize; capped at MaxPageSize
	AddedAfter   time.Time // only objects added after this (exclusive)
	Next         string    // the opaque next of the previous page
	IDs          []string  // match[id]
	Types        []string  // match[type]
	Versions     []string  // match[version]: last, first, all or timestamps
	SpecVersions []string  // match[spec_version]
}

// Object is one object of a collection with its manifest facts.
type Object struct {
	ID      string
	Added   time.Time
	Version string // the object's modified (its created for markings)
	JSON    json.RawMessage
	key     int64 // tie-break of the page order after Added
}

// ObjectPage is a page of objects.
type ObjectPage struct {
	Objects []Object
	More    bool
	Next    string
}

// Timestamp formats a TAXII timestamp: UTC, microseconds (the hub's
// precision, so a client's added_after taken from
// X-TAXII-Date-Added-Last misses nothing).
func Timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// ParseTimestamp reads a TAXII / STIX timestamp (RFC 3339, any fraction).
func ParseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// cursor is the position after which a page starts: the last object's
// (added, key) of the previous page.
type cursor struct {
	added int64
	key   int64
	set   bool
}

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + strconv.FormatInt(c.added, 10) + ":" + strconv.FormatInt(c.key, 10)))
}

func decodeCursor(s string) (cursor, error) {
	bad := errs.Invalid("next", "is not a next value this server gave")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 64 {
		return cursor{}, bad
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 3 || parts[0] != "v1" {
		return cursor{}, bad
	}
	a, err1 := strconv.ParseInt(parts[1], 10, 64)
	k, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return cursor{}, bad
	}
	return cursor{added: a, key: k, set: true}, nil
}

func (c cursor) before(added, key int64) bool {
	return !c.set || added > c.added || (added == c.added && key > c.key)
}

// tlpsUpTo are the markings a collection of maxTLP shares.
func tlpsUpTo(maxTLP string) []string {
	i := slices.Index(format.TLPs, maxTLP)
	if i < 0 {
		i = slices.Index(format.TLPs, format.TLPAmber)
	}
	return format.TLPs[:i+1]
}

// versionFilter reads match[version]: nil when every version matches
// (the hub keeps one version of an object, so last, first and all are
// that version), else the timestamps asked for.
func versionFilter(vs []string) ([]time.Time, error) {
	var out []time.Time
	for _, v := range vs {
		switch v {
		case "last", "first", "all":
			return nil, nil
		}
		t, err := ParseTimestamp(v)
		if err != nil {
			return nil, errs.Invalid("match[version]", "must be last, first, all or a timestamp, not %q", v)
		}
		out = append(out, t)
	}
	return out, nil
}

// objects returns a page of collection c's objects for caller p: the TLP
// marking definitions the collection may reference first (dated as the
// definitions are), then its indicators in the order they were added, by
// keyset on (added, indicator id).
func (s *Service) objects(ctx context.Context, p *auth.Principal, c *Collection, q ObjectQuery) (*ObjectPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	var cur cursor
	if q.Next != "" {
		var err error
		if cur, err = decodeCursor(q.Next); err != nil {
			return nil, err
		}
	}
	versions, err := versionFilter(q.Versions)
	if err != nil {
		return nil, err
	}
	page := &ObjectPage{}
	if len(q.SpecVersions) > 0 && !slices.Contains(q.SpecVersions, "2.1") {
		return page, nil
	}
	wantType := func(t string) bool { return len(q.Types) == 0 || slices.Contains(q.Types, t) }
	wantID := func(id string) bool { return len(q.IDs) == 0 || slices.Contains(q.IDs, id) }
	afterMicros := int64(math.MinInt64)
	if !q.AddedAfter.IsZero() {
		afterMicros = store.Micros(q.AddedAfter)
	}
	// The marking definitions: a handful, merged in the page order.
	var rows []Object
	if wantType("marking-definition") && versions == nil {
		for i, tlp := range tlpsUpTo(c.MaxTLP) {
			m := markings[tlp]
			key := -int64(len(format.TLPs) - i) // before any indicator added at the same instant
			added := store.Micros(markingCreated)
			if !wantID(m.id) || added <= afterMicros || !cur.before(added, key) {
				continue
			}
			rows = append(rows, Object{ID: m.id, Added: markingCreated, Version: m.created, JSON: m.json, key: key})
		}
	}
	if wantType("indicator") {
		inds, err := s.indicatorRows(ctx, p, c, q, versions, cur, afterMicros, limit+1)
		if err != nil {
			return nil, err
		}
		rows = append(rows, inds...)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if !a.Added.Equal(b.Added) {
			return a.Added.Before(b.Added)
		}
		return a.key < b.key
	})
	if len(rows) > limit {
		rows = rows[:limit]
		page.More = true
		last := rows[len(rows)-1]
		page.Next = cursor{added: store.Micros(last.Added), key: last.key, set: true}.encode()
	}
	page.Objects = rows
	return page, nil
}

// entryVisible is the condition (on entries aliased e) a caller who does
// not see every unit needs: an entry for every unit, or for its unit, a
// unit above it or one of its subtree.
func entryVisible(p *auth.Principal, e string) (string, []any) {
	if p.SeesAllUnits() || p.Via == "system" {
		return "1=1", nil
	}
	anc := ancestorIDs(p.UnitPath)
	cond := "(" + e + ".unit_id = 0"
	var args []any
	if len(anc) > 0 {
		cond += " OR " + e + ".unit_id IN (" + placeholders(len(anc)) + ")"
		for _, a := range anc {
			args = append(args, a)
		}
	}
	if p.UnitPath != "" {
		cond += " OR " + e + `.unit_id IN (SELECT u.id FROM units u WHERE u.path LIKE ? ESCAPE '\')`
		args = append(args, store.LikePrefix(p.UnitPath))
	}
	return cond + ")", args
}

const indicatorColumns = `i.kind, i.value, i.source, i.confidence, i.tlp, i.first_seen, i.last_seen, i.valid_until, i.tags, i.report, i.comment,
	i.stix_id, i.revoked, i.created_at, i.updated_at`

// collectionLists are the warning lists a collection's entries come from.
func (s *Service) collectionLists(ctx context.Context, c *Collection) ([]int64, error) {
	switch c.Selection {
	case SelectList:
		return []int64{c.ListID}, nil
	case SelectCurrent:
		rows, err := s.DB.Query(ctx, `SELECT id FROM warning_lists WHERE status = 'published' ORDER BY id`)
		if err != nil {
			return nil, fmt.Errorf("taxii: published lists: %w", err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, err
			}
			out = append(out, id)
		}
		return out, rows.Err()
	}
	return nil, nil
}

// indicatorRows reads up to n indicator objects after the cursor.
func (s *Service) indicatorRows(ctx context.Context, p *auth.Principal, c *Collection, q ObjectQuery, versions []time.Time, cur cursor, afterMicros int64, n int) ([]Object, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	tlps := tlpsUpTo(c.MaxTLP)
	if len(tlps) < len(format.TLPs) {
		add("i.tlp IN ("+placeholders(len(tlps))+")", anys(tlps)...)
	}
	if len(q.IDs) > 0 {
		add("i.stix_id IN ("+placeholders(len(q.IDs))+")", anys(q.IDs)...)
	}
	if versions != nil {
		ms := make([]any, len(versions))
		for i, v := range versions {
			ms[i] = v.UnixMilli()
		}
		add("i.updated_at / 1000 IN ("+placeholders(len(ms))+")", ms...)
	}
	var query string
	var qargs []any
	if c.Selection == SelectIndicators {
		conds := append([]string{}, where...)
		cargs := append([]any{}, args...)
		if cur.set {
			conds = append(conds, "(i.updated_at, i.id) > (?, ?)")
			cargs = append(cargs, cur.added, cur.key)
		}
		if afterMicros != math.MinInt64 {
			conds = append(conds, "i.updated_at > ?")
			cargs = append(cargs, afterMicros)
		}
		query = `SELECT i.updated_at, i.id, '', 'high', '', ` + indicatorColumns + ` FROM intel_indicators i WHERE ` + and(conds) + ` ORDER BY i.updated_at, i.id LIMIT ?`
		qargs = append(cargs, n)
	} else {
		lists, err := s.collectionLists(ctx, c)
		if err != nil {
			return nil, err
		}
		if len(lists) == 0 {
			return nil, nil
		}
		vis, vargs := entryVisible(p, "e")
		vis2, vargs2 := entryVisible(p, "e2")
		// One entry per indicator (an indicator may be on two months'
		// lists, or on one list for every unit and for one unit): the
		// visible entry for every unit first, then the earliest added. On
		// one list an entry for every unit is that one without looking.
		dup := `NOT EXISTS (SELECT 1 FROM warning_list_entries e2 WHERE e2.indicator_id = e.indicator_id AND e2.list_id IN (` + placeholders(len(lists)) + `)
			AND ((e2.unit_id = 0 AND e.unit_id <> 0) OR ((e2.unit_id = 0) = (e.unit_id = 0) AND (e2.added_at, e2.list_id, e2.unit_id) < (e.added_at, e.list_id, e.unit_id)))
			AND ` + vis2 + `)`
		if len(lists) == 1 {
			dup = "(e.unit_id = 0 OR " + dup + ")"
		}
		var parts []string
		for i, l := range lists {
			conds := []string{"e.list_id = ?"}
			cargs := []any{l}
			conds = append(conds, where...)
			cargs = append(cargs, args...)
			if cur.set {
				conds = append(conds, "(e.added_at, e.indicator_id) > (?, ?)")
				cargs = append(cargs, cur.added, cur.key)
			}
			if afterMicros != math.MinInt64 {
				conds = append(conds, "e.added_at > ?")
				cargs = append(cargs, afterMicros)
			}
			conds = append(conds, vis, dup)
			cargs = append(cargs, vargs...)
			cargs = append(cargs, anys(lists)...)
			cargs = append(cargs, vargs2...)
			sub := `SELECT e.added_at AS added, e.indicator_id AS k, e.action, e.severity, e.reason, ` + indicatorColumns + `
				FROM warning_list_entries e JOIN intel_indicators i ON i.id = e.indicator_id WHERE ` + and(conds) + ` ORDER BY e.added_at, e.indicator_id LIMIT ?`
			cargs = append(cargs, n)
			parts = append(parts, fmt.Sprintf("SELECT * FROM (%s) x%d", sub, i))
			qargs = append(qargs, cargs...)
		}
		if len(parts) == 1 {
			query = parts[0]
		} else {
			query = strings.Join(parts, " UNION ALL ") + " ORDER BY 1, 2 LIMIT ?"
			qargs = append(qargs, n)
		}
	}
	rows, err := s.DB.Query(ctx, query, qargs...)
	if err != nil {
		return nil, fmt.Errorf("taxii: objects: %w", err)
	}
	defer rows.Close()
	var out []Object
	for rows.Next() {
		var added, key int64
		var ind format.Indicator
		var tags string
		var first, last, valid, created, updated int64
		if err := rows.Scan(&added, &key, &ind.Action, &ind.Severity, &ind.Reason, &ind.Kind, &ind.Value, &ind.Source, &ind.Confidence, &ind.TLP,
			&first, &last, &valid, &tags, &ind.Report, &ind.Comment, &ind.STIXID, &ind.Revoked, &created, &updated); err != nil {
			return nil, err
		}
		ind.ID = key
		ind.FirstSeen, ind.LastSeen, ind.ValidUntil = store.Time(first), store.Time(last), store.Time(valid)
		ind.CreatedAt, ind.UpdatedAt = store.Time(created), store.Time(updated)
		if tags != "" {
			ind.Tags = strings.Split(tags, ",")
		}
		if c.Selection == SelectIndicators {
			ind.Severity = ""
		}
		b, err := buildSTIX(ind)
		if err != nil {
			s.logger().Warn("taxii: an indicator cannot be written as STIX", "indicator", key, "err", err)
			continue
		}
		o := Object{ID: ind.STIXID, Added: store.Time(added), JSON: b, key: key, Version: objectVersion(b)}
		if versions != nil && !versionIn(o.Version, versions) {
			continue
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func versionIn(v string, ts []time.Time) bool {
	t, err := ParseTimestamp(v)
	if err != nil {
		return false
	}
	for _, x := range ts {
		if x.Equal(t) {
			return true
		}
	}
	return false
}

// objectVersion is an object's modified, or created for an object that is
// never modified (a marking definition): read from the object's top-level
// keys without decoding it all.
func objectVersion(b []byte) string {
	if v := topString(b, "modified"); v != "" {
		return v
	}
	return topString(b, "created")
}

// topString finds "key":"value" in a JSON object and returns the value
// (timestamps need no unescaping); a full decode when the quick look is
// unsure.
func topString(b []byte, key string) string {
	pat := []byte(`"` + key + `":"`)
	i := bytes.Index(b, pat)
	if i < 0 || bytes.Count(b[:i], []byte("{")) != 1 {
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) != nil {
			return ""
		}
		var s string
		json.Unmarshal(m[key], &s)
		return s
	}
	rest := b[i+len(pat):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

func and(conds []string) string {
	if len(conds) == 0 {
		return "1=1"
	}
	return strings.Join(conds, " AND ")
}

func anys[T any](ss []T) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
