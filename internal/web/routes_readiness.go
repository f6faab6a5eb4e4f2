package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"vigil/internal/attach"
	"vigil/internal/errs"
	"vigil/internal/export"
	"vigil/internal/i18n"
	"vigil/internal/readiness"
)

// routesReadiness lists the API routes and pages of readiness campaigns
// (internal/readiness, issue 15).
func (s *Server) routesReadiness() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/readiness/campaigns", Tag: "readiness", Summary: "Readiness campaigns with a target unit in scope (the IT Center and the SOC see all), latest deadline first",
		Result: readiness.Campaign{}, Paged: true, Sorts: readiness.SortKeys, Query: []string{"state", "q"}, Handler: s.apiReadinessCampaigns})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/readiness/campaigns", Tag: "readiness", Summary: "Open a campaign from a template (the IT Center): starts_at and due_at are days dd/mm/yyyy or yyyy-mm-dd (the deadline is the end of its day in Vietnam), units are codes each with its subtree (none: every unit); computed at once",
		Body: readiness.Input{}, Result: campaignCreated{}, Handler: s.apiCreateReadinessCampaign})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/readiness/campaigns/{id}", Tag: "readiness", Summary: "A campaign, its criteria and the count of its target units in scope",
		Result: readiness.Campaign{}, Handler: s.apiReadinessCampaign})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/readiness/campaigns/{id}/scoreboard", Tag: "readiness", Summary: "Target units in scope × measures from the last snapshots: each criterion's value, target, status and since; ?unit=CODE narrows to a subtree, ?status= to units of that status; ?format=xlsx|csv gives the spreadsheet",
		Result: readiness.Scoreboard{}, Query: []string{"unit", "status", "format"}, Handler: s.apiReadinessScoreboard})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/readiness/campaigns/{id}/refresh", Tag: "readiness", Summary: "Recompute the campaign's snapshots from the capabilities now (the IT Center)",
		Result: readiness.RefreshResult{}, Status: http.StatusOK, Handler: s.apiRefreshReadiness})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/readiness/campaigns/{id}/units/{unit}", Tag: "readiness", Summary: "A unit's sheet: its measures and criteria, what to do next, its day-by-day history",
		Result: readiness.Sheet{}, Handler: s.apiReadinessSheet})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/readiness/campaigns/{id}/attestations", Tag: "readiness", Summary: "The campaign's attestations in scope, oldest first",
		Result: readiness.Attestation{}, Paged: true, Sorts: readiness.AttestSortKeys, Query: []string{"state", "unit"}, Handler: s.apiReadinessAttestations})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/readiness/campaigns/{id}/attestations", Tag: "readiness", Summary: "Attest a criterion for a unit of the caller's subtree (its officer): a note and evidence files (base64 data), SHA-256 kept; it waits for the IT Center's review",
		Body: attestRequest{}, Result: readiness.Attestation{}, Handler: s.apiAttest})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/readiness/attestations/{id}/accept", Tag: "readiness", Summary: "Accept an attestation waiting for review (the IT Center)",
		Body: reviewRequest{}, Result: readiness.Attestation{}, Status: http.StatusOK, Handler: s.apiReviewAttestation(true)})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/readiness/attestations/{id}/return", Tag: "readiness", Summary: "Send an attestation back with the reason (the IT Center)",
		Body: reviewRequest{}, Result: readiness.Attestation{}, Status: http.StatusOK, Handler: s.apiReviewAttestation(false)})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/readiness/attestations/{id}/files/{file}", Tag: "readiness", Summary: "An attestation's evidence file, with its SHA-256 in X-Content-SHA256",
		Handler: func(w http.ResponseWriter, r *http.Request) {
			s.serveAttestationFile(w, r, func(err error) { writeError(w, r, err) })
		}})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/readiness/templates", Tag: "readiness", Summary: "The criteria templates (directive-182-tet built in)",
		Result: readiness.Template{}, List: true, Handler: s.apiReadinessTemplates})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/readiness/templates/{key}", Tag: "readiness", Summary: "A criteria template",
		Result: readiness.Template{}, Handler: s.apiReadinessTemplate})
	s.api(apiRoute{Method: "PUT", Path: "/api/v1/readiness/templates/{key}", Tag: "readiness", Summary: "Write a template whole: its name and criteria (the IT Center); running campaigns keep theirs",
		Body: readiness.TemplateInput{}, Result: readiness.Template{}, Status: http.StatusOK, Handler: s.apiSaveReadinessTemplate})

	// Pages.
	s.mux.HandleFunc("GET /readiness", s.uiAuth(s.uiReadiness))
	s.mux.HandleFunc("POST /readiness", s.uiAuth(s.uiCreateReadiness))
	s.mux.HandleFunc("GET /readiness/{id}", s.uiAuth(s.uiReadinessBoard))
	s.mux.HandleFunc("POST /readiness/{id}/refresh", s.uiAuth(s.uiRefreshReadiness))
	s.mux.HandleFunc("GET /readiness/{id}/leadership", s.uiAuth(s.uiReadinessLeadership))
	s.mux.HandleFunc("GET /readiness/{id}/units/{unit}", s.uiAuth(s.uiReadinessUnit))
	s.mux.HandleFunc("POST /readiness/{id}/units/{unit}/attest", s.uiAuth(s.uiAttest))
	s.mux.HandleFunc("GET /readiness/{id}/attestations", s.uiAuth(s.uiReadinessAttestations))
	s.mux.HandleFunc("POST /readiness-attestations/{id}/review", s.uiAuth(s.uiReviewAttestation))
	s.mux.HandleFunc("GET /readiness-attestations/{id}/files/{file}", s.uiAuth(func(w http.ResponseWriter, r *http.Request) {
		s.serveAttestationFile(w, r, func(err error) { s.uiError(w, r, err) })
	}))
	s.mux.HandleFunc("GET /readiness-templates/{key}", s.uiAuth(s.uiReadinessTemplate))
	s.mux.HandleFunc("POST /readiness-templates/{key}", s.uiAuth(s.uiSaveReadinessTemplate))
}

// campaignCreated answers POST /api/v1/readiness/campaigns.
type campaignCreated struct {
	ID      int64                    `json:"id"`
	Name    string                   `json:"name"`
	Refresh *readiness.RefreshResult `json:"refresh,omitempty"`
}

// attestRequest is the body of POST .../attestations.
type attestRequest struct {
	Unit      string       `json:"unit"`
	Criterion string       `json:"criterion"`
	Note      string       `json:"note"`
	Files     []attestFile `json:"files"`
}

type attestFile struct {
	Name string `json:"name"`
	Data []byte `json:"data"` // base64 in JSON
}

// reviewRequest is the body of an accept or a return.
type reviewRequest struct {
	Note string `json:"note"`
}

func (s *Server) apiReadinessCampaigns(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, readiness.SortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := readiness.Filter{State: r.URL.Query().Get("state"), Query: r.URL.Query().Get("q")}
	if lp.Format != "" {
		if err := s.exportReadinessCampaigns(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Readiness.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiCreateReadinessCampaign(w http.ResponseWriter, r *http.Request) {
	var in readiness.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.Readiness.Create(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := s.Readiness.Refresh(r.Context(), c.ID)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, campaignCreated{ID: c.ID, Name: c.Name, Refresh: res})
}

func (s *Server) apiReadinessCampaign(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var c *readiness.Campaign
		if c, err = s.Readiness.Get(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeError(w, r, err)
}

func scoreFilter(r *http.Request) readiness.ScoreFilter {
	return readiness.ScoreFilter{Unit: r.URL.Query().Get("unit"), Status: r.URL.Query().Get("status")}
}

func (s *Server) apiReadinessScoreboard(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "csv" && format != "xlsx" {
		writeError(w, r, errs.Invalid("format", "must be csv or xlsx"))
		return
	}
	sb, err := s.Readiness.Scoreboard(r.Context(), id, scoreFilter(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	if format != "" {
		s.writeScoreboard(w, r, sb, format)
		return
	}
	for _, u := range sb.Units {
		linkCells(sb.Campaign.ID, u)
	}
	writeJSON(w, http.StatusOK, sb)
}

// writeScoreboard sends the scoreboard as a spreadsheet: one row per
// (unit, criterion), in the reader's language.
func (s *Server) writeScoreboard(w http.ResponseWriter, r *http.Request, sb *readiness.Scoreboard, format string) {
	lang := exportLang(r)
	var buf bytes.Buffer
	out, err := export.New(format, &buf, "readiness")
	if err != nil {
		writeError(w, r, err)
		return
	}
	head := []string{"common.unit", "rd.unit_name", "rd.overall", "rd.measure", "rd.measure_status", "rd.criterion", "rd.value", "rd.target_col", "rd.status", "rd.since"}
	for i, h := range head {
		head[i] = i18n.T(lang, h)
	}
	out.Write(head)
	for _, u := range sb.Units {
		for _, m := range u.Measures {
			for _, c := range m.Criteria {
				out.Write([]string{u.Unit, u.Name, i18n.T(lang, "rd.status."+u.Status), i18n.T(lang, "rd.measure."+strconv.Itoa(m.Measure)),
					i18n.T(lang, "rd.status."+m.Status), criterionLabel(c, lang), readiness.FormatValue(c, lang), readiness.FormatTarget(c, lang),
					i18n.T(lang, "rd.status."+c.Status), i18n.FormatTime(c.Since, lang)})
			}
		}
	}
	if err := out.Flush(); err != nil {
		writeError(w, r, err)
		return
	}
	file := fmt.Sprintf("readiness-%d-%s.%s", sb.Campaign.ID, time.Now().In(i18n.Location).Format("2006-01-02"), format)
	w.Header().Set("Content-Type", export.ContentType(format))
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// linkCells sets each cell's link to the objects behind it: the filtered
// list of a metric, the unit's sheet for an attestation.
func linkCells(campaign int64, u *readiness.Row) {
	for _, m := range u.Measures {
		for _, c := range m.Criteria {
			if c.Kind == readiness.KindAttest {
				c.Link = fmt.Sprintf("/readiness/%d/units/%s#c-%s", campaign, url.PathEscape(u.Unit), c.Key)
			} else {
				c.Link = readinessLink(c.Metric, u.Unit)
			}
		}
	}
}

func criterionLabel(c *readiness.Cell, lang string) string {
	if lang == "en" && c.LabelEn != "" {
		return c.LabelEn
	}
	return c.Label
}

func (s *Server) apiRefreshReadiness(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var res *readiness.RefreshResult
		if res, err = s.Readiness.Refresh(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, res)
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiReadinessSheet(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var sh *readiness.Sheet
		if sh, err = s.Readiness.Sheet(r.Context(), id, r.PathValue("unit")); err == nil {
			linkCells(id, sh.Row)
			writeJSON(w, http.StatusOK, sh)
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiReadinessAttestations(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	lp, err := readList(r, readiness.AttestSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := readiness.AttestFilter{Campaign: id, State: r.URL.Query().Get("state"), Unit: r.URL.Query().Get("unit")}
	if lp.Format != "" {
		if err := s.exportAttestations(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Readiness.Attestations(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiAttest(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in attestRequest
	if err := s.decodeJSONLimit(w, r, &in, 3*attach.MaxSize/2); err != nil {
		writeError(w, r, err)
		return
	}
	ai := readiness.AttestInput{Unit: in.Unit, Criterion: in.Criterion, Note: in.Note}
	for _, f := range in.Files {
		ai.Files = append(ai.Files, attach.Input{Name: f.Name, Data: bytes.NewReader(f.Data)})
	}
	a, err := s.Readiness.Attest(r.Context(), id, ai)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) apiReviewAttestation(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathInt(r, "id")
		if err != nil {
			writeError(w, r, err)
			return
		}
		var in reviewRequest
		if err := s.decodeOptional(w, r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		a, err := s.Readiness.Review(r.Context(), id, accept, in.Note)
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, a)
	}
}

// serveAttestationFile sends one of an attestation's evidence files.
func (s *Server) serveAttestationFile(w http.ResponseWriter, r *http.Request, fail func(error)) {
	serveAttachment(w, r, "file", s.Readiness.File, fail)
}

func (s *Server) apiReadinessTemplates(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Readiness.Templates(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": ts})
}

func (s *Server) apiReadinessTemplate(w http.ResponseWriter, r *http.Request) {
	t, err := s.Readiness.Template(r.Context(), r.PathValue("key"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) apiSaveReadinessTemplate(w http.ResponseWriter, r *http.Request) {
	var in readiness.TemplateInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.Readiness.SaveTemplate(r.Context(), r.PathValue("key"), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) exportReadinessCampaigns(w http.ResponseWriter, r *http.Request, lp listParams, f readiness.Filter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*readiness.Campaign]{
		{"rd.name", func(x *readiness.Campaign) string { return x.Name }},
		{"rd.template", func(x *readiness.Campaign) string { return x.Template }},
		{"rd.starts_at", func(x *readiness.Campaign) string { return i18n.FormatDate(x.StartsAt, lang) }},
		{"rd.due_at", func(x *readiness.Campaign) string { return i18n.FormatDate(x.DueAt, lang) }},
		{"rd.targets", func(x *readiness.Campaign) string { return strconv.Itoa(x.Targets) }},
		{"rd.refreshed", func(x *readiness.Campaign) string { return i18n.FormatTime(x.RefreshedAt, lang) }},
	}
	return exportList(w, r, lp, "readiness-campaigns", cols, func(offset, limit int) ([]*readiness.Campaign, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Readiness.List(r.Context(), f)
	})
}

func (s *Server) exportAttestations(w http.ResponseWriter, r *http.Request, lp listParams, f readiness.AttestFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*readiness.Attestation]{
		{"common.unit", func(x *readiness.Attestation) string { return x.Unit + " — " + x.UnitName }},
		{"rd.criterion", func(x *readiness.Attestation) string { return x.Label }},
		{"rd.status", func(x *readiness.Attestation) string { return i18n.T(lang, "rd.attest."+x.State) }},
		{"rd.attest_note", func(x *readiness.Attestation) string { return x.Note }},
		{"rd.attested_by", func(x *readiness.Attestation) string { return x.AttestedBy + " " + i18n.FormatTime(x.AttestedAt, lang) }},
		{"rd.reviewed_by", func(x *readiness.Attestation) string { return x.ReviewedBy + " " + i18n.FormatTime(x.ReviewedAt, lang) }},
		{"rd.review_note", func(x *readiness.Attestation) string { return x.ReviewNote }},
		{"rd.attest_files", func(x *readiness.Attestation) string {
			var b bytes.Buffer
			for i, f := range x.Files {
				if i > 0 {
					b.WriteString("; ")
				}
				b.WriteString(f.Name + " SHA-256 " + f.SHA256)
			}
			return b.String()
		}},
	}
	return exportList(w, r, lp, "readiness-attestations", cols, func(offset, limit int) ([]*readiness.Attestation, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Readiness.Attestations(r.Context(), f)
	})
}
