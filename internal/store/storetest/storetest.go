// Package storetest runs a test against every database engine: SQLite in a
// temporary directory and PostgreSQL in a schema of its own, so tests can
// run in parallel without seeing each other's rows.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"vigil/internal/store"
)

// DefaultPostgresURL is used when VIGIL_TEST_POSTGRES_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Required reports whether a missing service must fail the test rather than
// skip it (VIGIL_TEST_REQUIRE=all, as CI sets).
func Required(service string) bool {
	v := os.Getenv("VIGIL_TEST_REQUIRE")
	if v == "all" {
		return true
	}
	for _, s := range strings.Split(v, ",") {
		if strings.TrimSpace(s) == service {
			return true
		}
	}
	return false
}

// SkipOrFail skips t with msg, or fails it when the service is required.
func SkipOrFail(t testing.TB, service, msg string) {
	t.Helper()
	if Required(service) {
		t.Fatalf("%s (VIGIL_TEST_REQUIRE=%s makes this a failure)", msg, os.Getenv("VIGIL_TEST_REQUIRE"))
	}
	t.Skip(msg)
}

// Each runs fn as a subtest once per engine with a fresh, migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			db := Open(t, engine)
			fn(t, db)
		})
	}
}

// Open returns a fresh migrated database of the given engine, closed and
// dropped when the test ends.
func Open(t testing.TB, engine string) *store.DB {
	t.Helper()
	return OpenAt(t, engine, 1<<30)
}

// OpenAt is Open with the schema migrated only up to version (for tests of
// a migration that moves data).
func OpenAt(t testing.TB, engine string, version int) *store.DB {
	t.Helper()
	ctx := context.Background()
	var db *store.DB
	var err error
	switch engine {
	case "sqlite":
		db, err = store.Open(ctx, t.TempDir(), "")
		if err != nil {
			t.Fatal(err)
		}
	case "postgres":
		db = openPostgres(t)
	default:
		t.Fatalf("storetest: unknown engine %q", engine)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.MigrateTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	return db
}

// PostgresURL returns the base URL for test databases.
func PostgresURL() string {
	if u := os.Getenv("VIGIL_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// openPostgres creates a schema of its own for the test and opens the
// database with search_path set to it.
func openPostgres(t testing.TB) *store.DB {
	t.Helper()
	base := PostgresURL()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		SkipOrFail(t, "postgres", "PostgreSQL not reachable at "+store.RedactURL(base)+": "+err.Error()+"; set VIGIL_TEST_POSTGRES_URL")
		return nil
	}
	defer admin.Close()
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer c.Close()
		c.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := store.Open(context.Background(), "", u.String())
	if err != nil {
		t.Fatal(err)
	}
	return db
}
