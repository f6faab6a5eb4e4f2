// The benchmark's seed fills a hub's database with the organisation issue 2's
// speed targets are stated for — 100 units, 1,000 users, 1,000,000 audit
// rows — quickly enough that the benchmarks can build it on every run, on
// either engine. Units go through the org service (so their paths and audit
// rows are real); users and audit rows are written in bulk, the audit rows
// still forming a valid hash chain that audit.Verify accepts.
//
// It lives in a _test.go file, beside BenchmarkHub, so it is compiled only
// into this package's test binary and never into vigil.
package benchhub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/store"
)

// Size is how much to generate.
type Size struct {
	Units     int // including the root and the quiet unit; at least 5
	Users     int // including the administrator and the quiet unit's officer
	AuditRows int // besides the rows creating units and the administrator
}

// Issue2 is the size the speed targets of issue 2 name.
var Issue2 = Size{Units: 100, Users: 1000, AuditRows: 1_000_000}

// Password is the password of every generated user.
const Password = "bench-vigil-password"

// AdminEmail is the first administrator.
const AdminEmail = "admin@bench.vigil.local"

// QuietUnit is a unit with next to no audit rows, and QuietOfficer its
// officer.
const (
	QuietUnit    = "Q01"
	QuietOfficer = "officer.q01@bench.vigil.local"
)

// Org describes what Seed made, for the benchmarks to sign in and ask.
type Org struct {
	Units []string // unit codes, the root first
	// Province is a province with districts; Officer is an officer there,
	// whose scope is that province's subtree (a few percent of the log).
	Province     string
	Officer      string
	Users        int
	AuditRows    int64
	AuditSeconds float64 // time spent writing the audit rows
}

// Seed creates the administrator and root (as a first start does), then
// the units, users and audit rows of size.
func Seed(ctx context.Context, db *store.DB, size Size) (*Org, error) {
	if size.Units < 5 || size.Users < 3 {
		return nil, fmt.Errorf("benchhub: need at least 5 units and 3 users, got %d and %d", size.Units, size.Users)
	}
	svc := &org.Service{DB: db}
	if _, _, err := svc.EnsureAdmin(ctx, AdminEmail, Password); err != nil {
		return nil, fmt.Errorf("benchhub: admin: %w", err)
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	root, err := svc.EnsureRoot(sys)
	if err != nil {
		return nil, err
	}
	o := &Org{Units: []string{root.Code}}
	// The last unit is the quiet one, created after the history.
	if err := seedUnits(sys, svc, root.Code, size.Units-1, o); err != nil {
		return nil, err
	}
	ids, err := unitIDs(ctx, db)
	if err != nil {
		return nil, err
	}
	users, err := seedUsers(ctx, db, size.Users-1, o, ids)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	restore, err := dropAuditIndexes(ctx, db)
	if err != nil {
		return nil, err
	}
	if err := seedAudit(ctx, db, size.AuditRows, ids, users); err != nil {
		return nil, err
	}
	if err := restore(); err != nil {
		return nil, err
	}
	o.AuditSeconds = time.Since(start).Seconds()
	o.AuditRows = int64(size.AuditRows)
	// A unit created after the history, so almost no audit row is its:
	// its officer's audit page is the hardest to fill with 50 rows.
	if _, err := svc.CreateUnit(sys, org.UnitInput{Code: QuietUnit, Name: "Bảo hiểm xã hội tỉnh Mới thành lập", Kind: org.KindProvince, Parent: root.Code}); err != nil {
		return nil, fmt.Errorf("benchhub: unit %s: %w", QuietUnit, err)
	}
	if _, err := svc.CreateUser(sys, org.UserInput{Email: QuietOfficer, Name: "Cán bộ Tỉnh mới", Password: Password, Role: string(auth.RoleOfficer), Unit: QuietUnit}); err != nil {
		return nil, fmt.Errorf("benchhub: user %s: %w", QuietOfficer, err)
	}
	o.Units = append(o.Units, QuietUnit)
	o.Users++
	if db.Dialect == store.Postgres {
		// A real hub's log grows slowly under autovacuum; after a bulk load
		// autovacuum would vacuum and analyse within a minute, in the middle
		// of the measurements. Do it now.
		for _, q := range []string{`VACUUM (ANALYZE) audit_log`, `ANALYZE`} {
			if _, err := db.Exec(ctx, q); err != nil {
				return nil, fmt.Errorf("benchhub: %s: %w", q, err)
			}
		}
	}
	return o, nil
}

// seedUnits makes a tree like the real one: a few service units under the
// root, then provinces, each with two districts.
func seedUnits(ctx context.Context, svc *org.Service, root string, n int, o *Org) error {
	add := func(code, name, kind, parent string) error {
		if _, err := svc.CreateUnit(ctx, org.UnitInput{Code: code, Name: name, Kind: kind, Parent: parent}); err != nil {
			return fmt.Errorf("benchhub: unit %s: %w", code, err)
		}
		o.Units = append(o.Units, code)
		return nil
	}
	for i := 1; i <= 3 && len(o.Units) < n; i++ {
		if err := add(fmt.Sprintf("SU%02d", i), fmt.Sprintf("Đơn vị sự nghiệp %02d", i), org.KindServiceUnit, root); err != nil {
			return err
		}
	}
	for p := 1; len(o.Units) < n; p++ {
		code := fmt.Sprintf("P%02d", p)
		if err := add(code, fmt.Sprintf("Bảo hiểm xã hội tỉnh Thử nghiệm %02d", p), org.KindProvince, root); err != nil {
			return err
		}
		for d := 1; d <= 2 && len(o.Units) < n; d++ {
			if err := add(fmt.Sprintf("%s-%02d", code, d), fmt.Sprintf("Bảo hiểm xã hội huyện Thử nghiệm %02d-%02d", p, d), org.KindDistrict, code); err != nil {
				return err
			}
		}
	}
	o.Province = "P01"
	return nil
}

func unitIDs(ctx context.Context, db *store.DB) (map[string]int64, error) {
	rows, err := db.Query(ctx, `SELECT code, id FROM units`)
	if err != nil {
		return nil, fmt.Errorf("benchhub: units: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var code string
		var id int64
		if err := rows.Scan(&code, &id); err != nil {
			return nil, err
		}
		out[code] = id
	}
	return out, rows.Err()
}

type seedUser struct {
	id    int64
	email string
}

// seedUsers brings the users to n, the administrator included, inserted in
// bulk with one password hash (hashing 1,000 passwords with argon2id would
// take longer than everything else). The first is o.Officer, an officer of
// o.Province; one in fifty is an analyst, one in three an officer, the rest
// viewers, spread over the units.
func seedUsers(ctx context.Context, db *store.DB, n int, o *Org, ids map[string]int64) ([]seedUser, error) {
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return nil, err
	}
	o.Officer = "officer.p01@bench.vigil.local"
	now := store.Now()
	const cols = 8
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var q strings.Builder
		var args []any
		flush := func() error {
			if len(args) == 0 {
				return nil
			}
			if _, err := tx.Exec(ctx, `INSERT INTO users (email, name, name_fold, role, unit_id, password_hash, created_at, updated_at) VALUES `+q.String(), args...); err != nil {
				return fmt.Errorf("benchhub: users: %w", err)
			}
			q.Reset()
			args = args[:0]
			return nil
		}
		for i := 1; i < n; i++ {
			unit := o.Units[i%len(o.Units)]
			role := auth.RoleViewer
			switch {
			case i == 1:
				unit, role = o.Province, auth.RoleOfficer
			case i%50 == 0:
				unit, role = o.Units[0], auth.RoleAnalyst
			case i%3 == 0:
				role = auth.RoleOfficer
			}
			email := fmt.Sprintf("user%04d@bench.vigil.local", i)
			if i == 1 {
				email = o.Officer
			}
			name := fmt.Sprintf("Người dùng Thử nghiệm %04d", i)
			if q.Len() > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, email, name, i18n.Fold(name), string(role), ids[unit], hash, now, now)
			if len(args) >= 500*cols {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT id, email FROM users ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []seedUser
	for rows.Next() {
		var u seedUser
		if err := rows.Scan(&u.id, &u.email); err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	o.Users = len(users)
	return users, rows.Err()
}

// dropAuditIndexes drops audit_log's secondary indexes for the bulk load
// and returns a func recreating them from their own stored definitions:
// building an index once from sorted keys is far cheaper than a million
// random inserts into four of them, on both engines.
func dropAuditIndexes(ctx context.Context, db *store.DB) (restore func() error, err error) {
	q := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' AND sql IS NOT NULL`
	if db.Dialect == store.Postgres {
		q = `SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
			JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
			WHERE t.relname = 'audit_log' AND t.relnamespace = current_schema()::regnamespace AND NOT x.indisprimary AND NOT x.indisunique`
	}
	rows, err := db.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("benchhub: audit indexes: %w", err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := db.Exec(ctx, `DROP INDEX `+name); err != nil {
			return nil, fmt.Errorf("benchhub: drop index %s: %w", name, err)
		}
	}
	return func() error {
		for _, def := range defs {
			if _, err := db.Exec(ctx, def); err != nil {
				return fmt.Errorf("benchhub: recreate index: %s: %w", def, err)
			}
		}
		return nil
	}, nil
}

// auditKinds are the changes the generated log is made of, roughly in the
// proportions a hub sees: mostly sign-ins.
var auditKinds = []struct{ action, objectType string }{
	{"auth.login", "user"}, {"auth.login", "user"}, {"auth.login", "user"}, {"auth.logout", "user"},
	{"auth.login_failed", "user"}, {"user.update", "user"}, {"unit.update", "unit"},
	{"contact.create", "contact"}, {"token.create", "api_token"}, {"host.update", "host"},
}

// seedAudit appends n rows after the current head: hashes computed as
// audit.Append computes them, written in batches of 100,000 rows (multi-row
// INSERTs in one transaction on SQLite, COPY on PostgreSQL), and the head
// moved once at the end.
func seedAudit(ctx context.Context, db *store.DB, n int, ids map[string]int64, users []seedUser) error {
	var seq int64
	var prev string
	if err := db.QueryRow(ctx, `SELECT last_seq, last_hash FROM audit_head WHERE id = 1`).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("benchhub: audit head: %w", err)
	}
	codes := make([]string, 0, len(ids))
	unitIDs := make([]int64, 0, len(ids))
	for c, id := range ids {
		codes = append(codes, c)
		unitIDs = append(unitIDs, id)
	}
	rnd := rand.New(rand.NewPCG(2, 26))
	// Summaries repeat per action and unit; marshalling a million maps
	// would cost more than hashing the rows.
	type summaryKey struct {
		action string
		unit   int
	}
	summaries := map[summaryKey]json.RawMessage{}
	// A year of history ending now, oldest first.
	step := int64(365*24*time.Hour/time.Microsecond) / int64(max(n, 1))
	at := store.Now() - step*int64(n)
	const batchRows = 100_000
	batch := make([][]any, 0, batchRows)
	for done := 0; done < n; {
		batch = batch[:0]
		for i := 0; i < min(batchRows, n-done); i++ {
			seq++
			at += step
			u := users[rnd.IntN(len(users))]
			k := auditKinds[rnd.IntN(len(auditKinds))]
			ui := rnd.IntN(len(unitIDs))
			r := audit.Record{Seq: seq, At: store.Time(at), ActorID: u.id, Actor: u.email, Action: k.action, ObjectType: k.objectType,
				UnitID: unitIDs[ui], IP: fmt.Sprintf("10.%d.%d.%d", ui, rnd.IntN(256), 1+rnd.IntN(254)), PrevHash: prev}
			if rnd.IntN(50) == 0 {
				r.UnitID = 0 // events of no unit (system jobs)
			}
			r.ObjectID = strconv.FormatInt(1+rnd.Int64N(5000), 10)
			key := summaryKey{k.action, ui}
			if r.Summary = summaries[key]; r.Summary == nil {
				r.Summary = summary(k.action, codes[ui], rnd)
				summaries[key] = r.Summary
			}
			r.Hash = r.ComputeHash()
			prev = r.Hash
			var unit any
			if r.UnitID != 0 {
				unit = r.UnitID
			}
			batch = append(batch, []any{r.Seq, at, r.ActorID, r.Actor, r.Action, r.ObjectType, r.ObjectID, unit, string(r.Summary), r.IP, r.PrevHash, r.Hash})
		}
		if err := writeAudit(ctx, db, batch); err != nil {
			return fmt.Errorf("benchhub: audit rows to %d: %w", seq, err)
		}
		done += len(batch)
	}
	if _, err := db.Exec(ctx, `UPDATE audit_head SET last_seq = ?, last_hash = ? WHERE id = 1`, seq, prev); err != nil {
		return fmt.Errorf("benchhub: audit head: %w", err)
	}
	return nil
}

var auditColumns = []string{"seq", "at", "actor_id", "actor", "action", "object_type", "object_id", "unit_id", "summary", "ip", "prev_hash", "hash"}

// writeAudit stores rows (in auditColumns order) atomically.
func writeAudit(ctx context.Context, db *store.DB, rows [][]any) error {
	if db.Dialect == store.Postgres {
		// COPY is PostgreSQL's bulk path, several times faster than any
		// INSERT; it is one statement, so the batch lands whole or not at all.
		conn, err := db.DB.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			_, err := pc.CopyFrom(ctx, pgx.Identifier{"audit_log"}, auditColumns, pgx.CopyFromRows(rows))
			return err
		})
	}
	const perInsert = 1000 // 12,000 parameters, well under SQLite's 32,766
	values := func(n int) string {
		return `INSERT INTO audit_log (` + strings.Join(auditColumns, ", ") + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?),", n), ",")
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		stmt, err := tx.Tx.PrepareContext(ctx, values(perInsert))
		if err != nil {
			return err
		}
		defer stmt.Close()
		args := make([]any, 0, perInsert*len(auditColumns))
		for len(rows) > 0 {
			k := min(perInsert, len(rows))
			args = args[:0]
			for _, r := range rows[:k] {
				args = append(args, r...)
			}
			if k == perInsert {
				_, err = stmt.ExecContext(ctx, args...)
			} else {
				_, err = tx.Exec(ctx, values(k), args...)
			}
			if err != nil {
				return err
			}
			rows = rows[k:]
		}
		return nil
	})
}

// summary is a before/after summary of the size real ones have.
func summary(action, unit string, rnd *rand.Rand) json.RawMessage {
	var m map[string]any
	switch action {
	case "auth.login":
		m = map[string]any{"after": map[string]any{"via": "password"}}
	case "auth.login_failed":
		m = map[string]any{"after": map[string]any{"reason": "wrong password", "locked": false}}
	case "user.update":
		m = map[string]any{"before": map[string]any{"name": "Người dùng", "role": "viewer", "unit": unit, "disabled": false},
			"after": map[string]any{"name": "Người dùng", "role": "officer", "unit": unit, "disabled": false}}
	case "unit.update":
		m = map[string]any{"before": map[string]any{"code": unit, "name": "Tên cũ", "kind": "district"},
			"after": map[string]any{"code": unit, "name": "Tên mới", "kind": "district"}}
	case "contact.create":
		m = map[string]any{"after": map[string]any{"name": "Nguyễn Văn An", "position": "Cán bộ ATTT", "phone": fmt.Sprintf("0900 %03d %03d", rnd.IntN(1000), rnd.IntN(1000)), "unit": unit}}
	case "host.update":
		m = map[string]any{"after": map[string]any{"hostname": fmt.Sprintf("pc-%s-%03d", strings.ToLower(unit), rnd.IntN(500)), "os": "Windows 11"}}
	default:
		m = map[string]any{}
	}
	b, _ := json.Marshal(m)
	return b
}
