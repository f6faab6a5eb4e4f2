package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one versioned schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the known migrations for a dialect, in order.
func Migrations(d Dialect) ([]Migration, error) {
	dir := "migrations/" + d.String()
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("store: migration %s: name must start with a number", name)
		}
		b, err := migrationFS.ReadFile(dir + "/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("store: migrations for %s are not numbered 1..n (found %d at position %d)", d, m.Version, i+1)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version this binary knows.
func LatestVersion(d Dialect) int {
	ms, err := Migrations(d)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// SchemaVersion returns the version the database is at (0 when empty).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	if _, err := db.DB.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	var v int
	if err := db.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// ErrSchemaTooNew is returned when the database was migrated by a newer
// Vigil: running an older binary on it could corrupt data.
type ErrSchemaTooNew struct{ Have, Know int }

func (e *ErrSchemaTooNew) Error() string {
	return fmt.Sprintf("store: database schema is at version %d but this vigil knows only up to %d; run a newer vigil", e.Have, e.Know)
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the versions applied. On PostgreSQL an advisory lock keeps two hub
// processes from migrating at once.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
	ms, err := Migrations(db.Dialect)
	if err != nil {
		return nil, err
	}
	if db.Dialect == Postgres {
		conn, err := db.DB.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7326001)`); err != nil {
			return nil, fmt.Errorf("store: migrate lock: %w", err)
		}
		defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7326001)`)
	}
	have, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	know := len(ms)
	if have > know {
		return nil, &ErrSchemaTooNew{Have: have, Know: know}
	}
	var applied []int
	for _, m := range ms[have:] {
		err := db.InTx(ctx, func(tx *Tx) error {
			for _, stmt := range splitStatements(m.SQL) {
				if _, err := tx.Tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("store: migration %s: %w\n%s", m.Name, err, stmt)
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, Now())
			return err
		})
		if err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// CheckSchema returns nil when the database is at exactly the version this
// binary knows (the readiness check), an error otherwise.
func (db *DB) CheckSchema(ctx context.Context) error {
	have, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	know := LatestVersion(db.Dialect)
	if have > know {
		return &ErrSchemaTooNew{Have: have, Know: know}
	}
	if have < know {
		return fmt.Errorf("store: database schema is at version %d, %d pending: run vigil migrate", have, know-have)
	}
	return nil
}

// splitStatements splits a migration on semicolons at line ends, skipping
// comment-only chunks. Migrations avoid semicolons inside literals.
func splitStatements(sql string) []string {
	var out []string
	for _, part := range strings.Split(sql, ";\n") {
		s := strings.TrimSpace(part)
		s = strings.TrimSuffix(s, ";")
		code := false
		for _, line := range strings.Split(s, "\n") {
			t := strings.TrimSpace(line)
			if t != "" && !strings.HasPrefix(t, "--") {
				code = true
				break
			}
		}
		if code {
			out = append(out, s)
		}
	}
	return out
}
