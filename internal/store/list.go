package store

import (
	"context"
	"strings"
)

// List builds the query of a keyset-paged list, the one shape every list in
// Vigil has: conditions joined by AND (the caller's scope among them), a
// cursor on an integer key, ORDER BY that key and LIMIT n+1 so Fetch can
// tell whether another page follows.
//
//	l := store.NewList("h.id", f.Limit, 100).Scope(p, "u.path")
//	if f.Role != "" {
//		l.Where("h.role = ?", f.Role)
//	}
//	l.After(f.After)
//	hosts, next, err := store.Fetch(ctx, db, l, `SELECT ... FROM hosts h JOIN units u ON u.id = h.unit_id`, scanHost, hostKey)
type List struct {
	Limit int // page size, already clamped

	orderBy string // "h.id" or "a.seq DESC"
	key     string
	desc    bool
	where   []string
	args    []any
	offset  int  // rows skipped (offset paging)
	byPos   bool // paged by position (Skip/OrderBy) rather than by key
}

// NewList starts a list ordered by orderBy, an integer key column with an
// optional " DESC" ("u.id", "a.seq DESC"), of limit rows a page (def when
// limit is outside 1..1000).
func NewList(orderBy string, limit, def int) *List {
	key, desc := strings.CutSuffix(orderBy, " DESC")
	return &List{Limit: ClampLimit(limit, def), orderBy: orderBy, key: key, desc: desc}
}

// Where adds a condition with its arguments; conditions are ANDed, so one
// holding OR must bring its own parentheses.
func (l *List) Where(cond string, args ...any) *List {
	l.where = append(l.where, cond)
	l.args = append(l.args, args...)
	return l
}

// Scoper is what auth.Principal offers: the condition limiting rows to the
// caller's units.
type Scoper interface {
	Scope(pathColumn string) (string, []any)
}

// Scope limits the list to the caller's subtree, on a column holding a unit
// path.
func (l *List) Scope(p Scoper, pathColumn string) *List {
	cond, args := p.Scope(pathColumn)
	return l.Where(cond, args...)
}

// After starts the page after cursor, the key of the last row of the
// previous page (0: the first page).
func (l *List) After(cursor int64) *List {
	if cursor <= 0 {
		return l
	}
	if l.desc {
		return l.Where(l.key+" < ?", cursor)
	}
	return l.Where(l.key+" > ?", cursor)
}

// OrderBy orders the list by expr first, then by its key (so rows that tie
// keep one order from page to page). expr comes from the capability's own
// table of sortable columns, never from the request. A list ordered so is
// paged by position (Skip), not by key.
func (l *List) OrderBy(expr string, desc bool) *List {
	dir := ""
	if desc {
		dir = " DESC"
	}
	// Ties follow the sort's direction, so reversing the order reverses
	// the list exactly.
	l.orderBy = expr + dir + ", " + l.key + dir
	l.byPos = true
	return l
}

// Skip starts the page n rows in: offset paging, for pages that go both
// ways, show "101–200 of 218" and sort by any column.
func (l *List) Skip(n int) *List {
	l.offset = max(n, 0)
	l.byPos = true
	return l
}

// Offset is the number of rows skipped.
func (l *List) Offset() int { return l.offset }

// Conditions returns the conditions ANDed ("1=1" when there are none) and
// their arguments, for a query that places them itself.
func (l *List) Conditions() (string, []any) {
	if len(l.where) == 0 {
		return "1=1", nil
	}
	return strings.Join(l.where, " AND "), append([]any(nil), l.args...)
}

// SQL returns selectFrom (SELECT ... FROM ... JOIN ...) completed with the
// conditions, the order and the limit, and its arguments.
func (l *List) SQL(selectFrom string) (string, []any) {
	cond, args := l.Conditions()
	if l.byPos {
		return selectFrom + " WHERE " + cond + " ORDER BY " + l.orderBy + " LIMIT ? OFFSET ?", append(args, l.Limit, l.offset)
	}
	return selectFrom + " WHERE " + cond + " ORDER BY " + l.orderBy + " LIMIT ?", append(args, l.Limit+1)
}

// Scanner is a row to scan: *sql.Row or *sql.Rows.
type Scanner = interface{ Scan(dest ...any) error }

// Fetch runs the list's query, scans each row and returns the page and the
// cursor of the next one (0 at the end). key returns a row's value of the
// list's order column.
func Fetch[T any](ctx context.Context, db *DB, l *List, selectFrom string, scan func(Scanner) (T, error), key func(T) int64) ([]T, int64, error) {
	q, args := l.SQL(selectFrom)
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	out, next := Page(out, l.Limit, key)
	return out, next, nil
}

// FetchPage runs a list paged by position: the rows of the page and the
// true total of rows matching the conditions. selectCols is "SELECT ...",
// from is " FROM ... JOIN ..." (the count reuses it).
func FetchPage[T any](ctx context.Context, db *DB, l *List, selectCols, from string, scan func(Scanner) (T, error)) ([]T, int, error) {
	l.byPos = true
	cond, args := l.Conditions()
	var total int
	if err := db.QueryRow(ctx, "SELECT COUNT(*)"+from+" WHERE "+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if total == 0 || l.offset >= total {
		return nil, total, nil
	}
	q, args := l.SQL(selectCols + from)
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]T, 0, min(l.Limit, total-l.offset))
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	return out, total, rows.Err()
}

// likeEscaper escapes LIKE's wildcards and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// LikeContains returns a LIKE pattern matching s anywhere, taken literally
// (a user searching "nguyen_van" means the underscore). The SQL must name
// the escape character, the same on both engines: `col LIKE ? ESCAPE '\'`.
func LikeContains(s string) string { return "%" + likeEscaper.Replace(s) + "%" }

// LikePrefix returns a LIKE pattern matching values that start with s,
// taken literally; the SQL says `col LIKE ? ESCAPE '\'` as for LikeContains.
func LikePrefix(s string) string { return likeEscaper.Replace(s) + "%" }
