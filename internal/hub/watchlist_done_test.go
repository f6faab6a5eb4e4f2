package hub_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/demo"
	"vigil/internal/hub"
	"vigil/internal/intel"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/taxii"
)

// sharedIndicators reads (kind, value) pairs from the shared STIX and
// MISP samples: STIX patterns comparing one property for equality, MISP
// attributes of the kinds a warning list carries.
func sharedIndicators(t *testing.T) (files []string, inds [][2]string) {
	t.Helper()
	stix := sharedData(t, "stix")
	misp := sharedData(t, "misp")
	files = []string{
		filepath.Join(stix, "oasis", "threat-reports", "apt1.json"),
		filepath.Join(stix, "oasis", "threat-reports", "poisonivy.json"),
		filepath.Join(stix, "oasis", "indicator-for-c2-ip-address.json"),
		filepath.Join(stix, "unit42", "lokibot.json"),
		filepath.Join(misp, "misp_event.json"),
	}
	pattern := regexp.MustCompile(`(ipv4-addr|ipv6-addr|domain-name|url|file:hashes\.'?(?:SHA-256|MD5|SHA-1)'?):?[a-z_]*\s*=\s*'([^']+)'`)
	kinds := map[string]string{"ipv4-addr": "ip", "ipv6-addr": "ip", "domain-name": "domain", "url": "url",
		"file:hashes.'SHA-256'": "sha256", "file:hashes.'MD5'": "md5", "file:hashes.'SHA-1'": "sha1",
		"ip-src": "ip", "ip-dst": "ip", "hostname": "domain", "domain": "domain", "md5": "md5", "sha1": "sha1", "sha256": "sha256"}
	seen := map[[2]string]bool{}
	add := func(k, v string) {
		if kind, ok := kinds[k]; ok && v != "" && !seen[[2]string{kind, v}] {
			seen[[2]string{kind, v}] = true
			inds = append(inds, [2]string{kind, v})
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(filepath.Base(f), "misp") {
			var ev struct {
				Event struct {
					Attribute []struct{ Type, Value string }
					Object    []struct {
						Attribute []struct{ Type, Value string }
					}
				}
			}
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			for _, a := range ev.Event.Attribute {
				add(a.Type, a.Value)
			}
			for _, o := range ev.Event.Object {
				for _, a := range o.Attribute {
					add(a.Type, a.Value)
				}
			}
			continue
		}
		for _, m := range pattern.FindAllStringSubmatch(string(b), -1) {
			add(m[1], m[2])
		}
	}
	if len(inds) < 10 {
		t.Fatalf("only %d indicators read from the shared samples", len(inds))
	}
	return files, inds
}

// buildList makes the warning list of the "done when" through
// intel.Import, as the IT Center does: the shared samples' files and the
// addresses of demo hosts, published. It returns the list's id.
func buildList(t *testing.T, h *hub.Hub, admin context.Context, files []string, addrs []string) int64 {
	t.Helper()
	ctx := context.Background()
	const name = "Danh sách cảnh báo — kiểm thử"
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if _, err := h.Intel.Import(admin, intel.ImportInput{Name: filepath.Base(f), Data: bytes.NewReader(b), List: name}); err != nil {
			t.Fatalf("intel import %s: %v", f, err)
		}
	}
	var csv strings.Builder
	csv.WriteString("type,value,comment\n")
	for _, a := range addrs {
		fmt.Fprintf(&csv, "ip,%s,Máy bị điều khiển từ xa\n", a)
	}
	if _, err := h.Intel.Import(admin, intel.ImportInput{Name: "may-demo.csv", Data: strings.NewReader(csv.String()), List: name}); err != nil {
		t.Fatalf("intel import of the demo hosts: %v", err)
	}
	var id int64
	if err := h.DB.QueryRow(ctx, `SELECT id FROM warning_lists WHERE name = ? AND status = 'published' ORDER BY id DESC LIMIT 1`, name).Scan(&id); err != nil {
		t.Fatalf("the imported list: %v", err)
	}
	return id
}

// taxiiReadAll reads every object of a collection through /taxii2/ with a
// minimal client written from the TAXII 2.1 specification (OASIS
// Standard, 10 June 2021), not internal/taxii's: discovery (4.1) → the
// first API root → the collection's objects (5.4), following "next"
// while "more" is true, with the specification's media type. It returns
// the STIX ids of the indicators read and the pages it took.
func taxiiReadAll(t *testing.T, base, token, collection string, limit int) (map[string]bool, int) {
	t.Helper()
	const mt = "application/taxii+json;version=2.1"
	get := func(u string, v any) {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Accept", mt)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || strings.ReplaceAll(resp.Header.Get("Content-Type"), " ", "") != mt {
			t.Fatalf("GET %s: %d %s %s", u, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
	}
	var disc struct {
		APIRoots []string `json:"api_roots"`
	}
	get(base+"/taxii2/", &disc)
	if len(disc.APIRoots) == 0 {
		t.Fatal("discovery names no API root")
	}
	root, err := url.Parse(base + "/taxii2/")
	if err != nil {
		t.Fatal(err)
	}
	apiRoot, err := root.Parse(disc.APIRoots[0])
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	next, pages := "", 0
	for {
		u := apiRoot.String() + "collections/" + collection + "/objects/?limit=" + strconv.Itoa(limit)
		if next != "" {
			u += "&next=" + url.QueryEscape(next)
		}
		var env struct {
			More    bool   `json:"more"`
			Next    string `json:"next"`
			Objects []struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"objects"`
		}
		get(u, &env)
		pages++
		for _, o := range env.Objects {
			if o.Type == "indicator" {
				if ids[o.ID] {
					t.Errorf("indicator %s served twice", o.ID)
				}
				ids[o.ID] = true
			}
		}
		if !env.More {
			return ids, pages
		}
		if env.Next == "" || pages > 10000 {
			t.Fatalf("more objects but no next (page %d)", pages)
		}
		next = env.Next
	}
}

// The "done when", for the warning lists: publishing a list built
// from the shared STIX and MISP samples plus addresses of demo hosts puts
// those hosts at the top of their unit's queue; an officer records the
// action with an evidence file (its SHA-256 checked); a clean scan closes
// the item.
func TestWarningListDoneWhen(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h, err := hub.New(db, hub.Config{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@test.vigil", AdminPassword: "correct-horse-battery"}); err != nil {
			t.Fatal(err)
		}
		sys := auth.WithPrincipal(ctx, auth.System)
		if _, err := demo.Load(sys, h.Org); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Hosts.LoadDemo(ctx); err != nil {
			t.Fatal(err)
		}
		officers := map[string]string{}
		for _, a := range demo.Accounts {
			if a.Role == auth.RoleOfficer {
				officers[a.Unit] = a.Email
			}
		}
		// The units' other findings (malware, vulnerabilities) compete for
		// the top of the queue.
		if err := h.Findings.LoadDemo(ctx, officers, "soc@demo.vigil.local"); err != nil {
			t.Fatal(err)
		}
		var hostID int64
		var host, addrs string
		if err := db.QueryRow(ctx, `SELECT h.id, h.hostname, h.addresses FROM hosts h JOIN units u ON u.id = h.unit_id WHERE u.code = 'T01' AND h.addresses <> '' ORDER BY h.id DESC LIMIT 1`).
			Scan(&hostID, &host, &addrs); err != nil {
			t.Fatal(err)
		}
		var host48, addrs48 string
		if err := db.QueryRow(ctx, `SELECT h.hostname, h.addresses FROM hosts h JOIN units u ON u.id = h.unit_id WHERE u.code = 'T48' AND h.addresses <> '' ORDER BY h.id LIMIT 1`).
			Scan(&host48, &addrs48); err != nil {
			t.Fatal(err)
		}
		files, inds := sharedIndicators(t)
		p, err := h.Auth.Login(ctx, "admin@test.vigil", "correct-horse-battery")
		if err != nil {
			t.Fatal(err)
		}
		admin := auth.WithPrincipal(ctx, p)
		start := time.Now()
		listID := buildList(t, h, admin, files, []string{strings.Fields(addrs)[0], strings.Fields(addrs48)[0]})
		h.Watchlist.Wait()
		t.Logf("%d indicators from %d shared files and 2 demo hosts' addresses published and matched in %v", len(inds), len(files), time.Since(start).Round(time.Millisecond))

		srv := httptest.NewServer(h.Server.Handler())
		defer srv.Close()
		token := func(email string) string {
			p, err := h.Auth.Login(ctx, email, demo.Password)
			if err != nil {
				t.Fatal(err)
			}
			_, secret, err := h.Auth.CreateToken(auth.WithPrincipal(ctx, p), "test", 0)
			if err != nil {
				t.Fatal(err)
			}
			return secret
		}
		call := func(tok, method, path string, body io.Reader, ct string) (int, []byte, http.Header) {
			req, _ := http.NewRequest(method, srv.URL+path, body)
			req.Header.Set("Authorization", "Bearer "+tok)
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, b, resp.Header
		}
		items := func(tok, path string) []map[string]any {
			st, b, _ := call(tok, "GET", path, nil, "")
			var m struct{ Items []map[string]any }
			if st != 200 || json.Unmarshal(b, &m) != nil {
				t.Fatalf("GET %s: %d %s", path, st, b)
			}
			return m.Items
		}
		hanoi, danang := token("attt.hanoi@demo.vigil.local"), token("attt.danang@demo.vigil.local")
		for _, c := range []struct{ tok, unit, host string }{{hanoi, "T01", host}, {danang, "T48", host48}} {
			q := items(c.tok, "/api/v1/watchlist/hits?unit="+c.unit+"&status=active")
			if len(q) == 0 || q[0]["host"] != c.host || q[0]["kind"] != "ip" || q[0]["status"] != "open" || q[0]["due_at"] == nil || q[0]["reason"] == "" {
				t.Fatalf("%s's clean-up queue does not start with %s: %v", c.unit, c.host, q)
			}
			fs := items(c.tok, "/api/v1/findings?unit="+c.unit+"&status=active&sort=priority&order=desc&limit=5")
			if len(fs) < 2 || fs[0]["kind"] != "warning_list" || fs[0]["host"] != c.host {
				t.Fatalf("%s's findings queue by priority does not start with %s's warning-list finding: %v", c.unit, c.host, fs)
			}
		}
		hit := fmt.Sprint(int64(items(hanoi, "/api/v1/watchlist/hits?unit=T01&status=active")[0]["id"].(float64)))

		// The officer records the scan and attaches its report.
		st, b, _ := call(hanoi, "POST", "/api/v1/watchlist/hits/"+hit+"/action", strings.NewReader(`{"action":"scan","note":"Quét toàn bộ bằng Kaspersky, đã xóa 1 tệp"}`), "application/json")
		if st != 200 {
			t.Fatalf("record the action: %d %s", st, b)
		}
		report := []byte("Kaspersky Endpoint Security — full scan of " + host + ": 1 threat deleted, 0 remaining\n")
		sum := sha256.Sum256(report)
		st, b, _ = call(hanoi, "POST", "/api/v1/watchlist/hits/"+hit+"/evidence?name=bao-cao-quet.txt", bytes.NewReader(report), "text/plain")
		var file struct {
			ID     int64
			SHA256 string
		}
		if st != 201 || json.Unmarshal(b, &file) != nil || file.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("attach the report: %d %s", st, b)
		}
		st, got, hdr := call(hanoi, "GET", fmt.Sprintf("/api/v1/watchlist/hits/%s/evidence/%d", hit, file.ID), nil, "")
		if st != 200 || !bytes.Equal(got, report) || hdr.Get("X-Content-SHA256") != file.SHA256 {
			t.Fatalf("download the report: %d %q", st, got)
		}
		// Nothing verifies it yet; then the host's next scan comes back clean.
		if n, err := h.Watchlist.Verify(ctx); err != nil || n != 0 {
			t.Fatalf("verified before any scan: %d %v", n, err)
		}
		later := store.Micros(time.Now().Add(time.Minute))
		if _, err := db.Exec(ctx, `INSERT INTO agent_tasks (id, host_id, kind, params, status, result, created_by, created_at, updated_at)
			VALUES ('t-clean-1', ?, 'scan', '{}', 'done', '{"files":1200,"findings":[]}', 'test', ?, ?)`, hostID, later, later); err != nil {
			t.Fatal(err)
		}
		if n, err := h.Watchlist.Verify(ctx); err != nil || n != 1 {
			t.Fatalf("verify after a clean scan: %d %v", n, err)
		}
		st, b, _ = call(hanoi, "GET", "/api/v1/watchlist/hits/"+hit, nil, "")
		var d struct {
			Status   string
			Note     string
			Evidence []struct{ SHA256 string }
			Actions  []struct {
				VerifiedBy   string `json:"verified_by"`
				Verification struct {
					Kind, Task string
				}
			}
		}
		// What verified it is kept as its kind and parameters and said in
		// the reader's language; the note is the officer's own words.
		if st != 200 || json.Unmarshal(b, &d) != nil || d.Status != "resolved" || d.Note != "Quét toàn bộ bằng Kaspersky, đã xóa 1 tệp" ||
			len(d.Evidence) != 1 || d.Evidence[0].SHA256 != file.SHA256 || len(d.Actions) != 1 ||
			d.Actions[0].Verification.Kind != "scan" || d.Actions[0].Verification.Task != "t-clean-1" ||
			!strings.HasPrefix(d.Actions[0].VerifiedBy, "lần quét mã độc t-clean-1 của máy, xong lúc ") {
			t.Fatalf("after the clean scan: %d %s", st, b)
		}
		if st, b, _ = call(hanoi, "GET", "/api/v1/watchlist/hits/"+hit+"?lang=en", nil, ""); st != 200 || !strings.Contains(string(b), "malware scan t-clean-1 of the host, finished at ") {
			t.Fatalf("in English: %d %s", st, b)
		}
		// The Đà Nẵng item, past its deadline, puts T48 among the late units.
		db.Exec(ctx, `UPDATE findings SET due_at = ? WHERE kind = 'warning_list' AND host_id IN (SELECT h.id FROM hosts h JOIN units u ON u.id = h.unit_id WHERE u.code = 'T48')`, store.Micros(time.Now().Add(-48*time.Hour)))
		late := items(token("soc@demo.vigil.local"), "/api/v1/watchlist/late-units")
		if len(late) == 0 || late[0]["unit"] != "T48" {
			t.Errorf("late units: %v", late)
		}

		// The list published here is read back through /taxii2/ by a
		// client written from the TAXII 2.1 specification: every
		// indicator of the list is there, pages followed.
		title, sel, maxTLP := "Danh sách cảnh báo — kiểm thử", taxii.SelectList, "red"
		coll, err := h.TAXII.CreateCollection(admin, taxii.CollectionInput{Title: &title, Selection: &sel, ListID: &listID, MaxTLP: &maxTLP})
		if err != nil {
			t.Fatal(err)
		}
		_, adminToken, err := h.Auth.CreateToken(admin, "taxii", 0)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		rows, err := db.Query(ctx, `SELECT DISTINCT i.stix_id FROM warning_list_entries e JOIN intel_indicators i ON i.id = e.indicator_id WHERE e.list_id = ?`, listID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			rows.Scan(&id)
			want[id] = true
		}
		rows.Close()
		served, pages := taxiiReadAll(t, srv.URL, adminToken, coll.ID, 7)
		if len(want) < len(inds) || pages < 2 {
			t.Errorf("the list holds %d indicators (the samples name %d), read in %d pages", len(want), len(inds), pages)
		}
		for id := range want {
			if !served[id] {
				t.Errorf("indicator %s of the list is not served by TAXII", id)
			}
		}
		if len(served) != len(want) {
			t.Errorf("TAXII served %d indicators, the list holds %d", len(served), len(want))
		}
	})
}
