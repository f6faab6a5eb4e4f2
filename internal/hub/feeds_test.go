package hub

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/store/storetest"
	"vigil/internal/vuln"
)

// The scheduled sync fetches from the configured addresses and loads what
// it fetched; with no period there is no job.
func TestFeedsSyncJob(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kev.json", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"catalogVersion":"t","dateReleased":"2023-12-20T00:00:00Z","count":1,"vulnerabilities":[{"cveID":"CVE-2023-99901","vendorProject":"Example","product":"Server","vulnerabilityName":"Example","dateAdded":"2023-12-12","requiredAction":"Apply updates.","dueDate":"2024-01-02","knownRansomwareCampaignUse":"Unknown"}]}`)
	})
	mirror := httptest.NewServer(mux)
	defer mirror.Close()
	db := storetest.Open(t, "sqlite")
	h, err := New(db, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.feedsJobs()) != 0 {
		t.Fatal("a sync job without a period")
	}
	h.feedsSync = FeedsSyncConfig{Every: time.Hour, Sources: vuln.Sources{KEV: mirror.URL + "/kev.json"}}
	jobs := h.feedsJobs()
	if len(jobs) != 1 || jobs[0].Name != "vuln-sync" {
		t.Fatalf("jobs = %+v", jobs)
	}
	if err := jobs[0].Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := h.Vuln.Status(auth.WithPrincipal(context.Background(), auth.System))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range st.Feeds {
		if f.Feed == vuln.FeedKEV && (f.Rows != 1 || f.Source != "kev.json") {
			t.Errorf("kev after sync: %+v", f)
		}
	}
}
