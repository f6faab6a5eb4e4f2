package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/training"
)

// Courses written by the IT Center (internal/training/course_edit.go):
// a new course, its settings, lessons added at the end, images uploaded
// for the lessons; the API does the same.

func (s *Server) routesTrainingCourses() {
	s.api(apiRoute{Method: "POST", Path: "/api/v1/training/courses", Tag: "training", Summary: "Add a course (the IT Center): title, summary, pass mark, attempts, English text optional",
		Body: training.CourseInput{}, Result: training.Course{}, Handler: s.apiCreateCourse})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/training/courses/{id}", Tag: "training", Summary: "Change a course's title, summary, pass mark and attempts (the IT Center)",
		Body: training.CourseInput{}, Result: training.Course{}, Status: http.StatusOK, Handler: s.apiUpdateCourse})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/training/courses/{id}/lessons", Tag: "training", Summary: "Add a lesson at the end of a course (the IT Center): Markdown body, quiz in the text format, English text optional",
		Body: training.LessonInput{}, Result: training.Lesson{}, Handler: s.apiAddLesson})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/courses/{id}/images", Tag: "training", Summary: "A course's lesson images, each with its URL and the Markdown to show it",
		Result: training.Image{}, Paged: true, Handler: s.apiCourseImages})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/training/courses/{id}/images", Tag: "training", Summary: "Upload a lesson image (the IT Center; PNG, JPEG, GIF or WebP up to 2 MB; ?name=file name)",
		RawBody: "image/png", Query: []string{"name"}, Result: training.Image{}, Handler: s.apiAddCourseImage})

	s.mux.HandleFunc("GET /training/courses/new", s.uiAuth(s.uiNewCourse))
	s.mux.HandleFunc("POST /training/courses", s.uiAuth(s.uiCreateCourse))
	s.mux.HandleFunc("GET /training/courses/{id}/edit", s.uiAuth(s.uiEditCourse))
	s.mux.HandleFunc("POST /training/courses/{id}", s.uiAuth(s.uiSaveCourse))
	s.mux.HandleFunc("GET /training/courses/{id}/lessons/new", s.uiAuth(s.uiNewLesson))
	s.mux.HandleFunc("POST /training/courses/{id}/lessons", s.uiAuth(s.uiAddLesson))
	s.mux.HandleFunc("POST /training/courses/{id}/images", s.uiAuth(s.uiAddCourseImage))
	// The lessons' images, for learners and officers alike (see
	// training.LessonImage).
	s.mux.HandleFunc("GET /learn/images/{course}/{id}", s.lessonImage)
}

func (s *Server) apiCreateCourse(w http.ResponseWriter, r *http.Request) {
	var in training.CourseInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.Training.CreateCourse(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiUpdateCourse(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in training.CourseInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.Training.UpdateCourse(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiAddLesson(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in training.LessonInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	l, err := s.Training.AddLesson(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, l)
}

func (s *Server) apiCourseImages(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if _, err := s.Training.Course(r.Context(), id); err != nil {
		writeError(w, r, err)
		return
	}
	list, err := s.Training.Images(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, listParams{Limit: max(len(list), 1)}, list, len(list))
}

func (s *Server) apiAddCourseImage(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, training.MaxImage+1024)
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "image"
	}
	img, err := s.Training.AddImage(r.Context(), id, name, r.Body)
	if err != nil {
		writeError(w, r, imageSizeError(err))
		return
	}
	writeJSON(w, http.StatusCreated, img)
}

func imageSizeError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.Invalid("image", "larger than %d MB", training.MaxImage>>20)
	}
	return err
}

func (s *Server) lessonImage(w http.ResponseWriter, r *http.Request) {
	course, err1 := strconv.ParseInt(r.PathValue("course"), 10, 64)
	id, err2 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err1 != nil || err2 != nil {
		s.uiNotFound(w, r)
		return
	}
	ct, b, err := s.Training.LessonImage(r.Context(), course, id)
	if err != nil {
		if errs.Code(err) != errs.ENOTFOUND {
			logger(r).Error("lesson image", "err", err)
		}
		s.uiNotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", "inline")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Write(b)
}

// Pages.

type courseFormData struct {
	Course *training.Course // nil: a new course
	Form   *formState
}

var courseFields = []string{"title", "summary", "title_en", "summary_en", "pass_mark", "max_attempts"}

var lessonFields = []string{"title", "body", "title_en", "body_en", "quiz"}

func lessonInput(r *http.Request) training.LessonInput {
	return training.LessonInput{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), TitleEN: r.PostFormValue("title_en"),
		BodyEN: r.PostFormValue("body_en"), Quiz: r.PostFormValue("quiz")}
}

func (s *Server) requireITCenter(ctx context.Context) error {
	ok, err := s.Training.ITCenter(ctx)
	if err == nil && !ok {
		err = errs.Forbidden("only the IT Center edits courses")
	}
	return err
}

func (s *Server) uiNewCourse(w http.ResponseWriter, r *http.Request) {
	if err := s.requireITCenter(r.Context()); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "training_course_form", s.newPage(r, "training", "tr.new_course", &courseFormData{}))
}

func courseInput(r *http.Request) (training.CourseInput, error) {
	in := training.CourseInput{Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary"), TitleEN: r.PostFormValue("title_en"), SummaryEN: r.PostFormValue("summary_en")}
	var err error
	if v := strings.TrimSpace(r.PostFormValue("pass_mark")); v != "" {
		if in.PassMark, err = strconv.Atoi(v); err != nil {
			return in, errs.Invalid("pass_mark", "must be from 1 to 100 points")
		}
	}
	if v := strings.TrimSpace(r.PostFormValue("max_attempts")); v != "" {
		if in.MaxAttempts, err = strconv.Atoi(v); err != nil {
			return in, errs.Invalid("max_attempts", "must be from 1 to 20 attempts")
		}
	}
	return in, nil
}

func (s *Server) uiCreateCourse(w http.ResponseWriter, r *http.Request) {
	in, err := courseInput(r)
	var c *training.Course
	if err == nil {
		c, err = s.Training.CreateCourse(r.Context(), in)
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.render(w, r, statusOf(errs.Code(err)), "training_course_form", s.newPage(r, "training", "tr.new_course", &courseFormData{Form: newFormState(r, err, courseFields...)}))
		return
	}
	redirectSaved(w, r, "/training/courses/"+strconv.FormatInt(c.ID, 10)+"/lessons/new")
}

func (s *Server) uiEditCourse(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	var c *training.Course
	if err == nil {
		c, err = s.Training.Course(r.Context(), id)
	}
	if err == nil {
		err = s.requireITCenter(r.Context())
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	fm := &formState{values: map[string]string{"title": c.Title, "summary": c.Summary, "title_en": c.TitleEN, "summary_en": c.SummaryEN,
		"pass_mark": strconv.Itoa(c.PassMark), "max_attempts": strconv.Itoa(c.MaxAttempts)}}
	s.render(w, r, http.StatusOK, "training_course_form", s.newPage(r, "training", "tr.edit_course", &courseFormData{Course: c, Form: fm}))
}

func (s *Server) uiSaveCourse(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	var c *training.Course
	if err == nil {
		c, err = s.Training.Course(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	in, err := courseInput(r)
	if err == nil {
		_, err = s.Training.UpdateCourse(r.Context(), id, in)
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.render(w, r, statusOf(errs.Code(err)), "training_course_form", s.newPage(r, "training", "tr.edit_course", &courseFormData{Course: c, Form: newFormState(r, err, courseFields...)}))
		return
	}
	redirectSaved(w, r, "/training/courses/"+strconv.FormatInt(id, 10))
}

func (s *Server) uiNewLesson(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	var c *training.Course
	if err == nil {
		c, err = s.Training.Course(r.Context(), id)
	}
	if err == nil {
		err = s.requireITCenter(r.Context())
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "training_lesson_form", s.newPage(r, "training", "tr.add_lesson", &lessonFormData{Course: c}))
}

func (s *Server) uiAddLesson(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	var c *training.Course
	if err == nil {
		c, err = s.Training.Course(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	l, err := s.Training.AddLesson(r.Context(), id, lessonInput(r))
	if err != nil {
		if !formError(err) || errs.Code(err) == errs.EFORBIDDEN {
			s.uiError(w, r, err)
			return
		}
		s.render(w, r, statusOf(errs.Code(err)), "training_lesson_form", s.newPage(r, "training", "tr.add_lesson", &lessonFormData{Course: c, Form: newFormState(r, err, lessonFields...)}))
		return
	}
	redirectSaved(w, r, "/training/courses/"+strconv.FormatInt(id, 10)+"#lesson-"+strconv.Itoa(l.Position))
}

// imageErrKey carries a refused upload to the course page it re-renders.
type imageErrKey struct{}

func imageErr(r *http.Request) error {
	err, _ := r.Context().Value(imageErrKey{}).(error)
	return err
}

// imageForm is the upload's form state when it was refused.
func imageForm(r *http.Request) *formState {
	if err := imageErr(r); err != nil {
		return newFormState(r, err, "image")
	}
	return nil
}

func (s *Server) uiAddCourseImage(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, training.MaxImage+64<<10)
	f, hdr, err := r.FormFile("image")
	if err == nil {
		defer f.Close()
		_, err = s.Training.AddImage(r.Context(), id, hdr.Filename, f)
	} else if errors.Is(err, http.ErrMissingFile) {
		err = errs.Invalid("image", "choose an image file")
	}
	if err != nil {
		err = imageSizeError(err)
		if !formError(err) || errs.Code(err) == errs.EFORBIDDEN {
			s.uiError(w, r, err)
			return
		}
		s.uiTrainingCourse(w, r.WithContext(context.WithValue(r.Context(), imageErrKey{}, err)))
		return
	}
	redirectSaved(w, r, "/training/courses/"+strconv.FormatInt(id, 10)+"#images")
}
