package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func tinyPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 3))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// newCourse has the IT Center (admin) add a course with one lesson; it
// returns the course's id.
func (w *world) newCourse(t *testing.T) string {
	t.Helper()
	r := w.call("admin", "POST", "/api/v1/training/courses", map[string]any{"title": "Thiết bị di động", "title_en": "Mobile devices"})
	expect(t, r, 201, "admin adds a course")
	id := fmt.Sprint(r.json(t)["id"])
	expect(t, w.call("admin", "POST", "/api/v1/training/courses/"+id+"/lessons", map[string]string{"title": "Khóa màn hình", "body": "Đặt mã PIN.", "quiz": "? Nên đặt gì?\n- Không gì\n+ Mã PIN\n"}), 201, "admin adds a lesson")
	return id
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"POST /api/v1/training/courses": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "POST", "/api/v1/training/courses", map[string]any{"title": "x"}), 403, "officerA adds a course")
			expect(t, w.call("viewerA", "POST", "/api/v1/training/courses", map[string]any{"title": "x"}), 403, "viewerA adds a course")
			expect(t, w.call("admin", "POST", "/api/v1/training/courses", map[string]any{"title": "x", "pass_mark": 0.5}), 400, "a bad pass mark")
			w.newCourse(t)
		},
		"PUT /api/v1/training/courses/{id}": func(t *testing.T, w *world) {
			id := w.newCourse(t)
			expect(t, w.call("officerA", "PUT", "/api/v1/training/courses/"+id, map[string]any{"title": "y"}), 403, "officerA edits a course")
			expect(t, w.call("admin", "PUT", "/api/v1/training/courses/999999", map[string]any{"title": "y"}), 404, "no such course")
			expect(t, w.call("admin", "PUT", "/api/v1/training/courses/"+id, map[string]any{"title": ""}), 400, "no title")
			expect(t, w.call("admin", "PUT", "/api/v1/training/courses/"+id, map[string]any{"title": "Thiết bị di động (2027)", "max_attempts": 5}), 200, "admin edits")
		},
		"POST /api/v1/training/courses/{id}/lessons": func(t *testing.T, w *world) {
			id := w.newCourse(t)
			in := map[string]string{"title": "Cập nhật", "body": "Cập nhật hệ điều hành.", "quiz": "? Khi nào?\n+ Khi có bản vá\n- Không bao giờ\n"}
			expect(t, w.call("officerA", "POST", "/api/v1/training/courses/"+id+"/lessons", in), 403, "officerA adds a lesson")
			r := w.call("admin", "POST", "/api/v1/training/courses/"+id+"/lessons", map[string]string{"title": "x", "quiz": "? q\n+ a\n"})
			expect(t, r, 400, "a broken quiz")
			r = w.call("admin", "POST", "/api/v1/training/courses/"+id+"/lessons", in)
			expect(t, r, 201, "admin adds a lesson")
			if r.json(t)["position"] != float64(2) {
				t.Errorf("lesson position: %s", r.Body)
			}
		},
		"GET /api/v1/training/courses/{id}/images": func(t *testing.T, w *world) {
			id := w.newCourse(t)
			expect(t, w.rawCall(t, "admin", "POST", "/api/v1/training/courses/"+id+"/images?name=pin.png", tinyPNG(t), map[string]string{"Content-Type": "image/png"}), 201, "admin uploads")
			r := w.call("viewerA", "GET", "/api/v1/training/courses/"+id+"/images", nil)
			expect(t, r, 200, "viewerA lists the images")
			if items := r.items(t); len(items) != 1 || !strings.HasPrefix(fmt.Sprint(items[0]["markdown"]), "![pin](/learn/images/"+id+"/") {
				t.Errorf("images: %s", r.Body)
			}
			expect(t, w.call("viewerA", "GET", "/api/v1/training/courses/999999/images", nil), 404, "no such course")
		},
		"POST /api/v1/training/courses/{id}/images": func(t *testing.T, w *world) {
			id := w.newCourse(t)
			expect(t, w.rawCall(t, "officerA", "POST", "/api/v1/training/courses/"+id+"/images?name=a.png", tinyPNG(t), map[string]string{"Content-Type": "image/png"}), 403, "officerA uploads")
			expect(t, w.rawCall(t, "admin", "POST", "/api/v1/training/courses/"+id+"/images?name=a.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), map[string]string{"Content-Type": "image/svg+xml"}), 400, "an SVG")
			r := w.rawCall(t, "admin", "POST", "/api/v1/training/courses/"+id+"/images?name=a.png", tinyPNG(t), map[string]string{"Content-Type": "image/png"})
			expect(t, r, 201, "admin uploads a PNG")
			// Served to anyone reading the lesson, as the image it is.
			res, err := http.Get(w.srv.URL + fmt.Sprint(r.json(t)["url"]))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || !bytes.Equal(b, tinyPNG(t)) || res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("served image: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
		},
	} {
		scopeMatrix[k] = v
	}
}

// TestCoursePages: the IT Center adds a course and a lesson through the
// forms (a bad value comes back beside its field with the input kept) and
// uploads an image whose Markdown the course page shows.
func TestCoursePages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		if s, _ := w.getPage("officerA", "vi", "/training/courses/new"); s != 403 {
			t.Errorf("officerA opens the new-course form: %d", s)
		}
		s, body := w.postForm("admin", "vi", "/training/courses", url.Values{"title": {"Thiết bị di động"}, "pass_mark": {"120"}})
		if s != 400 || fieldMessage(body, "pass_mark") != "Phải từ 1 đến 100 điểm" || !strings.Contains(body, `value="Thiết bị di động"`) {
			t.Fatalf("bad pass mark: %d %q", s, fieldMessage(body, "pass_mark"))
		}
		s, _ = w.postForm("admin", "vi", "/training/courses", url.Values{"title": {"Thiết bị di động"}, "pass_mark": {"75"}, "title_en": {"Mobile devices"}})
		if s != 303 {
			t.Fatalf("create: %d", s)
		}
		var id string
		w.db.QueryRow(t.Context(), `SELECT CAST(id AS TEXT) FROM training_courses WHERE title = 'Thiết bị di động'`).Scan(&id)
		if s, body := w.getPage("admin", "vi", "/training/courses/"+id+"/lessons/new"); s != 200 || !strings.Contains(body, `name="body_en"`) {
			t.Fatalf("new lesson form: %d", s)
		}
		lesson := url.Values{"title": {"Khóa màn hình"}, "body": {"Đặt **mã PIN**."}, "quiz": {"? Nên đặt gì?\n+ Mã PIN\n"}}
		s, body = w.postForm("admin", "vi", "/training/courses/"+id+"/lessons", lesson)
		if s != 400 || fieldMessage(body, "quiz") == "" || !strings.Contains(body, "Đặt **mã PIN**.") {
			t.Fatalf("broken quiz: %d %q", s, fieldMessage(body, "quiz"))
		}
		lesson.Set("quiz", "? Nên đặt gì?\n- Không gì\n+ Mã PIN\n")
		if s, body = w.postForm("admin", "vi", "/training/courses/"+id+"/lessons", lesson); s != 303 {
			t.Fatalf("add lesson: %d %.300s", s, body)
		}
		// An image, through the multipart form.
		var mb bytes.Buffer
		mw := multipart.NewWriter(&mb)
		fw, _ := mw.CreateFormFile("image", "man-hinh.png")
		fw.Write(tinyPNG(t))
		mw.Close()
		req, _ := http.NewRequest("POST", w.srv.URL+"/training/courses/"+id+"/images", &mb)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+w.tokens["admin"])
		c := *w.srv.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 303 {
			t.Fatalf("upload: %d", res.StatusCode)
		}
		s, body = w.getPage("admin", "vi", "/training/courses/"+id)
		if s != 200 || !strings.Contains(body, "<strong>mã PIN</strong>") || !strings.Contains(body, "![man-hinh](/learn/images/"+id+"/") || !strings.Contains(body, `id="add-lesson"`) {
			t.Errorf("course page: %d", s)
		}
		if _, body := w.getPage("viewerA", "vi", "/training/courses/"+id); strings.Contains(body, `id="add-lesson"`) || strings.Contains(body, `id="image-form"`) {
			t.Error("viewerA is offered course editing")
		}
	})
}
