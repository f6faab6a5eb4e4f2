// Package audit keeps Vigil's append-only, hash-chained audit log. Every
// change is appended in the same transaction as the change itself; each row's
// hash covers its content and the previous row's hash, so editing or
// deleting a row breaks the chain where `vigil audit verify` finds it.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Entry is one change to record.
type Entry struct {
	Action     string // "unit.create", "user.update", "auth.login_failed", ...
	ObjectType string
	ObjectID   string
	UnitID     int64 // 0 when the change belongs to no unit
	Before     any   // a summary of the object before, nil for creations
	After      any   // after, nil for deletions
	Note       string
}

// Record is a stored audit row.
type Record struct {
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	ActorID    int64           `json:"actor_id,omitempty"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	UnitID     int64           `json:"-"`
	UnitCode   string          `json:"unit,omitempty"`
	Summary    json.RawMessage `json:"summary"`
	IP         string          `json:"ip,omitempty"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
}

// redactedKeys never reach the log, whatever a caller passes.
var redactedKeys = []string{"password", "password_hash", "secret", "token", "token_hash", "client_secret"}

func summarise(e Entry) (string, error) {
	m := map[string]any{}
	if e.Before != nil {
		m["before"] = redact(e.Before)
	}
	if e.After != nil {
		m["after"] = redact(e.After)
	}
	if e.Note != "" {
		m["note"] = e.Note
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// redact round-trips v through JSON and blanks secret-looking keys.
func redact(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	var x any
	if json.Unmarshal(b, &x) != nil {
		return string(b)
	}
	var walk func(any) any
	walk = func(x any) any {
		switch t := x.(type) {
		case map[string]any:
			for k, v := range t {
				lk := strings.ToLower(k)
				hit := false
				for _, r := range redactedKeys {
					if lk == r {
						hit = true
					}
				}
				if hit {
					t[k] = "[redacted]"
				} else {
					t[k] = walk(v)
				}
			}
		case []any:
			for i := range t {
				t[i] = walk(t[i])
			}
		}
		return x
	}
	return walk(x)
}

// Append writes e to the log inside tx, attributed to the caller in ctx.
func Append(ctx context.Context, tx *store.Tx, e Entry) error {
	p := auth.FromContext(ctx)
	if p == nil {
		p = auth.System
	}
	summary, err := summarise(e)
	if err != nil {
		return fmt.Errorf("audit: summarise %s: %w", e.Action, err)
	}
	lock := ""
	if tx.Dialect() == store.Postgres {
		// The head row serialises appenders across hub processes, so the
		// chain never forks.
		lock = " FOR UPDATE"
	}
	var lastSeq int64
	var lastHash string
	if err := tx.QueryRow(ctx, `SELECT last_seq, last_hash FROM audit_head WHERE id = 1`+lock).Scan(&lastSeq, &lastHash); err != nil {
		return fmt.Errorf("audit: read head: %w", err)
	}
	r := Record{
		Seq: lastSeq + 1, At: time.Now().UTC().Truncate(time.Microsecond), ActorID: p.UserID, Actor: p.Email,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, UnitID: e.UnitID,
		Summary: json.RawMessage(summary), IP: auth.ClientIP(ctx), PrevHash: lastHash,
	}
	r.Hash = r.ComputeHash()
	var unit any
	if r.UnitID != 0 {
		unit = r.UnitID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (seq, at, actor_id, actor, action, object_type, object_id, unit_id, summary, ip, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, store.Micros(r.At), r.ActorID, r.Actor, r.Action, r.ObjectType, r.ObjectID, unit, summary, r.IP, r.PrevHash, r.Hash); err != nil {
		return fmt.Errorf("audit: append %s: %w", e.Action, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET last_seq = ?, last_hash = ? WHERE id = 1`, r.Seq, r.Hash); err != nil {
		return fmt.Errorf("audit: move head: %w", err)
	}
	return nil
}

// Log appends e in a transaction of its own, for events that change nothing
// else (a failed login).
func Log(ctx context.Context, db *store.DB, e Entry) error {
	return db.InTx(ctx, func(tx *store.Tx) error { return Append(ctx, tx, e) })
}

// ComputeHash returns the chain hash of r: SHA-256 over the previous hash
// and every field, each length-prefixed so no two rows encode alike.
func (r *Record) ComputeHash() string {
	var buf [512]byte
	return r.hash(buf[:0])
}

// hash is ComputeHash encoding into buf, so Verify can reuse one buffer for
// a million rows; the input is hashed in one call rather than field by
// field, which is most of the cost at this size.
func (r *Record) hash(buf []byte) string {
	buf = appendField(buf, r.PrevHash)
	buf = appendIntField(buf, r.Seq)
	buf = appendIntField(buf, store.Micros(r.At))
	buf = appendIntField(buf, r.ActorID)
	buf = appendField(buf, r.Actor)
	buf = appendField(buf, r.Action)
	buf = appendField(buf, r.ObjectType)
	buf = appendField(buf, r.ObjectID)
	buf = appendIntField(buf, r.UnitID)
	buf = appendField(buf, string(r.Summary))
	buf = appendField(buf, r.IP)
	sum := sha256.Sum256(buf)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

func appendField(buf []byte, s string) []byte {
	buf = strconv.AppendInt(buf, int64(len(s)), 10)
	buf = append(buf, ':')
	return append(buf, s...)
}

func appendIntField(buf []byte, n int64) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], n, 10)
	buf = strconv.AppendInt(buf, int64(len(d)), 10)
	buf = append(buf, ':')
	return append(buf, d...)
}

// Filter selects audit rows.
type Filter struct {
	Actor      string
	Action     string // exact, or a prefix ending in "." ("user.")
	ObjectType string
	ObjectID   string
	UnitCode   string
	Since      time.Time
	Until      time.Time
	Oldest     bool // oldest first; newest first otherwise
	Offset     int  // rows skipped (pages by position)
	Limit      int
	// CountLimit bounds the count of matching rows (0: Offset+CountCap);
	// NoCount skips it (the dashboard's recent changes).
	CountLimit int
	NoCount    bool
	// ActorKind keeps the rows of people (ActorPerson: signed-in users,
	// and failed sign-ins, which someone typed) or of the system
	// (ActorSystem: the hub and its agents); "" keeps both.
	ActorKind string
	// ChangesOnly leaves out sign-ins and sign-outs.
	ChangesOnly bool
}

// CountCap is how many rows past the page's start List counts at most.
// An exact COUNT over a million rows takes a third of a second to over a
// second on SQLite (every row of the caller's scope and filter is
// visited); counting up to 10,000 more takes a few milliseconds, and a
// list of more says "more than" (Total.Capped).
const CountCap = 10_000

// Total is how many rows a filter selects: N exactly, or more than N when
// Capped.
type Total struct {
	N      int
	Capped bool
}

// SortKeys are the orders of the audit log: by time, which is its
// sequence (newest first unless ?order=asc).
var SortKeys = []string{"at"}

// List returns a page of audit rows, newest first (f.Oldest: oldest
// first), and how many match, scoped to the caller: admins and analysts
// see all rows, others the rows of units in their subtree.
func List(ctx context.Context, db *store.DB, f Filter) ([]Record, Total, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, Total{}, err
	}
	order, dir := "a.seq DESC", "DESC"
	if f.Oldest {
		order, dir = "a.seq", ""
	}
	// Conditions on the row itself; the unit scope is applied below.
	l := store.NewList(order, f.Limit, 50).Skip(f.Offset)
	if f.Actor != "" {
		l.Where("a.actor = ?", f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			l.Where("a.action >= ? AND a.action < ?", f.Action, f.Action[:len(f.Action)-1]+"/")
		} else {
			l.Where("a.action = ?", f.Action)
		}
	}
	if f.ObjectType != "" {
		l.Where("a.object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		l.Where("a.object_id = ?", f.ObjectID)
	}
	switch f.ActorKind {
	case ActorPerson:
		l.Where("(a.actor_id <> 0 OR a.action = 'auth.login_failed')")
	case ActorSystem:
		// Literally "actor_id = 0", so both engines use the partial index
		// audit_system kept for these (usually rare) rows.
		l.Where("a.actor_id = 0 AND a.action <> 'auth.login_failed'")
	}
	if f.ChangesOnly {
		l.Where("(a.action < 'auth.' OR a.action >= 'auth/')")
	}
	if !f.Since.IsZero() {
		l.Where("a.at >= ?", store.Micros(f.Since))
	}
	if !f.Until.IsZero() {
		l.Where("a.at < ?", store.Micros(f.Until))
	}
	countLimit := f.CountLimit
	if countLimit <= 0 {
		countLimit = l.Offset() + CountCap
	}
	const cols = `SELECT a.seq, a.at, a.actor_id, a.actor, a.action, a.object_type, a.object_id, COALESCE(a.unit_id, 0), COALESCE(u.code, ''), a.summary, a.ip, a.prev_hash, a.hash`
	var q, countQ string
	var args, countArgs []any
	if p.SeesAllUnits() && f.UnitCode == "" {
		q, args = l.SQL(cols + ` FROM audit_log a LEFT JOIN units u ON u.id = a.unit_id`)
		cond, cargs := l.Conditions()
		countQ, countArgs = `SELECT 1 FROM audit_log a WHERE `+cond, cargs
	} else {
		units, err := listUnits(ctx, db, p, f.UnitCode)
		if err != nil {
			return nil, Total{}, err
		}
		switch {
		case len(units) == 0:
			return nil, Total{}, nil
		case len(units) <= maxUnitBranches:
			// Walking the whole log newest first until enough rows of a
			// few units turn up reads all of it when those units are quiet
			// (a new province: seconds over a million rows). Instead take
			// the newest rows of each unit from its (unit_id, seq) index
			// and merge them.
			//
			// SQLite is faster merging only the sequence numbers, read from
			// the index alone, and fetching the winning rows after;
			// PostgreSQL plans whole-row branches better.
			branchCols := "a.*"
			if db.Dialect == store.SQLite {
				branchCols = "a.seq"
			}
			cond, cargs := l.Conditions()
			branches := make([]string, len(units))
			marks := make([]string, len(units))
			for i, id := range units {
				branches[i] = `SELECT * FROM (SELECT ` + branchCols + ` FROM audit_log a WHERE a.unit_id = ? AND ` + cond + ` ORDER BY ` + order + ` LIMIT ?) b` + strconv.Itoa(i)
				args = append(args, id)
				args = append(args, cargs...)
				args = append(args, l.Offset()+l.Limit)
				marks[i] = "?"
				countArgs = append(countArgs, id)
			}
			if db.Dialect == store.SQLite {
				q = cols + ` FROM audit_log a JOIN units u ON u.id = a.unit_id WHERE a.seq IN (SELECT seq FROM (` + strings.Join(branches, " UNION ALL ") + `) ORDER BY seq ` + dir + ` LIMIT ? OFFSET ?) ORDER BY ` + order
			} else {
				q = cols + ` FROM (` + strings.Join(branches, " UNION ALL ") + `) a JOIN units u ON u.id = a.unit_id ORDER BY ` + order + ` LIMIT ? OFFSET ?`
			}
			args = append(args, l.Limit, l.Offset())
			countQ = `SELECT 1 FROM audit_log a WHERE a.unit_id IN (` + strings.Join(marks, ", ") + `) AND ` + cond
			countArgs = append(countArgs, cargs...)
		default:
			// A large subtree owns a large share of the log, so its rows
			// turn up soon when walking it newest first.
			l.Scope(p, "u.path")
			if f.UnitCode != "" {
				l.Where("u.code = ?", f.UnitCode)
			}
			q, args = l.SQL(cols + ` FROM audit_log a JOIN units u ON u.id = a.unit_id`)
			cond, cargs := l.Conditions()
			countQ, countArgs = `SELECT 1 FROM audit_log a JOIN units u ON u.id = a.unit_id WHERE `+cond, cargs
		}
	}
	var total Total
	if !f.NoCount {
		// Count one row past the bound to know whether there are more.
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM (`+countQ+` LIMIT ?) c`, append(countArgs, countLimit+1)...).Scan(&n); err != nil {
			return nil, Total{}, fmt.Errorf("audit: count: %w", err)
		}
		total = Total{N: min(n, countLimit), Capped: n > countLimit}
		if n <= l.Offset() {
			return nil, total, nil
		}
	}
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return nil, Total{}, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var at int64
		var summary string
		if err := rows.Scan(&r.Seq, &at, &r.ActorID, &r.Actor, &r.Action, &r.ObjectType, &r.ObjectID, &r.UnitID, &r.UnitCode, &summary, &r.IP, &r.PrevHash, &r.Hash); err != nil {
			return nil, Total{}, fmt.Errorf("audit: list: %w", err)
		}
		r.At = store.Time(at)
		r.Summary = json.RawMessage(summary)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, Total{}, fmt.Errorf("audit: list: %w", err)
	}
	return out, total, nil
}

// maxUnitBranches bounds the units List merges one by one (SQLite allows
// 500 terms in a compound SELECT); larger subtrees take the plain query.
const maxUnitBranches = 64

// listUnits returns the ids of the units in the caller's scope (with code,
// if set), up to maxUnitBranches+1 of them.
func listUnits(ctx context.Context, db *store.DB, p *auth.Principal, code string) ([]int64, error) {
	scope, args := p.Scope("u.path")
	q := `SELECT u.id FROM units u WHERE ` + scope
	if code != "" {
		q += ` AND u.code = ?`
		args = append(args, code)
	}
	rows, err := db.Query(ctx, q+` ORDER BY u.id LIMIT ?`, append(args, maxUnitBranches+1)...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: units in scope: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("audit: list: units in scope: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Problem is one break found by Verify.
type Problem struct {
	Seq    int64
	Reason string
}

// Report is the outcome of Verify.
type Report struct {
	Rows     int64
	LastSeq  int64
	Problems []Problem
}

// OK reports whether the chain is intact.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Verify walks the whole chain and reports every row whose hash does not
// match its content (tampered), whose prev_hash does not match the row
// before (a row deleted or inserted), every gap in sequence numbers and a
// head that does not point at the last row (rows deleted at the end).
// progress, if set, is called every 100,000 rows.
func Verify(ctx context.Context, db *store.DB, progress func(rows int64)) (*Report, error) {
	rep := &Report{}
	var headSeq int64
	var headHash string
	const page = 50000
	prevSeq, prevHash := int64(0), ""
	buf := make([]byte, 0, 1024)
	for {
		rows, err := db.Query(ctx, `SELECT seq, at, actor_id, actor, action, object_type, object_id, COALESCE(unit_id, 0), summary, ip, prev_hash, hash
			FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`, prevSeq, page)
		if err != nil {
			return nil, fmt.Errorf("audit: verify: %w", err)
		}
		n := 0
		var r Record
		var summary string
		var at int64
		for rows.Next() {
			if err := rows.Scan(&r.Seq, &at, &r.ActorID, &r.Actor, &r.Action, &r.ObjectType, &r.ObjectID, &r.UnitID, &summary, &r.IP, &r.PrevHash, &r.Hash); err != nil {
				rows.Close()
				return nil, fmt.Errorf("audit: verify: %w", err)
			}
			n++
			rep.Rows++
			r.At = store.Time(at)
			r.Summary = json.RawMessage(summary)
			if r.Seq != prevSeq+1 {
				rep.Problems = append(rep.Problems, Problem{r.Seq, fmt.Sprintf("rows %d..%d are missing (deleted)", prevSeq+1, r.Seq-1)})
			} else if r.PrevHash != prevHash {
				rep.Problems = append(rep.Problems, Problem{r.Seq, "prev_hash does not match the row before (row replaced or chain rewritten)"})
			}
			if r.hash(buf[:0]) != r.Hash {
				rep.Problems = append(rep.Problems, Problem{r.Seq, "content does not match its hash (row altered)"})
			}
			prevSeq, prevHash = r.Seq, r.Hash
			if progress != nil && rep.Rows%100000 == 0 {
				progress(rep.Rows)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("audit: verify: %w", err)
		}
		if n == page {
			continue
		}
		// The hub may have appended while we walked: the head is read after
		// the rows, and when it has moved past them the walk goes on, so a
		// live hub is not reported as tampered with.
		before := headSeq
		if err := db.QueryRow(ctx, `SELECT last_seq, last_hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
			return nil, fmt.Errorf("audit: verify: read head: %w", err)
		}
		// Rows and head move in one transaction, so a head past the walk
		// that has itself moved since the last look means new rows to read;
		// a head that stays past the last row means rows deleted at the end.
		if headSeq > prevSeq && (n > 0 || headSeq != before) {
			continue
		}
		break
	}
	rep.LastSeq = prevSeq
	if headSeq != prevSeq || headHash != prevHash {
		rep.Problems = append(rep.Problems, Problem{headSeq, fmt.Sprintf("head points at row %d but the log ends at row %d (rows deleted at the end, or head altered)", headSeq, prevSeq)})
	}
	return rep, nil
}

// ErrNotFound is returned for rows outside the caller's scope.
var ErrNotFound = errs.NotFound("audit record")

// Anchor is a (sequence, hash) pair of the chain recorded outside the
// database: the hub logs one periodically (to the journal, syslog or
// wherever its logs are shipped). A database writer can rewrite the whole
// unkeyed chain and move the head, but cannot change an anchor already
// shipped away, so verifying against anchors catches a rewritten history.
type Anchor struct {
	Seq  int64
	Hash string
}

// Head returns the chain's current head as an anchor.
func Head(ctx context.Context, db *store.DB) (Anchor, error) {
	var a Anchor
	if err := db.QueryRow(ctx, `SELECT last_seq, last_hash FROM audit_head WHERE id = 1`).Scan(&a.Seq, &a.Hash); err != nil {
		return a, fmt.Errorf("audit: read head: %w", err)
	}
	return a, nil
}

// ParseAnchor reads "SEQ:HASH" as printed in the hub's log.
func ParseAnchor(s string) (Anchor, error) {
	seq, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n <= 0 || len(hash) != 64 {
		return Anchor{}, fmt.Errorf("anchor %q: want SEQ:HASH as the hub logs it (e.g. 1042:3fa4…)", s)
	}
	return Anchor{Seq: n, Hash: strings.ToLower(hash)}, nil
}

// CheckAnchors compares stored rows with anchors kept outside the
// database; each mismatch is a problem.
func CheckAnchors(ctx context.Context, db *store.DB, anchors []Anchor) ([]Problem, error) {
	var out []Problem
	for _, a := range anchors {
		var hash string
		err := db.QueryRow(ctx, `SELECT hash FROM audit_log WHERE seq = ?`, a.Seq).Scan(&hash)
		switch {
		case store.IsNoRows(err):
			out = append(out, Problem{a.Seq, "anchored row is missing"})
		case err != nil:
			return nil, fmt.Errorf("audit: check anchor %d: %w", a.Seq, err)
		case hash != a.Hash:
			out = append(out, Problem{a.Seq, "row's hash differs from the anchor recorded outside the database (history rewritten)"})
		}
	}
	return out, nil
}
