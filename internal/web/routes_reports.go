package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/natreport"
	"vigil/internal/org"
)

// routesReports lists the API routes and pages of the national incident
// reports — Mẫu 03, 04, 05 of Circular 20/2017 — and their settings
// (internal/natreport).
func (s *Server) routesReports() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/{id}/report", Tag: "reports", Summary: "A case's initial (Mẫu 03) or final (Mẫu 04) report as PDF, DOCX, JSON or text: the stored report's latest version (?version=N another), or the form filled from the case when none is drafted yet",
		Query: []string{"form", "format", "version"}, Result: natreport.Document{}, Status: http.StatusOK, Handler: s.apiCaseReportDocument})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/incidents/{id}/reports", Tag: "reports", Summary: "A case's national reports (initial, final), latest versions, with the fields still to fix",
		Result: natreport.Report{}, List: true, Handler: s.apiCaseReports})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/incidents/{id}/reports", Tag: "reports", Summary: "Draft a case's initial or final report, filled from the case and the unit's reporting profile",
		Body: createReportRequest{}, Result: natreport.Report{}, Handler: s.apiCreateReport})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/reports", Tag: "reports", Summary: "National reports in scope (latest versions), newest first",
		Result: natreport.Report{}, Paged: true, Sorts: natreport.SortKeys, Query: []string{"form", "status", "unit", "case"}, Handler: s.apiListReports})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/reports/summary", Tag: "reports", Summary: "The six-monthly / annual summary (Mẫu 05) of a unit (?unit=, default the caller's) for months from..to (YYYY-MM) as PDF, DOCX, JSON or text: the stored summary of that period, or one counted from the cases now",
		Query: []string{"from", "to", "unit", "format"}, Result: natreport.Document{}, Status: http.StatusOK, Handler: s.apiSummaryDocument})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/reports/summary", Tag: "reports", Summary: "Draft a unit's summary (Mẫu 05) for a period, counted from its cases",
		Body: summaryRequest{}, Result: natreport.Report{}, Handler: s.apiCreateSummary})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/reports/{id}", Tag: "reports", Summary: "A report's latest version (?version=N another) with the fields still to fix",
		Query: []string{"version"}, Result: natreport.Report{}, Handler: s.apiGetReport})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/reports/{id}", Tag: "reports", Summary: "Change a report's fields (those given); an approved report gets a new version",
		Body: patchReportRequest{}, Result: natreport.Report{}, Handler: s.apiUpdateReport})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/reports/{id}/versions", Tag: "reports", Summary: "A report's versions, newest first",
		Result: natreport.Report{}, List: true, Handler: s.apiReportVersions})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/reports/{id}/document", Tag: "reports", Summary: "A report's version as PDF, DOCX, JSON or text",
		Query: []string{"format", "version"}, Result: natreport.Document{}, Status: http.StatusOK, Handler: s.apiReportDocument})
	for _, a := range []struct{ path, summary string }{
		{"refill", "Fill the fields a draft left empty from the case again (a summary is recounted)"},
		{"submit", "Submit a draft with no field left to fix for review"},
		{"return", "Send a report in review back to draft, with a note (the unit's officers)"},
		{"approve", "Approve a report in review (the unit's officers); the first approval numbers it"},
		{"send", "Hand an approved version to the outbox: e-mail with the PDF and DOCX (an initial report's subject starts [TBSC]), JSON to HTTP endpoints"},
	} {
		rt := apiRoute{Method: "POST", Path: "/api/v1/reports/{id}/" + a.path, Tag: "reports", Summary: a.summary, Result: natreport.Report{}, Status: http.StatusOK,
			Handler: s.apiReportAction(a.path)}
		switch a.path {
		case "return":
			rt.Body = returnRequest{}
		case "send":
			rt.Body = sendRequest{}
		}
		s.api(rt)
	}
	s.api(apiRoute{Method: "GET", Path: "/api/v1/reporting/profile", Tag: "reports", Summary: "A unit's reporting profile (?unit=, default the caller's): who reports, owner body, member code, ISP, contact, signer, number prefix",
		Query: []string{"unit"}, Result: natreport.Profile{}, Handler: s.apiGetProfile})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/reporting/profile", Tag: "reports", Summary: "Save a unit's reporting profile (its officers)",
		Query: []string{"unit"}, Body: natreport.Profile{}, Result: natreport.Profile{}, Handler: s.apiSetProfile})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/reporting/options/{kind}", Tag: "reports", Summary: "An option list of the forms: status, detection or recipient",
		Result: natreport.Option{}, List: true, Handler: s.apiGetOptions})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/reporting/options/{kind}", Tag: "reports", Summary: "Replace an option list (the IT Center)",
		Body: optionsRequest{}, Result: natreport.Option{}, List: true, Handler: s.apiSetOptions})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/reporting/templates/{form}", Tag: "reports", Summary: "A form's words (title, headings, labels) with their defaults; ?format=text as key = text lines",
		Query: []string{"format"}, Result: natreport.TemplateEntry{}, List: true, Handler: s.apiGetTemplate})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/reporting/templates/{form}", Tag: "reports", Summary: "Change a form's words (the IT Center): JSON {\"words\":{key:text}} or text/plain key = text lines; an empty text restores the default",
		Body: templateRequest{}, Result: natreport.TemplateEntry{}, List: true, Handler: s.apiSetTemplate})

	// Pages.
	s.mux.HandleFunc("GET /incidents/{id}/reports", s.uiAuth(s.uiCaseReports))
	s.mux.HandleFunc("POST /incidents/{id}/reports", s.uiAuth(s.uiCreateCaseReport))
	s.mux.HandleFunc("GET /reports", s.uiAuth(s.uiReports))
	s.mux.HandleFunc("POST /reports/summary", s.uiAuth(s.uiCreateSummary))
	s.mux.HandleFunc("GET /reports/{id}", s.uiAuth(s.uiReport))
	s.mux.HandleFunc("POST /reports/{id}", s.uiAuth(s.uiSaveReport))
	s.mux.HandleFunc("GET /reports/{id}/download", s.uiAuth(s.uiDownloadReport))
	for _, a := range []string{"refill", "submit", "return", "approve", "send"} {
		s.mux.HandleFunc("POST /reports/{id}/"+a, s.uiAuth(s.uiReportAction(a)))
	}
	s.mux.HandleFunc("GET /settings/reporting", s.uiAuth(s.uiReportingSettings))
	s.mux.HandleFunc("POST /settings/reporting/profile", s.uiAuth(s.uiSaveProfile))
	s.mux.HandleFunc("POST /settings/reporting/options/{kind}", s.uiAuth(s.uiSaveOptions))
	s.mux.HandleFunc("POST /settings/reporting/templates/{form}", s.uiAuth(s.uiSaveTemplate))
}

type createReportRequest struct {
	Form string `json:"form"` // initial or final
}

type summaryRequest struct {
	Unit string `json:"unit"`
	From string `json:"from"` // YYYY-MM
	To   string `json:"to"`
}

type patchReportRequest struct {
	Fields map[string]string `json:"fields"`
}

type returnRequest struct {
	Note string `json:"note"`
}

type sendRequest struct {
	To []string `json:"to,omitempty"` // extra e-mail addresses
}

type optionsRequest struct {
	Options []natreport.Option `json:"options"`
}

type templateRequest struct {
	Words map[string]string `json:"words"`
}

func (s *Server) reportsService() (*natreport.Service, error) {
	if s.Reports == nil {
		return nil, errs.NotFound("national reports")
	}
	return s.Reports, nil
}

func versionParam(r *http.Request) (int, error) {
	v := r.URL.Query().Get("version")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errs.Invalid("version", "must be a version number (1, 2, …)")
	}
	return n, nil
}

// writeDocument answers a report in the format asked: pdf, docx, json or text.
func (s *Server) writeDocument(w http.ResponseWriter, r *http.Request, rep *natreport.Report) error {
	doc, err := s.Reports.Document(r.Context(), rep)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	var body []byte
	var ctype, ext string
	switch format {
	case "", "json":
		body, err = doc.JSON()
		ctype, ext = "application/json; charset=utf-8", "json"
	case "pdf":
		body, err = doc.PDF()
		ctype, ext = "application/pdf", "pdf"
	case "docx":
		body, err = doc.DOCX()
		ctype, ext = natreport.DOCXType, "docx"
	case "text", "txt":
		body = []byte(doc.Text())
		ctype, ext = "text/plain; charset=utf-8", "txt"
	default:
		return errs.Invalid("format", "must be pdf, docx, json or text")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Report-Status", rep.Status)
	if ext != "json" {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, doc.FileBase(), ext))
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

// caseDocument is the case's stored report of the form (the version
// asked), or the form filled from the case when none is drafted.
func (s *Server) caseDocument(r *http.Request) (*natreport.Report, error) {
	svc, err := s.reportsService()
	if err != nil {
		return nil, err
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	form, err := natreport.ParseForm(r.URL.Query().Get("form"))
	if err != nil {
		return nil, err
	}
	version, err := versionParam(r)
	if err != nil {
		return nil, err
	}
	rep, err := svc.CaseReport(r.Context(), id, form)
	if errs.Code(err) == errs.ENOTFOUND {
		if version > 0 {
			return nil, err
		}
		return svc.Preview(r.Context(), id, form)
	}
	if err != nil || version == 0 {
		return rep, err
	}
	return svc.Get(r.Context(), rep.ID, version)
}

func (s *Server) apiCaseReportDocument(w http.ResponseWriter, r *http.Request) {
	rep, err := s.caseDocument(r)
	if err == nil {
		err = s.writeDocument(w, r, rep)
	}
	if err != nil {
		writeError(w, r, err)
	}
}

func (s *Server) apiCaseReports(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		writeError(w, r, err)
		return
	}
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, _, err := svc.ForCase(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if list == nil {
		list = []*natreport.Report{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (s *Server) apiCreateReport(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		writeError(w, r, err)
		return
	}
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in createReportRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	rep, err := svc.Create(r.Context(), id, natreport.Form(in.Form))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rep)
}

func reportFilter(r *http.Request) (natreport.Filter, error) {
	q := r.URL.Query()
	f := natreport.Filter{Form: q.Get("form"), Status: q.Get("status"), Unit: q.Get("unit")}
	if c := q.Get("case"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n < 1 {
			return f, errs.Invalid("case", "must be a case id")
		}
		f.Case = n
	}
	return f, nil
}

func (s *Server) apiListReports(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		writeError(w, r, err)
		return
	}
	lp, err := readList(r, natreport.SortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := reportFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportReports(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := svc.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) exportReports(w http.ResponseWriter, r *http.Request, lp listParams, f natreport.Filter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*natreport.Report]{
		{"nr.number", func(x *natreport.Report) string { return x.Number }},
		{"nr.form", func(x *natreport.Report) string { return i18n.T(lang, "nr.form."+string(x.Form)) }},
		{"common.unit", func(x *natreport.Report) string { return x.Unit }},
		{"nr.case", func(x *natreport.Report) string {
			if x.CaseID == 0 {
				return ""
			}
			return strconv.FormatInt(x.CaseID, 10)
		}},
		{"nr.period", func(x *natreport.Report) string { return strings.Trim(x.PeriodFrom+".."+x.PeriodTo, ".") }},
		{"nr.version", func(x *natreport.Report) string { return strconv.Itoa(x.Version) }},
		{"common.status", func(x *natreport.Report) string { return i18n.T(lang, "nr.status."+x.Status) }},
		{"nr.updated", func(x *natreport.Report) string { return i18n.FormatTime(x.UpdatedAt, lang) }},
		{"nr.approved_at", func(x *natreport.Report) string { return i18n.FormatTime(x.ApprovedAt, lang) }},
		{"nr.approved_by", func(x *natreport.Report) string { return x.ApprovedBy }},
		{"nr.sent_at", func(x *natreport.Report) string { return i18n.FormatTime(x.SentAt, lang) }},
	}
	return exportList(w, r, lp, "national-reports", cols, func(offset, limit int) ([]*natreport.Report, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Reports.List(r.Context(), f)
	})
}

func (s *Server) apiSummaryDocument(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err == nil {
		q := r.URL.Query()
		var rep *natreport.Report
		if rep, err = svc.SummaryPreview(r.Context(), q.Get("unit"), q.Get("from"), q.Get("to")); err == nil {
			err = s.writeDocument(w, r, rep)
		}
	}
	if err != nil {
		writeError(w, r, err)
	}
}

func (s *Server) apiCreateSummary(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in summaryRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	rep, err := svc.CreateSummary(r.Context(), in.Unit, in.From, in.To)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rep)
}

func (s *Server) apiGetReport(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err == nil {
		var id int64
		var v int
		if id, err = pathInt(r, "id"); err == nil {
			if v, err = versionParam(r); err == nil {
				var rep *natreport.Report
				if rep, err = svc.Get(r.Context(), id, v); err == nil {
					writeJSON(w, http.StatusOK, rep)
					return
				}
			}
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiUpdateReport(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		writeError(w, r, err)
		return
	}
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in patchReportRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	rep, err := svc.Update(r.Context(), id, in.Fields)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) apiReportVersions(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err == nil {
		var id int64
		if id, err = pathInt(r, "id"); err == nil {
			var list []*natreport.Report
			if list, err = svc.Versions(r.Context(), id); err == nil {
				writeJSON(w, http.StatusOK, map[string]any{"items": list})
				return
			}
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiReportDocument(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err == nil {
		var id int64
		var v int
		if id, err = pathInt(r, "id"); err == nil {
			if v, err = versionParam(r); err == nil {
				var rep *natreport.Report
				if rep, err = svc.Get(r.Context(), id, v); err == nil {
					err = s.writeDocument(w, r, rep)
				}
			}
		}
	}
	if err != nil {
		writeError(w, r, err)
	}
}

// reportAction runs one step of a report's life.
func (s *Server) reportAction(r *http.Request, action string, id int64, note string, to []string) (*natreport.Report, error) {
	svc, err := s.reportsService()
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	switch action {
	case "refill":
		return svc.Refill(ctx, id)
	case "submit":
		return svc.Submit(ctx, id)
	case "return":
		return svc.Return(ctx, id, note)
	case "approve":
		return svc.Approve(ctx, id)
	case "send":
		return svc.Send(ctx, id, to)
	}
	return nil, errs.NotFound("action " + action)
}

func (s *Server) apiReportAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathInt(r, "id")
		if err != nil {
			writeError(w, r, err)
			return
		}
		var body struct {
			Note string   `json:"note"`
			To   []string `json:"to"`
		}
		if r.ContentLength != 0 && (action == "return" || action == "send") {
			if err := s.decodeJSON(w, r, &body); err != nil {
				writeError(w, r, err)
				return
			}
		}
		rep, err := s.reportAction(r, action, id, body.Note, body.To)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, rep)
	}
}

func (s *Server) apiGetProfile(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err == nil {
		var pr *natreport.Profile
		if pr, err = svc.Profile(r.Context(), r.URL.Query().Get("unit")); err == nil {
			writeJSON(w, http.StatusOK, pr)
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiSetProfile(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in natreport.Profile
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	pr, err := svc.SetProfile(r.Context(), r.URL.Query().Get("unit"), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, pr)
}

func (s *Server) apiGetOptions(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err == nil {
		var opts []natreport.Option
		if opts, err = svc.Options(r.Context(), r.PathValue("kind")); err == nil {
			writeJSON(w, http.StatusOK, map[string]any{"items": opts})
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiSetOptions(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in optionsRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	opts, err := svc.SetOptions(r.Context(), r.PathValue("kind"), in.Options)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": opts})
}

func (s *Server) apiGetTemplate(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		writeError(w, r, err)
		return
	}
	entries, err := svc.Template(r.Context(), natreport.Form(r.PathValue("form")))
	if err != nil {
		writeError(w, r, err)
		return
	}
	switch r.URL.Query().Get("format") {
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, natreport.FormatTemplate(entries))
	case "", "json":
		writeJSON(w, http.StatusOK, map[string]any{"items": entries})
	default:
		writeError(w, r, errs.Invalid("format", "must be json or text"))
	}
}

// templateError turns a template document's mistake into an error naming the line.
func templateError(form string, err error) error {
	if te, ok := err.(*natreport.TemplateError); ok {
		return te.Err
	}
	return err
}

func (s *Server) apiSetTemplate(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		writeError(w, r, err)
		return
	}
	form := natreport.Form(r.PathValue("form"))
	var words map[string]string
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		// A template document: key = text lines.
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, natreport.MaxTemplateBytes))
		if err != nil {
			writeError(w, r, errs.Errorf(errs.ETOOLARGE, "the template is larger than %d KiB", natreport.MaxTemplateBytes>>10))
			return
		}
		if words, err = natreport.ParseTemplate(form, bytes.NewReader(body)); err != nil {
			writeError(w, r, templateError(string(form), err))
			return
		}
	} else {
		var in templateRequest
		if err := s.decodeJSON(w, r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		words = in.Words
	}
	entries, err := svc.SetTemplate(r.Context(), form, words)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": entries})
}

// ---- Pages ----

// reportView is a report on a page: the report, its document laid out
// (labels, printed values), the text for IRLab and the field inputs.
type reportView struct {
	R        *natreport.Report
	Doc      *natreport.Document
	Text     string
	Inputs   []reportSection
	Problems map[string]string // field -> reason in the reader's language
	Versions []*natreport.Report
	Form     *formState
	CanEdit  bool
	CanSign  bool // approve, return, send
}

type reportSection struct {
	Title  string
	Inputs []reportInput
}

type reportInput struct {
	Key, Label, Value string
	Kind              natreport.Kind
	Mandatory         bool
	Options           []natreport.Option
	Selected          map[string]bool
	Problem           string
}

func (s *Server) reportView(r *http.Request, rep *natreport.Report, fm *formState) (*reportView, error) {
	lang := langOf(r)
	doc, err := s.Reports.Document(r.Context(), rep)
	if err != nil {
		return nil, err
	}
	v := &reportView{R: rep, Doc: doc, Text: doc.Text(), Problems: map[string]string{}, Form: fm}
	for _, p := range rep.Problems {
		v.Problems[p.Field] = i18n.T(lang, "nr.reason."+p.Reason)
	}
	opts := map[string][]natreport.Option{}
	for _, k := range natreport.OptionKinds {
		if opts[k], err = s.Reports.Options(r.Context(), k); err != nil {
			return nil, err
		}
	}
	for _, sec := range natreport.Schema(rep.Form) {
		rs := reportSection{Title: doc.Sections[len(v.Inputs)].Title}
		for _, fl := range sec.Fields {
			val := rep.Fields[fl.Key]
			if fm != nil {
				val = fm.Or(fl.Key, val)
			}
			in := reportInput{Key: fl.Key, Label: fl.Key, Value: val, Kind: fl.Kind, Mandatory: fl.Mandatory, Problem: v.Problems[fl.Key]}
			for _, it := range doc.Sections[len(v.Inputs)].Items {
				if it.Key == fl.Key {
					in.Label = it.Label
				}
			}
			if fl.Options != "" {
				in.Options = opts[fl.Options]
				in.Selected = map[string]bool{}
				for _, c := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' }) {
					in.Selected[c] = true
				}
			}
			rs.Inputs = append(rs.Inputs, in)
		}
		v.Inputs = append(v.Inputs, rs)
	}
	p := principalOf(r)
	v.CanSign = p != nil && p.CanWrite(rep.UnitPath)
	v.CanEdit = v.CanSign || (p != nil && string(p.Role) == "analyst")
	if rep.ID > 0 {
		if v.Versions, err = s.Reports.Versions(r.Context(), rep.ID); err != nil {
			return nil, err
		}
	}
	return v, nil
}

type caseReportsData struct {
	CaseID    int64
	CaseRef   string
	CaseTitle string
	Forms     []*caseFormData
}

type caseFormData struct {
	Form    natreport.Form
	Report  *reportView // nil: not drafted
	Preview *natreport.Report
}

func (s *Server) uiCaseReports(w http.ResponseWriter, r *http.Request) {
	s.renderCaseReports(w, r, http.StatusOK, 0, nil)
}

// renderCaseReports shows a case's two reports; fm is the refused form of report formFor.
func (s *Server) renderCaseReports(w http.ResponseWriter, r *http.Request, status int, formFor int64, fm *formState) {
	svc, err := s.reportsService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	reps, c, err := svc.ForCase(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &caseReportsData{CaseID: c.ID, CaseRef: c.Number, CaseTitle: c.Title}
	for _, form := range []natreport.Form{natreport.FormInitial, natreport.FormFinal} {
		fd := &caseFormData{Form: form}
		for _, rep := range reps {
			if rep.Form == form {
				var f *formState
				if rep.ID == formFor {
					f = fm
				}
				if fd.Report, err = s.reportView(r, rep, f); err != nil {
					s.uiError(w, r, err)
					return
				}
			}
		}
		d.Forms = append(d.Forms, fd)
	}
	p := s.newPage(r, "reports", "nr.case_title", d)
	p.Title = i18n.T(langOf(r), "nr.case_title") + " — " + c.Number
	s.render(w, r, status, "report_case", p)
}

func (s *Server) uiCreateCaseReport(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	rep, err := svc.Create(r.Context(), id, natreport.Form(r.PostForm.Get("form")))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, fmt.Sprintf("/incidents/%d/reports#report-%d", id, rep.ID))
}

// reportPage is where a report is worked on: its case's reports page, or
// the report's own page for a summary.
func reportPage(rep *natreport.Report) string {
	if rep.CaseID > 0 {
		return fmt.Sprintf("/incidents/%d/reports#report-%d", rep.CaseID, rep.ID)
	}
	return fmt.Sprintf("/reports/%d", rep.ID)
}

func (s *Server) uiReport(w http.ResponseWriter, r *http.Request) {
	s.renderReport(w, r, http.StatusOK, nil)
}

func (s *Server) renderReport(w http.ResponseWriter, r *http.Request, status int, fm *formState) {
	svc, err := s.reportsService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	rep, err := svc.Get(r.Context(), id, 0)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if rep.CaseID > 0 && fm == nil {
		http.Redirect(w, r, reportPage(rep), http.StatusSeeOther)
		return
	}
	if rep.CaseID > 0 {
		r.SetPathValue("id", strconv.FormatInt(rep.CaseID, 10))
		s.renderCaseReports(w, r, status, rep.ID, fm)
		return
	}
	v, err := s.reportView(r, rep, fm)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &caseReportsData{Forms: []*caseFormData{{Form: rep.Form, Report: v}}}
	p := s.newPage(r, "reports", "nr.form.summary", d)
	p.Title = i18n.T(langOf(r), "nr.form.summary") + " — " + rep.Unit + " — " + rep.Fields["period"]
	s.render(w, r, status, "report_case", p)
}

// reportFormFields reads the posted fields of a report's form: a multiple
// choice comes as several values.
func reportFormFields(r *http.Request, form natreport.Form) map[string]string {
	out := map[string]string{}
	for _, sec := range natreport.Schema(form) {
		for _, fl := range sec.Fields {
			vals, ok := r.PostForm[fl.Key]
			if !ok && fl.Kind != natreport.KindMulti {
				continue
			}
			if fl.Kind == natreport.KindMulti {
				if _, sent := r.PostForm["_multi_"+fl.Key]; !sent && !ok {
					continue
				}
				out[fl.Key] = strings.Join(vals, ",")
				continue
			}
			out[fl.Key] = vals[0]
		}
	}
	return out
}

func (s *Server) uiSaveReport(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	cur, err := svc.Get(r.Context(), id, 0)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	rep, err := svc.Update(r.Context(), id, reportFormFields(r, cur.Form))
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderReport(w, r, statusOf(errs.Code(err)), newFormState(r, err, reportFieldKeys(cur.Form)...))
		return
	}
	redirectSaved(w, r, reportPage(rep))
}

// reportFieldKeys are a form's inputs (for errors beside them).
func reportFieldKeys(form natreport.Form) []string {
	var out []string
	for _, sec := range natreport.Schema(form) {
		for _, fl := range sec.Fields {
			out = append(out, fl.Key)
		}
	}
	return append(out, "note", "to")
}

func (s *Server) uiReportAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathInt(r, "id")
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		if err := s.parseForm(w, r); err != nil {
			s.uiError(w, r, err)
			return
		}
		var to []string
		for _, a := range strings.FieldsFunc(r.PostForm.Get("to"), func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' }) {
			to = append(to, a)
		}
		rep, err := s.reportAction(r, action, id, r.PostForm.Get("note"), to)
		if err != nil {
			if !formError(err) {
				s.uiError(w, r, err)
				return
			}
			var keys []string
			for _, f := range natreport.Forms {
				keys = append(keys, reportFieldKeys(f)...)
			}
			s.renderReport(w, r, statusOf(errs.Code(err)), newFormState(r, err, keys...))
			return
		}
		redirectSaved(w, r, reportPage(rep))
	}
}

func (s *Server) uiDownloadReport(w http.ResponseWriter, r *http.Request) {
	s.apiReportDocument(w, r)
}

type reportsData struct {
	From, To, Unit string
	Summary        *reportView
	Units          []*org.Unit
	Rows           []*natreport.Report
	Pager          *pager
	Filter         url.Values
	Statuses       []string
	Forms          []natreport.Form
	Form           *formState
	DocQuery       url.Values
	Deadlines      []*natreport.SummaryDeadline
}

func (s *Server) uiReports(w http.ResponseWriter, r *http.Request) {
	s.renderReports(w, r, http.StatusOK, nil)
}

func (s *Server) renderReports(w http.ResponseWriter, r *http.Request, status int, fm *formState) {
	svc, err := s.reportsService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	q := r.URL.Query()
	d := &reportsData{From: q.Get("from"), To: q.Get("to"), Unit: q.Get("unit"), Filter: q, Statuses: natreport.Statuses, Forms: natreport.Forms, Form: fm}
	if d.From == "" {
		d.From, d.To = defaultPeriod()
	}
	if rep, err := svc.SummaryPreview(r.Context(), d.Unit, d.From, d.To); err == nil {
		if d.Summary, err = s.reportView(r, rep, nil); err != nil {
			s.uiError(w, r, err)
			return
		}
	} else if fm == nil {
		fm = newFormState(r, err, "from", "to", "unit")
		fm.values = map[string]string{"from": d.From, "to": d.To, "unit": d.Unit}
		d.Form = fm
		status = statusOf(errs.Code(err))
	}
	d.DocQuery = url.Values{"from": {d.From}, "to": {d.To}, "unit": {d.Unit}}
	if d.Deadlines, err = svc.SummaryDeadlines(r.Context()); err != nil {
		s.uiError(w, r, err)
		return
	}
	lp, err := readList(r, natreport.SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := reportFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportReports(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Unit = ""
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := svc.List(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Rows, d.Pager = list, newPager(r, lp, len(list), total)
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "reports", s.newPage(r, "reports", "nr.title", d))
}

// defaultPeriod is the half-year the next summary is due for: January–June
// until 20 June's deadline, then July–December.
func defaultPeriod() (string, string) {
	now := time.Now().In(i18n.Location)
	y := now.Year()
	if now.Month() <= 6 {
		return fmt.Sprintf("%d-01", y), fmt.Sprintf("%d-06", y)
	}
	return fmt.Sprintf("%d-07", y), fmt.Sprintf("%d-12", y)
}

func (s *Server) uiCreateSummary(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	f := r.PostForm
	rep, err := svc.CreateSummary(r.Context(), f.Get("unit"), f.Get("from"), f.Get("to"))
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		r.URL.RawQuery = url.Values{"from": {f.Get("from")}, "to": {f.Get("to")}, "unit": {f.Get("unit")}}.Encode()
		s.renderReports(w, r, statusOf(errs.Code(err)), newFormState(r, err, "from", "to", "unit"))
		return
	}
	redirectSaved(w, r, reportPage(rep))
}

type reportingSettingsData struct {
	Profile   *natreport.Profile
	Contacts  []*org.Contact
	Units     []*org.Unit
	Options   []optionListView
	Templates []templateView
	ITCenter  bool
	CanEdit   bool
	FormFor   string
	Form      *formState
}

type optionListView struct {
	Kind string
	Text string
}

type templateView struct {
	Form natreport.Form
	Text string
}

func (s *Server) uiReportingSettings(w http.ResponseWriter, r *http.Request) {
	s.renderReportingSettings(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderReportingSettings(w http.ResponseWriter, r *http.Request, status int, formFor string, fm *formState) {
	svc, err := s.reportsService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	ctx := r.Context()
	unit := r.URL.Query().Get("unit")
	if formFor == "profile" {
		unit = r.PostForm.Get("unit")
	}
	d := &reportingSettingsData{FormFor: formFor, Form: fm}
	if d.Profile, err = svc.Profile(ctx, unit); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Contacts, err = s.Org.ListContacts(ctx, d.Profile.Unit); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.ITCenter, err = svc.ITCenter(ctx); err != nil {
		s.uiError(w, r, err)
		return
	}
	for _, k := range natreport.OptionKinds {
		opts, err := svc.Options(ctx, k)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		text := natreport.FormatOptions(opts)
		if formFor == "options."+k {
			text = fm.Get("text")
		}
		d.Options = append(d.Options, optionListView{Kind: k, Text: text})
	}
	for _, f := range natreport.Forms {
		entries, err := svc.Template(ctx, f)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		text := natreport.FormatTemplate(entries)
		if formFor == "template."+string(f) {
			text = fm.Get("text")
		}
		d.Templates = append(d.Templates, templateView{Form: f, Text: text})
	}
	if p := principalOf(r); p != nil {
		for _, u := range d.Units {
			if u.Code == d.Profile.Unit {
				d.CanEdit = p.CanWrite(u.Path)
			}
		}
	}
	s.render(w, r, status, "report_settings", s.newPage(r, "reports", "nr.settings", d))
}

var profileFormFields = []string{"org_name", "address", "phone", "email", "owner_body", "member_code", "isp", "security_provider", "contact_id",
	"contact_name", "contact_position", "contact_phone", "contact_email", "signer_name", "signer_title", "number_prefix"}

func (s *Server) uiSaveProfile(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	f := r.PostForm
	in := natreport.Profile{OrgName: f.Get("org_name"), Address: f.Get("address"), Phone: f.Get("phone"), Email: f.Get("email"), OwnerBody: f.Get("owner_body"),
		MemberCode: f.Get("member_code"), ISP: f.Get("isp"), SecurityProvider: f.Get("security_provider"), ContactName: f.Get("contact_name"),
		ContactPosition: f.Get("contact_position"), ContactPhone: f.Get("contact_phone"), ContactEmail: f.Get("contact_email"),
		SignerName: f.Get("signer_name"), SignerTitle: f.Get("signer_title"), NumberPrefix: f.Get("number_prefix")}
	if c := f.Get("contact_id"); c != "" && c != "0" {
		if in.ContactID, err = strconv.ParseInt(c, 10, 64); err != nil {
			err = errs.Invalid("contact_id", "choose a point of contact of the unit")
		}
	}
	if err == nil {
		_, err = svc.SetProfile(r.Context(), f.Get("unit"), in)
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderReportingSettings(w, r, statusOf(errs.Code(err)), "profile", newFormState(r, err, profileFormFields...))
		return
	}
	redirectSaved(w, r, "/settings/reporting?unit="+url.QueryEscape(f.Get("unit")))
}

func (s *Server) uiSaveOptions(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	kind := r.PathValue("kind")
	opts, err := natreport.ParseOptions(strings.NewReader(r.PostForm.Get("text")))
	if err != nil {
		err = templateError(kind, err)
	} else {
		_, err = svc.SetOptions(r.Context(), kind, opts)
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		fm := newFormState(r, err, "text")
		if fm.Other != "" {
			fm.Field, fm.Other, fm.Error = "text", "", messageOf(langOf(r), err)
		}
		s.renderReportingSettings(w, r, statusOf(errs.Code(err)), "options."+kind, fm)
		return
	}
	redirectSaved(w, r, "/settings/reporting#options-"+kind)
}

func (s *Server) uiSaveTemplate(w http.ResponseWriter, r *http.Request) {
	svc, err := s.reportsService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	form := natreport.Form(r.PathValue("form"))
	words, err := natreport.ParseTemplate(form, strings.NewReader(r.PostForm.Get("text")))
	if err != nil {
		err = templateError(string(form), err)
	} else {
		_, err = svc.SetTemplate(r.Context(), form, words)
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		fm := newFormState(r, err, "text")
		if fm.Other != "" {
			fm.Field, fm.Other, fm.Error = "text", "", messageOf(langOf(r), err)
		}
		s.renderReportingSettings(w, r, statusOf(errs.Code(err)), "template."+string(form), fm)
		return
	}
	redirectSaved(w, r, "/settings/reporting#template-"+string(form))
}

// DocURL is the link to the period's summary (Mẫu 05) in format: a whole
// URL, so the template does not escape its query's "=" and "&" as it
// would a string put after "?".
func (d *reportsData) DocURL(format string) string {
	q := url.Values{"format": {format}}
	for k, v := range d.DocQuery {
		q[k] = v
	}
	return "/api/v1/reports/summary?" + q.Encode()
}
