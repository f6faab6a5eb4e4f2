package outbox

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"vigil/internal/escalate"
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

// FuzzMailAttachment: any file name and content type make a message a
// mail client reads back with the same bytes.
func FuzzMailAttachment(f *testing.F) {
	f.Add("BC-2026-0007-mẫu03.pdf", "application/pdf", []byte("%PDF-1.4"))
	f.Add("a\r\nb.docx", "not a type", []byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, name, ct string, data []byte) {
		m := &escalate.Mail{To: []string{"a@b.test"}, Subject: "[TBSC] x", Body: "x", Attachments: []escalate.Attachment{{Name: name, ContentType: ct, Data: data}}}
		raw := m.Bytes("vigil@hub.test", time.Unix(0, 0))
		got, err := parseForTest(raw)
		if err != nil {
			t.Fatalf("unreadable: %v\n%s", err, raw)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("attachment changed: %q != %q", got, data)
		}
	})
}

// parseForTest returns the first attachment of a multipart message.
func parseForTest(raw []byte) ([]byte, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, err
		}
		if _, dp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition")); dp["filename"] == "" {
			continue
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
	}
}
