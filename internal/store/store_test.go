package store_test

import (
	"context"
	"errors"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func TestMigrateIdempotentAndVersioned(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("second migrate applied %v, want nothing", applied)
		}
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after migrate: %v", err)
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil || v != store.LatestVersion(db.Dialect) {
			t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, store.LatestVersion(db.Dialect))
		}
		// A newer schema than this binary knows must be refused.
		if _, err := db.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, v+1, "future", 0); err != nil {
			t.Fatal(err)
		}
		_, err = db.Migrate(ctx)
		var tooNew *store.ErrSchemaTooNew
		if !errors.As(err, &tooNew) {
			t.Fatalf("Migrate on newer schema: err = %v, want ErrSchemaTooNew", err)
		}
		if db.CheckSchema(ctx) == nil {
			t.Fatal("CheckSchema accepted a newer schema")
		}
	})
}

func TestRebind(t *testing.T) {
	db := &store.DB{Dialect: store.Postgres}
	_ = db
	cases := map[string]string{
		`SELECT 1`:                          `SELECT 1`,
		`SELECT a FROM t WHERE a=? AND b=?`: `SELECT a FROM t WHERE a=$1 AND b=$2`,
		`SELECT '?' , ?`:                    `SELECT '?' , $1`,
	}
	for in, want := range cases {
		if got := store.RebindForTest(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	got := store.RedactURL("postgres://vigil:s3cret@db:5432/vigil")
	if got != "postgres://vigil:xxxxx@db:5432/vigil" {
		t.Fatalf("RedactURL = %q", got)
	}
}
