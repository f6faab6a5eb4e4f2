package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/org"
)

// findingView is a finding with its evidence decoded for the templates.
type findingView struct {
	*findings.Finding
	Malware *findings.MalwareEvidence
}

func viewFindings(fs []*findings.Finding) []findingView {
	out := make([]findingView, 0, len(fs))
	for _, f := range fs {
		v := findingView{Finding: f}
		if f.Kind == findings.KindMalware {
			var m findings.MalwareEvidence
			if json.Unmarshal(f.Evidence, &m) == nil {
				v.Malware = &m
			}
		}
		out = append(out, v)
	}
	return out
}

// evidenceText is a finding's evidence on one line, for exports.
func evidenceText(f *findings.Finding) string {
	var m map[string]any
	if json.Unmarshal(f.Evidence, &m) != nil {
		return string(f.Evidence)
	}
	var parts []string
	for _, k := range []string{"match", "indicator_type", "indicator", "path", "sha256", "process", "pid", "remote", "domain", "cve", "cvss", "update", "product", "installed", "fixed_in", "list", "seen", "task_id"} {
		v, ok := m[k]
		if !ok || v == "" || v == nil || v == float64(0) || v == false {
			continue
		}
		parts = append(parts, k+"="+strings.TrimSpace(strings.ReplaceAll(jsonText(v), "\n", " ")))
	}
	return strings.Join(parts, "; ")
}

func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

type findingsData struct {
	Findings   []findingView
	Pager      *pager
	Filter     url.Values
	Units      []*org.Unit
	Kinds      []string
	Statuses   []string
	Severities []string
	CanWrite   bool // the caller may change findings somewhere in view
	Form       findingsForm
}

// findingsForm is the bulk change form, kept when it comes back with an
// error.
type findingsForm struct {
	Status, Note, Owner, Due string
	Approver, Expires        string
	Error, Field             string
}

// uiFindings is the findings queue: every kind, filtered, sorted, paged,
// exported, with a bulk change for the selected rows.
func (s *Server) uiFindings(w http.ResponseWriter, r *http.Request) {
	s.renderFindings(w, r, http.StatusOK, findingsForm{})
}

func (s *Server) renderFindings(w http.ResponseWriter, r *http.Request, status int, form findingsForm) {
	q := r.URL.Query()
	if !q.Has("status") && !q.Has("sort") && !q.Has("kind") && !q.Has("unit") && !q.Has("overdue") && !q.Has("severity") && !q.Has("cve") && !q.Has("kev") {
		// The queue opens on what is still to do, most severe first.
		q.Set("status", "active")
		q.Set("sort", "severity")
		q.Set("order", "desc")
		r.URL.RawQuery = q.Encode()
	}
	lp, err := readList(r, findings.SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := findingFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportFindings(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Findings.List(r.Context(), f)
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
	d := &findingsData{Findings: viewFindings(list), Pager: newPager(r, lp, len(list), total), Filter: q, Units: units,
		Kinds: findings.Kinds, Statuses: findings.Statuses, Severities: findings.Severities, Form: form,
		CanWrite: p.Role == "admin" || p.Role == "officer"}
	s.render(w, r, status, "findings", s.newPage(r, "findings", "findings.title", d))
}

// uiUpdateFindings applies the bulk form to the selected findings and
// returns to the same view of the queue.
func (s *Server) uiUpdateFindings(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	back := safeNext(r.PostForm.Get("back"))
	var ids []int64
	for _, v := range r.PostForm["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			s.uiError(w, r, errs.Invalid("id", "not a finding"))
			return
		}
		ids = append(ids, id)
	}
	form := findingsForm{Status: r.PostForm.Get("status"), Note: r.PostForm.Get("note"), Owner: r.PostForm.Get("owner"), Due: r.PostForm.Get("due"),
		Approver: r.PostForm.Get("approver"), Expires: r.PostForm.Get("expires")}
	var in findings.Update
	if form.Status != "" {
		in.Status = &form.Status
	}
	if strings.TrimSpace(form.Note) != "" {
		in.Note = &form.Note
	}
	if strings.TrimSpace(form.Owner) != "" {
		in.Owner = &form.Owner
	}
	if strings.TrimSpace(form.Due) != "" {
		in.Due = &form.Due
	}
	if strings.TrimSpace(form.Approver) != "" {
		in.Approver = &form.Approver
	}
	if strings.TrimSpace(form.Expires) != "" {
		in.Expires = &form.Expires
	}
	if len(ids) == 0 {
		err := errs.Invalid("id", "choose at least one finding")
		form.Error, form.Field = messageOf(langOf(r), err), "id"
		s.reRenderFindings(w, r, back, form)
		return
	}
	if _, err := s.Findings.UpdateMany(r.Context(), ids, in); err != nil {
		e, ok := errs.As(err)
		if !ok || e.Code == errs.EINTERNAL {
			s.uiError(w, r, err)
			return
		}
		form.Error, form.Field = messageOf(langOf(r), err), e.Field
		s.reRenderFindings(w, r, back, form)
		return
	}
	redirectSaved(w, r, back)
}

// reRenderFindings shows the queue the form came from with the form's
// input and its error.
func (s *Server) reRenderFindings(w http.ResponseWriter, r *http.Request, back string, form findingsForm) {
	u, _ := url.Parse(back)
	r2 := r.Clone(r.Context())
	r2.Method = http.MethodGet
	r2.URL = &url.URL{Path: "/findings"}
	if u != nil && u.Path == "/findings" {
		r2.URL.RawQuery = u.RawQuery
	}
	s.renderFindings(w, r2, http.StatusBadRequest, form)
}

func (s *Server) uiUpdateFinding(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	status, note := r.PostFormValue("status"), r.PostFormValue("note")
	in := findings.Update{Status: &status, Note: &note}
	if v := r.PostFormValue("approver"); v != "" {
		in.Approver = &v
	}
	if v := r.PostFormValue("expires"); v != "" {
		in.Expires = &v
	}
	f, err := s.Findings.Update(r.Context(), id, in)
	if err != nil {
		// A change the hub refused comes back on the host's page, in the
		// finding's row, with what was typed.
		if cur, gerr := s.Findings.Get(r.Context(), id); gerr == nil && formError(err) {
			s.renderHost(w, r, statusOf(errs.Code(err)), cur.HostID, newFormState(r, err, "status", "note", "approver", "expires"), id)
			return
		}
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/hosts/"+strconv.FormatInt(f.HostID, 10))
}
