package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"vigil/internal/advisory"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
)

// The advisories' pages: the list (/advisories) with what waits for the
// reader's unit first, the form that drafts or edits one
// (/advisories/new, /advisories/{id}/edit), an advisory with its target
// units' answers and the officer's buttons (/advisories/{id}), and the
// overdue units across advisories (/advisories/overdue).

type advisoriesData struct {
	Rows       []*advisory.Advisory
	Pager      *pager
	Filter     url.Values
	Units      []*org.Unit
	Statuses   []string
	Severities []string
	Waiting    []*advisory.Advisory // issued, not completed by the reader's unit
	ITCenter   bool
}

func (s *Server) uiAdvisories(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, advisory.SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := advisoryFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportAdvisories(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Advisories.List(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	itc, err := s.Advisories.ITCenter(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &advisoriesData{Rows: list, Pager: newPager(r, lp, len(list), total), Filter: r.URL.Query(), Statuses: advisory.Statuses,
		Severities: advisory.Severities, ITCenter: itc}
	if !itc && lp.Offset == 0 {
		if d.Waiting, _, err = s.Advisories.List(r.Context(), advisory.Filter{Waiting: true, Limit: 20}); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "advisories", s.newPage(r, "advisories", "adv.title", d))
}

// advisoryFormData is the draft form, new or edit.
type advisoryFormData struct {
	Advisory   *advisory.Advisory // nil for a new one
	Form       *formState
	Units      []*org.Unit
	Selected   map[string]bool
	AllUnits   bool
	Severities []string
	Issuers    []string
	Locked     bool // issued: the targets no longer change
}

// advisoryFormFields are the inputs the form shows (for errors beside them).
var advisoryFormFields = []string{"title", "severity", "summary", "products", "cves", "actions", "deadline", "issuer", "link", "units"}

func (s *Server) renderAdvisoryForm(w http.ResponseWriter, r *http.Request, status int, a *advisory.Advisory, fm *formState) {
	units, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &advisoryFormData{Advisory: a, Form: fm, Units: units, Selected: map[string]bool{}, Severities: advisory.Severities, Issuers: advisory.Issuers}
	lang := langOf(r)
	switch {
	case fm != nil: // as typed
		for _, c := range r.PostForm["units"] {
			d.Selected[c] = true
		}
		d.AllUnits = r.PostForm.Get("targets") == "all"
	case a != nil:
		for _, c := range a.Units {
			d.Selected[c] = true
		}
		d.AllUnits = a.AllUnits
		fm = &formState{values: map[string]string{"title": a.Title, "severity": a.Severity, "summary": a.Summary, "products": strings.Join(a.Products, "\n"),
			"cves": strings.Join(a.CVEs, ", "), "actions": a.Actions, "issuer": a.Issuer, "link": a.Link}}
		if !a.Deadline.IsZero() {
			fm.values["deadline"] = i18n.FormatDate(a.Deadline, "vi") // dd/mm/yyyy
		}
		d.Form = fm
	default:
		d.AllUnits = true
	}
	title := "adv.new"
	if a != nil {
		title = "adv.edit"
		d.Locked = a.Status != advisory.StatusDraft
	}
	p := s.newPage(r, "advisories", title, d)
	if a != nil {
		p.Title = i18n.T(lang, title) + " " + a.Ref
	}
	s.render(w, r, status, "advisory_form", p)
}

func (s *Server) uiNewAdvisory(w http.ResponseWriter, r *http.Request) {
	ok, err := s.Advisories.ITCenter(r.Context())
	if err != nil || !ok {
		s.uiError(w, r, firstErr(err, errs.Forbidden("only the IT Center (the root unit's officers and administrators) writes and issues advisories")))
		return
	}
	s.renderAdvisoryForm(w, r, http.StatusOK, nil, nil)
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// advisoryInput reads the form.
func advisoryInput(r *http.Request) advisory.Input {
	f := r.PostForm
	in := advisory.Input{Title: f.Get("title"), Severity: f.Get("severity"), Summary: f.Get("summary"), Products: []string{f.Get("products")},
		CVEs: []string{f.Get("cves")}, Actions: f.Get("actions"), Deadline: f.Get("deadline"), Issuer: f.Get("issuer"), Link: f.Get("link"),
		AllUnits: f.Get("targets") == "all", Units: f["units"]}
	return in
}

func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return errs.Invalid("", "the form is too large")
	}
	return nil
}

func (s *Server) uiCreateAdvisory(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	a, err := s.Advisories.Create(r.Context(), advisoryInput(r))
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderAdvisoryForm(w, r, statusOf(errs.Code(err)), nil, newFormState(r, err, advisoryFormFields...))
		return
	}
	redirectSaved(w, r, "/advisories/"+strconv.FormatInt(a.ID, 10))
}

func (s *Server) uiEditAdvisory(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	a, err := s.Advisories.Get(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if ok, err := s.Advisories.ITCenter(r.Context()); err != nil || !ok {
		s.uiError(w, r, firstErr(err, errs.Forbidden("only the IT Center (the root unit's officers and administrators) writes and issues advisories")))
		return
	}
	s.renderAdvisoryForm(w, r, http.StatusOK, a, nil)
}

func (s *Server) uiUpdateAdvisory(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	a, err := s.Advisories.Get(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	in := advisoryInput(r)
	products, cves := in.Products, in.CVEs
	patch := advisory.Patch{Title: &in.Title, Severity: &in.Severity, Summary: &in.Summary, Products: &products, CVEs: &cves, Actions: &in.Actions,
		Deadline: &in.Deadline, Issuer: &in.Issuer, Link: &in.Link}
	if a.Status == advisory.StatusDraft {
		patch.AllUnits, patch.Units = &in.AllUnits, &in.Units
	}
	if _, err := s.Advisories.Update(r.Context(), id, patch); err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderAdvisoryForm(w, r, statusOf(errs.Code(err)), a, newFormState(r, err, advisoryFormFields...))
		return
	}
	redirectSaved(w, r, "/advisories/"+strconv.FormatInt(id, 10))
}

type advisoryData struct {
	A         *advisory.Advisory
	Targets   []*advisory.Target
	Pager     *pager
	Filter    url.Values
	States    []string
	ITCenter  bool
	Form      *formState
	FormFor   string             // "ack", "complete", "withdraw", "issue": the form that came back
	Answer    []*advisory.Target // targets on the page the reader may answer for
	CanAnswer bool               // the reader's own unit is a target still to complete and they may write there
}

func (s *Server) renderAdvisory(w http.ResponseWriter, r *http.Request, status int, formFor string, fm *formState) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lp, err := readList(r, advisory.TargetSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := targetFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportAdvisoryUnits(w, r, lp, id, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	a, err := s.Advisories.Get(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	ts, total, err := s.Advisories.Targets(r.Context(), id, f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	itc, err := s.Advisories.ITCenter(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	p := principalOf(r)
	d := &advisoryData{A: a, Targets: ts, Pager: newPager(r, lp, len(ts), total), Filter: r.URL.Query(), States: advisory.States, ITCenter: itc,
		Form: fm, FormFor: formFor}
	if a.Status == advisory.StatusIssued {
		for _, t := range ts {
			if t.State != advisory.StateCompleted && p.CanWrite(t.Path) {
				d.Answer = append(d.Answer, t)
			}
		}
		d.CanAnswer = a.Mine != nil && a.Mine.State != advisory.StateCompleted && p.CanWrite(p.UnitPath)
	}
	pg := s.newPage(r, "advisories", "adv.title", d)
	pg.Title = a.Ref + " — " + a.Title
	s.render(w, r, status, "advisory", pg)
}

func (s *Server) uiAdvisory(w http.ResponseWriter, r *http.Request) {
	s.renderAdvisory(w, r, http.StatusOK, "", nil)
}

// advisoryAction runs a form's action on the advisory and comes back to
// its page: saved, or the form with its input and the reason.
func (s *Server) advisoryAction(w http.ResponseWriter, r *http.Request, name string, fields []string, do func(id int64) error) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := do(id); err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderAdvisory(w, r, statusOf(errs.Code(err)), name, newFormState(r, err, fields...))
		return
	}
	redirectSaved(w, r, "/advisories/"+strconv.FormatInt(id, 10))
}

func (s *Server) uiIssueAdvisory(w http.ResponseWriter, r *http.Request) {
	s.advisoryAction(w, r, "issue", nil, func(id int64) error {
		_, err := s.Advisories.Issue(r.Context(), id)
		return err
	})
}

func (s *Server) uiWithdrawAdvisory(w http.ResponseWriter, r *http.Request) {
	s.advisoryAction(w, r, "withdraw", []string{"reason"}, func(id int64) error {
		_, err := s.Advisories.Withdraw(r.Context(), id, r.PostForm.Get("reason"))
		return err
	})
}

func (s *Server) uiAnswerAdvisory(complete bool) http.HandlerFunc {
	name := "ack"
	if complete {
		name = "complete"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		s.advisoryAction(w, r, name, []string{"unit", "note", "evidence"}, func(id int64) error {
			in := advisory.Answer{Unit: r.PostForm.Get("unit"), Note: r.PostForm.Get("note"), Evidence: r.PostForm.Get("evidence")}
			var err error
			if complete {
				_, err = s.Advisories.Complete(r.Context(), id, in)
			} else {
				_, err = s.Advisories.Acknowledge(r.Context(), id, in)
			}
			return err
		})
	}
}

type overdueData struct {
	Rows   []*advisory.Late
	Pager  *pager
	Filter url.Values
	Units  []*org.Unit
}

func (s *Server) uiOverdueAdvisories(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, advisory.OverdueSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f := advisory.OverdueFilter{Unit: r.URL.Query().Get("unit")}
	if lp.Format != "" {
		if err := s.exportOverdue(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Advisories.Overdue(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &overdueData{Rows: list, Pager: newPager(r, lp, len(list), total), Filter: r.URL.Query()}
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "advisories_overdue", s.newPage(r, "advisories", "adv.overdue.title", d))
}

// advisoryUnitSection adds a unit's advisories to its page: those waiting
// for it and those overdue.
func (s *Server) advisoryUnitSection(r *http.Request, u *org.Unit) (*unitSection, error) {
	lang := langOf(r)
	_, open, err := s.Advisories.List(r.Context(), advisory.Filter{Unit: u.Code, Status: advisory.StatusIssued, Limit: 1})
	if err != nil {
		return nil, err
	}
	_, late, err := s.Advisories.Overdue(r.Context(), advisory.OverdueFilter{Unit: u.Code, Limit: 1})
	if err != nil {
		return nil, err
	}
	code := url.QueryEscape(u.Code)
	return &unitSection{Title: i18n.T(lang, "adv.title"), Link: "/advisories?unit=" + code, Stats: []cardStat{
		{Label: i18n.T(lang, "adv.card.issued"), Value: i18n.Number(open, lang), Link: "/advisories?status=issued&unit=" + code},
		{Label: i18n.T(lang, "adv.card.overdue_units"), Value: i18n.Number(late, lang), Bad: late > 0, Link: "/advisories/overdue?unit=" + code},
	}}, nil
}

// Exports.

func (s *Server) exportAdvisories(w http.ResponseWriter, r *http.Request, lp listParams, f advisory.Filter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	n := strconv.Itoa
	cols := []exportColumn[*advisory.Advisory]{
		{"adv.ref", func(x *advisory.Advisory) string { return x.Ref }},
		{"adv.f.title", func(x *advisory.Advisory) string { return x.Title }},
		{"adv.f.severity", func(x *advisory.Advisory) string { return i18n.T(lang, "adv.sev."+x.Severity) }},
		{"adv.f.issuer", func(x *advisory.Advisory) string { return x.Issuer }},
		{"common.status", func(x *advisory.Advisory) string { return i18n.T(lang, "adv.status."+x.Status) }},
		{"adv.f.deadline", func(x *advisory.Advisory) string { return i18n.FormatDate(x.Deadline, lang) }},
		{"adv.f.cves", func(x *advisory.Advisory) string { return strings.Join(x.CVEs, " ") }},
		{"adv.f.products", func(x *advisory.Advisory) string { return strings.Join(x.Products, "; ") }},
		{"adv.targets", func(x *advisory.Advisory) string { return n(x.Targets) }},
		{"adv.acked", func(x *advisory.Advisory) string { return n(x.Acked) }},
		{"adv.completed", func(x *advisory.Advisory) string { return n(x.Completed) }},
		{"adv.overdue", func(x *advisory.Advisory) string { return n(x.Overdue) }},
		{"adv.issued_at", func(x *advisory.Advisory) string { return i18n.FormatTime(x.IssuedAt, lang) }},
		{"adv.f.link", func(x *advisory.Advisory) string { return x.Link }},
	}
	return exportList(w, r, lp, "advisories", cols, func(offset, limit int) ([]*advisory.Advisory, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Advisories.List(r.Context(), f)
	})
}

func targetStateText(lang string, t *advisory.Target) string {
	s := i18n.T(lang, "adv.state."+t.State)
	if t.Overdue {
		s += " — " + i18n.T(lang, "adv.overdue")
	}
	return s
}

func cveCounts(x *advisory.Target) string {
	var parts []string
	for _, c := range x.ByCVE {
		parts = append(parts, c.CVE+": "+strconv.Itoa(c.Count))
	}
	return strings.Join(parts, "; ")
}

func (s *Server) exportAdvisoryUnits(w http.ResponseWriter, r *http.Request, lp listParams, id int64, f advisory.TargetFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*advisory.Target]{
		{"common.unit", func(x *advisory.Target) string { return x.Unit }},
		{"common.name", func(x *advisory.Target) string { return x.UnitName }},
		{"common.status", func(x *advisory.Target) string { return targetStateText(lang, x) }},
		{"adv.acked_at", func(x *advisory.Target) string { return i18n.FormatTime(x.AckedAt, lang) }},
		{"adv.acked_by", func(x *advisory.Target) string { return whoText(lang, x.AckedBy) }},
		{"adv.completed_at", func(x *advisory.Target) string { return i18n.FormatTime(x.CompletedAt, lang) }},
		{"adv.completed_by", func(x *advisory.Target) string { return whoText(lang, x.CompletedBy) }},
		{"field.note", func(x *advisory.Target) string { return x.Note }},
		{"adv.days_late", func(x *advisory.Target) string { return strconv.Itoa(x.DaysLate) }},
		{"adv.findings", func(x *advisory.Target) string { return strconv.Itoa(x.Findings) }},
		{"adv.findings_by_cve", cveCounts},
	}
	return exportList(w, r, lp, "advisory-"+strconv.FormatInt(id, 10)+"-units", cols, func(offset, limit int) ([]*advisory.Target, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Advisories.Targets(r.Context(), id, f)
	})
}

func (s *Server) exportOverdue(w http.ResponseWriter, r *http.Request, lp listParams, f advisory.OverdueFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*advisory.Late]{
		{"adv.ref", func(x *advisory.Late) string { return x.Ref }},
		{"adv.f.title", func(x *advisory.Late) string { return x.Title }},
		{"adv.f.severity", func(x *advisory.Late) string { return i18n.T(lang, "adv.sev."+x.Severity) }},
		{"adv.f.deadline", func(x *advisory.Late) string { return i18n.FormatDate(x.Deadline, lang) }},
		{"common.unit", func(x *advisory.Late) string { return x.Unit }},
		{"common.name", func(x *advisory.Late) string { return x.UnitName }},
		{"common.status", func(x *advisory.Late) string { return i18n.T(lang, "adv.state."+x.State) }},
		{"adv.acked_at", func(x *advisory.Late) string { return i18n.FormatTime(x.AckedAt, lang) }},
		{"adv.days_late", func(x *advisory.Late) string { return strconv.Itoa(x.DaysLate) }},
	}
	return exportList(w, r, lp, "advisories-overdue", cols, func(offset, limit int) ([]*advisory.Late, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Advisories.Overdue(r.Context(), f)
	})
}
