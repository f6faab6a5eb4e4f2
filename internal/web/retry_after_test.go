package web_test

import (
	"net/url"
	"strconv"
	"testing"

	"vigil/internal/store/storetest"
)

// TestThrottledAnswersCarryRetryAfter: every 429 says when to come back,
// from the API and from the sign-in page.
func TestThrottledAnswersCarryRetryAfter(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	api, page := false, false
	for i := 0; i < 60 && !api; i++ {
		r := w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "nobody@test.vigil", "password": "wrong-password"})
		hdr := r.Header
		if r.Status == 429 {
			api = true
			if s, err := strconv.Atoi(hdr.Get("Retry-After")); err != nil || s <= 0 {
				t.Errorf("API 429 with Retry-After %q", hdr.Get("Retry-After"))
			}
		}
	}
	b := newFormClient(t, w)
	status, _, hdr := b.do("POST", "/login", url.Values{"email": {"nobody@test.vigil"}, "password": {"wrong-password"}}, nil)
	if status == 429 {
		page = true
		if s, err := strconv.Atoi(hdr.Get("Retry-After")); err != nil || s <= 0 {
			t.Errorf("sign-in page 429 with Retry-After %q", hdr.Get("Retry-After"))
		}
	}
	if !api || !page {
		t.Errorf("never throttled: API %v, page %v", api, page)
	}
}
