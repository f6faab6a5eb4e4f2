// Package vulntest finds the shared sample data (../shared/data beside the
// module) for the knowledge base's tests, skipping a test when it is
// absent and failing it under VIGIL_TEST_REQUIRE=all.
package vulntest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root is the module's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	// internal/vuln/internal/vulntest/vulntest.go → four levels up.
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", "..", ".."))
}

// Shared returns ../shared/data/<sub>, or skips (fails under
// VIGIL_TEST_REQUIRE=all) when it is not there.
func Shared(tb testing.TB, sub string) string {
	tb.Helper()
	dir := filepath.Join(Root(), "..", "shared", "data", sub)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("VIGIL_TEST_REQUIRE") == "all" {
			tb.Fatalf("shared sample data %s not found: %v (VIGIL_TEST_REQUIRE=all)", dir, err)
		}
		tb.Skipf("shared sample data %s not found; skipping (set VIGIL_TEST_REQUIRE=all to fail instead)", dir)
	}
	return dir
}

// SharedOK reports whether ../shared/data/<sub> exists, for code that
// falls back to its own fixture.
func SharedOK(sub string) (string, bool) {
	dir := filepath.Join(Root(), "..", "shared", "data", sub)
	_, err := os.Stat(dir)
	return dir, err == nil
}
