package training_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"vigil/internal/errs"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/training"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCourseEditing: the IT Center adds a course, its lessons (quiz
// checked, English optional) and images; others may not; a course without
// lessons cannot be assigned; on both engines.
func TestCourseEditing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		svc, it, officerA := directoryWorld(t, db)
		if _, err := svc.CreateCourse(officerA, training.CourseInput{Title: "Khóa mới"}); errs.Code(err) != errs.EFORBIDDEN {
			t.Fatalf("A's officer adds a course: %v", err)
		}
		for field, in := range map[string]training.CourseInput{
			"title":        {},
			"pass_mark":    {Title: "x", PassMark: 101},
			"max_attempts": {Title: "x", MaxAttempts: 21},
			"title_en":     {Title: "x", TitleEN: strings.Repeat("a", 201)},
		} {
			_, err := svc.CreateCourse(it, in)
			if e, ok := errs.As(err); !ok || e.Field != field {
				t.Errorf("bad %s: %v", field, err)
			}
		}
		c, err := svc.CreateCourse(it, training.CourseInput{Title: "Bảo mật thiết bị di động", TitleEN: "Securing mobile devices", PassMark: 70})
		if err != nil || c.PassMark != 70 || c.MaxAttempts != 3 || c.Builtin {
			t.Fatalf("create: %v %+v", err, c)
		}
		due := time.Now().AddDate(0, 0, 7).Format("2006-01-02")
		if _, err := svc.CreateCampaign(it, training.CampaignInput{Course: c.Slug, Units: []string{"A"}, DueAt: due}); err == nil || !strings.Contains(err.Error(), "no lesson") {
			t.Fatalf("a course without lessons assigned: %v", err)
		}
		if _, err := svc.AddLesson(it, c.ID, training.LessonInput{Title: "Bài 1", Quiz: "? Câu hỏi\n- chỉ một phương án\n"}); err == nil || !strings.Contains(err.Error(), "question 1") {
			t.Fatalf("a broken quiz: %v", err)
		}
		if _, err := svc.AddLesson(officerA, c.ID, training.LessonInput{Title: "Bài 1", Quiz: "? q\n- a\n+ b\n"}); errs.Code(err) != errs.EFORBIDDEN {
			t.Fatalf("A's officer adds a lesson: %v", err)
		}
		l1, err := svc.AddLesson(it, c.ID, training.LessonInput{Title: "Khóa màn hình", Body: "# Khóa màn hình\n\n<script>alert(1)</script>Đặt mã PIN.",
			TitleEN: "Screen lock", BodyEN: "Set a PIN.", Quiz: "? Nên đặt gì?\n- Không gì\n+ Mã PIN\n"})
		if err != nil || l1.Position != 1 {
			t.Fatalf("lesson 1: %v %+v", err, l1)
		}
		l2, err := svc.AddLesson(it, c.ID, training.LessonInput{Title: "Cập nhật", Body: "Cập nhật hệ điều hành.", Quiz: "? Khi nào cập nhật?\n+ Khi có bản vá\n- Không bao giờ\n"})
		if err != nil || l2.Position != 2 {
			t.Fatalf("lesson 2: %v %+v", err, l2)
		}
		full, err := svc.Course(it, c.ID)
		if err != nil || len(full.Lessons) != 2 {
			t.Fatalf("course: %v %+v", err, full)
		}
		if full.TitleIn("en") != "Securing mobile devices" || full.Lessons[0].TitleIn("en") != "Screen lock" || full.Lessons[0].BodyIn("en") != "Set a PIN." ||
			full.Lessons[1].TitleIn("en") != "Cập nhật" || full.Lessons[0].TitleIn("vi") != "Khóa màn hình" {
			t.Errorf("English text: %+v %+v", full, full.Lessons[0])
		}
		if html := string(training.RenderMarkdown(full.Lessons[0].Body)); strings.Contains(html, "<script") {
			t.Errorf("script kept: %s", html)
		}
		if up, err := svc.UpdateCourse(it, c.ID, training.CourseInput{Title: "Thiết bị di động", MaxAttempts: 5}); err != nil || up.Title != "Thiết bị di động" || up.MaxAttempts != 5 || up.PassMark != 80 {
			t.Fatalf("update: %v %+v", err, up)
		}
		if camp, err := svc.CreateCampaign(it, training.CampaignInput{Course: c.Slug, Units: []string{"A"}, DueAt: due}); err == nil {
			t.Fatalf("campaign to units without employees: %+v", camp)
		} else if strings.Contains(err.Error(), "no lesson") {
			t.Fatalf("the course still has no lesson: %v", err)
		}

		// Images: PNG kept (by its bytes), others refused.
		img, err := svc.AddImage(it, c.ID, "man-hinh.png", bytes.NewReader(pngBytes(t)))
		if err != nil || !strings.HasPrefix(img.Markdown, "![man-hinh](/learn/images/") || len(img.SHA256) != 64 {
			t.Fatalf("image: %v %+v", err, img)
		}
		for name, data := range map[string][]byte{
			"evil.svg":  []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
			"fake.png":  []byte("not an image at all"),
			"empty.png": {},
			"big.png":   append(pngBytes(t), make([]byte, training.MaxImage)...),
		} {
			if _, err := svc.AddImage(it, c.ID, name, bytes.NewReader(data)); errs.Code(err) != errs.EINVALID {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := svc.AddImage(officerA, c.ID, "x.png", bytes.NewReader(pngBytes(t))); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("A's officer uploads: %v", err)
		}
		ct, b, err := svc.LessonImage(it, c.ID, img.ID)
		if err != nil || ct != "image/png" || !bytes.Equal(b, pngBytes(t)) {
			t.Fatalf("serve: %v %s", err, ct)
		}
		if _, _, err := svc.LessonImage(it, c.ID+1, img.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("an image under another course: %v", err)
		}
		if list, err := svc.Images(it, c.ID); err != nil || len(list) != 1 {
			t.Errorf("images: %v %+v", err, list)
		}
		var audited int
		db.QueryRow(it, `SELECT COUNT(*) FROM audit_log WHERE action IN ('training.create_course', 'training.edit_course', 'training.add_lesson', 'training.add_image')`).Scan(&audited)
		if audited != 5 {
			t.Errorf("%d course changes audited, want 5", audited)
		}
	})
}
