package web

import (
	"crypto/subtle"
	"html/template"
	"net/http"
	"strconv"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/training"
)

// The learner's pages: an employee signs in with a one-time link sent to
// their e-mail address and sees only their own courses, lessons, quizzes
// and certificates. Their session is a cookie of its own (learnCookie)
// that no other page reads; these handlers check its CSRF token
// themselves, since the middleware knows only officers' sessions.

const learnCookie = "vigil_learner"

func (s *Server) routesLearn() {
	s.mux.HandleFunc("GET /learn", s.uiLearn)
	s.mux.HandleFunc("POST /learn/login", s.uiLearnLogin)
	s.mux.HandleFunc("GET /learn/sso", s.uiLearnSSO)
	s.mux.HandleFunc("GET /learn/signin", s.uiLearnSignInPage)
	s.mux.HandleFunc("POST /learn/signin", s.uiLearnSignIn)
	s.mux.HandleFunc("POST /learn/logout", s.learner(s.uiLearnLogout))
	s.mux.HandleFunc("GET /learn/courses/{id}", s.learner(s.uiLearnCourse))
	s.mux.HandleFunc("GET /learn/courses/{id}/lessons/{n}", s.learner(s.uiLearnLesson))
	s.mux.HandleFunc("POST /learn/courses/{id}/lessons/{n}", s.learner(s.uiLearnQuiz))
	s.mux.HandleFunc("GET /learn/courses/{id}/certificate", s.learner(s.uiLearnCertificate))
}

type learnerKey struct{}

// learnerOf returns the signed-in learner of the request, or nil.
func (s *Server) learnerOf(r *http.Request) *training.Learner {
	if l, ok := r.Context().Value(learnerKey{}).(*training.Learner); ok {
		return l
	}
	c, err := r.Cookie(learnCookie)
	if err != nil {
		return nil
	}
	l, err := s.Training.LearnerSession(r.Context(), c.Value)
	if err != nil {
		logger(r).Error("learner session", "err", err)
		return nil
	}
	return l
}

// learner wraps a learner's page: signed in (or sent to /learn), and for
// a POST the session's CSRF token.
func (s *Server) learner(h func(w http.ResponseWriter, r *http.Request, l *training.Learner)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l := s.learnerOf(r)
		if l == nil {
			http.Redirect(w, r, "/learn", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(l.CSRF)) != 1 {
				s.learnError(w, r, errs.Forbidden("missing or wrong CSRF token; reload the page and try again"))
				return
			}
		}
		h(w, r, l)
	}
}

// learnPage is what the learner's templates receive as Data.
type learnPage struct {
	Learner *training.Learner
	CSRF    string
	Courses []*training.MyCourse
	Course  *training.MyCourse
	Step    *training.Step
	Body    template.HTML
	Order   []int // the quiz's questions, shuffled
	Result  *training.Result
	Sent    bool
	Email   string
	Token   string
	Error   string
	SSO     bool // offer "sign in with your organisation's account"
}

func (s *Server) renderLearn(w http.ResponseWriter, r *http.Request, status int, name, titleKey string, d *learnPage) {
	p := s.newPage(r, "learn", titleKey, d)
	p.User, p.CSRF = nil, ""
	if d.Learner != nil {
		d.CSRF = d.Learner.CSRF
	}
	d.SSO = s.OIDC != nil
	s.render(w, r, status, name, p)
}

func (s *Server) learnError(w http.ResponseWriter, r *http.Request, err error) {
	code := errs.Code(err)
	if code == errs.EINTERNAL || code == "" {
		logger(r).Error("learn", "path", r.URL.Path, "err", err)
	}
	lang := langOf(r)
	msg := errorText(lang, err)
	if code == errs.ENOTFOUND {
		msg = i18n.T(lang, "err.notfound")
	} else if code == errs.EINTERNAL || code == "" {
		msg = i18n.T(lang, "err.internal")
	}
	s.renderLearn(w, r, statusOf(code), "learn", "learn.title", &learnPage{Learner: s.learnerOf(r), Error: msg})
}

func (s *Server) uiLearn(w http.ResponseWriter, r *http.Request) {
	d := &learnPage{Learner: s.learnerOf(r)}
	if d.Learner != nil {
		var err error
		if d.Courses, err = s.Training.MyCourses(r.Context(), d.Learner); err != nil {
			s.learnError(w, r, err)
			return
		}
	}
	s.renderLearn(w, r, http.StatusOK, "learn", "learn.title", d)
}

func (s *Server) uiLearnLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	email := r.PostFormValue("email")
	d := &learnPage{Email: email}
	if err := s.Training.RequestLink(r.Context(), email); err != nil {
		if errs.Code(err) != errs.EINVALID {
			s.learnError(w, r, err)
			return
		}
		d.Error = messageOf(langOf(r), err)
		s.renderLearn(w, r, http.StatusBadRequest, "learn", "learn.title", d)
		return
	}
	d.Sent = true
	s.renderLearn(w, r, http.StatusOK, "learn", "learn.title", d)
}

// uiLearnSignInPage shows a button rather than signing in on GET: mail
// scanners open links in messages, and would spend a single-use link.
func (s *Server) uiLearnSignInPage(w http.ResponseWriter, r *http.Request) {
	s.renderLearn(w, r, http.StatusOK, "learn_signin", "learn.signin", &learnPage{Token: r.URL.Query().Get("t")})
}

func (s *Server) uiLearnSignIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	cookie, _, err := s.Training.SignIn(r.Context(), r.PostFormValue("t"))
	if err != nil {
		if errs.Code(err) == errs.EUNAUTHORIZED {
			s.renderLearn(w, r, http.StatusUnauthorized, "learn", "learn.title", &learnPage{Error: errorText(langOf(r), err)})
			return
		}
		s.learnError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: learnCookie, Value: cookie, Path: "/learn", MaxAge: int(training.SessionLifetime.Seconds()),
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/learn", http.StatusSeeOther)
}

func (s *Server) uiLearnLogout(w http.ResponseWriter, r *http.Request, l *training.Learner) {
	if c, err := r.Cookie(learnCookie); err == nil {
		if err := s.Training.EndSession(r.Context(), c.Value); err != nil {
			s.learnError(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: learnCookie, Value: "", Path: "/learn", MaxAge: -1, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/learn", http.StatusSeeOther)
}

func courseParam(r *http.Request) (int64, int, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return 0, 0, err
	}
	n := 0
	if v := r.PathValue("n"); v != "" {
		if n, err = strconv.Atoi(v); err != nil {
			return 0, 0, errs.NotFound("lesson")
		}
	}
	return id, n, nil
}

func (s *Server) uiLearnCourse(w http.ResponseWriter, r *http.Request, l *training.Learner) {
	id, _, err := courseParam(r)
	if err != nil {
		s.learnError(w, r, err)
		return
	}
	m, err := s.Training.MyCourse(r.Context(), l, id)
	if err != nil {
		s.learnError(w, r, err)
		return
	}
	s.renderLearn(w, r, http.StatusOK, "learn_course", "learn.course", &learnPage{Learner: l, Course: m})
}

func (s *Server) uiLearnLesson(w http.ResponseWriter, r *http.Request, l *training.Learner) {
	id, n, err := courseParam(r)
	if err != nil {
		s.learnError(w, r, err)
		return
	}
	m, st, order, err := s.Training.OpenLesson(r.Context(), l, id, n)
	if err != nil {
		s.learnError(w, r, err)
		return
	}
	d := &learnPage{Learner: l, Course: m, Step: st, Body: training.RenderMarkdown(st.Lesson.BodyIn(langOf(r))), Order: order}
	s.renderLearn(w, r, http.StatusOK, "learn_lesson", "learn.lesson", d)
}

func (s *Server) uiLearnQuiz(w http.ResponseWriter, r *http.Request, l *training.Learner) {
	id, n, err := courseParam(r)
	if err != nil {
		s.learnError(w, r, err)
		return
	}
	answers := map[int][]int{}
	for i := 0; i < 50; i++ {
		for _, v := range r.PostForm["q"+strconv.Itoa(i)] {
			if c, err := strconv.Atoi(v); err == nil {
				answers[i] = append(answers[i], c)
			}
		}
	}
	res, err := s.Training.SubmitQuiz(r.Context(), l, id, n, answers)
	if err != nil {
		s.learnError(w, r, err)
		return
	}
	var st *training.Step
	for _, x := range res.Course.Steps {
		if x.Lesson.Position == n {
			st = x
		}
	}
	d := &learnPage{Learner: l, Course: res.Course, Step: st, Result: res, Body: training.RenderMarkdown(st.Lesson.BodyIn(langOf(r)))}
	for i := range st.Lesson.Questions {
		d.Order = append(d.Order, i)
	}
	s.renderLearn(w, r, http.StatusOK, "learn_lesson", "learn.lesson", d)
}

func (s *Server) uiLearnCertificate(w http.ResponseWriter, r *http.Request, l *training.Learner) {
	id, _, err := courseParam(r)
	if err != nil {
		s.learnError(w, r, err)
		return
	}
	pdf, err := s.Training.MyCertificate(r.Context(), l, id)
	if err != nil {
		s.learnError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="chung-nhan-attt.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(pdf)
}
