package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"vigil/internal/store/storetest"
)

// TestConflictsDoNotRevealOutOfScopeObjects: an officer of A cannot tell
// which unit codes and user e-mails exist outside its subtree from the
// answers to its own writes (a unit created with another unit's code, a
// units import naming one, a user created with another unit's e-mail).
// Skipped: a KNOWN OPEN ISSUE, not a passing check. Today those answers
// are 409 "already exists" / "exists and you may not change it" against
// 201 / "does not exist" for free ones (org.createUnit, org.ImportUnits,
// org.createUser). Low impact (codes and e-mails are guessable).
func TestConflictsDoNotRevealOutOfScopeObjects(t *testing.T) {
	t.Skip("known open issue: 409 and import messages reveal unit codes and user e-mails outside the caller's scope")
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

// TestEnrolmentCannotTakeOverHost: enrolling with the unit's (shared)
// enrolment token under the hostname of an existing host, with no
// addresses, does not lock out that host's agent nor overwrite its
// inventory; otherwise anyone holding the token could replace any host's
// real agent, forge its controls and answer its scan tasks.
func TestEnrolmentCannotTakeOverHost(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	r := w.call("officerA", "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "A", "expires_in": "1h", "max_uses": 100})
	expect(t, r, 201, "token")
	tok := r.json(t)["token"].(string)
	// The genuine agent of ws-a-01 works.
	expect(t, w.call(w.agentTok["A"], "POST", "/api/v1/agents/heartbeat", map[string]any{}), 200, "genuine heartbeat")
	// The attacker enrols "ws-a-01" from elsewhere, with no addresses.
	r = w.call(tok, "POST", "/api/v1/agents/enroll", map[string]any{"hostname": "WS-A-01"})
	expect(t, r, 201, "attacker enrols")
	if s := w.call(w.agentTok["A"], "POST", "/api/v1/agents/heartbeat", map[string]any{}).Status; s != 200 {
		t.Errorf("the genuine agent of ws-a-01 is locked out (%d) by a second enrolment with the unit's token", s)
	}
	hs := w.call("admin", "GET", "/api/v1/hosts?unit=A&q=ws-a-01", nil).items(t)
	if len(hs) == 1 && hs[0]["id"].(float64) == float64(w.hostIDs["A"]) && len(hs[0]["controls"].([]any)) == 0 {
		t.Errorf("the existing host %d now carries the attacker's inventory (controls wiped)", w.hostIDs["A"])
	}
}

// TestImportRefusedBeforeBodyIsRead: a caller who may not import into the
// unit is refused at once, before the hub reads (and buffers) the file;
// otherwise any viewer could make the hub read large bodies for nothing.
func TestImportRefusedBeforeBodyIsRead(t *testing.T) {
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
