package taxii_test

// A TAXII 2.1 client written from the OASIS specification (TAXII Version
// 2.1, OASIS Standard, 10 June 2021), not from this package: raw HTTP
// requests, and the resources decoded into structs written from the
// specification's definitions (sections 3.6.1, 3.7, 4.1.1, 4.2.1, 4.3.1,
// 5.1.1, 5.2.1, 5.3.1, 5.7.1). It reads the hub's published warning list
// back, which is the "done when".

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/taxii"
)

const specMediaType = "application/taxii+json;version=2.1"

// The resources, as the specification defines them.
type specDiscovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Contact     string   `json:"contact"`
	Default     string   `json:"default"`
	APIRoots    []string `json:"api_roots"`
}

type specAPIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Versions         []string `json:"versions"`
	MaxContentLength int      `json:"max_content_length"`
}

type specCollection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Alias       string   `json:"alias"`
	CanRead     *bool    `json:"can_read"`
	CanWrite    *bool    `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

type specCollections struct {
	Collections []specCollection `json:"collections"`
}

type specEnvelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

type specManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

type specManifest struct {
	More    bool                 `json:"more"`
	Next    string               `json:"next"`
	Objects []specManifestRecord `json:"objects"`
}

type specVersions struct {
	More     bool     `json:"more"`
	Versions []string `json:"versions"`
}

type specStatusDetails struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message"`
}

type specStatus struct {
	ID               string              `json:"id"`
	Status           string              `json:"status"`
	RequestTimestamp string              `json:"request_timestamp"`
	TotalCount       *int                `json:"total_count"`
	SuccessCount     *int                `json:"success_count"`
	Successes        []specStatusDetails `json:"successes"`
	FailureCount     *int                `json:"failure_count"`
	Failures         []specStatusDetails `json:"failures"`
	PendingCount     *int                `json:"pending_count"`
	Pendings         []specStatusDetails `json:"pendings"`
}

type specError struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	ErrorID     string `json:"error_id"`
	ErrorCode   string `json:"error_code"`
	HTTPStatus  string `json:"http_status"`
}

// The STIX parts the test looks at.
type stixObject struct {
	Type              string   `json:"type"`
	SpecVersion       string   `json:"spec_version"`
	ID                string   `json:"id"`
	Modified          string   `json:"modified"`
	Created           string   `json:"created"`
	Pattern           string   `json:"pattern"`
	ObjectMarkingRefs []string `json:"object_marking_refs"`
}

// specClient speaks TAXII 2.1 with nothing but net/http.
type specClient struct {
	t      *testing.T
	base   *url.URL
	header http.Header
}

func newSpecClient(t *testing.T, base string) *specClient {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return &specClient{t: t, base: u, header: http.Header{"Accept": {specMediaType}}}
}

func (c *specClient) basic(email, token string) *specClient {
	h := c.header.Clone()
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(email+":"+token)))
	return &specClient{t: c.t, base: c.base, header: h}
}

func (c *specClient) with(key, value string) *specClient {
	h := c.header.Clone()
	if value == "" {
		h.Del(key)
	} else {
		h.Set(key, value)
	}
	return &specClient{t: c.t, base: c.base, header: h}
}

type specResponse struct {
	status int
	header http.Header
	body   []byte
}

func (c *specClient) do(method, ref string, body []byte) specResponse {
	c.t.Helper()
	u, err := c.base.Parse(ref)
	if err != nil {
		c.t.Fatal(err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u.String(), rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header = c.header.Clone()
	if body != nil {
		req.Header.Set("Content-Type", specMediaType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return specResponse{resp.StatusCode, resp.Header, b}
}

// get fetches ref expecting status and decodes the TAXII answer into v.
func (c *specClient) get(ref string, status int, v any) specResponse {
	c.t.Helper()
	r := c.do("GET", ref, nil)
	c.check(r, status, v)
	return r
}

func (c *specClient) check(r specResponse, status int, v any) {
	c.t.Helper()
	if r.status != status {
		c.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	// Every answer, errors too, is a TAXII resource of the media type
	// (section 1.6.8).
	if ct := strings.ReplaceAll(r.header.Get("Content-Type"), " ", ""); ct != specMediaType {
		c.t.Fatalf("Content-Type %q, want %q", r.header.Get("Content-Type"), specMediaType)
	}
	if status >= 400 {
		var e specError
		if err := json.Unmarshal(r.body, &e); err != nil || e.Title == "" {
			c.t.Fatalf("error is not an error message resource (title required): %v %s", err, r.body)
		}
		if e.HTTPStatus != "" && e.HTTPStatus != http.StatusText(status) && e.HTTPStatus != itoa(status) {
			c.t.Errorf("error http_status %q for a %d", e.HTTPStatus, status)
		}
	}
	if v != nil {
		reflect.ValueOf(v).Elem().SetZero() // a key left out is empty, not the last answer's
		if err := json.Unmarshal(r.body, v); err != nil {
			c.t.Fatalf("answer is not the resource: %v: %s", err, r.body)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestSpecification(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		units := map[string]int64{"": 0, "B": f.ids["B"]}
		inds := sampleIndicators(23)
		inds = append(inds, seedInd{Kind: "ip", Value: "203.0.113.66", Unit: "B"}, seedInd{Kind: "domain", Value: "red.example.com", TLP: "red"})
		added := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
		old := seedList(t, db, "Danh sách cảnh báo tháng 10/2026", "2026-10", "superseded", added.AddDate(0, -1, 0), []seedInd{{Kind: "domain", Value: "old.example.com"}}, units)
		_ = old
		seedList(t, db, "Danh sách cảnh báo tháng 11/2026", "2026-11", "published", added, inds, units)
		coll := f.share(0, taxii.SelectCurrent,
			taxii.GrantInput{User: f.emails["partner"], CanRead: true},
			taxii.GrantInput{Unit: "A", CanRead: true},
			taxii.GrantInput{Unit: "ITC", CanRead: true})
		anon := newSpecClient(t, f.srv.URL)
		partner := anon.basic(f.emails["partner"], f.tokens["partner"])

		// Section 1.6.1 / 3: authentication.
		r := anon.do("GET", "/taxii2/", nil)
		anon.check(r, 401, nil)
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic realm=") {
			t.Errorf("401 without WWW-Authenticate: Basic realm=...: %q", r.header.Get("WWW-Authenticate"))
		}
		anon.check(anon.basic(f.emails["partner"], "vgl_notatoken").do("GET", "/taxii2/", nil), 401, nil)
		anon.check(anon.basic(f.emails["partner"], password).do("GET", "/taxii2/", nil), 401, nil)                 // the sign-in password is no API credential
		anon.check(anon.basic(f.emails["officerB"], f.tokens["partner"]).do("GET", "/taxii2/", nil), 401, nil)     // someone else's token
		anon.check(anon.with("Authorization", "Bearer "+f.tokens["partner"]).do("GET", "/taxii2/", nil), 200, nil) // bearer tokens work too

		// Section 1.6.8: content negotiation.
		partner.with("Accept", "text/html").get("/taxii2/", 406, nil)
		partner.with("Accept", "application/taxii+json;version=2.0").get("/taxii2/", 406, nil)
		partner.with("Accept", "").get("/taxii2/", 406, nil)
		partner.with("Accept", "application/taxii+json").get("/taxii2/", 200, nil)
		partner.with("Accept", "application/json, application/taxii+json; version=2.1; q=0.9").get("/taxii2/", 200, nil)

		// Section 4.1: discovery.
		var disc specDiscovery
		partner.get("/taxii2/", 200, &disc)
		if disc.Title == "" || len(disc.APIRoots) == 0 {
			t.Fatalf("discovery: %+v", disc)
		}
		if disc.Default != "" && !slices.Contains(disc.APIRoots, disc.Default) {
			t.Errorf("default %q is not one of the API roots %v", disc.Default, disc.APIRoots)
		}
		root := disc.APIRoots[0]
		if !strings.HasSuffix(root, "/") {
			t.Errorf("API root URL %q does not end with a slash", root)
		}

		// Section 4.2: the API root.
		var ar specAPIRoot
		partner.get(root, 200, &ar)
		if ar.Title == "" || !slices.Contains(ar.Versions, specMediaType) || ar.MaxContentLength <= 0 {
			t.Errorf("API root: %+v", ar)
		}
		partner.get("/taxii2/nosuchroot/", 404, nil)

		// Section 5.1: the collections the caller may see.
		var cols specCollections
		partner.get(root+"collections/", 200, &cols)
		if len(cols.Collections) != 1 || cols.Collections[0].ID != coll.ID {
			t.Fatalf("partner sees collections %+v, want only %s", cols.Collections, coll.ID)
		}
		c := cols.Collections[0]
		if c.Title == "" || c.CanRead == nil || !*c.CanRead || c.CanWrite == nil || *c.CanWrite || !slices.Contains(c.MediaTypes, "application/stix+json;version=2.1") {
			t.Errorf("collection resource: %+v", c)
		}
		colURL := root + "collections/" + c.ID + "/"
		var one specCollection
		partner.get(colURL, 200, &one)
		if one.ID != c.ID {
			t.Errorf("collection: %+v", one)
		}
		officerB := anon.basic(f.emails["officerB"], f.tokens["officerB"])
		var none specCollections
		officerB.get(root+"collections/", 200, &none)
		if len(none.Collections) != 0 {
			t.Errorf("officerB, granted nothing, sees %+v", none.Collections)
		}
		officerB.get(colURL, 404, nil)
		officerB.get(colURL+"objects/", 404, nil)
		partner.get(root+"collections/00000000-0000-4000-8000-000000000000/", 404, nil)
		partner.get(root+"collections/not-a-uuid/objects/", 404, nil)

		// Section 5.4: objects, paged with next.
		var all []stixObject
		var pages int
		next := ""
		var lastAdded time.Time
		for {
			ref := colURL + "objects/?limit=7"
			if next != "" {
				ref += "&next=" + url.QueryEscape(next)
			}
			var env specEnvelope
			r := partner.get(ref, 200, &env)
			pages++
			if len(env.Objects) > 7 {
				t.Fatalf("page of %d objects with limit=7", len(env.Objects))
			}
			if len(env.Objects) > 0 {
				first, err1 := time.Parse(time.RFC3339Nano, r.header.Get("X-TAXII-Date-Added-First"))
				last, err2 := time.Parse(time.RFC3339Nano, r.header.Get("X-TAXII-Date-Added-Last"))
				if err1 != nil || err2 != nil || last.Before(first) || first.Before(lastAdded) {
					t.Errorf("page %d: X-TAXII-Date-Added-First %q, -Last %q after %v", pages, r.header.Get("X-TAXII-Date-Added-First"), r.header.Get("X-TAXII-Date-Added-Last"), lastAdded)
				}
				lastAdded = last
			}
			for _, raw := range env.Objects {
				var o stixObject
				if err := json.Unmarshal(raw, &o); err != nil {
					t.Fatal(err)
				}
				all = append(all, o)
			}
			if !env.More {
				break
			}
			if env.Next == "" {
				t.Fatal("more without next")
			}
			next = env.Next
			if pages > 20 {
				t.Fatal("paging does not end")
			}
		}
		markingsSeen := map[string]bool{}
		patterns := map[string]bool{}
		seen := map[string]bool{}
		for _, o := range all {
			if seen[o.ID] {
				t.Errorf("object %s twice", o.ID)
			}
			seen[o.ID] = true
			if o.SpecVersion != "2.1" {
				t.Errorf("%s: spec_version %q", o.ID, o.SpecVersion)
			}
			switch o.Type {
			case "marking-definition":
				markingsSeen[o.ID] = true
			case "indicator":
				patterns[o.Pattern] = true
			default:
				t.Errorf("unexpected object %s", o.ID)
			}
		}
		for _, o := range all {
			for _, m := range o.ObjectMarkingRefs {
				if !markingsSeen[m] {
					t.Errorf("%s refers to marking %s the collection does not carry", o.ID, m)
				}
			}
		}
		found := func(value string) bool {
			for p := range patterns {
				if strings.Contains(p, "'"+strings.ReplaceAll(value, "'", `\'`)+"'") {
					return true
				}
			}
			return false
		}
		for _, in := range inds[:23] {
			if !found(in.Value) {
				t.Errorf("the list's %s %s is not in the collection", in.Kind, in.Value)
			}
		}
		if found("203.0.113.66") {
			t.Error("the partner sees an entry meant for unit B")
		}
		if found("red.example.com") {
			t.Error("a TLP:RED indicator is shared by a collection of at most amber")
		}
		if found("old.example.com") {
			t.Error("a superseded list is shared as current")
		}
		if len(patterns) != 23 {
			t.Errorf("%d indicators, want 23", len(patterns))
		}
		// The SOC sees the entry for unit B; officer A1 (unit A's subtree
		// is granted) does not.
		analyst := anon.basic(f.emails["analyst"], f.tokens["analyst"])
		var env specEnvelope
		analyst.get(colURL+"objects/?match[type]=indicator&limit=100", 200, &env)
		if len(env.Objects) != 24 {
			t.Errorf("the SOC reads %d indicators, want 24", len(env.Objects))
		}
		officerA1 := anon.basic(f.emails["officerA1"], f.tokens["officerA1"])
		officerA1.get(colURL+"objects/?match[type]=indicator&limit=100", 200, &env)
		if len(env.Objects) != 23 {
			t.Errorf("officer A1 reads %d indicators, want 23", len(env.Objects))
		}

		// Section 5.3: the manifest, and added_after (section 3.4.1).
		var man specManifest
		partner.get(colURL+"manifest/?match[type]=indicator&limit=100", 200, &man)
		if len(man.Objects) != 23 || man.More {
			t.Fatalf("manifest of %d records (more %v)", len(man.Objects), man.More)
		}
		for _, m := range man.Objects {
			if m.MediaType != "" && m.MediaType != "application/stix+json;version=2.1" {
				t.Errorf("manifest media_type %q", m.MediaType)
			}
			if _, err := time.Parse(time.RFC3339Nano, m.DateAdded); err != nil {
				t.Errorf("date_added %q: %v", m.DateAdded, err)
			}
		}
		cut := man.Objects[9].DateAdded
		var later specEnvelope
		r = partner.get(colURL+"objects/?match[type]=indicator&added_after="+url.QueryEscape(cut), 200, &later)
		if len(later.Objects) != 13 {
			t.Errorf("added_after the 10th: %d objects, want 13", len(later.Objects))
		}
		if first := r.header.Get("X-TAXII-Date-Added-First"); first <= cut && first != "" {
			t.Errorf("added_after %s starts at %s", cut, first)
		}
		// Polling with the last page's X-TAXII-Date-Added-Last finds nothing new.
		var nothing specEnvelope
		partner.get(colURL+"objects/?added_after="+url.QueryEscape(r.header.Get("X-TAXII-Date-Added-Last")), 200, &nothing)
		if len(nothing.Objects) != 0 || nothing.More {
			t.Errorf("after the last date added: %d objects", len(nothing.Objects))
		}

		// Filters (section 3.4.2).
		target := man.Objects[3]
		var byID specEnvelope
		partner.get(colURL+"objects/?match[id]="+target.ID, 200, &byID)
		if len(byID.Objects) != 1 {
			t.Errorf("match[id]: %d objects", len(byID.Objects))
		}
		partner.get(colURL+"objects/?match[id]="+target.ID+"&match[version]="+url.QueryEscape(target.Version), 200, &byID)
		if len(byID.Objects) != 1 {
			t.Errorf("match[version]=its version: %d objects", len(byID.Objects))
		}
		partner.get(colURL+"objects/?match[id]="+target.ID+"&match[version]=2001-01-01T00:00:00.000Z", 200, &byID)
		if len(byID.Objects) != 0 {
			t.Errorf("match[version]=another version: %d objects", len(byID.Objects))
		}
		for _, v := range []string{"last", "first", "all"} {
			partner.get(colURL+"objects/?match[id]="+target.ID+"&match[version]="+v, 200, &byID)
			if len(byID.Objects) != 1 {
				t.Errorf("match[version]=%s: %d objects", v, len(byID.Objects))
			}
		}
		var types specEnvelope
		partner.get(colURL+"objects/?match[type]=marking-definition", 200, &types)
		for _, raw := range types.Objects {
			var o stixObject
			json.Unmarshal(raw, &o)
			if o.Type != "marking-definition" {
				t.Errorf("match[type]=marking-definition gave a %s", o.Type)
			}
		}
		partner.get(colURL+"objects/?match[type]=malware,attack-pattern", 200, &types)
		if len(types.Objects) != 0 {
			t.Errorf("match[type]=malware: %d objects", len(types.Objects))
		}
		partner.get(colURL+"objects/?match[spec_version]=2.0", 200, &types)
		if len(types.Objects) != 0 {
			t.Errorf("match[spec_version]=2.0: %d objects", len(types.Objects))
		}
		partner.get(colURL+"objects/?limit=zero", 400, nil)
		partner.get(colURL+"objects/?added_after=yesterday", 400, nil)
		partner.get(colURL+"objects/?next=bm9wZQ", 400, nil)

		// Sections 5.5 and 5.7: one object, its versions.
		var obj specEnvelope
		partner.get(colURL+"objects/"+target.ID+"/", 200, &obj)
		if len(obj.Objects) != 1 {
			t.Errorf("object by id: %d objects", len(obj.Objects))
		}
		var vers specVersions
		partner.get(colURL+"objects/"+target.ID+"/versions/", 200, &vers)
		if len(vers.Versions) != 1 || vers.Versions[0] != target.Version {
			t.Errorf("versions %v, want [%s]", vers.Versions, target.Version)
		}
		partner.get(colURL+"objects/indicator--00000000-0000-4000-8000-000000000000/", 404, nil)

		// Section 5.4 (POST): a read-only collection refuses writes.
		envBody := []byte(`{"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--5d1a3c58-7c2f-4b1f-9d59-3f4f4c0b7e11","created":"2026-11-20T01:02:03.000Z","modified":"2026-11-20T01:02:03.000Z","pattern":"[ipv4-addr:value = '192.0.2.77']","pattern_type":"stix","valid_from":"2026-11-20T01:02:03.000Z"}]}`)
		partner.check(partner.do("POST", colURL+"objects/", envBody), 403, nil)
		officerB.check(officerB.do("POST", colURL+"objects/", envBody), 404, nil)

		// A writable collection takes an envelope and answers a status
		// (section 4.3).
		src := "Đối tác chia sẻ"
		writable := true
		title := "Chỉ dấu từ đối tác"
		sel := taxii.SelectIndicators
		wc, err := f.hub.TAXII.CreateCollection(f.as("admin"), taxii.CollectionInput{Title: &title, Selection: &sel, Writable: &writable, Source: &src})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.hub.TAXII.GrantAccess(f.as("admin"), wc.ID, taxii.GrantInput{User: f.emails["partner"], CanRead: true, CanWrite: true}); err != nil {
			t.Fatal(err)
		}
		wURL := root + "collections/" + wc.ID + "/"
		partner.get(wURL, 200, &one)
		if one.CanWrite == nil || !*one.CanWrite {
			t.Errorf("writable collection: %+v", one)
		}
		r = partner.with("Content-Type", "").do("POST", wURL+"objects/", nil)
		partner.check(r, 415, nil)
		r = partner.do("POST", wURL+"objects/", envBody)
		var st specStatus
		partner.check(r, 202, &st)
		if st.ID == "" || (st.Status != "complete" && st.Status != "pending") || st.TotalCount == nil || *st.TotalCount != 1 ||
			st.SuccessCount == nil || st.FailureCount == nil || st.PendingCount == nil || *st.SuccessCount+*st.FailureCount+*st.PendingCount != 1 {
			t.Fatalf("status resource: %s", r.body)
		}
		// The write is imported (section 4.3.1: a pending object is
		// reported complete once done; the status resource is polled).
		var again specStatus
		for i := 0; ; i++ {
			partner.get(root+"status/"+st.ID+"/", 200, &again)
			if again.Status == "complete" || i == 50 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if again.ID != st.ID || *again.TotalCount != 1 || again.Status != "complete" || again.SuccessCount == nil || *again.SuccessCount != 1 {
			t.Errorf("the write was not imported: %s", r.body)
		}
		officerB.get(root+"status/"+st.ID+"/", 404, nil)
		partner.check(partner.do("POST", wURL+"objects/", []byte(`{"objects": [`)), 400, nil)
		big := bytes.Repeat([]byte(" "), taxii.MaxContentLength+1)
		partner.check(partner.do("POST", wURL+"objects/", big), 413, nil)
	})
}
