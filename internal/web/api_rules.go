package web

import (
	"net/http"
	"strconv"

	"vigil/internal/i18n"
	"vigil/internal/pipeline"
)

// ruleFilter reads the rules list's query parameters, shared by the API
// and the page.
func ruleFilter(r *http.Request) pipeline.RuleFilter {
	q := r.URL.Query()
	return pipeline.RuleFilter{Q: q.Get("q"), Source: q.Get("source"), Level: q.Get("level"), Enabled: q.Get("enabled")}
}

func (s *Server) apiListRules(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, pipeline.RuleSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := ruleFilter(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	if lp.Format != "" {
		if err := s.exportRules(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Offset, f.Limit = lp.Offset, lp.Limit
	list, total, err := s.Rules.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// exportRules writes the rules f selects as CSV or XLSX.
func (s *Server) exportRules(w http.ResponseWriter, r *http.Request, lp listParams, f pipeline.RuleFilter) error {
	lang := exportLang(r)
	cols := []exportColumn[*pipeline.Rule]{
		{"rules.id", func(x *pipeline.Rule) string { return x.ID }},
		{"rules.title", func(x *pipeline.Rule) string { return x.Title }},
		{"rules.level", func(x *pipeline.Rule) string { return i18n.T(lang, "rules.level."+x.Level) }},
		{"rules.source", func(x *pipeline.Rule) string { return i18n.T(lang, "rules.source."+x.Source) }},
		{"rules.enabled", func(x *pipeline.Rule) string { return i18n.T(lang, "rules.enabled."+strconv.FormatBool(x.Enabled)) }},
		{"rules.hits", func(x *pipeline.Rule) string { return strconv.FormatInt(x.Hits24h, 10) }},
		{"rules.error", func(x *pipeline.Rule) string { return x.Error }},
		{"rules.path", func(x *pipeline.Rule) string { return x.Path }},
		{"rules.updated", func(x *pipeline.Rule) string { return i18n.FormatTime(x.UpdatedAt, lang) }},
	}
	return exportList(w, r, lp, "rules", cols, func(offset, limit int) ([]*pipeline.Rule, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Rules.List(r.Context(), f)
	})
}

func (s *Server) apiCreateRule(w http.ResponseWriter, r *http.Request) {
	var in pipeline.RuleInput
	if err := s.decodeJSONLimit(w, r, &in, 1<<20); err != nil {
		writeError(w, r, err)
		return
	}
	rule, err := s.Rules.Create(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rule)
}

func (s *Server) apiGetRule(w http.ResponseWriter, r *http.Request) {
	rule, err := s.Rules.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rule)
}

func (s *Server) apiUpdateRule(w http.ResponseWriter, r *http.Request) {
	var in pipeline.RulePatch
	if err := s.decodeJSONLimit(w, r, &in, 1<<20); err != nil {
		writeError(w, r, err)
		return
	}
	rule, err := s.Rules.Update(r.Context(), r.PathValue("id"), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rule)
}

func (s *Server) apiDeleteRule(w http.ResponseWriter, r *http.Request) {
	if err := s.Rules.Delete(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiListRuleExceptions(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, pipeline.ExceptionSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := pipeline.ExceptionFilter{RuleID: q.Get("rule"), Unit: q.Get("unit"), Sort: lp.Sort, Desc: lp.Desc}
	if id := r.PathValue("id"); id != "" {
		f.RuleID = id
	}
	if lp.Format != "" {
		lang := exportLang(r)
		cols := []exportColumn[*pipeline.Exception]{
			{"rules.id", func(x *pipeline.Exception) string { return x.RuleID }},
			{"rules.title", func(x *pipeline.Exception) string { return x.RuleTitle }},
			{"common.unit", func(x *pipeline.Exception) string { return x.Unit + " " + x.UnitName }},
			{"rules.exception_note", func(x *pipeline.Exception) string { return x.Note }},
			{"rules.created_by", func(x *pipeline.Exception) string { return x.CreatedBy }},
			{"rules.created", func(x *pipeline.Exception) string { return i18n.FormatTime(x.CreatedAt, lang) }},
		}
		if err := exportList(w, r, lp, "rule-exceptions", cols, func(offset, limit int) ([]*pipeline.Exception, int, error) {
			f.Offset, f.Limit = offset, limit
			return s.Rules.Exceptions(r.Context(), f)
		}); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Offset, f.Limit = lp.Offset, lp.Limit
	list, total, err := s.Rules.Exceptions(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiAddRuleException(w http.ResponseWriter, r *http.Request) {
	var in pipeline.ExceptionInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	x, err := s.Rules.AddException(r.Context(), r.PathValue("id"), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, x)
}

func (s *Server) apiDeleteRuleException(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Rules.DeleteException(r.Context(), id); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
