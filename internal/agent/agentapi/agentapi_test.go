package agentapi

import "testing"

func TestBearerRoundTrip(t *testing.T) {
	h := BearerToken("ag42", "s.e.c.r.e.t")
	if h != "Bearer agent.ag42.s.e.c.r.e.t" {
		t.Fatalf("%q", h)
	}
	id, secret, err := ParseBearer(h)
	if err != nil || id != "ag42" || secret != "s.e.c.r.e.t" {
		t.Fatalf("%q %q %v", id, secret, err)
	}
	for _, bad := range []string{"", "Bearer ", "Bearer agent.", "Bearer agent.ag42", "Bearer agent..x", "Basic agent.a.b", "Bearer user.a.b", "Bearer agent.ag42."} {
		if _, _, err := ParseBearer(bad); err != ErrBadToken {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
