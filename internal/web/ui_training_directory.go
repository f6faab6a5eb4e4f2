package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/training"
)

// Directory sync of employees (internal/training/directory.go): the IT
// Center's settings page, "sync now", and every sync with what it did.

func (s *Server) routesTrainingDirectory() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/directory", Tag: "training", Summary: "Directory sync settings: LDAP server, attributes, interval, groups claim and group-to-unit mappings (the IT Center; the bind password is never returned)",
		Result: training.Directory{}, Handler: s.apiTrainingDirectory})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/training/directory", Tag: "training", Summary: "Change the directory sync settings (the IT Center; an empty bind_password keeps the stored one)",
		Body: training.Directory{}, Result: training.Directory{}, Status: http.StatusOK, Handler: s.apiSaveTrainingDirectory})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/training/directory/sync", Tag: "training", Summary: "Sync the employees from the LDAP directory now: added, updated, disabled, and the entries not taken",
		Result: training.SyncRun{}, Status: http.StatusOK, Handler: s.apiSyncTrainingDirectory})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/training/directory/runs", Tag: "training", Summary: "Directory syncs, newest first (?source=ldap|oidc; export with ?format=xlsx)",
		Result: training.SyncRun{}, Paged: true, Sorts: training.SyncRunSortKeys, Query: []string{"source"}, Handler: s.apiTrainingDirectoryRuns})
	s.mux.HandleFunc("GET /training/directory", s.uiAuth(s.uiTrainingDirectory))
	s.mux.HandleFunc("POST /training/directory", s.uiAuth(s.uiSaveTrainingDirectory))
	s.mux.HandleFunc("POST /training/directory/sync", s.uiAuth(s.uiSyncTrainingDirectory))
}

func (s *Server) apiTrainingDirectory(w http.ResponseWriter, r *http.Request) {
	d, err := s.Training.DirectorySettings(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	d.BindPassword = ""
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiSaveTrainingDirectory(w http.ResponseWriter, r *http.Request) {
	var in training.Directory
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	d, err := s.Training.SaveDirectory(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	d.BindPassword = ""
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiSyncTrainingDirectory(w http.ResponseWriter, r *http.Request) {
	run, err := s.Training.SyncLDAP(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, run)
}

func (s *Server) apiTrainingDirectoryRuns(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, training.SyncRunSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	source := r.URL.Query().Get("source")
	if lp.Format != "" {
		if err := s.exportSyncRuns(w, r, lp, source); err != nil {
			writeError(w, r, err)
		}
		return
	}
	list, total, err := s.Training.SyncRuns(r.Context(), source, lp.Sort, lp.Desc, lp.Offset, lp.Limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) exportSyncRuns(w http.ResponseWriter, r *http.Request, lp listParams, source string) error {
	lang := exportLang(r)
	cols := []exportColumn[*training.SyncRun]{
		{"tr.dir.started_at", func(x *training.SyncRun) string { return i18n.FormatTime(x.StartedAt, lang) }},
		{"tr.dir.source", func(x *training.SyncRun) string { return i18n.T(lang, "tr.dir.source."+x.Source) }},
		{"tr.dir.started_by", func(x *training.SyncRun) string { return x.StartedBy }},
		{"tr.dir.entries", func(x *training.SyncRun) string { return strconv.Itoa(x.Entries) }},
		{"tr.dir.added", func(x *training.SyncRun) string { return strconv.Itoa(x.Added) }},
		{"tr.dir.updated", func(x *training.SyncRun) string { return strconv.Itoa(x.Updated) }},
		{"tr.dir.disabled", func(x *training.SyncRun) string { return strconv.Itoa(x.Disabled) }},
		{"tr.dir.problems", func(x *training.SyncRun) string {
			var out []string
			if x.Failure != nil {
				out = append(out, syncProblemText(lang, *x.Failure))
			}
			for _, p := range x.Problems {
				out = append(out, syncProblemText(lang, p))
			}
			return strings.Join(out, "\n")
		}},
	}
	return exportList(w, r, lp, "directory-syncs", cols, func(offset, limit int) ([]*training.SyncRun, int, error) {
		return s.Training.SyncRuns(r.Context(), source, lp.Sort, lp.Desc, offset, limit)
	})
}

// syncProblemText words a sync problem in lang, naming its entry.
func syncProblemText(lang string, p training.SyncProblem) string {
	msg := i18n.T(lang, "tr.dir.problem."+p.Code)
	if strings.Contains(msg, "%s") {
		msg = fmt.Sprintf(msg, p.Detail)
	}
	if p.Entry == "" {
		return msg
	}
	return p.Entry + ": " + msg
}

type trainingDirectoryData struct {
	Form   *formState
	Dir    *training.Directory
	Groups string
	Runs   []syncRunView
	Pager  *pager
	Filter string
	SSO    bool
}

// syncRunView is a sync with its problems worded for the page.
type syncRunView struct {
	*training.SyncRun
	FailureText string
	ProblemText []string
}

var trainingDirectoryFields = []string{"ldap_url", "bind_dn", "bind_password", "base_dn", "user_filter", "attr_email", "attr_name", "attr_position", "attr_department", "sync_hours", "groups_claim", "groups"}

func (s *Server) renderTrainingDirectory(w http.ResponseWriter, r *http.Request, status int, fm *formState) {
	lp, err := readList(r, training.SyncRunSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	source := r.URL.Query().Get("source")
	if lp.Format != "" {
		if err := s.exportSyncRuns(w, r, lp, source); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d := &trainingDirectoryData{Form: fm, Filter: source}
	if d.Dir, err = s.Training.DirectorySettings(r.Context()); err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Groups = training.FormatGroupMappings(d.Dir.Groups)
	runs, total, err := s.Training.SyncRuns(r.Context(), source, lp.Sort, lp.Desc, lp.Offset, lp.Limit)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lang := langOf(r)
	for _, run := range runs {
		v := syncRunView{SyncRun: run}
		if run.Failure != nil {
			v.FailureText = syncProblemText(lang, *run.Failure)
		}
		for _, p := range run.Problems {
			v.ProblemText = append(v.ProblemText, syncProblemText(lang, p))
		}
		d.Runs = append(d.Runs, v)
	}
	d.SSO = s.OIDC != nil
	d.Pager = newPager(r, lp, len(d.Runs), total)
	s.render(w, r, status, "training_directory", s.newPage(r, "training", "tr.dir.title", d))
}

func (s *Server) uiTrainingDirectory(w http.ResponseWriter, r *http.Request) {
	s.renderTrainingDirectory(w, r, http.StatusOK, nil)
}

func (s *Server) uiSaveTrainingDirectory(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form cannot be read"))
		return
	}
	f := r.PostForm
	in := training.Directory{LDAPURL: f.Get("ldap_url"), BindDN: f.Get("bind_dn"), BindPassword: f.Get("bind_password"), BaseDN: f.Get("base_dn"),
		UserFilter: f.Get("user_filter"), AttrEmail: f.Get("attr_email"), AttrName: f.Get("attr_name"), AttrPosition: f.Get("attr_position"),
		AttrDepartment: f.Get("attr_department"), GroupsClaim: f.Get("groups_claim")}
	var err error
	if v := strings.TrimSpace(f.Get("sync_hours")); v != "" {
		if in.SyncHours, err = strconv.Atoi(v); err != nil {
			err = errs.Invalid("sync_hours", "must be from 0 (only on demand) to 168 hours")
		}
	}
	if err == nil {
		in.Groups, err = training.ParseGroupMappings(f.Get("groups"))
	}
	if err == nil {
		_, err = s.Training.SaveDirectory(r.Context(), in)
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderTrainingDirectory(w, r, statusOf(errs.Code(err)), newFormState(r, err, trainingDirectoryFields...))
		return
	}
	redirectSaved(w, r, "/training/directory")
}

func (s *Server) uiSyncTrainingDirectory(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Training.SyncLDAP(r.Context()); err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderTrainingDirectory(w, r, statusOf(errs.Code(err)), newFormState(r, err, trainingDirectoryFields...))
		return
	}
	http.Redirect(w, r, "/training/directory", http.StatusSeeOther)
}
