package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/monthly"
	"vigil/internal/org"
)

// routesMonthly lists the API routes and pages of the monthly technical
// security report (internal/monthly, issue 15 part 3). The fixed
// interface is GET /api/v1/reports/monthly; the stored reports and their
// lifecycle live under /api/v1/monthly-reports (under /api/v1/reports/
// they would clash with the national reports' /api/v1/reports/{id}/…).
func (s *Server) routesMonthly() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/reports/monthly", Tag: "monthly", Summary: "The monthly technical security report of a month (?month=YYYY-MM, default last month) for a unit's subtree (?unit=CODE, default the caller's; the whole organisation for those who see every unit) as PDF, DOCX or JSON (every figure): the stored report when there is one (published: the frozen documents), else counted now",
		Query: []string{"month", "unit", "format"}, Result: monthly.Figures{}, Status: http.StatusOK, Handler: s.apiMonthlyDocument})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/monthly-reports", Tag: "monthly", Summary: "Monthly reports of the units in scope, newest month first (without their figures)",
		Result: monthly.Report{}, Paged: true, Sorts: monthly.SortKeys, Query: []string{"month", "unit", "status"}, Handler: s.apiListMonthly})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/monthly-reports", Tag: "monthly", Summary: "Generate a month's report of a unit (the IT Center; the organisation's brings each top-level unit's with it) as a draft, or count a draft again",
		Body: monthlyRequest{}, Result: monthly.Report{}, Handler: s.apiGenerateMonthly})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/monthly-reports/{id}", Tag: "monthly", Summary: "A monthly report with its figures and acknowledgement count",
		Result: monthly.Report{}, Handler: s.apiGetMonthly})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/monthly-reports/{id}/document", Tag: "monthly", Summary: "A monthly report as PDF, DOCX or JSON, or its attached warning list (format=watchlist.csv or watchlist.stix)",
		Query: []string{"format"}, Result: monthly.Figures{}, Status: http.StatusOK, Handler: s.apiMonthlyReportDocument})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/monthly-reports/{id}/acks", Tag: "monthly", Summary: "The units a published report goes to (in scope), with who acknowledged it and when",
		Result: monthly.Ack{}, List: true, Handler: s.apiMonthlyAcks})
	for _, a := range []struct{ path, summary string }{
		{"review", "Mark a draft reviewed (the IT Center)"},
		{"return", "Send a reviewed report back to draft with a note (the IT Center)"},
		{"publish", "Publish a reviewed report (the IT Center): PDF and DOCX frozen with their SHA-256, next month's warning list attached; the organisation's publishes the top-level units' with it"},
		{"acknowledge", "Acknowledge a unit's published report (its officers)"},
	} {
		rt := apiRoute{Method: "POST", Path: "/api/v1/monthly-reports/{id}/" + a.path, Tag: "monthly", Summary: a.summary, Result: monthly.Report{}, Status: http.StatusOK,
			Handler: s.apiMonthlyAction(a.path)}
		switch a.path {
		case "return":
			rt.Body = returnRequest{}
		case "acknowledge":
			rt.Result = monthly.Ack{}
		}
		s.api(rt)
	}

	// Pages.
	s.mux.HandleFunc("GET /monthly-reports", s.uiAuth(s.uiMonthlyReports))
	s.mux.HandleFunc("POST /monthly-reports", s.uiAuth(s.uiGenerateMonthly))
	s.mux.HandleFunc("GET /monthly-reports/{id}", s.uiAuth(s.uiMonthlyReport))
	for _, a := range []string{"review", "return", "publish", "acknowledge"} {
		s.mux.HandleFunc("POST /monthly-reports/{id}/"+a, s.uiAuth(s.uiMonthlyAction(a)))
	}
}

type monthlyRequest struct {
	Month string `json:"month"` // YYYY-MM
	Unit  string `json:"unit,omitempty"`
}

func (s *Server) monthlyService() (*monthly.Service, error) {
	if s.Monthly == nil {
		return nil, errs.NotFound("monthly reports")
	}
	return s.Monthly, nil
}

// monthlyFigures is the stored report of the month and unit asked, or
// the figures counted now when none is stored (rep nil).
func (s *Server) monthlyFigures(r *http.Request) (*monthly.Report, *monthly.Figures, error) {
	svc, err := s.monthlyService()
	if err != nil {
		return nil, nil, err
	}
	q := r.URL.Query()
	month := q.Get("month")
	if month == "" {
		month = monthly.PreviousMonth(time.Now())
	}
	rep, err := svc.Find(r.Context(), month, q.Get("unit"))
	if errs.Code(err) == errs.ENOTFOUND {
		if _, _, merr := monthly.ParseMonth(month); merr != nil {
			return nil, nil, merr
		}
		fig, err := svc.Preview(r.Context(), month, q.Get("unit"))
		return nil, fig, err
	}
	if err != nil {
		return nil, nil, err
	}
	return rep, rep.Figures, nil
}

// writeMonthly answers a report (rep nil: figures counted now) in the
// format asked.
func (s *Server) writeMonthly(w http.ResponseWriter, r *http.Request, rep *monthly.Report, fig *monthly.Figures) error {
	format := r.URL.Query().Get("format")
	status := "preview"
	if rep != nil {
		status = rep.Status
	}
	var body []byte
	var ctype, ext string
	var err error
	switch format {
	case "", monthly.FormatJSON:
		w.Header().Set("X-Report-Status", status)
		writeJSON(w, http.StatusOK, fig)
		return nil
	case monthly.FormatPDF:
		ctype, ext = "application/pdf", "pdf"
	case monthly.FormatDOCX:
		ctype, ext = monthly.DOCXType, "docx"
	case monthly.FormatCSV:
		ctype, ext = "text/csv; charset=utf-8", "csv"
	case monthly.FormatSTIX:
		ctype, ext = "application/stix+json;version=2.1", "json"
	default:
		return errs.Invalid("format", "must be pdf, docx or json")
	}
	switch {
	case rep != nil:
		body, err = s.Monthly.Document(r.Context(), rep, format)
	case format == monthly.FormatPDF:
		body, err = fig.PDF(monthly.Meta{Status: status})
	case format == monthly.FormatDOCX:
		body, err = fig.DOCX(monthly.Meta{Status: status})
	default:
		err = errs.NotFound("warning list of a report not stored")
	}
	if err != nil {
		return err
	}
	name := fig.FileBase()
	if format == monthly.FormatCSV || format == monthly.FormatSTIX {
		name = "danh-sach-canh-bao-" + monthly.NextMonth(fig.Month)
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Report-Status", status)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, ext))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

func (s *Server) apiMonthlyDocument(w http.ResponseWriter, r *http.Request) {
	rep, fig, err := s.monthlyFigures(r)
	if err == nil {
		err = s.writeMonthly(w, r, rep, fig)
	}
	if err != nil {
		writeError(w, r, err)
	}
}

func monthlyFilter(r *http.Request) monthly.Filter {
	q := r.URL.Query()
	return monthly.Filter{Month: q.Get("month"), Unit: q.Get("unit"), Status: q.Get("status")}
}

func (s *Server) exportMonthly(w http.ResponseWriter, r *http.Request, lp listParams, f monthly.Filter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*monthly.Report]{
		{"monthly.month", func(x *monthly.Report) string { return x.Month }},
		{"common.unit", func(x *monthly.Report) string { return x.Unit + " — " + x.UnitName }},
		{"common.status", func(x *monthly.Report) string { return i18n.T(lang, "monthly.status."+x.Status) }},
		{"monthly.generated", func(x *monthly.Report) string { return i18n.FormatTime(x.GeneratedAt, lang) }},
		{"monthly.published", func(x *monthly.Report) string { return i18n.FormatTime(x.PublishedAt, lang) }},
		{"monthly.published_by", func(x *monthly.Report) string { return x.PublishedBy }},
		{"monthly.acks", func(x *monthly.Report) string {
			if x.Status != monthly.StatusPublished {
				return ""
			}
			return strconv.Itoa(x.Acknowledged) + "/" + strconv.Itoa(x.Expected)
		}},
		{"monthly.pdf_sha256", func(x *monthly.Report) string { return x.PDFSHA256 }},
	}
	return exportList(w, r, lp, "monthly-reports", cols, func(offset, limit int) ([]*monthly.Report, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Monthly.List(r.Context(), f)
	})
}

func (s *Server) apiListMonthly(w http.ResponseWriter, r *http.Request) {
	svc, err := s.monthlyService()
	if err != nil {
		writeError(w, r, err)
		return
	}
	lp, err := readList(r, monthly.SortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := monthlyFilter(r)
	if lp.Format != "" {
		if err := s.exportMonthly(w, r, lp, f); err != nil {
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

func (s *Server) apiGenerateMonthly(w http.ResponseWriter, r *http.Request) {
	svc, err := s.monthlyService()
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in monthlyRequest
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	rep, err := svc.Generate(r.Context(), in.Month, in.Unit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rep)
}

func (s *Server) monthlyReport(r *http.Request) (*monthly.Report, error) {
	svc, err := s.monthlyService()
	if err != nil {
		return nil, err
	}
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	return svc.Get(r.Context(), id)
}

func (s *Server) apiGetMonthly(w http.ResponseWriter, r *http.Request) {
	rep, err := s.monthlyReport(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) apiMonthlyReportDocument(w http.ResponseWriter, r *http.Request) {
	rep, err := s.monthlyReport(r)
	if err == nil {
		err = s.writeMonthly(w, r, rep, rep.Figures)
	}
	if err != nil {
		writeError(w, r, err)
	}
}

func (s *Server) apiMonthlyAcks(w http.ResponseWriter, r *http.Request) {
	rep, err := s.monthlyReport(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	acks, err := s.Monthly.Acks(r.Context(), rep.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": acks})
}

// monthlyAction runs a lifecycle step; acknowledge answers the Ack.
func (s *Server) monthlyAction(r *http.Request, action string, id int64, note string) (any, error) {
	svc, err := s.monthlyService()
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	switch action {
	case "review":
		return svc.Review(ctx, id)
	case "return":
		return svc.Return(ctx, id, note)
	case "publish":
		return svc.Publish(ctx, id)
	case "acknowledge":
		return svc.Acknowledge(ctx, id)
	}
	return nil, errs.NotFound("action " + action)
}

func (s *Server) apiMonthlyAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathInt(r, "id")
		if err != nil {
			writeError(w, r, err)
			return
		}
		var in returnRequest
		if action == "return" {
			if err := s.decodeJSON(w, r, &in); err != nil {
				writeError(w, r, err)
				return
			}
		}
		out, err := s.monthlyAction(r, action, id, in.Note)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// Pages.

type monthlyListData struct {
	Rows     []*monthly.Report
	Pager    *pager
	Filter   monthly.Filter
	Statuses []string
	Units    []*org.Unit
	ITCenter bool
	Month    string // the month the generate form proposes: last month
	Form     *formState
}

func (s *Server) uiMonthlyReports(w http.ResponseWriter, r *http.Request) {
	s.renderMonthlyReports(w, r, http.StatusOK, nil)
}

func (s *Server) renderMonthlyReports(w http.ResponseWriter, r *http.Request, status int, fm *formState) {
	svc, err := s.monthlyService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lp, err := readList(r, monthly.SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f := monthlyFilter(r)
	if lp.Format != "" {
		if err := s.exportMonthly(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d := &monthlyListData{Filter: f, Statuses: monthly.Statuses, Month: monthly.PreviousMonth(time.Now()), Form: fm}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := svc.List(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Rows, d.Pager = list, newPager(r, lp, len(list), total)
	if d.ITCenter, err = svc.ITCenter(r.Context()); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "monthly_reports", s.newPage(r, "monthly", "monthly.title", d))
}

func (s *Server) uiGenerateMonthly(w http.ResponseWriter, r *http.Request) {
	svc, err := s.monthlyService()
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	rep, err := svc.Generate(r.Context(), r.PostForm.Get("month"), r.PostForm.Get("unit"))
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderMonthlyReports(w, r, statusOf(errs.Code(err)), newFormState(r, err, "month", "unit"))
		return
	}
	redirectSaved(w, r, "/monthly-reports/"+strconv.FormatInt(rep.ID, 10))
}

// monthlyBlock is a section of the report as the page shows it.
type monthlyBlock struct {
	monthly.Block
	SVG template.HTML
}

type monthlyReportData struct {
	R        *monthly.Report
	Blocks   []monthlyBlock
	Acks     []monthly.Ack
	ITCenter bool
	CanAck   bool
	Acked    *monthly.Ack
	Form     *formState
}

func (s *Server) uiMonthlyReport(w http.ResponseWriter, r *http.Request) {
	s.renderMonthlyReport(w, r, http.StatusOK, nil)
}

func (s *Server) renderMonthlyReport(w http.ResponseWriter, r *http.Request, status int, fm *formState) {
	rep, err := s.monthlyReport(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &monthlyReportData{R: rep, Form: fm}
	for _, b := range rep.Figures.Blocks(rep.Meta()) {
		mb := monthlyBlock{Block: b}
		if b.Chart != nil {
			mb.SVG = template.HTML(b.Chart.SVG()) // built from escaped text (Chart.SVG)
		}
		d.Blocks = append(d.Blocks, mb)
	}
	if d.ITCenter, err = s.Monthly.ITCenter(r.Context()); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Acks, err = s.Monthly.Acks(r.Context(), rep.ID); err != nil {
		s.uiError(w, r, err)
		return
	}
	if p := principalOf(r); p != nil && rep.Status == monthly.StatusPublished && len(d.Acks) == 1 && d.Acks[0].Unit == rep.Unit {
		if d.Acks[0].AckedBy != "" {
			d.Acked = &d.Acks[0]
		} else {
			d.CanAck = canWriteUnit(p, r, s, rep.Unit)
		}
	}
	s.render(w, r, status, "monthly_report", s.newPage(r, "monthly", "monthly.title", d))
}

// canWriteUnit reports whether p may change objects of the unit code.
func canWriteUnit(p interface{ CanWrite(string) bool }, r *http.Request, s *Server, code string) bool {
	var path string
	if err := s.DB.QueryRow(r.Context(), `SELECT path FROM units WHERE code = ?`, code).Scan(&path); err != nil {
		return false
	}
	return p.CanWrite(path)
}

func (s *Server) uiMonthlyAction(action string) http.HandlerFunc {
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
		if _, err := s.monthlyAction(r, action, id, r.PostForm.Get("note")); err != nil {
			if !formError(err) {
				s.uiError(w, r, err)
				return
			}
			s.renderMonthlyReport(w, r, statusOf(errs.Code(err)), newFormState(r, err, "note"))
			return
		}
		redirectSaved(w, r, "/monthly-reports/"+strconv.FormatInt(id, 10))
	}
}
