// Package store opens Vigil's database — embedded SQLite by default,
// PostgreSQL at scale — and runs its versioned migrations. Capability
// packages own their SQL; they write it once in the subset both engines
// accept, with `?` placeholders, and the DB rebinds it for PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// Dialect names the database engine.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is an open Vigil database.
type DB struct {
	*sql.DB
	Dialect Dialect
	// Where is a human description (file path or host/db) for logs; never
	// contains a password.
	Where string

	rebindMu sync.RWMutex
	rebinds  map[string]string
}

// Queryer is what both *sql.DB and *sql.Tx offer; services take it so the
// same method runs inside or outside a transaction.
type Queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open opens the database named by url: "" means SQLite at
// <dataDir>/vigil.db, "postgres://..." PostgreSQL, "sqlite:PATH" or a bare
// file path SQLite at PATH.
func Open(ctx context.Context, dataDir, url string) (*DB, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
	case url == "":
		if dataDir == "" {
			dataDir = "./vigil-data"
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create data dir %s: %w", dataDir, err)
		}
		return openSQLite(ctx, filepath.Join(dataDir, "vigil.db"))
	default:
		return openSQLite(ctx, strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:"))
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	// WAL lets readers run beside the writer; a busy timeout makes writers
	// wait for each other instead of failing; _txlock=immediate takes the
	// write lock at BEGIN so two writers never deadlock upgrading a read lock.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_txlock=immediate"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	sdb.SetConnMaxIdleTime(0)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	return &DB{DB: sdb, Dialect: SQLite, Where: path, rebinds: map[string]string{}}, nil
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	sdb, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	sdb.SetMaxOpenConns(20)
	sdb.SetMaxIdleConns(20)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sdb.PingContext(pctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("store: connect to postgres %s: %w", RedactURL(url), err)
	}
	return &DB{DB: sdb, Dialect: Postgres, Where: RedactURL(url), rebinds: map[string]string{}}, nil
}

// RedactURL hides a password in a database URL so it can be logged.
func RedactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	cred := u[scheme+3 : at]
	if i := strings.Index(cred, ":"); i >= 0 {
		return u[:scheme+3] + cred[:i] + ":xxxxx" + u[at:]
	}
	return u
}

// Rebind turns `?` placeholders into `$1, $2, ...` for PostgreSQL. Queries
// are constants, so the result is cached.
func (db *DB) Rebind(q string) string {
	if db.Dialect != Postgres {
		return q
	}
	db.rebindMu.RLock()
	r, ok := db.rebinds[q]
	db.rebindMu.RUnlock()
	if ok {
		return r
	}
	r = rebind(q)
	db.rebindMu.Lock()
	if len(db.rebinds) < 10000 {
		db.rebinds[q] = r
	}
	db.rebindMu.Unlock()
	return r
}

func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	inStr := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c == '\'' {
			inStr = !inStr
		}
		if c == '?' && !inStr {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Exec, Query and QueryRow rebind q and run it on the database.
func (db *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return db.DB.ExecContext(ctx, db.Rebind(q), args...)
}
func (db *DB) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return db.DB.QueryContext(ctx, db.Rebind(q), args...)
}
func (db *DB) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return db.DB.QueryRowContext(ctx, db.Rebind(q), args...)
}

// Tx is a transaction whose methods rebind like DB's.
//
// A statement a transaction executes (Exec, QueryRow) a second time is
// prepared then and reused
// until the transaction ends (database/sql closes it at commit or
// rollback): an import recording thousands of findings parses each of its
// few statements once instead of once a row. Statements run once are not
// prepared, which on PostgreSQL would cost a round trip of its own.
type Tx struct {
	*sql.Tx
	db *DB

	mu    sync.Mutex
	seen  map[string]bool
	stmts map[string]*sql.Stmt
}

// maxTxStmts bounds the statements a transaction keeps prepared.
const maxTxStmts = 64

// Dialect returns the engine of the transaction's database.
func (tx *Tx) Dialect() Dialect { return tx.db.Dialect }

// prepared returns the statement of q (rebound) when it is run again, nil
// the first time.
func (tx *Tx) prepared(ctx context.Context, q string) *sql.Stmt {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if st := tx.stmts[q]; st != nil {
		return st
	}
	if !tx.seen[q] {
		if tx.seen == nil {
			tx.seen = map[string]bool{}
		}
		if len(tx.seen) < 4*maxTxStmts {
			tx.seen[q] = true
		}
		return nil
	}
	if len(tx.stmts) >= maxTxStmts {
		return nil
	}
	st, err := tx.Tx.PrepareContext(ctx, q)
	if err != nil {
		return nil // run unprepared; the error, if real, shows there
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[q] = st
	return st
}

func (tx *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = tx.db.Rebind(q)
	if st := tx.prepared(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, q, args...)
}

// Query is never prepared: its rows may still be open when the same
// statement runs again (walking a tree), which one prepared statement
// could not serve.
func (tx *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.Tx.QueryContext(ctx, tx.db.Rebind(q), args...)
}
func (tx *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	q = tx.db.Rebind(q)
	if st := tx.prepared(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, q, args...)
}

// InTx runs fn in a transaction, committing when fn returns nil. On
// PostgreSQL a serialization failure is retried a few times.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := db.inTx(ctx, fn)
		if err != nil && attempt < 4 && isRetryable(err) {
			time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
			continue
		}
		return err
	}
}

func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	stx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{Tx: stx, db: db}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = stx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func isRetryable(err error) bool {
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 40001") || strings.Contains(s, "SQLSTATE 40P01") ||
		strings.Contains(s, "database is locked") || strings.Contains(s, "SQLITE_BUSY")
}

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// IsForeignKeyViolation reports a foreign-key failure on either engine.
func IsForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "SQLSTATE 23503")
}

// ErrNoRows is sql.ErrNoRows, re-exported so callers need not import
// database/sql for one comparison.
var ErrNoRows = sql.ErrNoRows

// IsNoRows reports whether err is sql.ErrNoRows.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Now returns the current time as stored: Unix microseconds, UTC. Both
// engines store times as BIGINT so one code path reads and orders them.
func Now() int64 { return time.Now().UnixMicro() }

// Micros converts a time to its stored form (0 for the zero time).
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// Time converts a stored value back (the zero time for 0).
func Time(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// Page trims a list read with LIMIT limit+1 to limit items and returns the
// keyset cursor of the next page: the key of the last item kept, or 0 when
// there is no next page. Every list in Vigil pages this way.
func Page[T any](items []T, limit int, key func(T) int64) ([]T, int64) {
	if len(items) <= limit {
		return items, 0
	}
	items = items[:limit]
	return items, key(items[len(items)-1])
}

// ClampLimit returns n when it is a page size lists accept (1..1000), def
// otherwise.
func ClampLimit(n, def int) int {
	if n <= 0 || n > 1000 {
		return def
	}
	return n
}
