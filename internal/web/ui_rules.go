package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/pipeline"
)

// CanReadRules says whether the navigation offers the rules page.
func (p *page) CanReadRules() bool { return pipeline.CanReadRules(p.User) }

type rulesData struct {
	Rules     []*pipeline.Rule
	Pager     *pager
	Filter    url.Values
	Levels    []string
	CanManage bool
	Form      *formState
	Refused   int
}

func (s *Server) uiRules(w http.ResponseWriter, r *http.Request) {
	s.renderRules(w, r, http.StatusOK, nil)
}

func (s *Server) renderRules(w http.ResponseWriter, r *http.Request, status int, form *formState) {
	lp, err := readList(r, pipeline.RuleSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f := ruleFilter(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	if lp.Format != "" {
		if err := s.exportRules(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Offset, f.Limit = lp.Offset, lp.Limit
	list, total, err := s.Rules.List(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &rulesData{Rules: list, Pager: newPager(r, lp, len(list), total), Filter: r.URL.Query(), Levels: pipeline.Levels,
		CanManage: pipeline.CanManageRules(principalOf(r)), Form: form}
	s.render(w, r, status, "rules", s.newPage(r, "rules", "rules.title", d))
}

// ruleYAML reads a rule from the form: the file uploaded, else the text
// pasted.
func ruleYAML(r *http.Request) (string, error) {
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, 1<<20))
		if err != nil {
			return "", err
		}
		if len(data) > 0 {
			return string(data), nil
		}
	}
	return r.PostFormValue("yaml"), nil
}

func (s *Server) uiCreateRule(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 2<<20)
	if err := r.ParseMultipartForm(2 << 20); err != nil && err != http.ErrNotMultipart {
		s.uiError(w, r, errs.Invalid("yaml", "paste or upload a Sigma rule"))
		return
	}
	text, err := ruleYAML(r)
	if err == nil {
		var rule *pipeline.Rule
		rule, err = s.Rules.Create(r.Context(), pipeline.RuleInput{YAML: text})
		if err == nil {
			http.Redirect(w, r, "/rules/"+url.PathEscape(rule.ID)+"?flash=saved", http.StatusSeeOther)
			return
		}
	}
	if !formError(err) || errs.Code(err) == errs.EFORBIDDEN {
		s.uiError(w, r, err)
		return
	}
	form := newFormState(r, err, "yaml")
	if form.values["yaml"] == "" {
		form.values["yaml"] = text // an uploaded file comes back as text to fix
	}
	s.renderRules(w, r, statusOf(errs.Code(err)), form)
}

type ruleData struct {
	Rule       *pipeline.Rule
	Exceptions []*pipeline.Exception
	Units      []*org.Unit
	CanManage  bool
	CanExcept  bool
	Form       *formState // the YAML form
	XForm      *formState // the exception form
}

func (s *Server) uiRule(w http.ResponseWriter, r *http.Request) {
	s.renderRule(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderRule(w http.ResponseWriter, r *http.Request, status int, form, xform *formState) {
	id := r.PathValue("id")
	rule, err := s.Rules.Get(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	xs, _, err := s.Rules.Exceptions(r.Context(), pipeline.ExceptionFilter{RuleID: id, Limit: 1000})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	units, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	p := principalOf(r)
	d := &ruleData{Rule: rule, Exceptions: xs, Units: units, CanManage: pipeline.CanManageRules(p),
		CanExcept: pipeline.CanManageRules(p) || p.Role == "officer", Form: form, XForm: xform}
	pg := s.newPage(r, "rules", "rules.rule", d)
	pg.Title = rule.Title
	if rule.Source == pipeline.SourceIOC {
		lang := langOf(r)
		pg.Title = fmt.Sprintf(i18n.T(lang, "rules.ioc_title"), i18n.T(lang, "rules.ioc_kind."+strings.TrimPrefix(rule.ID, "ioc:")))
	}
	s.render(w, r, status, "rule", pg)
}

func (s *Server) uiUpdateRule(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 2<<20)
	if err := r.ParseMultipartForm(2 << 20); err != nil && err != http.ErrNotMultipart {
		s.uiError(w, r, errs.Invalid("yaml", "paste or upload a Sigma rule"))
		return
	}
	id := r.PathValue("id")
	var in pipeline.RulePatch
	switch r.PostFormValue("enabled") {
	case "true":
		v := true
		in.Enabled = &v
	case "false":
		v := false
		in.Enabled = &v
	default:
		text, err := ruleYAML(r)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		in.YAML = &text
	}
	_, err := s.Rules.Update(r.Context(), id, in)
	if err == nil {
		back := "/rules/" + url.PathEscape(id) + "?flash=saved"
		if b := r.PostFormValue("back"); strings.HasPrefix(b, "/rules") && !strings.HasPrefix(b, "//") {
			back = b
		}
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	if !formError(err) || in.YAML == nil || errs.Code(err) == errs.EFORBIDDEN {
		s.uiError(w, r, err)
		return
	}
	s.renderRule(w, r, statusOf(errs.Code(err)), newFormState(r, err, "yaml"), nil)
}

func (s *Server) uiDeleteRule(w http.ResponseWriter, r *http.Request) {
	if err := s.Rules.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.uiError(w, r, err)
		return
	}
	http.Redirect(w, r, "/rules?flash=saved", http.StatusSeeOther)
}

func (s *Server) uiAddRuleException(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	_, err := s.Rules.AddException(r.Context(), id, pipeline.ExceptionInput{Unit: r.PostFormValue("unit"), Note: r.PostFormValue("note")})
	if err == nil {
		http.Redirect(w, r, "/rules/"+url.PathEscape(id)+"?flash=saved#exceptions", http.StatusSeeOther)
		return
	}
	if !formError(err) {
		s.uiError(w, r, err)
		return
	}
	s.renderRule(w, r, statusOf(errs.Code(err)), nil, newFormState(r, err, "unit", "note"))
}

func (s *Server) uiDeleteRuleException(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Rules.DeleteException(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	back := "/rules"
	if rule := r.PostFormValue("rule"); rule != "" {
		back = "/rules/" + url.PathEscape(rule) + "?flash=saved#exceptions"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
