package store_test

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// column is one column as both engines can describe it.
type column struct {
	Name    string
	Type    string // the declared type, lower case; "identity" for {{id}}
	NotNull bool
	Default string // normalised: lower case, no PostgreSQL ::casts
}

func (c column) String() string {
	return fmt.Sprintf("%s %s notnull=%v default=%q", c.Name, c.Type, c.NotNull, c.Default)
}

// schema is every table's columns in order and every index's columns.
type schema struct {
	Tables  map[string][]column
	Indexes map[string]string // "table.index" -> "col1,col2"
}

var pgCast = regexp.MustCompile(`::[a-z ]+$`)

func normDefault(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return pgCast.ReplaceAllString(s, "")
}

// TestSchemasAgree migrates both engines from the one set of migration files
// and compares the resulting schemas column by column (name, order, type,
// nullability, default) and index by index, so a dialect token or an
// engine-specific spelling cannot make the two drift.
func TestSchemasAgree(t *testing.T) {
	t.Parallel()
	got := map[string]schema{}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var s schema
		var err error
		if db.Dialect == store.SQLite {
			s, err = sqliteSchema(db)
		} else {
			s, err = postgresSchema(db)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Tables) < 10 {
			t.Fatalf("only %d tables read: %v", len(s.Tables), s.Tables)
		}
		got[db.Dialect.String()] = s
	})
	lite, ok1 := got["sqlite"]
	pg, ok2 := got["postgres"]
	if !ok1 || !ok2 {
		return // an engine was skipped; Each already failed under VIGIL_TEST_REQUIRE
	}
	var tables []string
	for name := range lite.Tables {
		tables = append(tables, name)
	}
	for name := range pg.Tables {
		if _, ok := lite.Tables[name]; !ok {
			t.Errorf("table %s exists only on postgres", name)
		}
	}
	sort.Strings(tables)
	for _, name := range tables {
		pc, ok := pg.Tables[name]
		if !ok {
			t.Errorf("table %s exists only on sqlite", name)
			continue
		}
		lc := lite.Tables[name]
		for i := 0; i < len(lc) || i < len(pc); i++ {
			var l, p column
			if i < len(lc) {
				l = lc[i]
			}
			if i < len(pc) {
				p = pc[i]
			}
			if l != p {
				t.Errorf("%s column %d:\n  sqlite:   %v\n  postgres: %v", name, i+1, l, p)
			}
		}
	}
	for k, v := range lite.Indexes {
		if pg.Indexes[k] != v {
			t.Errorf("index %s: sqlite (%s), postgres (%s)", k, v, pg.Indexes[k])
		}
	}
	for k, v := range pg.Indexes {
		if _, ok := lite.Indexes[k]; !ok {
			t.Errorf("index %s (%s) exists only on postgres", k, v)
		}
	}
	// Booleans are one type on both engines.
	for _, c := range lite.Tables["users"] {
		if c.Name == "disabled" && c.Type != "boolean" {
			t.Errorf("users.disabled is %s, want boolean", c.Type)
		}
	}
}

func sqliteSchema(db *store.DB) (schema, error) {
	ctx := context.Background()
	s := schema{Tables: map[string][]column{}, Indexes: map[string]string{}}
	rows, err := db.Query(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return s, err
	}
	ddl := map[string]string{}
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			rows.Close()
			return s, err
		}
		ddl[name] = sql
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}
	for table, sql := range ddl {
		cols, err := db.Query(ctx, `SELECT name, type, "notnull", COALESCE(dflt_value, ''), pk FROM pragma_table_info(?) ORDER BY cid`, table)
		if err != nil {
			return s, err
		}
		for cols.Next() {
			var c column
			var pk int
			if err := cols.Scan(&c.Name, &c.Type, &c.NotNull, &c.Default, &pk); err != nil {
				cols.Close()
				return s, err
			}
			c.Type = strings.ToLower(c.Type)
			if c.Type == "blob" {
				c.Type = "bytea" // {{blob}}: the same bytes on both engines
			}
			c.Default = normDefault(c.Default)
			// SQLite lets a primary key hold NULL unless it is the rowid;
			// PostgreSQL never does. Compare what the schema means.
			if pk > 0 {
				c.NotNull = true
			}
			if pk == 1 && c.Type == "integer" && strings.Contains(sql, "AUTOINCREMENT") {
				c.Type = "identity"
			}
			s.Tables[table] = append(s.Tables[table], c)
		}
		cols.Close()
		idx, err := db.Query(ctx, `SELECT il.name, ii.name FROM pragma_index_list(?) il JOIN pragma_index_info(il.name) ii
			WHERE il.origin = 'c' ORDER BY il.name, ii.seqno`, table)
		if err != nil {
			return s, err
		}
		for idx.Next() {
			var name, col string
			if err := idx.Scan(&name, &col); err != nil {
				idx.Close()
				return s, err
			}
			addIndexColumn(s.Indexes, table+"."+name, col)
		}
		idx.Close()
	}
	return s, nil
}

func postgresSchema(db *store.DB) (schema, error) {
	ctx := context.Background()
	s := schema{Tables: map[string][]column{}, Indexes: map[string]string{}}
	rows, err := db.Query(ctx, `SELECT table_name, column_name, data_type, is_nullable = 'NO', COALESCE(column_default, ''), is_identity = 'YES'
		FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var table string
		var c column
		var identity bool
		if err := rows.Scan(&table, &c.Name, &c.Type, &c.NotNull, &c.Default, &identity); err != nil {
			rows.Close()
			return s, err
		}
		c.Default = normDefault(c.Default)
		if identity {
			c.Type = "identity"
		}
		s.Tables[table] = append(s.Tables[table], c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}
	// Indexes made by CREATE INDEX: not a primary key, not behind a
	// UNIQUE constraint (SQLite's origin 'c').
	idx, err := db.Query(ctx, `SELECT t.relname, i.relname, a.attname
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord) ON TRUE
		JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
		WHERE n.nspname = current_schema() AND NOT x.indisprimary
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
		ORDER BY i.relname, k.ord`)
	if err != nil {
		return s, err
	}
	defer idx.Close()
	for idx.Next() {
		var table, name, col string
		if err := idx.Scan(&table, &name, &col); err != nil {
			return s, err
		}
		addIndexColumn(s.Indexes, table+"."+name, col)
	}
	return s, idx.Err()
}

func addIndexColumn(m map[string]string, key, col string) {
	if m[key] != "" {
		m[key] += ","
	}
	m[key] += col
}
