package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/attach"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/incident"
)

// routesIncidents lists the API routes and pages of incident cases
// (internal/incident, issue 13).
func (s *Server) routesIncidents() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents", Tag: "incidents", Summary: "Incident cases in scope (of ?unit=CODE's subtree), most severe open first; report_due_at is the next national report deadline",
		Result: incident.Case{}, Paged: true, Sorts: incident.SortKeys, Query: []string{"unit", "status", "severity", "category", "q", "mine"}, Handler: s.apiListIncidents})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/incidents", Tag: "incidents", Summary: "Open an incident case: title, category (dos, phishing, malware, intrusion, defacement, ransomware, destruction, espionage, combined, other), severity, units, alerts",
		Body: incident.Input{}, Result: incident.Case{}, Handler: s.apiCreateIncident})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/timers", Tag: "incidents", Summary: "The running clocks of the cases in scope (national report deadlines and the SOC's targets), soonest first; ?sort=due|ref|clock|severity|unit, ?format=csv|xlsx",
		Result: incident.TimerRow{}, Paged: true, Query: []string{"unit", "legal"}, Handler: s.apiIncidentTimers})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/summary", Tag: "incidents", Summary: "Monthly summary of the cases detected in ?month=YYYY-MM (of ?unit=CODE): counts by category, unit, severity; median and mean time to contain",
		Result: incident.Summary{}, Query: []string{"month", "unit"}, Handler: s.apiIncidentSummary})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/settings", Tag: "incidents", Summary: "The incident clocks' rules (report deadlines, calendar or working days, the SOC's targets)",
		Result: incident.Settings{}, Handler: s.apiIncidentSettings})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/incidents/settings", Tag: "incidents", Summary: "Change the incident clocks' rules (the IT Center)",
		Body: incident.Settings{}, Result: incident.Settings{}, Status: http.StatusOK, Handler: s.apiSaveIncidentSettings})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/{id}", Tag: "incidents", Summary: "An incident case with its units, hosts, participants, alerts and clocks",
		Result: incident.Case{}, Handler: s.apiGetIncident})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/incidents/{id}", Tag: "incidents", Summary: "Change an incident case (only the fields sent)",
		Body: incident.Patch{}, Result: incident.Case{}, Handler: s.apiUpdateIncident})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/incidents/{id}/status", Tag: "incidents", Summary: "Move a case: new, triage, containment, eradication, recovery, closed (closing needs a note)",
		Body: incident.StatusInput{}, Result: incident.Case{}, Status: http.StatusOK, Handler: s.apiIncidentStatus})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/incidents/{id}/notes", Tag: "incidents", Summary: "Write a note on a case's timeline",
		Body: incident.NoteInput{}, Result: incident.Entry{}, Handler: s.apiIncidentNote})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/{id}/timeline", Tag: "incidents", Summary: "A case's timeline, newest first (?oldest=true oldest first; ?kind= one kind)",
		Result: incident.Entry{}, Paged: true, Query: []string{"kind", "oldest"}, Handler: s.apiIncidentTimeline})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/{id}/tasks", Tag: "incidents", Summary: "A case's tasks, open ones first by due time",
		Result: incident.Task{}, Handler: s.apiIncidentTasks})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/incidents/{id}/tasks", Tag: "incidents", Summary: "Add a task (title, owner e-mail, due dd/mm/yyyy hh:mm)",
		Body: incident.TaskInput{}, Result: incident.Task{}, Handler: s.apiIncidentAddTask})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/incidents/{id}/tasks/{task}/done", Tag: "incidents", Summary: "Mark a task done",
		Result: incident.Task{}, Status: http.StatusOK, Handler: s.apiIncidentTaskDone})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/{id}/observables", Tag: "incidents", Summary: "A case's observables, each with the intel indicator it matches",
		Result: incident.Observable{}, Handler: s.apiIncidentObservables})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/incidents/{id}/observables", Tag: "incidents", Summary: "Add observables ([{kind, value, note}]; the kind is guessed when empty)",
		Body: []incident.ObservableInput{}, Result: incident.Observable{}, Handler: s.apiIncidentAddObservables})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/incidents/{id}/alerts", Tag: "incidents", Summary: "Link more alerts to a case ({\"alerts\": [ids]})",
		Body: linkAlertsRequest{}, Result: incident.Case{}, Status: http.StatusOK, Handler: s.apiIncidentLinkAlerts})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/incidents/{id}/participants", Tag: "incidents", Summary: "Let a user (often of another unit) see and work a case",
		Body: participantRequest{}, Result: incident.Case{}, Status: http.StatusOK, Handler: s.apiIncidentParticipant})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/{id}/evidence", Tag: "incidents", Summary: "A case's evidence files (name, size, SHA-256)",
		Result: attach.Attachment{}, Handler: s.apiIncidentEvidence})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/incidents/{id}/evidence", Tag: "incidents", Summary: "Attach an evidence file: the body is the file, ?name= its name, ?sha256= (or X-Content-SHA256) the hash it must have; read-only once stored",
		RawBody: "application/octet-stream", Result: attach.Attachment{}, Query: []string{"name", "sha256"}, Handler: s.apiIncidentAddEvidence})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/{id}/evidence/{file}", Tag: "incidents", Summary: "One evidence file, as a download with its SHA-256 in X-Content-SHA256",
		Handler: s.apiIncidentEvidenceFile})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/{id}/stix", Tag: "incidents", Summary: "The case as a STIX 2.1 bundle (incident, observed data, indicators, relationships) for sharing",
		Handler: s.apiIncidentSTIX})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/incidents/{id}/reported", Tag: "incidents", Summary: "Record a report sent outside Vigil (?form=initial, final or personal_data): stops that clock",
		Result: incident.Case{}, Status: http.StatusOK, Query: []string{"form", "at"}, Handler: s.apiIncidentReported})

	// Pages.
	s.mux.HandleFunc("GET /incidents", s.uiAuth(s.uiIncidents))
	s.mux.HandleFunc("GET /incidents/new", s.uiAuth(s.uiNewIncident))
	s.mux.HandleFunc("POST /incidents", s.uiAuth(s.uiCreateIncident))
	s.mux.HandleFunc("GET /incidents/timers", s.uiAuth(s.uiIncidentTimers))
	s.mux.HandleFunc("GET /incidents/summary", s.uiAuth(s.uiIncidentSummary))
	s.mux.HandleFunc("GET /incidents/settings", s.uiAuth(s.uiIncidentSettings))
	s.mux.HandleFunc("POST /incidents/settings", s.uiAuth(s.uiSaveIncidentSettings))
	s.mux.HandleFunc("GET /incidents/{id}", s.uiAuth(s.uiIncident))
	s.mux.HandleFunc("GET /incidents/{id}/edit", s.uiAuth(s.uiEditIncident))
	s.mux.HandleFunc("POST /incidents/{id}", s.uiAuth(s.uiUpdateIncident))
	s.mux.HandleFunc("POST /incidents/{id}/status", s.uiAuth(s.uiIncidentAction("status")))
	s.mux.HandleFunc("POST /incidents/{id}/notes", s.uiAuth(s.uiIncidentAction("note")))
	s.mux.HandleFunc("POST /incidents/{id}/tasks", s.uiAuth(s.uiIncidentAction("task")))
	s.mux.HandleFunc("POST /incidents/{id}/tasks/{task}/done", s.uiAuth(s.uiIncidentAction("task_done")))
	s.mux.HandleFunc("POST /incidents/{id}/observables", s.uiAuth(s.uiIncidentAction("observable")))
	s.mux.HandleFunc("POST /incidents/{id}/observables/{obs}/watchlist", s.uiAuth(s.uiIncidentAction("watchlist")))
	s.mux.HandleFunc("POST /incidents/{id}/participants", s.uiAuth(s.uiIncidentAction("participant")))
	s.mux.HandleFunc("POST /incidents/{id}/reported", s.uiAuth(s.uiIncidentAction("reported")))
	s.mux.HandleFunc("POST /incidents/{id}/evidence", s.uiAuth(s.uiIncidentAction("evidence")))
	s.mux.HandleFunc("GET /incidents/{id}/evidence/{file}", s.uiAuth(func(w http.ResponseWriter, r *http.Request) {
		s.serveIncidentEvidence(w, r, func(err error) { s.uiError(w, r, err) })
	}))
	s.mux.HandleFunc("GET /incidents/{id}/stix", s.uiAuth(s.apiIncidentSTIX))
}

type linkAlertsRequest struct {
	Alerts []int64 `json:"alerts"`
}

type participantRequest struct {
	Email string `json:"email"`
}

func incidentFilter(r *http.Request) (incident.Filter, error) {
	q := r.URL.Query()
	f := incident.Filter{Unit: q.Get("unit"), Status: q.Get("status"), Severity: q.Get("severity"), Category: q.Get("category"), Query: q.Get("q")}
	var err error
	f.Mine, err = boolParam(r, "mine")
	return f, err
}

func (s *Server) apiListIncidents(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, incident.SortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := incidentFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportIncidents(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Incidents.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiCreateIncident(w http.ResponseWriter, r *http.Request) {
	var in incident.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.Incidents.Create(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiGetIncident(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var c *incident.Case
		if c, err = s.Incidents.Get(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeError(w, r, err)
}

// withID decodes a JSON body into in (when it is not nil) and runs fn
// with the path's id, answering its result.
func withID[T any, R any](s *Server, status int, fn func(r *http.Request, id int64, in T) (R, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathInt(r, "id")
		if err != nil {
			writeError(w, r, err)
			return
		}
		var in T
		if err := s.decodeOptional(w, r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		out, err := fn(r, id, in)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, status, out)
	}
}

func (s *Server) apiUpdateIncident(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusOK, func(r *http.Request, id int64, in incident.Patch) (*incident.Case, error) {
		return s.Incidents.Update(r.Context(), id, in)
	})(w, r)
}

func (s *Server) apiIncidentStatus(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusOK, func(r *http.Request, id int64, in incident.StatusInput) (*incident.Case, error) {
		return s.Incidents.SetStatus(r.Context(), id, in)
	})(w, r)
}

func (s *Server) apiIncidentNote(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusCreated, func(r *http.Request, id int64, in incident.NoteInput) (*incident.Entry, error) {
		return s.Incidents.AddNote(r.Context(), id, in)
	})(w, r)
}

func (s *Server) apiIncidentAddTask(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusCreated, func(r *http.Request, id int64, in incident.TaskInput) (*incident.Task, error) {
		return s.Incidents.AddTask(r.Context(), id, in)
	})(w, r)
}

func (s *Server) apiIncidentTaskDone(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusOK, func(r *http.Request, id int64, _ struct{}) (*incident.Task, error) {
		task, err := pathInt(r, "task")
		if err != nil {
			return nil, err
		}
		return s.Incidents.CompleteTask(r.Context(), id, task)
	})(w, r)
}

func (s *Server) apiIncidentTasks(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusOK, func(r *http.Request, id int64, _ struct{}) ([]*incident.Task, error) {
		ts, err := s.Incidents.Tasks(r.Context(), id)
		if ts == nil {
			ts = []*incident.Task{}
		}
		return ts, err
	})(w, r)
}

func (s *Server) apiIncidentObservables(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusOK, func(r *http.Request, id int64, _ struct{}) ([]*incident.Observable, error) {
		os, err := s.Incidents.Observables(r.Context(), id)
		if os == nil {
			os = []*incident.Observable{}
		}
		return os, err
	})(w, r)
}

func (s *Server) apiIncidentAddObservables(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusCreated, func(r *http.Request, id int64, in []incident.ObservableInput) ([]*incident.Observable, error) {
		os, err := s.Incidents.AddObservables(r.Context(), id, in)
		if os == nil {
			os = []*incident.Observable{}
		}
		return os, err
	})(w, r)
}

func (s *Server) apiIncidentLinkAlerts(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusOK, func(r *http.Request, id int64, in linkAlertsRequest) (*incident.Case, error) {
		return s.Incidents.LinkAlerts(r.Context(), id, in.Alerts)
	})(w, r)
}

func (s *Server) apiIncidentParticipant(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusOK, func(r *http.Request, id int64, in participantRequest) (*incident.Case, error) {
		return s.Incidents.AddParticipant(r.Context(), id, in.Email)
	})(w, r)
}

func (s *Server) apiIncidentEvidence(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusOK, func(r *http.Request, id int64, _ struct{}) ([]*attach.Attachment, error) {
		fs, err := s.Incidents.Evidence(r.Context(), id)
		if fs == nil {
			fs = []*attach.Attachment{}
		}
		return fs, err
	})(w, r)
}

func (s *Server) apiIncidentReported(w http.ResponseWriter, r *http.Request) {
	withID(s, http.StatusOK, func(r *http.Request, id int64, _ struct{}) (*incident.Case, error) {
		var at time.Time
		if v := r.URL.Query().Get("at"); v != "" {
			var err error
			if at, err = incident.ParseTime("at", v); err != nil {
				return nil, err
			}
		}
		if err := s.Incidents.MarkReported(r.Context(), nil, id, r.URL.Query().Get("form"), at); err != nil {
			return nil, err
		}
		return s.Incidents.Get(r.Context(), id)
	})(w, r)
}

func (s *Server) apiIncidentTimeline(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	lp, err := readList(r, nil)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := incident.TimelineFilter{Kind: r.URL.Query().Get("kind"), Oldest: r.URL.Query().Get("oldest") == "true", Offset: lp.Offset, Limit: lp.Limit}
	if lp.Format != "" {
		if err := s.exportTimeline(w, r, lp, id, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	list, total, err := s.Incidents.Timeline(r.Context(), id, f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if list == nil {
		list = []incident.Entry{}
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiIncidentAddEvidence(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	name := r.URL.Query().Get("name")
	sum := r.URL.Query().Get("sha256")
	if sum == "" {
		sum = r.Header.Get("X-Content-SHA256")
	}
	if r.ContentLength > attach.MaxSize {
		writeError(w, r, errs.New(errs.ETOOLARGE, "file", "a file may be at most %d MiB", attach.MaxSize>>20))
		return
	}
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	r.Body = http.MaxBytesReader(w, r.Body, attach.MaxSize+1)
	a, err := s.Incidents.AddEvidence(r.Context(), id, incident.EvidenceInput{Name: name, ContentType: r.Header.Get("Content-Type"), SHA256: sum, Data: r.Body})
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = errs.New(errs.ETOOLARGE, "file", "a file may be at most %d MiB", attach.MaxSize>>20)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) apiIncidentEvidenceFile(w http.ResponseWriter, r *http.Request) {
	s.serveIncidentEvidence(w, r, func(err error) { writeError(w, r, err) })
}

// serveIncidentEvidence sends one of a case's evidence files.
func (s *Server) serveIncidentEvidence(w http.ResponseWriter, r *http.Request, fail func(error)) {
	serveAttachment(w, r, "file", s.Incidents.EvidenceFile, fail)
}

func (s *Server) apiIncidentSTIX(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var data []byte
		var ref string
		if data, ref, err = s.Incidents.STIX(r.Context(), id); err == nil {
			w.Header().Set("Content-Type", "application/stix+json;version=2.1")
			w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": ref + ".stix.json"}))
			w.WriteHeader(http.StatusOK)
			w.Write(data)
			return
		}
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeError(w, r, err)
	} else {
		s.uiError(w, r, err)
	}
}

func (s *Server) apiIncidentTimers(w http.ResponseWriter, r *http.Request) {
	lp, f, err := timerFilter(r)
	if err == nil && lp.Format != "" {
		if err = s.exportTimers(w, r, lp, f); err == nil {
			return
		}
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	rows, total, err := s.Incidents.TimerPage(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, rows, total)
}

func monthParam(r *http.Request, now time.Time) string {
	if m := r.URL.Query().Get("month"); m != "" {
		return m
	}
	return now.In(i18n.Location).Format("2006-01")
}

func (s *Server) apiIncidentSummary(w http.ResponseWriter, r *http.Request) {
	sum, err := s.Incidents.MonthlySummary(r.Context(), r.URL.Query().Get("unit"), monthParam(r, time.Now()))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

func (s *Server) apiIncidentSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.Incidents.Settings(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) apiSaveIncidentSettings(w http.ResponseWriter, r *http.Request) {
	var in incident.Settings
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	st, err := s.Incidents.SaveSettings(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// exportIncidents writes the cases of a filter as CSV or XLSX.
func (s *Server) exportIncidents(w http.ResponseWriter, r *http.Request, lp listParams, f incident.Filter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*incident.Case]{
		{"inc.ref", func(x *incident.Case) string { return x.Ref }},
		{"inc.f.title", func(x *incident.Case) string { return x.Title }},
		{"inc.f.category", func(x *incident.Case) string { return i18n.T(lang, "inc.cat."+x.Category) }},
		{"inc.f.severity", func(x *incident.Case) string { return i18n.T(lang, "inc.sev."+x.Severity) }},
		{"common.status", func(x *incident.Case) string { return i18n.T(lang, "inc.status."+x.Status) }},
		{"inc.status_since", func(x *incident.Case) string { return i18n.FormatTime(x.StatusSince, lang) }},
		{"inc.f.unit", func(x *incident.Case) string { return x.Unit }},
		{"inc.f.units", func(x *incident.Case) string { return strings.Join(x.Units, " ") }},
		{"inc.f.owner", func(x *incident.Case) string { return x.Owner }},
		{"inc.f.detected_at", func(x *incident.Case) string { return i18n.FormatTime(x.DetectedAt, lang) }},
		{"inc.opened_at", func(x *incident.Case) string { return i18n.FormatTime(x.OpenedAt, lang) }},
		{"inc.report_due", func(x *incident.Case) string {
			if x.ReportDueAt == nil {
				return ""
			}
			return i18n.FormatTime(*x.ReportDueAt, lang)
		}},
		{"inc.f.security_level", func(x *incident.Case) string {
			if x.SecurityLevel == 0 {
				return i18n.T(lang, "inc.unknown")
			}
			return strconv.Itoa(x.SecurityLevel)
		}},
		{"inc.f.personal_data", func(x *incident.Case) string { return incYesNo(lang, x.PersonalData) }},
		{"inc.f.serious", func(x *incident.Case) string { return incYesNo(lang, x.Serious) }},
	}
	return exportList(w, r, lp, "incidents", cols, func(offset, limit int) ([]*incident.Case, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Incidents.List(r.Context(), f)
	})
}

func incYesNo(lang string, b bool) string {
	if b {
		return i18n.T(lang, "inc.yes")
	}
	return i18n.T(lang, "inc.no")
}

// exportTimeline writes a case's timeline (f's kind and order) as CSV or
// XLSX, every entry in the reader's language; cells that would start a
// formula are neutralised by internal/export.
func (s *Server) exportTimeline(w http.ResponseWriter, r *http.Request, lp listParams, id int64, f incident.TimelineFilter) error {
	lang := exportLang(r)
	c, err := s.Incidents.Get(r.Context(), id)
	if err != nil {
		return err
	}
	cols := []exportColumn[incident.Entry]{
		{"inc.tl.at", func(e incident.Entry) string { return i18n.FormatTime(e.At, lang) }},
		{"common.kind", func(e incident.Entry) string { return i18n.T(lang, "inc.ev."+e.Kind) }},
		{"inc.tl.text", func(e incident.Entry) string { return e.Describe(lang) }},
		{"inc.tl.who", func(e incident.Entry) string { return e.WhoIn(lang) }},
	}
	return exportList(w, r, lp, "timeline-"+c.Ref, cols, func(offset, limit int) ([]incident.Entry, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Incidents.Timeline(r.Context(), id, f)
	})
}
