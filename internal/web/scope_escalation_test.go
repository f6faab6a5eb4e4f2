package web_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
)

// escalationRefs are a policy and a channel in A and in B, made by the
// administrator the first time a check asks.
type escalationRefs struct {
	policyA, policyB, channelA, channelB string
}

var (
	escalationMu   sync.Mutex
	escalationMade = map[*world]*escalationRefs{}
)

func (w *world) escalation(t *testing.T) *escalationRefs {
	t.Helper()
	escalationMu.Lock()
	defer escalationMu.Unlock()
	if e, ok := escalationMade[w]; ok {
		return e
	}
	id := func(r response, what string) string {
		t.Helper()
		if r.Status != 201 {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
		return fmt.Sprint(r.json(t)["id"])
	}
	e := &escalationRefs{}
	e.channelA = id(w.call("admin", "POST", "/api/v1/escalation/channels", map[string]any{"unit": "A", "name": "Trực tỉnh A", "kind": "email", "target": "truc@a.test"}), "channel A")
	e.channelB = id(w.call("admin", "POST", "/api/v1/escalation/channels", map[string]any{"unit": "B", "name": "SIEM B", "kind": "webhook", "target": "https://siem.b.test/hook", "secret": "whsec-0123456789abcdef"}), "channel B")
	policy := func(unit, channel string) map[string]any {
		ch, _ := strconv.Atoi(channel)
		return map[string]any{"unit": unit, "name": "Mặc định " + unit, "min_severity": "high",
			"steps": []map[string]any{{"delay_minutes": 15, "target": "unit_duty"}, {"delay_minutes": 10, "target": "channel", "channel": ch}}}
	}
	e.policyA = id(w.call("admin", "POST", "/api/v1/escalation/policies", policy("A", e.channelA)), "policy A")
	e.policyB = id(w.call("admin", "POST", "/api/v1/escalation/policies", policy("B", e.channelB)), "policy B")
	escalationMade[w] = e
	return e
}

// The escalation API's entries in the scope matrix (scope_test.go).
func init() {
	newPolicy := func(unit string) map[string]any {
		return map[string]any{"unit": unit, "name": "Mới " + unit, "min_severity": "critical", "steps": []map[string]any{{"delay_minutes": 5, "target": "unit_duty"}}}
	}
	newChannel := func(unit string) map[string]any {
		return map[string]any{"unit": unit, "name": "Hộp thư " + unit, "kind": "email", "target": "soc@" + unit + ".test"}
	}
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/escalation/policies": func(t *testing.T, w *world) {
			e := w.escalation(t)
			got := codes(t, w.call("officerA", "GET", "/api/v1/escalation/policies", nil), "id")
			if !got[e.policyA] || got[e.policyB] {
				t.Errorf("officerA lists policies %v", got)
			}
			got = codes(t, w.call("analyst", "GET", "/api/v1/escalation/policies?unit=B", nil), "id")
			if !got[e.policyB] || got[e.policyA] {
				t.Errorf("analyst lists B's policies %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/escalation/policies?unit=B", nil), 404, "officerA lists B's")
		},
		"POST /api/v1/escalation/policies": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "POST", "/api/v1/escalation/policies", newPolicy("B")), 400, "officerA creates for B")
			expect(t, w.call("viewerA", "POST", "/api/v1/escalation/policies", newPolicy("A")), 403, "viewerA creates")
			expect(t, w.call("analyst", "POST", "/api/v1/escalation/policies", newPolicy("A")), 403, "analyst creates")
			e := w.escalation(t)
			ch, _ := strconv.Atoi(e.channelB)
			in := newPolicy("A")
			in["steps"] = []map[string]any{{"delay_minutes": 5, "target": "channel", "channel": ch}}
			expect(t, w.call("officerA", "POST", "/api/v1/escalation/policies", in), 400, "officerA uses B's channel")
			expect(t, w.call("officerA", "POST", "/api/v1/escalation/policies", newPolicy("A1")), 201, "officerA creates for A1")
		},
		"GET /api/v1/escalation/policies/{id}": func(t *testing.T, w *world) {
			e := w.escalation(t)
			expect(t, w.call("officerA", "GET", "/api/v1/escalation/policies/"+e.policyB, nil), 404, "officerA reads B's")
			expect(t, w.call("viewerA", "GET", "/api/v1/escalation/policies/"+e.policyA, nil), 200, "viewerA reads A's")
		},
		"PUT /api/v1/escalation/policies/{id}": func(t *testing.T, w *world) {
			e := w.escalation(t)
			expect(t, w.call("officerA", "PUT", "/api/v1/escalation/policies/"+e.policyB, newPolicy("A")), 404, "officerA replaces B's")
			expect(t, w.call("viewerA", "PUT", "/api/v1/escalation/policies/"+e.policyA, newPolicy("A")), 403, "viewerA replaces A's")
			in := newPolicy("A")
			in["name"] = "Mặc định A"
			expect(t, w.call("officerA", "PUT", "/api/v1/escalation/policies/"+e.policyA, in), 200, "officerA replaces A's")
		},
		"DELETE /api/v1/escalation/policies/{id}": func(t *testing.T, w *world) {
			e := w.escalation(t)
			expect(t, w.call("officerA", "DELETE", "/api/v1/escalation/policies/"+e.policyB, nil), 404, "officerA deletes B's")
			expect(t, w.call("viewerA", "DELETE", "/api/v1/escalation/policies/"+e.policyA, nil), 403, "viewerA deletes A's")
			in := newPolicy("A")
			in["name"] = "Tạm"
			r := w.call("officerA", "POST", "/api/v1/escalation/policies", in)
			expect(t, r, 201, "setup")
			expect(t, w.call("officerA", "DELETE", "/api/v1/escalation/policies/"+fmt.Sprint(r.json(t)["id"]), nil), 204, "officerA deletes its own")
		},
		"GET /api/v1/escalation/channels": func(t *testing.T, w *world) {
			e := w.escalation(t)
			items := w.call("officerB", "GET", "/api/v1/escalation/channels", nil).items(t)
			if len(items) != 1 || fmt.Sprint(items[0]["id"]) != e.channelB {
				t.Fatalf("officerB lists channels %v", items)
			}
			if items[0]["secret_hint"] != "…cdef" || items[0]["secret"] != nil {
				t.Errorf("the secret is shown as %v / %v", items[0]["secret_hint"], items[0]["secret"])
			}
			expect(t, w.call("officerB", "GET", "/api/v1/escalation/channels?unit=A", nil), 404, "officerB lists A's")
		},
		"POST /api/v1/escalation/channels": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "POST", "/api/v1/escalation/channels", newChannel("B")), 400, "officerA creates in B")
			expect(t, w.call("viewerA", "POST", "/api/v1/escalation/channels", newChannel("A")), 403, "viewerA creates")
			expect(t, w.call("officerA", "POST", "/api/v1/escalation/channels", newChannel("A")), 201, "officerA creates in A")
		},
		"GET /api/v1/escalation/channels/{id}": func(t *testing.T, w *world) {
			e := w.escalation(t)
			expect(t, w.call("officerA", "GET", "/api/v1/escalation/channels/"+e.channelB, nil), 404, "officerA reads B's")
			expect(t, w.call("analyst", "GET", "/api/v1/escalation/channels/"+e.channelB, nil), 200, "analyst reads B's")
		},
		"PUT /api/v1/escalation/channels/{id}": func(t *testing.T, w *world) {
			e := w.escalation(t)
			expect(t, w.call("officerA", "PUT", "/api/v1/escalation/channels/"+e.channelB, newChannel("A")), 404, "officerA replaces B's")
			expect(t, w.call("analyst", "PUT", "/api/v1/escalation/channels/"+e.channelB, newChannel("B")), 403, "analyst replaces B's")
			r := w.call("officerB", "PUT", "/api/v1/escalation/channels/"+e.channelB, map[string]any{"unit": "B", "name": "SIEM B", "kind": "webhook", "target": "https://siem2.b.test/hook"})
			expect(t, r, 200, "officerB moves its webhook, keeping the secret")
			if r.json(t)["secret_hint"] != "…cdef" {
				t.Errorf("secret after replace: %s", r.Body)
			}
		},
		"DELETE /api/v1/escalation/channels/{id}": func(t *testing.T, w *world) {
			e := w.escalation(t)
			expect(t, w.call("officerA", "DELETE", "/api/v1/escalation/channels/"+e.channelB, nil), 404, "officerA deletes B's")
			expect(t, w.call("officerB", "DELETE", "/api/v1/escalation/channels/"+e.channelB, nil), 409, "officerB deletes a channel a policy uses")
			r := w.call("officerB", "POST", "/api/v1/escalation/channels", map[string]any{"unit": "B", "name": "Tạm", "kind": "email", "target": "x@b.test"})
			expect(t, r, 201, "setup")
			expect(t, w.call("officerB", "DELETE", "/api/v1/escalation/channels/"+fmt.Sprint(r.json(t)["id"]), nil), 204, "officerB deletes an unused one")
		},
		"POST /api/v1/escalation/channels/{id}/test": func(t *testing.T, w *world) {
			e := w.escalation(t)
			expect(t, w.call("officerB", "POST", "/api/v1/escalation/channels/"+e.channelA+"/test", nil), 404, "officerB tests A's")
			expect(t, w.call("viewerA", "POST", "/api/v1/escalation/channels/"+e.channelA+"/test", nil), 403, "viewerA tests A's")
			r := w.call("officerA", "POST", "/api/v1/escalation/channels/"+e.channelA+"/test", nil)
			expect(t, r, 200, "officerA tests A's")
			// This hub has no SMTP server: the test is recorded as failed,
			// saying why.
			if m := r.json(t); m["status"] != "failed" || m["target"] != "test" {
				t.Errorf("test result %s", r.Body)
			}
		},
		"GET /api/v1/escalation/notifications": func(t *testing.T, w *world) {
			e := w.escalation(t)
			expect(t, w.call("admin", "POST", "/api/v1/escalation/channels/"+e.channelA+"/test", nil), 200, "setup")
			if n := len(w.call("officerA", "GET", "/api/v1/escalation/notifications?target=test", nil).items(t)); n == 0 {
				t.Error("officerA sees no notification of A")
			}
			if n := len(w.call("officerB", "GET", "/api/v1/escalation/notifications", nil).items(t)); n != 0 {
				t.Errorf("officerB sees %d notifications of A", n)
			}
			expect(t, w.call("officerB", "GET", "/api/v1/escalation/notifications?unit=A", nil), 404, "officerB asks for A's")
			expect(t, w.call("analyst", "GET", "/api/v1/escalation/notifications?status=sent", nil), 400, "an unknown status")
		},
	} {
		scopeMatrix[k] = v
	}
}
