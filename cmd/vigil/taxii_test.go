package main

import (
	"os"
	"strings"
	"testing"
)

// TestTAXIICLI adds, lists and runs an intel feed and lists the TAXII
// collections through a test hub's API.
func TestTAXIICLI(t *testing.T) {
	base, token := feedsHub(t)
	api := []string{"--server", base, "--token", token}
	os.Setenv("VIGIL_TEST_FEED_SECRET", "s3cr3t-from-env")
	defer os.Unsetenv("VIGIL_TEST_FEED_SECRET")
	out, errOut, code := runFeeds(t, append([]string{"intel", "feeds", "add", "--kind", "stix", "--name", "Tệp STIX",
		"--url", "https://intel.example.invalid/bundle.json", "--secret-env", "VIGIL_TEST_FEED_SECRET", "--interval", "30"}, api...)...)
	if code != 0 || !strings.Contains(out, `"Tệp STIX" added`) {
		t.Fatalf("add: %d %s %s", code, out, errOut)
	}
	out, _, code = runFeeds(t, append([]string{"intel", "feeds", "list"}, api...)...)
	if code != 0 || !strings.Contains(out, "Tệp STIX") || !strings.Contains(out, "never") || strings.Contains(out, "s3cr3t") {
		t.Errorf("list: %d %s", code, out)
	}
	out, _, code = runFeeds(t, append([]string{"intel", "feeds", "list", "--json"}, api...)...)
	if code != 0 || !strings.Contains(out, `"secret":"set"`) {
		t.Errorf("list --json: %d %s", code, out)
	}
	// intel.example.invalid never answers: the run fails, says why, exits 1.
	out, errOut, code = runFeeds(t, append([]string{"intel", "feeds", "run", "1"}, api...)...)
	if code != 1 || !strings.Contains(out, "error") || !strings.Contains(errOut+out, "fetch:") {
		t.Errorf("run: %d %s %s", code, out, errOut)
	}
	if _, _, code = runFeeds(t, append([]string{"intel", "feeds", "run"}, api...)...); code != 2 {
		t.Errorf("run without an id: exit %d", code)
	}
	if _, _, code = runFeeds(t, append([]string{"intel", "feeds", "add", "--kind", "taxii", "--name", "x", "--url", "https://t.example.invalid/taxii2/"}, api...)...); code == 0 {
		t.Error("a TAXII feed without a collection was added")
	}
	out, errOut, code = runFeeds(t, append([]string{"taxii", "collections"}, api...)...)
	if code != 0 || !strings.Contains(errOut, "0 collections") {
		t.Errorf("collections: %d %s %s", code, out, errOut)
	}
}
