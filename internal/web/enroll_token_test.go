package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestEnrolTokenWhere: agents send the enrolment token as a bearer token;
// agents from before that send it first in the body, which still works;
// a body whose token comes after other members is refused unread.
func TestEnrolTokenWhere(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		r := w.call("officerA", "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "A", "expires_in": "1h", "max_uses": 10})
		expect(t, r, 201, "token")
		tok := r.json(t)["token"].(string)
		inv, _ := json.Marshal(testInventory("ws-a-90", "10.0.1.90", 0))

		expect(t, w.call(tok, "POST", "/api/v1/agents/enroll", jsonBody(`{"hostname":"ws-a-90","inventory":`+string(inv)+`}`)), 201, "token in the header")
		expect(t, w.call("", "POST", "/api/v1/agents/enroll", jsonBody(`{"token":"`+tok+`","hostname":"ws-a-91"}`)), 201, "token first in the body (older agents)")
		expect(t, w.call(tok, "POST", "/api/v1/agents/enroll", jsonBody(`{"token":"`+tok+`","hostname":"ws-a-92"}`)), 201, "the same token in both")
		expect(t, w.call(tok, "POST", "/api/v1/agents/enroll", jsonBody(`{"token":"vge_other","hostname":"ws-a-93"}`)), 401, "two different tokens")
		expect(t, w.call("", "POST", "/api/v1/agents/enroll", jsonBody(`{"hostname":"ws-a-94","token":"`+tok+`"}`)), 401, "token after other members")
		expect(t, w.call("", "POST", "/api/v1/agents/enroll", jsonBody(`{"hostname":"ws-a-95"}`)), 401, "no token")
		expect(t, w.call("vge_unknown", "POST", "/api/v1/agents/enroll", jsonBody(`{"hostname":"ws-a-96"}`)), 401, "unknown token in the header")
		expect(t, w.call(tok, "POST", "/api/v1/agents/enroll", jsonBody(`{"hostname":"ws-a-97","extra":1}`)), 400, "unknown member")
		expect(t, w.call(tok, "POST", "/api/v1/agents/enroll", jsonBody(`{"hostname":"ws-a-97"} {}`)), 400, "trailing data")
		expect(t, w.call(tok, "POST", "/api/v1/agents/enroll", jsonBody(`["ws-a-97"]`)), 400, "not an object")
		// An enrolment token is nobody's identity elsewhere.
		expect(t, w.call(tok, "GET", "/api/v1/hosts", nil), 401, "enrolment token on the hosts list")

		// Revoked: refused before the body.
		items := w.call("officerA", "GET", "/api/v1/enrollment-tokens", nil).items(t)
		for _, it := range items {
			expect(t, w.call("officerA", "DELETE", "/api/v1/enrollment-tokens/"+itoa(int64(it["id"].(float64))), nil), 204, "revoke")
		}
		req, _ := http.NewRequest("POST", w.srv.URL+"/api/v1/agents/enroll", strings.NewReader(`{"hostname":"ws-a-98"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := w.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("revoked token: %d", resp.StatusCode)
		}
	})
}
