package web

import (
	"errors"
	"net/http"
	"strconv"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/training"
)

// routesTraining lists the API routes and pages of awareness training
// (internal/training): employees, courses, campaigns and completion for
// officers; the learner's own pages under /learn (ui_learn.go).
func (s *Server) routesTraining() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/courses", Tag: "training", Summary: "Courses (id and title), the built-in starter course first",
		Result: courseItem{}, Paged: true, Handler: s.apiTrainingCourses})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/courses/{id}", Tag: "training", Summary: "A course with its lessons (Markdown) and quizzes (text format)",
		Result: training.Course{}, Handler: s.apiTrainingCourse})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/training/courses/{id}/lessons/{n}", Tag: "training", Summary: "Change lesson n of a course (the IT Center): title, Markdown body and quiz (text format, checked first)",
		Body: training.LessonInput{}, Result: training.Lesson{}, Status: http.StatusOK, Handler: s.apiUpdateLesson})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/training/employees/import", Tag: "training", Summary: "Import a unit's employees from CSV (header name,email,position,department; atomic: a bad row names line and column and nothing is imported)",
		RawBody: "text/csv", Status: http.StatusOK, Result: training.ImportResult{}, Query: []string{"unit"}, Handler: s.apiImportEmployees})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/employees", Tag: "training", Summary: "Employees in scope",
		Result: training.Person{}, Paged: true, Sorts: training.PeopleSortKeys, Query: []string{"unit", "department", "q"}, Handler: s.apiTrainingPeople})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/employees/{id}/certificate", Tag: "training", Summary: "An employee's certificate of a passed course (?course=ID), as PDF",
		Status: http.StatusOK, Query: []string{"course"}, Handler: s.apiTrainingCertificate})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/training/campaigns", Tag: "training", Summary: "Assign a course to units (each with the units under it) with a deadline; invitations are queued and sent at the hub's rate",
		Body: training.CampaignInput{}, Result: training.Campaign{}, Handler: s.apiCreateTrainingCampaign})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/campaigns", Tag: "training", Summary: "Campaigns in scope with their completion counts, newest first",
		Result: training.Campaign{}, Paged: true, Sorts: training.CampaignSortKeys, Handler: s.apiTrainingCampaigns})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/campaigns/{id}", Tag: "training", Summary: "A campaign and its completion in scope",
		Result: training.Campaign{}, Handler: s.apiTrainingCampaign})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/completion", Tag: "training", Summary: "Assigned, completed and passed in scope (?unit=CODE with the units under it, ?campaign=ID)",
		Result: training.Completion{}, Query: []string{"unit", "campaign", "department"}, Handler: s.apiTrainingCompletion})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/completion/units", Tag: "training", Summary: "Completion per unit against its target and deadline (the IT Center's dashboard)",
		Result: training.UnitRow{}, Paged: true, Query: []string{"unit", "campaign"}, Handler: s.apiTrainingByUnit})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/assignments", Tag: "training", Summary: "Completion and quiz score per person in scope (export with ?format=xlsx)",
		Result: training.Assignment{}, Paged: true, Sorts: training.AssignmentSortKeys, Query: []string{"unit", "campaign", "department", "state", "q"}, Handler: s.apiTrainingAssignments})

	// Officers' pages.
	s.mux.HandleFunc("GET /training", s.uiAuth(s.uiTraining))
	s.mux.HandleFunc("GET /training/campaigns/new", s.uiAuth(s.uiNewTrainingCampaign))
	s.mux.HandleFunc("POST /training/campaigns", s.uiAuth(s.uiCreateTrainingCampaign))
	s.mux.HandleFunc("GET /training/campaigns/{id}", s.uiAuth(s.uiTrainingCampaign))
	s.mux.HandleFunc("GET /training/employees", s.uiAuth(s.uiTrainingPeople))
	s.mux.HandleFunc("POST /training/employees/import", s.uiAuth(s.uiImportEmployees))
	s.mux.HandleFunc("GET /training/employees/{id}/certificate", s.uiAuth(s.apiTrainingCertificate))
	s.mux.HandleFunc("GET /training/courses/{id}", s.uiAuth(s.uiTrainingCourse))
	s.mux.HandleFunc("GET /training/courses/{id}/lessons/{n}", s.uiAuth(s.uiEditLesson))
	s.mux.HandleFunc("POST /training/courses/{id}/lessons/{n}", s.uiAuth(s.uiSaveLesson))

	// Courses written by the IT Center.
	s.routesTrainingCourses()

	// Directory sync (LDAP groups, OIDC group claims).
	s.routesTrainingDirectory()

	// The learner's pages (employees, signed in by e-mail link).
	s.routesLearn()
}

// courseItem is a course in the list.
type courseItem struct {
	ID      int64  `json:"id"`
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	Lessons int    `json:"lessons"`
	Builtin bool   `json:"builtin"`
}

func (s *Server) apiTrainingCourses(w http.ResponseWriter, r *http.Request) {
	list, err := s.Training.Courses(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	items := make([]courseItem, 0, len(list))
	for _, c := range list {
		full, err := s.Training.Course(r.Context(), c.ID)
		if err != nil {
			writeError(w, r, err)
			return
		}
		items = append(items, courseItem{ID: c.ID, Slug: c.Slug, Title: c.Title, Lessons: len(full.Lessons), Builtin: c.Builtin})
	}
	writePage(w, listParams{Limit: len(items)}, items, len(items))
}

func (s *Server) apiTrainingCourse(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.Training.Course(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiUpdateLesson(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		writeError(w, r, errs.NotFound("lesson"))
		return
	}
	var in training.LessonInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	l, err := s.Training.UpdateLesson(r.Context(), id, n, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, l)
}

func (s *Server) apiImportEmployees(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.BodyLimit)
	unit := r.URL.Query().Get("unit")
	if unit == "" {
		writeError(w, r, errs.Invalid("unit", "is required"))
		return
	}
	res, err := s.importEmployees(r, unit, r.Body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) importEmployees(r *http.Request, unit string, body interface{ Read([]byte) (int, error) }) (*training.ImportResult, error) {
	rows, err := training.ParseEmployees(body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errs.Errorf(errs.ETOOLARGE, "CSV is larger than the limit of %d bytes", s.BodyLimit)
	}
	if err != nil {
		return nil, err
	}
	return s.Training.ImportEmployees(r.Context(), unit, rows)
}

func peopleFilter(r *http.Request, lp listParams) training.PeopleFilter {
	q := r.URL.Query()
	return training.PeopleFilter{Unit: q.Get("unit"), Department: q.Get("department"), Query: q.Get("q"), Sort: lp.Sort, Desc: lp.Desc, Offset: lp.Offset, Limit: lp.Limit}
}

func (s *Server) apiTrainingPeople(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, training.PeopleSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := peopleFilter(r, lp)
	if lp.Format != "" {
		if err := s.exportPeople(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	list, total, err := s.Training.People(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) exportPeople(w http.ResponseWriter, r *http.Request, lp listParams, f training.PeopleFilter) error {
	cols := []exportColumn[*training.Person]{
		{"tr.f.name", func(p *training.Person) string { return p.Name }},
		{"tr.f.email", func(p *training.Person) string { return p.Email }},
		{"tr.f.position", func(p *training.Person) string { return p.Position }},
		{"tr.f.department", func(p *training.Person) string { return p.Department }},
		{"common.unit", func(p *training.Person) string { return p.Unit }},
	}
	return exportList(w, r, lp, "employees", cols, func(offset, limit int) ([]*training.Person, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Training.People(r.Context(), f)
	})
}

func (s *Server) apiTrainingCertificate(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var course int64
		course, err = strconv.ParseInt(r.URL.Query().Get("course"), 10, 64)
		if err != nil {
			err = errs.Invalid("course", "must be a course id")
		} else {
			var pdf []byte
			var c *training.Certificate
			if pdf, c, err = s.Training.PersonCertificate(r.Context(), id, course); err == nil {
				w.Header().Set("Content-Type", "application/pdf")
				w.Header().Set("Content-Disposition", `attachment; filename="`+c.Number+`.pdf"`)
				w.Header().Set("Cache-Control", "no-store")
				w.Write(pdf)
				return
			}
		}
	}
	if principalOf(r) != nil && r.URL.Path[:5] != "/api/" {
		s.uiError(w, r, err)
		return
	}
	writeError(w, r, err)
}

func (s *Server) apiCreateTrainingCampaign(w http.ResponseWriter, r *http.Request) {
	var in training.CampaignInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.Training.CreateCampaign(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiTrainingCampaigns(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, training.CampaignSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, total, err := s.Training.Campaigns(r.Context(), lp.Sort, lp.Desc, lp.Offset, lp.Limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiTrainingCampaign(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.Training.Campaign(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func completionFilter(r *http.Request) (training.CompletionFilter, error) {
	q := r.URL.Query()
	f := training.CompletionFilter{Unit: q.Get("unit"), Department: q.Get("department")}
	if v := q.Get("campaign"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return f, errs.Invalid("campaign", "must be a campaign id")
		}
		f.Campaign = n
	}
	return f, nil
}

func (s *Server) apiTrainingCompletion(w http.ResponseWriter, r *http.Request) {
	f, err := completionFilter(r)
	if err == nil {
		var c training.Completion
		if c, err = s.Training.CompletionOf(r.Context(), f); err == nil {
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiTrainingByUnit(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, nil)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := completionFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	rows, err := s.Training.ByUnit(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		lang := exportLang(r)
		cols := []exportColumn[*training.UnitRow]{
			{"common.unit", func(u *training.UnitRow) string { return u.Unit }},
			{"common.name", func(u *training.UnitRow) string { return u.UnitName }},
			{"tr.assigned", func(u *training.UnitRow) string { return strconv.Itoa(u.Assigned) }},
			{"tr.completed", func(u *training.UnitRow) string { return strconv.Itoa(u.Completed) }},
			{"tr.passed", func(u *training.UnitRow) string { return strconv.Itoa(u.Passed) }},
			{"tr.share", func(u *training.UnitRow) string { return strconv.Itoa(u.Share) + "%" }},
			{"tr.target", func(u *training.UnitRow) string { return strconv.Itoa(u.Target) + "%" }},
			{"tr.due", func(u *training.UnitRow) string { return i18n.FormatDate(u.DueAt, lang) }},
		}
		if err := exportList(w, r, lp, "training-units", cols, func(offset, limit int) ([]*training.UnitRow, int, error) {
			return rows[min(offset, len(rows)):min(offset+limit, len(rows))], len(rows), nil
		}); err != nil {
			writeError(w, r, err)
		}
		return
	}
	page := rows[min(lp.Offset, len(rows)):min(lp.Offset+lp.Limit, len(rows))]
	writePage(w, lp, page, len(rows))
}

func assignmentFilter(r *http.Request, lp listParams) (training.AssignmentFilter, error) {
	cf, err := completionFilter(r)
	q := r.URL.Query()
	return training.AssignmentFilter{CompletionFilter: cf, State: q.Get("state"), Query: q.Get("q"), Sort: lp.Sort, Desc: lp.Desc, Offset: lp.Offset, Limit: lp.Limit}, err
}

func (s *Server) apiTrainingAssignments(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, training.AssignmentSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := assignmentFilter(r, lp)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportAssignments(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	list, total, err := s.Training.Assignments(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) exportAssignments(w http.ResponseWriter, r *http.Request, lp listParams, f training.AssignmentFilter) error {
	lang := exportLang(r)
	when := func(t interface{ IsZero() bool }, s func() string) string { return dateOrEmpty(t, s) }
	cols := []exportColumn[*training.Assignment]{
		{"tr.f.name", func(a *training.Assignment) string { return a.Name }},
		{"tr.f.email", func(a *training.Assignment) string { return a.Email }},
		{"tr.f.position", func(a *training.Assignment) string { return a.Position }},
		{"tr.f.department", func(a *training.Assignment) string { return a.Department }},
		{"common.unit", func(a *training.Assignment) string { return a.Unit }},
		{"common.status", func(a *training.Assignment) string { return i18n.T(lang, "tr.state."+a.State) }},
		{"tr.score", func(a *training.Assignment) string { return strconv.Itoa(a.Score) }},
		{"tr.completed_at", func(a *training.Assignment) string {
			return when(a.CompletedAt, func() string { return i18n.FormatTime(a.CompletedAt, lang) })
		}},
		{"tr.due", func(a *training.Assignment) string { return i18n.FormatDate(a.DueAt, lang) }},
	}
	return exportList(w, r, lp, "training", cols, func(offset, limit int) ([]*training.Assignment, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Training.Assignments(r.Context(), f)
	})
}
