package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"vigil/internal/store/storetest"
)

// TestReviewExistenceOracles: the issue promises 404 for objects out of
// scope, yet an officer of A can tell which unit codes and user e-mails
// exist elsewhere from the answers to its own writes:
//   - POST /units {"code":"<B's code>","parent":"A"} -> 409 "a unit with code
//     "B" already exists" (unit.go:264) vs 201 for a free code;
//   - units import with an out-of-scope code -> "unit "B" exists and you may
//     not change it" (import.go:204) vs "does not exist";
//   - POST /users with another unit's e-mail -> 409 (user.go:121).
//
// Low impact (codes and e-mails are guessable); fix by answering a taken
// code outside the caller's scope as not found / a generic conflict, and
// by giving imports the same "does not exist" wording for out-of-scope
// codes.
func TestReviewExistenceOracles(t *testing.T) {
	t.Skip("known issue: 409/import messages reveal unit codes and user e-mails outside the caller's scope (unit.go:264, import.go:204, user.go:121)")
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	taken := w.call("officerA", "POST", "/api/v1/units", map[string]string{"code": "B", "name": "x", "kind": "district", "parent": "A"})
	if taken.Status == 409 || strings.Contains(string(taken.Body), "already exists") {
		t.Errorf("officerA learns that unit code B exists outside its scope: %d %s", taken.Status, taken.Body)
	}
	imp := w.call("officerA", "POST", "/api/v1/units/import", "code,name,kind,parent\nB,x,district,A\n")
	if strings.Contains(string(imp.Body), "exists") {
		t.Errorf("officerA's import learns that unit B exists: %s", imp.Body)
	}
	u := w.call("officerA", "POST", "/api/v1/users", map[string]string{"email": "officerb@test.vigil", "name": "x", "password": "long-enough-password", "role": "viewer", "unit": "A"})
	if u.Status == 409 {
		t.Logf("officerA learns that officerb@test.vigil has an account (409): %s", u.Body)
	}
}

// TestReviewEnrollTakesOverHost: Enroll (agents.go:193-199) matches the
// new agent's inventory to an existing host of the token's unit by short
// hostname alone when the enrolling side sends no addresses
// (matchHost, hosts.go:332-336), then revokes that host's agent. Anyone
// holding the unit's enrolment token (shared, up to 100,000 uses, kept in
// deployment scripts) can silently replace any host's real agent: forge its
// inventory and controls (coverage turns green), receive its scan tasks and
// report them clean, while the real agent is locked out.
func TestReviewEnrollTakesOverHost(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	r := w.call("officerA", "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "A", "expires_in": "1h", "max_uses": 100})
	expect(t, r, 201, "token")
	tok := r.json(t)["token"].(string)
	// The genuine agent of ws-a-01 works.
	expect(t, w.call(w.agentTok["A"], "POST", "/api/v1/agents/heartbeat", map[string]any{}), 200, "genuine heartbeat")
	// The attacker enrols "ws-a-01" from elsewhere, with no addresses.
	r = w.call("", "POST", "/api/v1/agents/enroll", map[string]any{"token": tok, "hostname": "WS-A-01"})
	expect(t, r, 201, "attacker enrols")
	if s := w.call(w.agentTok["A"], "POST", "/api/v1/agents/heartbeat", map[string]any{}).Status; s != 200 {
		t.Errorf("the genuine agent of ws-a-01 is locked out (%d) by a second enrolment with the unit's token", s)
	}
	hs := w.call("admin", "GET", "/api/v1/hosts?unit=A&q=ws-a-01", nil).items(t)
	if len(hs) == 1 && hs[0]["id"].(float64) == float64(w.hostIDs["A"]) && len(hs[0]["controls"].([]any)) == 0 {
		t.Errorf("the existing host %d now carries the attacker's inventory (controls wiped)", w.hostIDs["A"])
	}
}

// TestReviewImportReadsBodyBeforeAuthz: apiImportHosts (apiImportHosts, api_hosts.go:428-444)
// reads up to 256 MiB into memory and parses it before Hosts.Import checks
// that the caller may write the unit, and ignores the 10 MiB BodyLimit. Any
// signed-in viewer can make the hub buffer and parse 256 MiB per request.
// The test shows the hub waiting for the whole body of a viewer who may not
// import at all, instead of refusing at once.
func TestReviewImportReadsBodyBeforeAuthz(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("POST", w.srv.URL+"/api/v1/hosts/import?unit=B&format=agent", pr)
	req.Header.Set("Authorization", "Bearer "+w.tokens["viewerA"])
	done := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	pw.Write([]byte(`{"hostname":"x"}` + "\n" + strings.Repeat(" ", 1<<20)))
	select {
	case s := <-done:
		if s != 403 && s != 404 && s != 400 {
			t.Errorf("viewer import into B: %d", s)
		}
	case <-time.After(3 * time.Second):
		t.Error("a viewer's import into another unit is still being read after 3 s: the body (up to 256 MiB) is buffered before the scope check")
	}
}
