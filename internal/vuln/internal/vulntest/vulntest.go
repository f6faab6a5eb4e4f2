// Package vulntest finds the shared sample data (../shared/data beside the
// module) for the knowledge base's tests, skipping a test when it is
// absent and failing it under VIGIL_TEST_REQUIRE=all.
package vulntest

import (
	"compress/gzip"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
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

// Mirror serves the shared data the way the feeds' public addresses do,
// for sync tests: /msrc/updates (the CVRF API's list, built from the
// cvrf-*.xml files), /msrc/cvrf/{id}, /nvd (the API page, one page),
// /kev.json and /epss.csv.gz (the example, compressed). Requests are
// counted by path in Hits.
type Mirror struct {
	Dir  string // ../shared/data
	Hits map[string]int
	mu   sync.Mutex
}

func (m *Mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	if m.Hits == nil {
		m.Hits = map[string]int{}
	}
	m.Hits[r.URL.Path]++
	m.mu.Unlock()
	switch {
	case r.URL.Path == "/msrc/updates":
		files, _ := filepath.Glob(filepath.Join(m.Dir, "msrc", "cvrf-*.xml"))
		type entry struct {
			ID, Alias, DocumentTitle, InitialReleaseDate, CurrentReleaseDate, CvrfUrl string
		}
		var list struct {
			Value []entry `json:"value"`
		}
		for _, f := range files {
			id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "cvrf-"), ".xml")
			t, err := time.Parse("2006-Jan", id)
			if err != nil {
				continue
			}
			rel := t.AddDate(0, 0, 7).Format("2006-01-02T08:00:00Z")
			list.Value = append(list.Value, entry{ID: id, Alias: id, DocumentTitle: id + " Security Updates", InitialReleaseDate: rel, CurrentReleaseDate: rel,
				CvrfUrl: "https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/" + id})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(list)
	case strings.HasPrefix(r.URL.Path, "/msrc/cvrf/"):
		id := strings.TrimPrefix(r.URL.Path, "/msrc/cvrf/")
		if strings.ContainsAny(id, "/.") {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, filepath.Join(m.Dir, "msrc", "cvrf-"+id+".xml"))
	case r.URL.Path == "/nvd":
		if r.URL.Query().Get("startIndex") != "0" {
			// The sample is one page of every result.
			w.Write([]byte(`{"resultsPerPage":0,"startIndex":0,"totalResults":0,"format":"NVD_CVE","version":"2.0","vulnerabilities":[]}`))
			return
		}
		http.ServeFile(w, r, filepath.Join(m.Dir, "nvd", "full-page.json"))
	case r.URL.Path == "/kev.json":
		http.ServeFile(w, r, filepath.Join(m.Dir, "kev", "known_exploited_vulnerabilities.json"))
	case r.URL.Path == "/epss.csv.gz":
		b, err := os.ReadFile(filepath.Join(m.Dir, "epss", "example-1.csv"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		zw := gzip.NewWriter(w)
		zw.Write(b)
		zw.Close()
	default:
		http.NotFound(w, r)
	}
}
