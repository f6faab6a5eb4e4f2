package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/org"
	"vigil/internal/phishing"
	"vigil/internal/training"
)

// The officers' training pages: the dashboard (/training) with completion
// per unit against the deadline, units below target highlighted; a
// campaign (/training/campaigns/{id}) per unit, department and person;
// the form that starts one; employees and their import; courses and the
// IT Center's lesson editor.

type trainingData struct {
	Campaigns []*training.Campaign
	Campaign  *training.Campaign // the one the table shows; nil: all
	Units     []*training.UnitRow
	Total     training.Completion
	ITCenter  bool
	Courses   []*training.Course
	// Drills are the phishing drills' outcomes per unit code.
	Drills map[string]*phishing.UnitResult
}

func (s *Server) uiTraining(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d := &trainingData{}
	var err error
	if d.Campaigns, _, err = s.Training.Campaigns(ctx, "", false, 0, 50); err != nil {
		s.uiError(w, r, err)
		return
	}
	f := training.CompletionFilter{}
	if v := r.URL.Query().Get("campaign"); v != "" {
		id, _ := strconv.ParseInt(v, 10, 64)
		if d.Campaign, err = s.Training.Campaign(ctx, id); err != nil {
			s.uiError(w, r, err)
			return
		}
		f.Campaign = id
	}
	if d.Units, err = s.Training.ByUnit(ctx, f); err != nil {
		s.uiError(w, r, err)
		return
	}
	for _, u := range d.Units {
		d.Total.Assigned += u.Assigned
		d.Total.Completed += u.Completed
		d.Total.Passed += u.Passed
	}
	if d.ITCenter, err = s.Training.ITCenter(ctx); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Courses, err = s.Training.Courses(ctx); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Drills, err = s.Phishing.ByUnit(ctx); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "training", s.newPage(r, "training", "tr.title", d))
}

type trainingCampaignFormData struct {
	Form     *formState
	Courses  []*training.Course
	Units    []*org.Unit
	Selected map[string]bool
}

var trainingCampaignFields = []string{"course", "units", "due_at", "name", "remind_days", "target"}

func (s *Server) renderTrainingCampaignForm(w http.ResponseWriter, r *http.Request, status int, fm *formState) {
	courses, err := s.Training.Courses(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	units, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &trainingCampaignFormData{Form: fm, Courses: courses, Units: units, Selected: map[string]bool{}}
	if fm != nil {
		for _, c := range r.PostForm["units"] {
			d.Selected[c] = true
		}
	}
	s.render(w, r, status, "training_campaign_form", s.newPage(r, "training", "tr.new_campaign", d))
}

func (s *Server) uiNewTrainingCampaign(w http.ResponseWriter, r *http.Request) {
	s.renderTrainingCampaignForm(w, r, http.StatusOK, nil)
}

func (s *Server) uiCreateTrainingCampaign(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form cannot be read"))
		return
	}
	in := training.CampaignInput{Course: r.PostForm.Get("course"), Units: r.PostForm["units"], DueAt: r.PostForm.Get("due_at"), Name: r.PostForm.Get("name")}
	var err error
	if v := strings.TrimSpace(r.PostForm.Get("remind_days")); v != "" {
		if in.RemindDays, err = strconv.Atoi(v); err != nil {
			err = errs.Invalid("remind_days", "must be from 0 to 60 days")
		}
	}
	if v := strings.TrimSpace(r.PostForm.Get("target")); v != "" && err == nil {
		if in.Target, err = strconv.Atoi(v); err != nil {
			err = errs.Invalid("target", "must be a percentage from 1 to 100")
		}
	}
	var c *training.Campaign
	if err == nil {
		c, err = s.Training.CreateCampaign(r.Context(), in)
	}
	if err != nil {
		if errs.Code(err) == errs.EINTERNAL || errs.Code(err) == "" {
			s.uiError(w, r, err)
			return
		}
		s.renderTrainingCampaignForm(w, r, statusOf(errs.Code(err)), newFormState(r, err, trainingCampaignFields...))
		return
	}
	redirectSaved(w, r, "/training/campaigns/"+strconv.FormatInt(c.ID, 10))
}

type trainingCampaignData struct {
	Campaign    *training.Campaign
	Units       []*training.UnitRow
	Departments []*training.DepartmentRow
	Mail        map[string]int
	Rows        []*training.Assignment
	Pager       *pager
	Filter      url.Values
	States      []string
}

func (s *Server) uiTrainingCampaign(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lp, err := readList(r, training.AssignmentSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := assignmentFilter(r, lp)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f.Campaign = id
	ctx := r.Context()
	d := &trainingCampaignData{Filter: r.URL.Query(), States: training.AssignmentStates}
	if d.Campaign, err = s.Training.Campaign(ctx, id); err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportAssignments(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	cf := training.CompletionFilter{Campaign: id}
	if d.Units, err = s.Training.ByUnit(ctx, cf); err == nil {
		if d.Departments, err = s.Training.ByDepartment(ctx, cf); err == nil {
			d.Mail, err = s.Training.MailCounts(ctx, id)
		}
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	var total int
	if d.Rows, total, err = s.Training.Assignments(ctx, f); err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Pager = newPager(r, lp, len(d.Rows), total)
	s.render(w, r, http.StatusOK, "training_campaign", s.newPage(r, "training", "tr.campaign", d))
}

type trainingPeopleData struct {
	Rows   []*training.Person
	Pager  *pager
	Filter url.Values
	Units  []*org.Unit
	Result *training.ImportResult
	Form   *formState
}

func (s *Server) uiTrainingPeople(w http.ResponseWriter, r *http.Request) {
	s.renderTrainingPeople(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderTrainingPeople(w http.ResponseWriter, r *http.Request, status int, res *training.ImportResult, fm *formState) {
	lp, err := readList(r, training.PeopleSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f := peopleFilter(r, lp)
	if lp.Format != "" {
		if err := s.exportPeople(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d := &trainingPeopleData{Filter: r.URL.Query(), Result: res, Form: fm}
	var total int
	if d.Rows, total, err = s.Training.People(r.Context(), f); err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Pager = newPager(r, lp, len(d.Rows), total)
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "training_people", s.newPage(r, "training", "tr.people", d))
}

func (s *Server) uiImportEmployees(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.BodyLimit)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		s.renderTrainingPeople(w, r, http.StatusBadRequest, nil, newFormState(r, errs.Invalid("file", "choose a CSV file"), "unit", "file"))
		return
	}
	unit := r.PostFormValue("unit")
	file, _, err := r.FormFile("file")
	var res *training.ImportResult
	if err != nil {
		err = errs.Invalid("file", "choose a CSV file")
	} else {
		defer file.Close()
		if unit == "" {
			err = errs.Invalid("unit", "is required")
		} else {
			res, err = s.importEmployees(r, unit, file)
		}
	}
	if err != nil {
		s.renderTrainingPeople(w, r, statusOf(errs.Code(err)), nil, newFormState(r, err, "unit", "file"))
		return
	}
	s.renderTrainingPeople(w, r, http.StatusOK, res, nil)
}

type trainingCourseData struct {
	Course   *training.Course
	Bodies   []template.HTML
	ITCenter bool
	Images   []*training.Image
	Form     *formState // the image upload refused
}

func (s *Server) uiTrainingCourse(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	c, err := s.Training.Course(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &trainingCourseData{Course: c}
	for _, l := range c.Lessons {
		d.Bodies = append(d.Bodies, training.RenderMarkdown(l.Body))
	}
	if d.ITCenter, err = s.Training.ITCenter(r.Context()); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.ITCenter {
		if d.Images, err = s.Training.Images(r.Context(), c.ID); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	d.Form = imageForm(r)
	p := s.newPage(r, "training", "tr.course", d)
	p.Title = c.Title
	status := http.StatusOK
	if d.Form != nil {
		status = statusOf(errs.Code(imageErr(r)))
	}
	s.render(w, r, status, "training_course", p)
}

type lessonFormData struct {
	Course *training.Course
	Lesson *training.Lesson
	Form   *formState
}

func (s *Server) lessonOf(r *http.Request) (*training.Course, *training.Lesson, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, nil, err
	}
	n, _ := strconv.Atoi(r.PathValue("n"))
	c, err := s.Training.Course(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range c.Lessons {
		if l.Position == n {
			return c, l, nil
		}
	}
	return nil, nil, errs.NotFound("lesson")
}

func (s *Server) uiEditLesson(w http.ResponseWriter, r *http.Request) {
	c, l, err := s.lessonOf(r)
	if err == nil {
		var ok bool
		if ok, err = s.Training.ITCenter(r.Context()); err == nil && !ok {
			err = errs.Forbidden("only the IT Center edits courses")
		}
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	fm := &formState{values: map[string]string{"title": l.Title, "body": l.Body, "title_en": l.TitleEN, "body_en": l.BodyEN, "quiz": l.Quiz}}
	s.render(w, r, http.StatusOK, "training_lesson_form", s.newPage(r, "training", "tr.edit_lesson", &lessonFormData{Course: c, Lesson: l, Form: fm}))
}

func (s *Server) uiSaveLesson(w http.ResponseWriter, r *http.Request) {
	c, l, err := s.lessonOf(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	in := lessonInput(r)
	if _, err := s.Training.UpdateLesson(r.Context(), c.ID, l.Position, in); err != nil {
		if errs.Code(err) == errs.EFORBIDDEN || errs.Code(err) == errs.EINTERNAL || errs.Code(err) == "" {
			s.uiError(w, r, err)
			return
		}
		s.render(w, r, statusOf(errs.Code(err)), "training_lesson_form", s.newPage(r, "training", "tr.edit_lesson",
			&lessonFormData{Course: c, Lesson: l, Form: newFormState(r, err, lessonFields...)}))
		return
	}
	redirectSaved(w, r, "/training/courses/"+strconv.FormatInt(c.ID, 10))
}
