package training

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"vigil/internal/attach"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Courses are written by the IT Center: a new course, its title, summary,
// pass mark and attempts, lessons added at the end (edited with
// UpdateLesson), English text optional throughout, and images uploaded to
// the hub for the lessons to show (the pages allow images from the hub
// only: img-src 'self').

// CourseInput creates or changes a course.
type CourseInput struct {
	Title       string `json:"title"`
	Summary     string `json:"summary,omitempty"`
	TitleEN     string `json:"title_en,omitempty"`
	SummaryEN   string `json:"summary_en,omitempty"`
	PassMark    int    `json:"pass_mark,omitempty"`    // out of 100 (80 when 0)
	MaxAttempts int    `json:"max_attempts,omitempty"` // per quiz (3 when 0)
}

func (in *CourseInput) check() error {
	in.Title, in.TitleEN = clean(in.Title), clean(in.TitleEN)
	in.Summary, in.SummaryEN = strings.TrimSpace(in.Summary), strings.TrimSpace(in.SummaryEN)
	if in.Title == "" {
		return errs.Invalid("title", "is required")
	}
	for field, v := range map[string]string{"title": in.Title, "title_en": in.TitleEN} {
		if utf8.RuneCountInString(v) > maxText {
			return errs.Invalid(field, "longer than %d characters", maxText)
		}
	}
	for field, v := range map[string]string{"summary": in.Summary, "summary_en": in.SummaryEN} {
		if utf8.RuneCountInString(v) > 2000 {
			return errs.Invalid(field, "longer than %d characters", 2000)
		}
	}
	if in.PassMark == 0 {
		in.PassMark = 80
	}
	if in.PassMark < 1 || in.PassMark > 100 {
		return errs.Invalid("pass_mark", "must be from 1 to 100 points")
	}
	if in.MaxAttempts == 0 {
		in.MaxAttempts = 3
	}
	if in.MaxAttempts < 1 || in.MaxAttempts > 20 {
		return errs.Invalid("max_attempts", "must be from 1 to 20 attempts")
	}
	return nil
}

func (s *Service) courseEditor(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if ok, err := s.ITCenter(ctx); err != nil {
		return nil, err
	} else if !ok {
		return nil, errs.Forbidden("only the IT Center edits courses")
	}
	return p, nil
}

// CreateCourse adds a course without lessons yet (the IT Center; audited).
// It cannot be assigned before it has a lesson.
func (s *Service) CreateCourse(ctx context.Context, in CourseInput) (*Course, error) {
	p, err := s.courseEditor(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	now := store.Micros(s.now())
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO training_courses (slug, title, summary, title_en, summary_en, pass_mark, max_attempts, builtin, created_at, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, FALSE, ?, ?, ?) RETURNING id`, auth.NewSecret("course-")[:20], in.Title, in.Summary, in.TitleEN, in.SummaryEN,
			in.PassMark, in.MaxAttempts, now, now, p.Email).Scan(&id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "training.create_course", ObjectType: "training_course", ObjectID: strconv.FormatInt(id, 10),
			After: courseSummary(&in)})
	})
	if err != nil {
		return nil, fmt.Errorf("training: create course: %w", err)
	}
	return s.course(ctx, id)
}

func courseSummary(in *CourseInput) map[string]any {
	return map[string]any{"title": in.Title, "title_en": in.TitleEN, "pass_mark": in.PassMark, "max_attempts": in.MaxAttempts}
}

// UpdateCourse changes a course's title, summary, pass mark and attempts
// (the IT Center; audited). Scores already given stand.
func (s *Service) UpdateCourse(ctx context.Context, id int64, in CourseInput) (*Course, error) {
	p, err := s.courseEditor(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	c, err := s.course(ctx, id)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE training_courses SET title = ?, summary = ?, title_en = ?, summary_en = ?, pass_mark = ?, max_attempts = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			in.Title, in.Summary, in.TitleEN, in.SummaryEN, in.PassMark, in.MaxAttempts, store.Micros(s.now()), p.Email, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "training.edit_course", ObjectType: "training_course", ObjectID: strconv.FormatInt(id, 10),
			Before: courseSummary(&CourseInput{Title: c.Title, TitleEN: c.TitleEN, PassMark: c.PassMark, MaxAttempts: c.MaxAttempts}), After: courseSummary(&in)})
	})
	if err != nil {
		return nil, fmt.Errorf("training: edit course: %w", err)
	}
	return s.course(ctx, id)
}

// maxLessons bounds a course.
const maxLessons = 50

// AddLesson appends a lesson to a course (the IT Center; its quiz checked
// first; audited). Assignments already completed stay completed.
func (s *Service) AddLesson(ctx context.Context, courseID int64, in LessonInput) (*Lesson, error) {
	p, err := s.courseEditor(ctx)
	if err != nil {
		return nil, err
	}
	qs, err := in.check()
	if err != nil {
		return nil, err
	}
	c, err := s.course(ctx, courseID)
	if err != nil {
		return nil, err
	}
	if len(c.Lessons) >= maxLessons {
		return nil, errs.Invalid("title", "a course has at most %d lessons", maxLessons)
	}
	l := &Lesson{Title: in.Title, Body: in.Body, TitleEN: in.TitleEN, BodyEN: in.BodyEN, Quiz: in.Quiz, Questions: qs}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM training_lessons WHERE course_id = ?`, courseID).Scan(&l.Position); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO training_lessons (course_id, position, title, body, title_en, body_en, quiz) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			courseID, l.Position, in.Title, in.Body, in.TitleEN, in.BodyEN, in.Quiz).Scan(&l.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE training_courses SET updated_at = ?, updated_by = ? WHERE id = ?`, store.Micros(s.now()), p.Email, courseID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "training.add_lesson", ObjectType: "training_course", ObjectID: strconv.FormatInt(courseID, 10),
			After: map[string]any{"lesson": l.Position, "title": in.Title, "questions": len(qs)}})
	})
	if err != nil {
		if store.IsUniqueViolation(err) {
			return nil, errs.Conflict("title", "another lesson was added at the same time: try again")
		}
		return nil, fmt.Errorf("training: add lesson: %w", err)
	}
	return l, nil
}

// Lesson images.

// MaxImage is the largest lesson image.
const MaxImage = 2 << 20

// imageTypes are the images a lesson may show (no SVG: it can carry
// script).
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// Image is a lesson image stored in the hub.
type Image struct {
	ID       int64  `json:"id"`
	CourseID int64  `json:"course_id"`
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	URL      string `json:"url"`      // where lessons show it
	Markdown string `json:"markdown"` // ready to paste into a lesson
}

// ImageURL is where a course's image is served.
func ImageURL(courseID, id int64) string {
	return fmt.Sprintf("/learn/images/%d/%d", courseID, id)
}

func imageOf(a *attach.Attachment, courseID int64) *Image {
	url := ImageURL(courseID, a.ID)
	alt := strings.NewReplacer("[", "", "]", "").Replace(strings.TrimSuffix(a.Name, "."+extOf(a.Name)))
	return &Image{ID: a.ID, CourseID: courseID, Name: a.Name, Size: a.Size, SHA256: a.SHA256, URL: url, Markdown: "![" + alt + "](" + url + ")"}
}

func extOf(name string) string {
	if i := strings.LastIndex(name, "."); i >= 0 {
		return name[i+1:]
	}
	return ""
}

// AddImage stores an image for a course's lessons (the IT Center;
// PNG, JPEG, GIF or WebP up to 2 MB, recognised by its bytes; audited).
func (s *Service) AddImage(ctx context.Context, courseID int64, name string, data io.Reader) (*Image, error) {
	p, err := s.courseEditor(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.course(ctx, courseID); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(data, MaxImage+1))
	if err != nil {
		return nil, errs.Invalid("image", "cannot read the file: %s", err)
	}
	if len(b) == 0 {
		return nil, errs.Invalid("image", "choose an image file")
	}
	if len(b) > MaxImage {
		return nil, errs.Invalid("image", "larger than %d MB", MaxImage>>20)
	}
	ct := http.DetectContentType(b)
	if !imageTypes[ct] {
		return nil, errs.Invalid("image", "%q is not a PNG, JPEG, GIF or WebP image", attach.CleanName(name))
	}
	var img *Image
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := attach.Add(ctx, tx, attach.Input{ObjectType: "training_course", ObjectID: strconv.FormatInt(courseID, 10), Name: name, ContentType: ct,
			Data: bytes.NewReader(b), By: p.Email, At: s.now()})
		if err != nil {
			return err
		}
		img = imageOf(a, courseID)
		return audit.Append(ctx, tx, audit.Entry{Action: "training.add_image", ObjectType: "training_course", ObjectID: strconv.FormatInt(courseID, 10),
			After: map[string]any{"image": a.Name, "size": a.Size, "sha256": a.SHA256}})
	})
	if err != nil {
		if errs.Code(err) != "" && errs.Code(err) != errs.EINTERNAL {
			return nil, err
		}
		return nil, fmt.Errorf("training: add image: %w", err)
	}
	return img, nil
}

// Images lists a course's images (officers).
func (s *Service) Images(ctx context.Context, courseID int64) ([]*Image, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	m, err := attach.List(ctx, s.DB, "training_course", strconv.FormatInt(courseID, 10))
	if err != nil {
		return nil, err
	}
	out := []*Image{}
	for _, a := range m[strconv.FormatInt(courseID, 10)] {
		out = append(out, imageOf(a, courseID))
	}
	return out, nil
}

// LessonImage returns a course image's bytes and type for the lesson
// pages. Lesson images are course material, shown to whoever reads the
// lesson: no session is asked for (the learner's cookie is not sent to
// every path, and an officer previewing a lesson has none at /learn).
func (s *Service) LessonImage(ctx context.Context, courseID, id int64) (string, []byte, error) {
	a, b, err := attach.Get(ctx, s.DB, "training_course", strconv.FormatInt(courseID, 10), id)
	if err != nil {
		return "", nil, err
	}
	if !imageTypes[a.ContentType] {
		return "", nil, errs.NotFound("image")
	}
	return a.ContentType, b, nil
}
