package training

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Course is a course and its lessons.
type Course struct {
	ID          int64     `json:"id"`
	Slug        string    `json:"slug"`
	Title       string    `json:"title"`
	Summary     string    `json:"summary,omitempty"`
	TitleEN     string    `json:"title_en,omitempty"`
	SummaryEN   string    `json:"summary_en,omitempty"`
	PassMark    int       `json:"pass_mark"`
	MaxAttempts int       `json:"max_attempts"`
	Builtin     bool      `json:"builtin"`
	UpdatedAt   time.Time `json:"updated_at"`
	UpdatedBy   string    `json:"updated_by,omitempty"`
	Lessons     []*Lesson `json:"lessons,omitempty"`
}

// Lesson is a Markdown lesson ending with a quiz.
type Lesson struct {
	ID        int64      `json:"id"`
	Position  int        `json:"position"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	TitleEN   string     `json:"title_en,omitempty"`
	BodyEN    string     `json:"body_en,omitempty"`
	Quiz      string     `json:"quiz"`
	Questions []Question `json:"-"`
}

// TitleIn is the course's title in lang: the English one when asked for
// and given.
func (c *Course) TitleIn(lang string) string {
	if lang == "en" && c.TitleEN != "" {
		return c.TitleEN
	}
	return c.Title
}

// SummaryIn is TitleIn for the summary.
func (c *Course) SummaryIn(lang string) string {
	if lang == "en" && c.SummaryEN != "" {
		return c.SummaryEN
	}
	return c.Summary
}

// TitleIn is the lesson's title in lang.
func (l *Lesson) TitleIn(lang string) string {
	if lang == "en" && l.TitleEN != "" {
		return l.TitleEN
	}
	return l.Title
}

// BodyIn is the lesson's Markdown in lang.
func (l *Lesson) BodyIn(lang string) string {
	if lang == "en" && strings.TrimSpace(l.BodyEN) != "" {
		return l.BodyEN
	}
	return l.Body
}

// StarterSlug names the built-in starter course.
const StarterSlug = "nhap-mon-attt"

//go:embed starter/*.md
var starterFS embed.FS

// quizMark separates a starter lesson's Markdown from its quiz.
const quizMark = "\n???\n"

// EnsureStarter adds the built-in starter course when it is missing (the
// IT Center's edits are kept: it is written once).
func (s *Service) EnsureStarter(ctx context.Context) error {
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM training_courses WHERE slug = ?`, StarterSlug).Scan(&n); err != nil {
		return fmt.Errorf("training: starter: %w", err)
	}
	if n > 0 {
		return nil
	}
	files, err := fs.Glob(starterFS, "starter/*.md")
	if err != nil {
		return err
	}
	now := store.Micros(s.now())
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO training_courses (slug, title, summary, pass_mark, max_attempts, builtin, created_at, updated_at, updated_by)
			VALUES (?, ?, ?, 80, 3, TRUE, ?, ?, 'system') RETURNING id`, StarterSlug,
			"An toàn thông tin cho mọi cán bộ, viên chức",
			"Năm bài ngắn: nhận diện thư và tin nhắn lừa đảo, mật khẩu và xác thực hai lớp, tin giả và kiểm chứng nguồn, báo cáo sự cố, làm việc an toàn dịp lễ Tết.",
			now, now).Scan(&id); err != nil {
			return fmt.Errorf("training: starter: %w", err)
		}
		for i, f := range files {
			b, err := starterFS.ReadFile(f)
			if err != nil {
				return err
			}
			text := strings.ReplaceAll(string(b), "\r\n", "\n")
			body, quiz, ok := strings.Cut(text, quizMark)
			if !ok {
				return fmt.Errorf("training: starter %s has no quiz", f)
			}
			title, body, _ := strings.Cut(strings.TrimSpace(body), "\n")
			title = strings.TrimSpace(strings.TrimPrefix(title, "#"))
			if _, err := ParseQuiz(quiz); err != nil {
				return fmt.Errorf("training: starter %s: %w", f, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO training_lessons (course_id, position, title, body, quiz) VALUES (?, ?, ?, ?, ?)`,
				id, i+1, title, strings.TrimSpace(body), strings.TrimSpace(quiz)); err != nil {
				return fmt.Errorf("training: starter: %w", err)
			}
		}
		return nil
	})
	if store.IsUniqueViolation(err) {
		return nil // another request wrote it first
	}
	return err
}

// Courses lists every course (id, title), the starter course first.
func (s *Service) Courses(ctx context.Context) ([]*Course, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	if err := s.EnsureStarter(ctx); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT `+courseCols+` FROM training_courses ORDER BY builtin DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("training: courses: %w", err)
	}
	defer rows.Close()
	var out []*Course
	for rows.Next() {
		c, err := scanCourse(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

const courseCols = `id, slug, title, summary, title_en, summary_en, pass_mark, max_attempts, builtin, updated_at, updated_by`

func scanCourse(sc store.Scanner) (*Course, error) {
	var c Course
	var up int64
	if err := sc.Scan(&c.ID, &c.Slug, &c.Title, &c.Summary, &c.TitleEN, &c.SummaryEN, &c.PassMark, &c.MaxAttempts, &c.Builtin, &up, &c.UpdatedBy); err != nil {
		return nil, err
	}
	c.UpdatedAt = store.Time(up)
	return &c, nil
}

// course loads a course and its lessons (no rights checked: callers do).
func (s *Service) course(ctx context.Context, id int64) (*Course, error) {
	c, err := scanCourse(s.DB.QueryRow(ctx, `SELECT `+courseCols+` FROM training_courses WHERE id = ?`, id))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("course")
	}
	if err != nil {
		return nil, fmt.Errorf("training: course: %w", err)
	}
	rows, err := s.DB.Query(ctx, `SELECT id, position, title, body, title_en, body_en, quiz FROM training_lessons WHERE course_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("training: lessons: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l Lesson
		if err := rows.Scan(&l.ID, &l.Position, &l.Title, &l.Body, &l.TitleEN, &l.BodyEN, &l.Quiz); err != nil {
			return nil, err
		}
		l.Questions, _ = ParseQuiz(l.Quiz)
		c.Lessons = append(c.Lessons, &l)
	}
	return c, rows.Err()
}

// Course loads a course for an officer.
func (s *Service) Course(ctx context.Context, id int64) (*Course, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, err
	}
	return s.course(ctx, id)
}

// courseRef finds a course by id or slug.
func (s *Service) courseRef(ctx context.Context, ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return 0, errs.Invalid("course", "is required")
	}
	if err := s.EnsureStarter(ctx); err != nil {
		return 0, err
	}
	var id int64
	err := s.DB.QueryRow(ctx, `SELECT id FROM training_courses WHERE slug = ? OR CAST(id AS TEXT) = ?`, ref, ref).Scan(&id)
	if store.IsNoRows(err) {
		return 0, errs.Invalid("course", "no course %q", ref)
	}
	return id, err
}

// ITCenter reports whether the caller edits courses: a user who may write
// at the root unit.
func (s *Service) ITCenter(ctx context.Context) (bool, error) {
	p := auth.FromContext(ctx)
	if p == nil {
		return false, nil
	}
	var path string
	err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&path)
	if err != nil && !store.IsNoRows(err) {
		return false, fmt.Errorf("training: root unit: %w", err)
	}
	return path != "" && p.CanWrite(path), nil
}

// LessonInput changes a lesson.
type LessonInput struct {
	Title   string `json:"title"`
	Body    string `json:"body"`
	TitleEN string `json:"title_en,omitempty"` // optional English text
	BodyEN  string `json:"body_en,omitempty"`
	Quiz    string `json:"quiz"`
}

// check validates a lesson and parses its quiz.
func (in *LessonInput) check() ([]Question, error) {
	in.Title, in.TitleEN = strings.TrimSpace(in.Title), strings.TrimSpace(in.TitleEN)
	if in.Title == "" {
		return nil, errs.Invalid("title", "is required")
	}
	if utf8.RuneCountInString(in.Title) > maxText {
		return nil, errs.Invalid("title", "longer than %d characters", maxText)
	}
	if utf8.RuneCountInString(in.TitleEN) > maxText {
		return nil, errs.Invalid("title_en", "longer than %d characters", maxText)
	}
	if len(in.Body) > 200_000 {
		return nil, errs.Invalid("body", "longer than %d characters", 200_000)
	}
	if len(in.BodyEN) > 200_000 {
		return nil, errs.Invalid("body_en", "longer than %d characters", 200_000)
	}
	return ParseQuiz(in.Quiz)
}

// UpdateLesson changes lesson pos of a course (the IT Center); the quiz is
// checked before anything is kept.
func (s *Service) UpdateLesson(ctx context.Context, courseID int64, pos int, in LessonInput) (*Lesson, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if ok, err := s.ITCenter(ctx); err != nil {
		return nil, err
	} else if !ok {
		return nil, errs.Forbidden("only the IT Center edits courses")
	}
	qs, err := in.check()
	if err != nil {
		return nil, err
	}
	c, err := s.course(ctx, courseID)
	if err != nil {
		return nil, err
	}
	var l *Lesson
	for _, x := range c.Lessons {
		if x.Position == pos {
			l = x
		}
	}
	if l == nil {
		return nil, errs.NotFound("lesson")
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE training_lessons SET title = ?, body = ?, title_en = ?, body_en = ?, quiz = ? WHERE id = ?`, in.Title, in.Body, in.TitleEN, in.BodyEN, in.Quiz, l.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE training_courses SET updated_at = ?, updated_by = ? WHERE id = ?`, store.Micros(s.now()), p.Email, courseID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "training.edit_lesson", ObjectType: "training_course", ObjectID: strconv.FormatInt(courseID, 10),
			Before: map[string]any{"lesson": pos, "title": l.Title, "questions": len(l.Questions)},
			After:  map[string]any{"lesson": pos, "title": in.Title, "questions": len(qs)}})
	})
	if err != nil {
		return nil, err
	}
	return &Lesson{ID: l.ID, Position: pos, Title: in.Title, Body: in.Body, TitleEN: in.TitleEN, BodyEN: in.BodyEN, Quiz: in.Quiz, Questions: qs}, nil
}

var (
	markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))
	policy   = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.AllowImages()
		p.RequireNoReferrerOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		return p
	}()
)

// RenderMarkdown turns a lesson's Markdown into sanitised HTML: raw HTML
// and scripts in the source are dropped, links and images kept.
func RenderMarkdown(src string) template.HTML {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(src), &b); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(policy.SanitizeBytes(b.Bytes()))
}

// Step is one lesson as a learner sees it: its place and their progress.
type Step struct {
	Lesson    *Lesson
	Opened    bool
	Attempts  int
	BestScore int
	LastScore int
	Passed    bool
}

// MyCourse is a course with the learner's progress.
type MyCourse struct {
	Course      *Course
	Steps       []*Step
	DueAt       time.Time
	Done        int // lessons passed
	CompletedAt time.Time
	PassedAt    time.Time
	Score       int
}

// Next is the first lesson not passed, or 0.
func (m *MyCourse) Next() int {
	for _, st := range m.Steps {
		if !st.Passed {
			return st.Lesson.Position
		}
	}
	return 0
}

// MyCourses lists the courses assigned to the learner, with progress.
func (s *Service) MyCourses(ctx context.Context, l *Learner) ([]*MyCourse, error) {
	rows, err := s.DB.Query(ctx, `SELECT course_id, MIN(due_at), MAX(completed_at), MAX(passed_at), MAX(score) FROM training_assignments WHERE person_id = ? GROUP BY course_id ORDER BY MIN(due_at)`, l.PersonID)
	if err != nil {
		return nil, fmt.Errorf("training: my courses: %w", err)
	}
	type a struct {
		id                     int64
		due, done, pass, score int64
	}
	var as []a
	for rows.Next() {
		var x a
		if err := rows.Scan(&x.id, &x.due, &x.done, &x.pass, &x.score); err != nil {
			rows.Close()
			return nil, err
		}
		as = append(as, x)
	}
	rows.Close()
	var out []*MyCourse
	for _, x := range as {
		m, err := s.myCourse(ctx, l, x.id)
		if err != nil {
			return nil, err
		}
		m.DueAt, m.CompletedAt, m.PassedAt, m.Score = store.Time(x.due), tm(x.done), tm(x.pass), int(x.score)
		out = append(out, m)
	}
	return out, nil
}

func tm(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return store.Time(us)
}

// MyCourse is one assigned course with the learner's progress: not found
// when the course is not assigned to them.
func (s *Service) MyCourse(ctx context.Context, l *Learner, courseID int64) (*MyCourse, error) {
	var due, done, pass, score int64
	err := s.DB.QueryRow(ctx, `SELECT MIN(due_at), MAX(completed_at), MAX(passed_at), MAX(score) FROM training_assignments WHERE person_id = ? AND course_id = ? GROUP BY course_id`,
		l.PersonID, courseID).Scan(&due, &done, &pass, &score)
	if store.IsNoRows(err) {
		return nil, errs.NotFound("course")
	}
	if err != nil {
		return nil, err
	}
	m, err := s.myCourse(ctx, l, courseID)
	if err != nil {
		return nil, err
	}
	m.DueAt, m.CompletedAt, m.PassedAt, m.Score = store.Time(due), tm(done), tm(pass), int(score)
	return m, nil
}

func (s *Service) myCourse(ctx context.Context, l *Learner, courseID int64) (*MyCourse, error) {
	c, err := s.course(ctx, courseID)
	if err != nil {
		return nil, err
	}
	m := &MyCourse{Course: c}
	prog := map[int64]*Step{}
	rows, err := s.DB.Query(ctx, `SELECT lesson_id, opened_at, attempts, best_score, last_score, passed_at FROM training_progress WHERE person_id = ? AND course_id = ?`, l.PersonID, courseID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, opened, passed int64
		st := &Step{}
		if err := rows.Scan(&id, &opened, &st.Attempts, &st.BestScore, &st.LastScore, &passed); err != nil {
			rows.Close()
			return nil, err
		}
		st.Opened, st.Passed = opened > 0, passed > 0
		prog[id] = st
	}
	rows.Close()
	for _, ls := range c.Lessons {
		st := prog[ls.ID]
		if st == nil {
			st = &Step{}
		}
		st.Lesson = ls
		if st.Passed {
			m.Done++
		}
		m.Steps = append(m.Steps, st)
	}
	return m, nil
}

// OpenLesson records that the learner opened a lesson (progress saved as
// they go) and returns it with its quiz's questions in a fresh order.
func (s *Service) OpenLesson(ctx context.Context, l *Learner, courseID int64, pos int) (*MyCourse, *Step, []int, error) {
	m, err := s.MyCourse(ctx, l, courseID)
	if err != nil {
		return nil, nil, nil, err
	}
	var st *Step
	for _, x := range m.Steps {
		if x.Lesson.Position == pos {
			st = x
		}
	}
	if st == nil {
		return nil, nil, nil, errs.NotFound("lesson")
	}
	now := store.Micros(s.now())
	if !st.Opened {
		_, err := s.DB.Exec(ctx, `INSERT INTO training_progress (person_id, lesson_id, course_id, opened_at) VALUES (?, ?, ?, ?)`, l.PersonID, st.Lesson.ID, courseID, now)
		if err != nil && !store.IsUniqueViolation(err) {
			return nil, nil, nil, fmt.Errorf("training: progress: %w", err)
		}
		st.Opened = true
	}
	order := rand.Perm(len(st.Lesson.Questions))
	return m, st, order, nil
}

// Result is a graded quiz.
type Result struct {
	Score    int
	Passed   bool
	Right    []bool
	Attempts int
	Left     int // attempts left (-1: no limit)
	Course   *MyCourse
}

// ErrNoAttemptsLeft refuses a quiz taken more often than the course allows.
var ErrNoAttemptsLeft = errs.Errorf(errs.ECONFLICT, "no attempts left at this quiz: ask your unit's officer")

// SubmitQuiz grades the learner's answers to lesson pos, saves progress and
// updates their assignments of the course (completed when every quiz is
// taken, passed when every quiz reaches the pass mark).
func (s *Service) SubmitQuiz(ctx context.Context, l *Learner, courseID int64, pos int, answers map[int][]int) (*Result, error) {
	m, err := s.MyCourse(ctx, l, courseID)
	if err != nil {
		return nil, err
	}
	var st *Step
	for _, x := range m.Steps {
		if x.Lesson.Position == pos {
			st = x
		}
	}
	if st == nil {
		return nil, errs.NotFound("lesson")
	}
	c := m.Course
	if c.MaxAttempts > 0 && st.Attempts >= c.MaxAttempts && !st.Passed {
		return nil, ErrNoAttemptsLeft
	}
	score, right := Grade(st.Lesson.Questions, answers)
	passed := score >= c.PassMark
	now := store.Micros(s.now())
	res := &Result{Score: score, Passed: passed, Right: right, Attempts: st.Attempts + 1, Left: -1}
	if c.MaxAttempts > 0 {
		res.Left = max(c.MaxAttempts-res.Attempts, 0)
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		passedAt := int64(0)
		if passed {
			passedAt = now
		}
		if _, err := tx.Exec(ctx, `INSERT INTO training_progress (person_id, lesson_id, course_id, opened_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (person_id, lesson_id) DO NOTHING`, l.PersonID, st.Lesson.ID, courseID, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE training_progress SET attempts = attempts + 1, last_score = ?,
			best_score = CASE WHEN best_score > ? THEN best_score ELSE ? END,
			passed_at = CASE WHEN passed_at > 0 THEN passed_at ELSE ? END
			WHERE person_id = ? AND lesson_id = ?`, score, score, score, passedAt, l.PersonID, st.Lesson.ID); err != nil {
			return err
		}
		return s.rollUp(ctx, tx, l.PersonID, c)
	})
	if err != nil {
		return nil, fmt.Errorf("training: quiz: %w", err)
	}
	if res.Course, err = s.MyCourse(ctx, l, courseID); err != nil {
		return nil, err
	}
	return res, nil
}

// rollUp brings the person's assignments of course c up to date with their
// progress.
func (s *Service) rollUp(ctx context.Context, tx *store.Tx, personID int64, c *Course) error {
	var taken, passed, sum int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN passed_at > 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(best_score), 0)
		FROM training_progress WHERE person_id = ? AND course_id = ? AND attempts > 0`, personID, c.ID).Scan(&taken, &passed, &sum); err != nil {
		return err
	}
	n := len(c.Lessons)
	if n == 0 {
		return nil
	}
	score := sum / n
	now := store.Micros(s.now())
	var done, pass int64
	if taken >= n {
		done = now
	}
	if passed >= n {
		pass = now
	}
	if _, err := tx.Exec(ctx, `UPDATE training_assignments SET score = ? WHERE person_id = ? AND course_id = ?`, score, personID, c.ID); err != nil {
		return err
	}
	if done > 0 {
		if err := markAssignments(ctx, tx, "completed_at", done, personID, c.ID); err != nil {
			return err
		}
	}
	if pass > 0 {
		return markAssignments(ctx, tx, "passed_at", pass, personID, c.ID)
	}
	return nil
}
