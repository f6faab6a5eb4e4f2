package hub_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"vigil/internal/hub"
	"vigil/internal/org"
)

// TestPublishedListReachesThePipeline: a warning list published through
// the API is what the detection pipeline matches events against — an
// event carrying a listed address raises an indicator alert — without a
// rules directory or an indicator file.
func TestPublishedListReachesThePipeline(t *testing.T) {
	const pw = "intel-admin-password-1"
	addr, _ := runHub(t, hub.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), AdminEmail: "admin@intel.vigil", AdminPassword: pw,
		Logger: slog.New(slog.DiscardHandler), Version: "test"}, 60*time.Second)
	base := "http://" + addr
	call := func(token, method, path, ct string, body any, out any) int {
		t.Helper()
		var rd io.Reader
		switch b := body.(type) {
		case nil:
		case string:
			rd = strings.NewReader(b)
		default:
			j, _ := json.Marshal(b)
			rd, ct = bytes.NewReader(j), "application/json"
		}
		req, _ := http.NewRequest(method, base+path, rd)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Logf("%s %s: %d %s", method, path, resp.StatusCode, data)
		} else if out != nil {
			if err := json.Unmarshal(data, out); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		}
		return resp.StatusCode
	}
	var tok struct{ Token string }
	if st := call("", "POST", "/api/v1/auth/token", "", map[string]string{"email": "admin@intel.vigil", "password": pw}, &tok); st != 201 {
		t.Fatalf("sign in: %d", st)
	}
	admin := tok.Token
	if st := call(admin, "POST", "/api/v1/units", "", org.UnitInput{Code: "T66", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: org.RootCode}, nil); st != 201 {
		t.Fatalf("unit: %d", st)
	}
	var src struct{ Token string }
	if st := call(admin, "POST", "/api/v1/sources", "", map[string]any{"unit": "T66", "name": "Tường lửa tỉnh", "kind": "firewall"}, &src); st != 201 {
		t.Fatalf("source: %d", st)
	}
	var res struct {
		IndicatorsLoaded int `json:"indicators_loaded"`
	}
	if st := call(admin, "POST", "/api/v1/intel/import?list=Danh+s%C3%A1ch+th%C3%A1ng&file=t.csv", "text/csv", "ip,203.0.113.66,C2 server\n", &res); st != 200 || res.IndicatorsLoaded != 1 {
		t.Fatalf("import: %d %+v", st, res)
	}
	// The pipeline picks the list up at its next poll (3 s); events sent
	// before may pass unmatched, so send until an alert shows.
	event := `{"timestamp":"2026-12-04T10:00:00+07:00","host":"fw-01","src_ip":"10.66.1.20","dst_ip":"203.0.113.66","dst_port":443,"action":"allow"}` + "\n"
	deadline := time.Now().Add(30 * time.Second)
	for {
		call(src.Token, "POST", "/api/v1/events", "application/x-ndjson", event, nil)
		var alerts struct {
			Items []struct {
				RuleID string `json:"rule_id"`
				Unit   string `json:"unit"`
			}
		}
		call(admin, "GET", "/api/v1/alerts?unit=T66", "", nil, &alerts)
		for _, a := range alerts.Items {
			if strings.HasPrefix(a.RuleID, "ioc:") {
				t.Logf("indicator alert %s in %s", a.RuleID, a.Unit)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no indicator alert for a listed address: %+v", alerts.Items)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
