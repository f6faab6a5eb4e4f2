// Package testdatadir finds the shared sample data (../shared beside the
// repository) for the detection tests, so no test hard-codes a path.
package testdatadir

import (
	"os"
	"path/filepath"
	"testing"
)

// RequireAll reports whether VIGIL_TEST_REQUIRE=all asks tests to fail,
// not skip, when sample data or reference tools are missing.
func RequireAll() bool { return os.Getenv("VIGIL_TEST_REQUIRE") == "all" }

// Shared returns the directory ../shared/data/<sub> relative to the module
// root, skipping the test (or failing it under VIGIL_TEST_REQUIRE=all)
// when it is absent.
func Shared(tb testing.TB, sub string) string {
	tb.Helper()
	root, err := moduleRoot()
	if err == nil {
		dir := filepath.Join(root, "..", "shared", "data", sub)
		if st, err2 := os.Stat(dir); err2 == nil && st.IsDir() {
			return dir
		}
		err = os.ErrNotExist
	}
	Missing(tb, "shared sample data ../shared/data/"+sub+" not found ("+err.Error()+")")
	return ""
}

// Missing skips the test for a missing prerequisite, or fails it under
// VIGIL_TEST_REQUIRE=all.
func Missing(tb testing.TB, what string) {
	tb.Helper()
	if RequireAll() {
		tb.Fatalf("%s (VIGIL_TEST_REQUIRE=all)", what)
	}
	tb.Skipf("%s; skipping (set VIGIL_TEST_REQUIRE=all to fail instead)", what)
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// Files lists files under dir whose names end in ext, in walk order.
func Files(tb testing.TB, dir, ext string) []string {
	tb.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && filepath.Ext(p) == ext {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
