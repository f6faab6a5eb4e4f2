package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"vigil/internal/cli"
	"vigil/internal/hub"
	"vigil/internal/store/storetest"
)

// sharedData is ../shared/data/<sub> beside the module, or a skip (a
// failure under VIGIL_TEST_REQUIRE=all).
func sharedData(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data", sub)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("VIGIL_TEST_REQUIRE") == "all" {
			t.Fatalf("shared data %s missing (VIGIL_TEST_REQUIRE=all)", dir)
		}
		t.Skipf("shared data %s missing", dir)
	}
	return dir
}

func feedsHub(t *testing.T) (base, token string) {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, "sqlite")
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "feeds"})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "feeds-password-123"
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@feeds.vigil", AdminPassword: pw}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Server.Handler())
	t.Cleanup(srv.Close)
	return srv.URL, apiToken(t, srv.URL, "admin@feeds.vigil", pw)
}

func runFeeds(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Execute(context.Background(), root(), args, nil, &out, &errb)
	return out.String(), errb.String(), code
}

// `vigil feeds import` of a real MSRC document and the KEV directory:
// counts match a plain scan of the same files; loading again changes
// nothing; the directory's files that are no feed are left out and named.
func TestFeedsImportCLI(t *testing.T) {
	msrcDir, kevDir := sharedData(t, "msrc"), sharedData(t, "kev")
	base, tok := feedsHub(t)
	dec := filepath.Join(msrcDir, "cvrf-2023-Dec.xml")
	xml, _ := os.ReadFile(dec)
	wantVulns := len(regexp.MustCompile(`<(?:vuln:)?Vulnerability[\s>]`).FindAll(xml, -1))
	kevJSON, _ := os.ReadFile(filepath.Join(kevDir, "known_exploited_vulnerabilities.json"))
	wantKEV := len(regexp.MustCompile(`"cveID"\s*:`).FindAll(kevJSON, -1))

	out, errs, code := runFeeds(t, "feeds", "import", "--server", base, "--token", tok, "--json", dec, kevDir)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var sum feedsSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(sum.Files) != 2 || sum.Files[0].Records != wantVulns || sum.Files[1].Records != wantKEV || sum.Changed != wantVulns+wantKEV || len(sum.Failed) != 0 {
		t.Errorf("summary %+v; want %d MSRC vulnerabilities and %d KEV entries", sum, wantVulns, wantKEV)
	}
	if !strings.Contains(errs, "known_exploited_vulnerabilities_schema.json: not a feed file, left out") || !strings.Contains(errs, "LICENSE: not a feed file") {
		t.Errorf("stderr does not name the files left out:\n%s", errs)
	}

	out, _, code = runFeeds(t, "feeds", "import", "--server", base, "--token", tok, dec)
	if code != 0 || !strings.Contains(out, "1 files loaded: ") || !strings.Contains(out, " 0 new or changed, ") {
		t.Errorf("second import (exit %d):\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "1 files loaded: ") {
		t.Errorf("last line is not the summary: %q", last)
	}

	out, _, code = runFeeds(t, "feeds", "status", "--server", base, "--token", tok)
	if code != 0 || !strings.Contains(out, "msrc  ") || !strings.Contains(out, "MSRC documents (1): 2023-Dec") || !strings.Contains(out, "nvd   never loaded") {
		t.Errorf("status (exit %d):\n%s", code, out)
	}

	// A file that is no feed fails with its name; the exit code says so.
	bad := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(bad, []byte("hello"), 0o644)
	out, errs, code = runFeeds(t, "feeds", "import", "--server", base, "--token", tok, bad)
	if code != 1 || !strings.Contains(errs, "notes.txt") {
		t.Errorf("bad file: exit %d\n%s\n%s", code, out, errs)
	}
}

// `vigil feeds sync` from a local mirror of the public addresses.
func TestFeedsSyncCLI(t *testing.T) {
	data := sharedData(t, "")
	base, tok := feedsHub(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /msrc/updates", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"value":[{"ID":"2023-Nov","InitialReleaseDate":"2023-11-14T08:00:00Z","CurrentReleaseDate":"2023-11-29T08:00:00Z"},
			{"ID":"2023-Dec","InitialReleaseDate":"2023-12-12T08:00:00Z","CurrentReleaseDate":"2023-12-21T08:00:00Z"},
			{"ID":"2022-Dec","InitialReleaseDate":"2022-12-13T08:00:00Z","CurrentReleaseDate":"2022-12-20T08:00:00Z"}]}`))
	})
	mux.HandleFunc("GET /msrc/cvrf/{id}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(data, "msrc", "cvrf-"+filepath.Base(r.PathValue("id"))+".xml"))
	})
	mux.HandleFunc("GET /kev.json", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(data, "kev", "known_exploited_vulnerabilities.json"))
	})
	mux.HandleFunc("GET /epss.csv.gz", func(w http.ResponseWriter, r *http.Request) {
		b, _ := os.ReadFile(filepath.Join(data, "epss", "example-1.csv"))
		zw := gzip.NewWriter(w)
		zw.Write(b)
		zw.Close()
	})
	mux.HandleFunc("GET /nvd", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(data, "nvd", "full-page.json"))
	})
	mirror := httptest.NewServer(mux)
	defer mirror.Close()
	args := []string{"feeds", "sync", "--server", base, "--token", tok, "--json", "--msrc-since", "2023-01",
		"--msrc-url", mirror.URL + "/msrc", "--nvd-url", mirror.URL + "/nvd", "--kev-url", mirror.URL + "/kev.json", "--epss-url", mirror.URL + "/epss.csv.gz", "--nvd-delay", "-1s"}
	out, errs, code := runFeeds(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var sum feedsSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got []string
	for _, f := range sum.Files {
		got = append(got, f.Feed+":"+f.Document)
	}
	if strings.Join(got, " ") != "msrc:2023-Nov msrc:2023-Dec nvd: kev:2025.08.25 epss:v2023.03.01" {
		t.Errorf("synced %v", got)
	}
	// Again: no MSRC document is fetched, nothing changes.
	out, errs, code = runFeeds(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	sum = feedsSummary{}
	json.Unmarshal([]byte(out), &sum)
	for _, f := range sum.Files {
		if f.Feed == "msrc" || f.Changed != 0 {
			t.Errorf("second sync: %+v", f)
		}
	}
}
