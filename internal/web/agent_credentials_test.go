package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// TestAgentCredentialsReachNothing: an agent's bearer secret lists, reads
// and changes nothing through the UI or the user API. The UI routes admit
// any principal and rely on the services, where an agent's principal has
// no role and no unit path (Scope is "1=0", CanRead and CanWrite false).
func TestAgentCredentialsReachNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	agent := w.agentTok["A"]
	do := func(method, path, body string) (int, string) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, w.srv.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+agent)
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, p := range []string{"/api/v1/me", "/api/v1/units", "/api/v1/hosts", "/api/v1/audit", "/api/v1/users", "/api/v1/findings", "/api/v1/enrollment-tokens"} {
		if s, _ := do("GET", p, ""); s != 403 && s != 401 {
			t.Errorf("agent GET %s: %d", p, s)
		}
	}
	// UI pages render but show nothing of any unit.
	for _, p := range []string{"/", "/units", "/users", "/hosts", "/audit", "/enrollment", "/tokens"} {
		_, body := do("GET", p, "")
		for _, leak := range []string{"Đắk Lắk", "Hà Nội", "ws-a-01", "ws-b-01", "officera@test.vigil", "contact.a@"} {
			if strings.Contains(body, leak) {
				t.Errorf("agent sees %q on %s", leak, p)
			}
		}
	}
	for _, p := range []string{"/units/A", "/hosts/" + itoa(w.hostIDs["A"]), "/users/" + itoa(w.userIDs["officerA"]), "/units/A/coverage"} {
		if s, _ := do("GET", p, ""); s != 404 {
			t.Errorf("agent GET %s: %d, want 404", p, s)
		}
	}
	// Writes through the UI (no CSRF needed for bearer callers) are refused by the services.
	writes := map[string]string{
		"/units":      "code=AGX&name=x&kind=district&parent=A",
		"/users":      "email=x@test.vigil&name=x&password=long-enough-pass&role=viewer&unit=A",
		"/tokens":     "name=x",
		"/enrollment": "unit=A&expires_in=1h&max_uses=1",
		"/hosts/" + itoa(w.hostIDs["A"]) + "/scan": "paths=/tmp",
		"/units/A/contacts":                        "name=x&phone=0900",
	}
	for p, form := range writes {
		if s, body := do("POST", p, form); s < 400 {
			t.Errorf("agent POST %s: %d %.200s", p, s, body)
		}
	}
}
