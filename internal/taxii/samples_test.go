package taxii_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/taxii"
)

// TestSharedSTIXSamples writes the OASIS STIX 2.1 samples (../shared/data)
// to a writable collection as an envelope and reads their indicators back
// over TAXII.
func TestSharedSTIXSamples(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "stix", "oasis")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		if os.Getenv("VIGIL_TEST_REQUIRE") == "all" {
			t.Fatalf("shared STIX samples missing at %s (VIGIL_TEST_REQUIRE=all)", dir)
		}
		t.Skipf("shared STIX samples missing at %s", dir)
	}
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		title, sel, src, w := "Mẫu OASIS", taxii.SelectIndicators, "OASIS samples", true
		c, err := f.hub.TAXII.CreateCollection(f.as("admin"), taxii.CollectionInput{Title: &title, Selection: &sel, Source: &src, Writable: &w})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.hub.TAXII.GrantAccess(f.as("admin"), c.ID, taxii.GrantInput{User: f.emails["partner"], CanRead: true, CanWrite: true}); err != nil {
			t.Fatal(err)
		}
		auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(f.emails["partner"]+":"+f.tokens["partner"]))
		url := f.srv.URL + taxii.CollectionPath(c.ID) + "objects/"
		var objects []json.RawMessage
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var bundle struct{ Objects []json.RawMessage }
			if json.Unmarshal(b, &bundle) == nil {
				objects = append(objects, bundle.Objects...)
			}
		}
		env, _ := json.Marshal(map[string]any{"objects": objects})
		req, _ := http.NewRequest("POST", url, bytes.NewReader(env))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Accept", taxii.MediaType)
		req.Header.Set("Content-Type", taxii.MediaType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var st struct {
			SuccessCount int `json:"success_count"`
			TotalCount   int `json:"total_count"`
		}
		json.Unmarshal(body, &st)
		if resp.StatusCode != 202 || st.TotalCount != len(objects) || st.SuccessCount == 0 {
			t.Fatalf("write of %d sample objects: %d %s", len(objects), resp.StatusCode, body)
		}
		t.Logf("%d OASIS sample objects written, %d taken", st.TotalCount, st.SuccessCount)
		req, _ = http.NewRequest("GET", url+"?match[type]=indicator", nil)
		req.Header.Set("Authorization", auth)
		req.Header.Set("Accept", taxii.MediaType)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "10.0.0.0") {
			t.Errorf("the sample's C2 address is not read back: %d %.300s", resp.StatusCode, body)
		}
	})
}
