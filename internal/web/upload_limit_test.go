package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// postUpload sends a page's multipart upload form as a signed-in browser
// would: the CSRF token as the form's first field, then fields, then a
// file of size bytes.
func (b *formClient) postUpload(path, csrf string, fields map[string]string, field string, size int) (int, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", csrf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile(field, "capture.pcap")
	fw.Write(bytes.Repeat([]byte{'x'}, size))
	mw.Close()
	req, _ := http.NewRequest("POST", b.w.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// TestEvidenceUploadLimit: the case page takes an evidence file larger
// than the 10 MiB form limit (up to attach.MaxSize, 20 MiB), and a file
// over that comes back to the page with the reason beside the field and
// the rest of the input kept, never a raw CSRF refusal; the token is
// still checked.
func TestEvidenceUploadLimit(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	id := w.incidentFor(t, "A")
	b := newFormClient(t, w)
	if st := b.login("officera@test.vigil", testPassword); st != 303 {
		t.Fatalf("login: %d", st)
	}
	b.do("GET", "/", nil, map[string]string{"Cookie": "vigil_lang=vi"})
	page := "/incidents/" + id
	token := b.csrf(page)
	if st, body := b.postUpload(page+"/evidence", "wrong", nil, "file", 1000); st != 403 {
		t.Errorf("wrong token: %d %.200s", st, body)
	}
	if st, body := b.postUpload(page+"/evidence", token, nil, "file", 12_000_000); st != 303 {
		t.Errorf("12 MB evidence: %d %.300s", st, body)
	}
	for _, size := range []int{21_000_000, 30_000_000} {
		st, body := b.postUpload(page+"/evidence", token, map[string]string{"sha256": "abc123"}, "file", size)
		if st == 403 || strings.Contains(body, "CSRF") || !strings.Contains(fieldMessage(body, "file"), "20 MiB") {
			t.Errorf("%d bytes evidence: status %d, message %q", size, st, fieldMessage(body, "file"))
		}
		if size == 21_000_000 && !strings.Contains(body, `value="abc123"`) {
			t.Errorf("%d bytes evidence: the typed hash is not kept", size)
		}
	}
	// The other evidence forms take the same sizes: a warning-list
	// match's clean-up evidence and a readiness attestation.
	hit := w.watchlistHits(t)["A"]
	if st, body := b.postUpload("/watchlist/hits/"+hit, b.csrf("/watchlist/hits/"+hit), map[string]string{"action": "scan", "note": "Đã quét toàn bộ bằng Defender"}, "file", 12_000_000); st != 303 {
		t.Errorf("12 MB clean-up evidence: %d %.300s", st, body)
	}
	campaign := w.campaignFor(t, "A")
	sheet := "/readiness/" + campaign + "/units/A"
	st, body := b.postUpload(sheet+"/attest", b.csrf(sheet), map[string]string{"criterion": "m1.secret_protection", "note": "Biên bản niêm phong"}, "file", 21_000_000)
	if st == 403 || !strings.Contains(fieldMessage(body, "file"), "20 MiB") && !strings.Contains(body, "20 MiB") {
		t.Errorf("21 MB attestation: status %d %.300s", st, body)
	}
	if st, body := b.postUpload(sheet+"/attest", b.csrf(sheet), map[string]string{"criterion": "m1.secret_protection", "note": "Biên bản niêm phong"}, "file", 12_000_000); st != 303 {
		t.Errorf("12 MB attestation: %d %.300s", st, body)
	}
	// A course image over the 10 MiB form limit (and its own 2 MB) comes
	// back beside the field, not as a CSRF refusal.
	course := w.newCourse(t)
	admin := newFormClient(t, w)
	if st := admin.login("admin@test.vigil", testPassword); st != 303 {
		t.Fatalf("admin login: %d", st)
	}
	coursePage := "/training/courses/" + course
	st, body = admin.postUpload(coursePage+"/images", admin.csrf(coursePage), nil, "image", 12_000_000)
	if st == 403 || !strings.Contains(fieldMessage(body, "image"), "2 MB") {
		t.Errorf("12 MB course image: status %d, message %q", st, fieldMessage(body, "image"))
	}
}
