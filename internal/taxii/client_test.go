package taxii_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/taxii"
)

// TestClientHubToHub polls one hub's collection from another: the client
// follows next, keeps X-TAXII-Date-Added-Last as the cursor, and the next
// poll reads only what was added since.
func TestClientHubToHub(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		added := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
		list := seedList(t, db, "Danh sách cảnh báo tháng 11/2026", "2026-11", "published", added, sampleIndicators(30), map[string]int64{"": 0})
		coll := f.share(list, taxii.SelectList, taxii.GrantInput{User: f.emails["partner"], CanRead: true})
		srv := httptest.NewTLSServer(f.hub.Server.Handler())
		defer srv.Close()

		c := &taxii.Client{HTTP: srv.Client(), Username: f.emails["partner"], Password: f.tokens["partner"], PageSize: 7}
		ctx := context.Background()
		res, err := c.Poll(ctx, srv.URL+"/taxii2/", "", coll.ID, "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Objects) != 33 || res.More || res.Pages != 5 || res.Cursor == "" {
			t.Fatalf("poll: %d objects, %d pages, more %v, cursor %q", len(res.Objects), res.Pages, res.More, res.Cursor)
		}
		again, err := c.Poll(ctx, srv.URL+"/taxii2/", "", coll.ID, res.Cursor, 1000)
		if err != nil || len(again.Objects) != 0 || again.Cursor != res.Cursor {
			t.Fatalf("second poll: %v %+v", err, again)
		}
		// Two more entries join the list later.
		later := seedList(t, db, "Bổ sung", "2026-12", "published", added.Add(48*time.Hour), []seedInd{{Kind: "domain", Value: "late-1.example.net"}, {Kind: "domain", Value: "late-2.example.net"}}, map[string]int64{"": 0})
		if _, err := db.Exec(ctx, `UPDATE warning_list_entries SET list_id = ? WHERE list_id = ?`, list, later); err != nil {
			t.Fatal(err)
		}
		third, err := c.Poll(ctx, srv.URL+"/taxii2/", "/taxii2/intel/", coll.ID, res.Cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(third.Objects) != 2 || !strings.Contains(string(third.Objects[0]), "late-1.example.net") || third.Cursor <= res.Cursor {
			t.Fatalf("third poll: %d objects, cursor %q", len(third.Objects), third.Cursor)
		}
		// A cap stops the poll early and says there is more.
		capped, err := c.Poll(ctx, srv.URL+"/taxii2/", "", coll.ID, "", 10)
		if err != nil || !capped.More || len(capped.Objects) != 14 {
			t.Fatalf("capped poll: %v %d objects, more %v", err, len(capped.Objects), capped.More)
		}
		// Wrong credentials, an unknown collection.
		bad := &taxii.Client{HTTP: srv.Client(), Username: f.emails["partner"], Password: "vgl_wrong"}
		if _, err := bad.Poll(ctx, srv.URL+"/taxii2/", "", coll.ID, "", 10); err == nil || !strings.HasPrefix(err.Error(), "auth:") {
			t.Errorf("wrong token: %v", err)
		}
		if _, err := c.Poll(ctx, srv.URL+"/taxii2/", "", "5f0c2b2e-0000-4000-8000-000000000000", "", 10); err == nil || !strings.HasPrefix(err.Error(), "config:") {
			t.Errorf("unknown collection: %v", err)
		}

		// The same poll as a feed of a second hub's (here the same hub: the
		// feed imports into its intel service under the feed's name).
		sys := f.as("admin")
		f.hub.TAXII.HTTP = srv.Client()
		name := "Đối tác TAXII"
		kind, u, user, secret, col := taxii.FeedTAXII, srv.URL+"/taxii2/", f.emails["partner"], f.tokens["partner"], coll.ID
		feed, err := f.hub.TAXII.CreateFeed(sys, taxii.FeedInput{Kind: &kind, Name: &name, URL: &u, Username: &user, Secret: &secret, Collection: &col})
		if err != nil {
			t.Fatal(err)
		}
		ran, err := f.hub.TAXII.RunFeed(sys, feed.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ran.LastStatus != taxii.RunOK || ran.AddedAfter == "" || ran.LastCount == 0 {
			t.Errorf("feed run: %s %q, remembers %q, counts %d", ran.LastStatus, ran.LastError, ran.AddedAfter, ran.LastCount)
		}
		var n int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM intel_indicators WHERE source = ?`, name).Scan(&n)
		if n != 32 {
			t.Errorf("%d indicators stored under the feed's name, want 32", n)
		}
		if strings.Contains(ran.LastError, secret) {
			t.Error("the secret is in the recorded error")
		}
	})
}

// specServer is a minimal TAXII 2.1 server written from the
// specification: one API root, one collection of n indicators, pages of
// at most `page` objects with next, HTTP Basic.
type specServer struct {
	mu       sync.Mutex
	n, page  int
	requests []string
}

func (s *specServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.RequestURI())
	s.mu.Unlock()
	if u, p, ok := r.BasicAuth(); !ok || u != "partner" || p != "s3cret" {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.WriteHeader(401)
		return
	}
	if !strings.Contains(r.Header.Get("Accept"), "application/taxii+json") {
		w.WriteHeader(406)
		return
	}
	w.Header().Set("Content-Type", "application/taxii+json;version=2.1")
	added := func(i int) string {
		return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000Z")
	}
	switch r.URL.Path {
	case "/taxii2/":
		fmt.Fprint(w, `{"title":"Spec server","default":"https://example.invalid/ignored/","api_roots":["/api1/"]}`)
	case "/api1/":
		fmt.Fprint(w, `{"title":"API 1","versions":["application/taxii+json;version=2.1"],"max_content_length":1048576}`)
	case "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/":
		fmt.Fprint(w, `{"id":"91a7b528-80eb-42ed-a74d-c6fbd5a26116","title":"Indicators","can_read":true,"can_write":false,"media_types":["application/stix+json;version=2.1"]}`)
	case "/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/":
		start := 0
		if a := r.URL.Query().Get("added_after"); a != "" {
			for start < s.n && added(start) <= a {
				start++
			}
		}
		if nx := r.URL.Query().Get("next"); nx != "" {
			start, _ = strconv.Atoi(nx)
		}
		end := min(start+s.page, s.n)
		var objs []string
		for i := start; i < end; i++ {
			objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"%s","modified":"%s","pattern":"[domain-name:value = 'spec-%d.example.com']","pattern_type":"stix","valid_from":"%s"}`, i, added(i), added(i), i, added(i)))
		}
		if end > start {
			w.Header().Set("X-TAXII-Date-Added-First", added(start))
			w.Header().Set("X-TAXII-Date-Added-Last", added(end-1))
		}
		more := end < s.n
		next := ""
		if more {
			next = `,"next":"` + strconv.Itoa(end) + `"`
		}
		body := fmt.Sprintf(`{"more":%v%s`, more, next)
		if len(objs) > 0 {
			body += `,"objects":[` + strings.Join(objs, ",") + `]`
		}
		fmt.Fprint(w, body+"}")
	default:
		w.WriteHeader(404)
		fmt.Fprint(w, `{"title":"not found"}`)
	}
}

// TestClientSpecServer polls a server written from the specification,
// not this hub: the API root named in discovery (relative), next, the
// date headers.
func TestClientSpecServer(t *testing.T) {
	t.Parallel()
	ss := &specServer{n: 25, page: 10}
	srv := httptest.NewTLSServer(ss)
	defer srv.Close()
	c := &taxii.Client{HTTP: srv.Client(), Username: "partner", Password: "s3cret"}
	ctx := context.Background()
	root, err := c.ResolveRoot(ctx, srv.URL+"/taxii2/", "/api1/")
	if err != nil || root != srv.URL+"/api1/" {
		t.Fatalf("root %q %v", root, err)
	}
	res, err := c.Poll(ctx, srv.URL+"/taxii2/", "/api1/", "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 25 || res.Pages != 3 || res.Cursor != "2025-01-01T00:00:24.000Z" {
		t.Fatalf("poll: %d objects in %d pages, cursor %q", len(res.Objects), res.Pages, res.Cursor)
	}
	var o struct{ Pattern string }
	json.Unmarshal(res.Objects[24], &o)
	if o.Pattern != "[domain-name:value = 'spec-24.example.com']" {
		t.Errorf("last object %s", res.Objects[24])
	}
	ss.n = 27
	res, err = c.Poll(ctx, srv.URL+"/taxii2/", "/api1/", "91a7b528-80eb-42ed-a74d-c6fbd5a26116", res.Cursor, 1000)
	if err != nil || len(res.Objects) != 2 {
		t.Fatalf("next poll: %v, %d objects", err, len(res.Objects))
	}
	if last := ss.requests[len(ss.requests)-1]; !strings.Contains(last, "added_after=2025-01-01T00%3A00%3A24.000Z") || !strings.Contains(last, "limit=") {
		t.Errorf("the poll asked %s", last)
	}
	// An absolute API root that leaves https is refused.
	if _, err := c.ResolveRoot(ctx, srv.URL+"/taxii2/", "http://example.invalid/api1/"); err == nil {
		t.Error("an http API root from an https server was taken")
	}
	if _, err := (&taxii.Client{HTTP: srv.Client(), Username: "partner", Password: "nope"}).Poll(ctx, srv.URL+"/taxii2/", "", "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "", 10); err == nil || !strings.HasPrefix(err.Error(), "auth:") {
		t.Errorf("wrong password: %v", err)
	}
}

// TestFeedsRun runs a feed of each kind against a test server: MISP
// (manifest, then each new or changed event), STIX and CSV (conditional
// requests: an unchanged file is not imported again), RSS (handed to
// the advisories), and a feed that fails (its error and since when).
func TestFeedsRun(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.as("admin")
		var mu sync.Mutex
		hits := map[string]int{}
		conditional := map[string]string{}
		manifestTS := "1700000000"
		mux := http.NewServeMux()
		mux.HandleFunc("/misp/manifest.json", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"5f1c6c0e-2a43-4b9a-9c55-6f2a1d0b0c01":{"info":"one","timestamp":"%s"},"5f1c6c0e-2a43-4b9a-9c55-6f2a1d0b0c02":{"info":"two","timestamp":1700000000}}`, manifestTS)
		})
		event := func(uuid, value string) string {
			return `{"Event":{"uuid":"` + uuid + `","info":"test","timestamp":"1700000000","Attribute":[{"uuid":"` + uuid[:35] + `9","type":"ip-dst","category":"Network activity","to_ids":true,"value":"` + value + `"}]}}`
		}
		mux.HandleFunc("/misp/5f1c6c0e-2a43-4b9a-9c55-6f2a1d0b0c01.json", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, event("5f1c6c0e-2a43-4b9a-9c55-6f2a1d0b0c01", "203.0.113.10"))
		})
		mux.HandleFunc("/misp/5f1c6c0e-2a43-4b9a-9c55-6f2a1d0b0c02.json", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, event("5f1c6c0e-2a43-4b9a-9c55-6f2a1d0b0c02", "203.0.113.11"))
		})
		mux.HandleFunc("/iocs.csv", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			conditional["csv"] = r.Header.Get("If-None-Match")
			mu.Unlock()
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			fmt.Fprint(w, "type,value,comment\nip,198.51.100.20,c2\ndomain,feed-csv.example.net,phishing\n")
		})
		mux.HandleFunc("/bundle.json", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"type":"bundle","id":"bundle--2a3e4c1e-9f0b-4e33-8a55-0d8f0d5f1a01","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--2a3e4c1e-9f0b-4e33-8a55-0d8f0d5f1a02","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[domain-name:value = 'feed-stix.example.net']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00.000Z"}]}`)
		})
		mux.HandleFunc("/rss.xml", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Last-Modified", "Tue, 01 Dec 2026 00:00:00 GMT")
			if r.Header.Get("If-Modified-Since") != "" {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Cảnh báo</title><item><title>Lỗ hổng nghiêm trọng</title><link>https://example.org/a/1</link><guid>a-1</guid><description>CVE-2026-0001</description></item></channel></rss>`)
		})
		mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits["flaky"]++
			mu.Unlock()
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		srv := httptest.NewServer(mux)
		defer srv.Close()
		var advisories []string
		f.hub.TAXII.ImportAdvisories = func(ctx context.Context, feed string, r io.Reader) (int, error) {
			advisories = append(advisories, feed)
			return 1, nil
		}
		add := func(kind, name, path string) *taxii.Feed {
			u := srv.URL + path
			fd, err := f.hub.TAXII.CreateFeed(ctx, taxii.FeedInput{Kind: &kind, Name: &name, URL: &u})
			if err != nil {
				t.Fatal(err)
			}
			return fd
		}
		run := func(fd *taxii.Feed) *taxii.Feed {
			got, err := f.hub.TAXII.RunFeed(ctx, fd.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		importing := func(got *taxii.Feed) bool {
			if got.LastStatus != taxii.RunOK && strings.HasPrefix(got.LastError, "import:") {
				t.Logf("%s: import failed (intel.Import not there yet?): %s", got.Name, got.LastError)
				return false
			}
			return true
		}

		misp := add(taxii.FeedMISP, "MISP thử", "/misp/")
		if got := run(misp); importing(got) {
			if got.LastStatus != taxii.RunOK || got.LastCount != 2 {
				t.Errorf("misp: %s %q count %d", got.LastStatus, got.LastError, got.LastCount)
			}
			if got = run(misp); got.LastCount != 0 {
				t.Errorf("misp again, nothing changed: count %d", got.LastCount)
			}
			manifestTS = "1700000100"
			if got = run(misp); got.LastCount != 1 {
				t.Errorf("misp, one event changed: count %d", got.LastCount)
			}
		}

		csv := add(taxii.FeedCSV, "CSV thử", "/iocs.csv")
		if got := run(csv); importing(got) {
			if got.LastStatus != taxii.RunOK || got.LastCount != 2 {
				t.Errorf("csv: %s %q count %d", got.LastStatus, got.LastError, got.LastCount)
			}
			if got = run(csv); got.LastCount != 0 || conditional["csv"] != `"v1"` {
				t.Errorf("csv again: count %d, If-None-Match %q", got.LastCount, conditional["csv"])
			}
		}

		stix := add(taxii.FeedSTIX, "STIX thử", "/bundle.json")
		if got := run(stix); importing(got) && (got.LastStatus != taxii.RunOK || got.LastCount != 1) {
			t.Errorf("stix: %s %q count %d", got.LastStatus, got.LastError, got.LastCount)
		}

		rss := add(taxii.FeedRSS, "Kênh cảnh báo", "/rss.xml")
		if got := run(rss); got.LastStatus != taxii.RunOK || got.LastCount != 1 || len(advisories) != 1 || advisories[0] != "Kênh cảnh báo" {
			t.Errorf("rss: %s %q count %d, advisories %v", got.LastStatus, got.LastError, got.LastCount, advisories)
		}
		if got := run(rss); got.LastCount != 0 || len(advisories) != 1 {
			t.Errorf("rss unchanged: count %d, advisories %v", got.LastCount, advisories)
		}

		flaky := add(taxii.FeedSTIX, "Hỏng", "/flaky")
		got := run(flaky)
		if got.LastStatus != taxii.RunError || !strings.HasPrefix(got.LastError, "status: HTTP 503") || hits["flaky"] != 3 || got.StatusSince.IsZero() {
			t.Errorf("flaky: %s %q after %d tries", got.LastStatus, got.LastError, hits["flaky"])
		}
		since := got.StatusSince
		if got = run(flaky); !got.StatusSince.Equal(since) {
			t.Errorf("a second failure moved status since from %v to %v", since, got.StatusSince)
		}
		// The health sweep sees the failing feed.
		fs, err := f.hub.TAXII.FeedHealth(auth.WithPrincipal(context.Background(), auth.System))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, x := range fs {
			found = found || (x.Name == "Hỏng" && x.LastError != "")
		}
		if !found {
			t.Error("the failing feed is not reported to health")
		}
		// Due feeds run from the job; a disabled one does not.
		if _, err := db.Exec(context.Background(), `UPDATE intel_feeds SET next_run_at = 0`); err != nil {
			t.Fatal(err)
		}
		off := false
		f.hub.TAXII.UpdateFeed(ctx, flaky.ID, taxii.FeedInput{Enabled: &off})
		before := hits["flaky"]
		if err := f.hub.TAXII.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		if hits["flaky"] != before {
			t.Error("a disabled feed ran")
		}
		var pending int
		db.QueryRow(context.Background(), `SELECT COUNT(*) FROM intel_feeds WHERE enabled AND next_run_at <= ?`, store.Micros(time.Now())).Scan(&pending)
		if pending != 0 {
			t.Errorf("%d due feeds left after the job", pending)
		}
	})
}
