package taxii_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"vigil/internal/intel/format"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/taxii"
)

// A collection served as a MISP feed (manifest.json, <uuid>.json,
// hashes.csv) under the TAXII rights and markings, read back by the hub's
// own MISP feed reader: our feed → our import.
func TestMISPFeedRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		units := map[string]int64{"": 0, "B": f.ids["B"]}
		added := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
		inds := sampleIndicators(12)
		inds = append(inds, seedInd{Kind: "ip", Value: "203.0.113.66", Unit: "B"}, seedInd{Kind: "domain", Value: "red.example.com", TLP: "red"})
		seedList(t, db, "Danh sách cảnh báo tháng 10/2026", "2026-10", "superseded", added.AddDate(0, -1, 0), []seedInd{{Kind: "domain", Value: "old.example.com"}}, units)
		seedList(t, db, "Danh sách cảnh báo tháng 11/2026", "2026-11", "published", added, inds, units)
		coll := f.share(0, taxii.SelectCurrent, taxii.GrantInput{User: f.emails["partner"], CanRead: true})
		srv := httptest.NewTLSServer(f.hub.Server.Handler())
		defer srv.Close()
		base := srv.URL + taxii.MISPFeedPath(coll.ID)
		get := func(who, file string) (int, []byte) {
			t.Helper()
			req, _ := http.NewRequest("GET", base+file, nil)
			if who != "" {
				req.SetBasicAuth(f.emails[who], f.tokens[who])
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, b
		}

		// The manifest: one event, the published list (the superseded one
		// is no longer current), with MISP's manifest fields.
		st, raw := get("partner", "manifest.json")
		if st != 200 {
			t.Fatalf("manifest: %d %s", st, raw)
		}
		var m map[string]struct {
			Info          string `json:"info"`
			Date          string `json:"date"`
			Timestamp     string `json:"timestamp"`
			Analysis      string `json:"analysis"`
			ThreatLevelID string `json:"threat_level_id"`
			Orgc          struct{ Name, UUID string }
			Tag           []struct{ Name string }
		}
		if err := json.Unmarshal(raw, &m); err != nil || len(m) != 1 {
			t.Fatalf("manifest %s: %v", raw, err)
		}
		var evUUID string
		for id, e := range m {
			evUUID = id
			if !strings.Contains(e.Info, "11/2026") || e.Date == "" || e.Timestamp == "" || e.Analysis == "" || e.ThreatLevelID == "" ||
				e.Orgc.Name == "" || len(e.Orgc.UUID) != 36 || len(e.Tag) != 1 || e.Tag[0].Name != "tlp:amber" {
				t.Errorf("manifest entry %s: %+v", id, e)
			}
		}
		events, err := format.ReadMISPManifest(bytes.NewReader(raw))
		if err != nil || len(events) != 1 || events[0].UUID != evUUID || events[0].Timestamp.IsZero() || events[0].Org == "" {
			t.Fatalf("our manifest read back: %+v %v", events, err)
		}

		// The event: the 12 indicators the partner may read (not the red
		// one, not the entry for unit B), MISP's event format.
		st, raw = get("partner", evUUID+".json")
		var ev struct {
			Event struct {
				UUID      string `json:"uuid"`
				Info      string `json:"info"`
				Published bool   `json:"published"`
				Attribute []struct{ Type, Value string }
			}
		}
		if st != 200 || json.Unmarshal(raw, &ev) != nil || ev.Event.UUID != evUUID || !ev.Event.Published || len(ev.Event.Attribute) != 12 {
			t.Fatalf("event: %d %.300s", st, raw)
		}
		if strings.Contains(string(raw), "red.example.com") || strings.Contains(string(raw), "203.0.113.66") {
			t.Errorf("the event holds a TLP:RED indicator or another unit's entry")
		}
		// hashes.csv: the md5 of each value, with its event.
		st, raw = get("partner", "hashes.csv")
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		sum := md5.Sum([]byte(inds[0].Value))
		if st != 200 || len(lines) != 12 || !strings.Contains(string(raw), hex.EncodeToString(sum[:])+","+evUUID+"\n") {
			t.Errorf("hashes.csv: %d %q", st, raw)
		}
		// The rights are the collection's.
		if st, _ := get("", "manifest.json"); st != 401 {
			t.Errorf("anonymous: %d", st)
		}
		if st, _ := get("officerB", "manifest.json"); st != 404 {
			t.Errorf("officerB, granted nothing: %d", st)
		}
		if st, _ := get("partner", "00000000-0000-4000-8000-000000000000.json"); st != 404 {
			t.Errorf("an unknown event: %d", st)
		}
		// officerB sees B's entry once granted (an administrator reads all).
		if st, raw := get("admin", evUUID+".json"); st != 200 || !strings.Contains(string(raw), "203.0.113.66") || strings.Contains(string(raw), "red.example.com") {
			t.Errorf("admin's event: %d", st)
		}

		// Our MISP feed reader subscribes to our feed.
		sys := f.as("admin")
		f.hub.TAXII.HTTP = srv.Client()
		name, kind, u, user, secret, target := "Vigil (MISP)", taxii.FeedMISP, base, f.emails["partner"], f.tokens["partner"], "Nhận lại từ nguồn MISP"
		feed, err := f.hub.TAXII.CreateFeed(sys, taxii.FeedInput{Kind: &kind, Name: &name, URL: &u, Username: &user, Secret: &secret, TargetList: &target})
		if err != nil {
			t.Fatal(err)
		}
		ran, err := f.hub.TAXII.RunFeed(sys, feed.ID)
		if err != nil || ran.LastStatus != taxii.RunOK || ran.LastCount != 12 {
			t.Fatalf("feed run: %+v %v", ran, err)
		}
		// Every value comes back, on the feed's target list, with the
		// entry's severity and reason carried by the event's tags.
		var n, same int
		db.QueryRow(context.Background(), `SELECT COUNT(*), SUM(CASE WHEN e.severity = 'high' AND e.reason LIKE 'Trong báo cáo kỹ thuật tháng%' THEN 1 ELSE 0 END)
			FROM warning_list_entries e JOIN warning_lists l ON l.id = e.list_id WHERE l.name = ?`, target).Scan(&n, &same)
		if n != 12 || same != 12 {
			t.Errorf("%d entries (%d with the severity and reason) imported from our own MISP feed, want 12", n, same)
		}
		for _, in := range inds[:12] {
			var k int
			db.QueryRow(context.Background(), `SELECT COUNT(*) FROM warning_list_entries e JOIN warning_lists l ON l.id = e.list_id JOIN intel_indicators i ON i.id = e.indicator_id
				WHERE l.name = ? AND i.kind = ? AND i.value = ?`, target, in.Kind, in.Value).Scan(&k)
			if k != 1 {
				t.Errorf("%s %s did not come back", in.Kind, in.Value)
			}
		}
	})
}
