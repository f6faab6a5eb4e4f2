package outbox

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzReceiverAnswer: whatever a receiver answers, the outbox decides
// without a panic, keeps the detail short, valid UTF-8 and free of the
// secret, and accepts only a 2xx.
func FuzzReceiverAnswer(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"id":"IR-1"}`), "")
	f.Add(200, "text/html", []byte("<html>portal</html>"), "")
	f.Add(500, "", []byte("boom secret-value-1234567"), "3600")
	f.Add(302, "", []byte{0xff, 0xfe}, "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(429, "application/json", []byte(`{"reference":"`+strings.Repeat("é", 300)+`"}`), "-1")
	f.Fuzz(func(t *testing.T, code int, ct string, body []byte, retry string) {
		h := http.Header{"Content-Type": {ct}, "Retry-After": {retry}, "Location": {string(body)}}
		secret := "secret-value-1234567"
		o := classify(code, h, body, secret, time.Unix(1_700_000_000, 0))
		if o.ok && (code < 200 || code > 299) {
			t.Fatalf("accepted HTTP %d", code)
		}
		if o.ok && o.permanent {
			t.Fatal("delivered and refused")
		}
		if !utf8.ValidString(o.detail) || len(o.detail) > 1000 {
			t.Fatalf("detail %q", o.detail)
		}
		if strings.Contains(o.detail, secret) {
			t.Fatal("the secret in the detail")
		}
		if o.after < 0 {
			t.Fatal("negative Retry-After")
		}
	})
}
