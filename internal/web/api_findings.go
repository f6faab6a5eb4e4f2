package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/i18n"
)

// findingFilter reads the findings queue's query parameters, shared by the
// API and the pages.
func findingFilter(r *http.Request) (findings.Filter, error) {
	q := r.URL.Query()
	f := findings.Filter{Unit: q.Get("unit"), Kinds: q["kind"], Statuses: q["status"], Severities: q["severity"], Owner: q.Get("owner"),
		CVE: q.Get("cve"), Source: q.Get("source")}
	for _, b := range []struct {
		name string
		to   *bool
	}{{"overdue", &f.Overdue}, {"kev", &f.KEV}, {"ms2023", &f.MS2023}} {
		switch q.Get(b.name) {
		case "", "0", "false":
		case "1", "true":
			*b.to = true
		default:
			return f, errs.Invalid(b.name, "must be true or false")
		}
	}
	if v := q.Get("kb"); v != "" {
		kb := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(v)), "KB")
		if kb == "" || strings.Trim(kb, "0123456789") != "" || len(kb) > 12 {
			return f, errs.Invalid("kb", "%q is not a KB number: write it as KB5034441 or 5034441", v)
		}
		f.Key = "kb:" + kb
	}
	if v := q.Get("host"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, errs.Invalid("host", "must be a host id")
		}
		f.HostID = id
	}
	return f, nil
}

func (s *Server) apiListFindings(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, findings.SortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := findingFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportFindings(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Findings.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// exportFindings writes the findings f selects as CSV or XLSX.
func (s *Server) exportFindings(w http.ResponseWriter, r *http.Request, lp listParams, f findings.Filter) error {
	lang := langOf(r)
	if l := r.URL.Query().Get("lang"); l == "en" || l == "vi" {
		lang = l
	}
	f.Sort, f.Desc = lp.Sort, lp.Desc
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return i18n.FormatDate(t, lang)
	}
	cols := []exportColumn[*findings.Finding]{
		{"common.id", func(x *findings.Finding) string { return strconv.FormatInt(x.ID, 10) }},
		{"finding.severity", func(x *findings.Finding) string { return i18n.T(lang, "severity."+x.Severity) }},
		{"common.kind", func(x *findings.Finding) string { return i18n.T(lang, "finding.kind."+x.Kind) }},
		{"finding.what", func(x *findings.Finding) string { return x.Title }},
		{"hosts.hostname", func(x *findings.Finding) string { return x.Hostname }},
		{"common.unit", func(x *findings.Finding) string { return x.Unit + " " + x.UnitName }},
		{"common.status", func(x *findings.Finding) string { return i18n.T(lang, "finding."+x.Status) }},
		{"finding.owner", func(x *findings.Finding) string { return x.Owner }},
		{"finding.due", func(x *findings.Finding) string { return date(x.DueAt) }},
		{"finding.first_seen", func(x *findings.Finding) string { return i18n.FormatTime(x.FirstSeen, lang) }},
		{"finding.last_seen", func(x *findings.Finding) string { return i18n.FormatTime(x.LastSeen, lang) }},
		{"vuln.cve", func(x *findings.Finding) string { return x.CVE }},
		{"vuln.cvss", func(x *findings.Finding) string { return scoreText(x.CVSS, lang) }},
		{"vuln.epss", func(x *findings.Finding) string { return epssText(x.EPSS, lang) }},
		{"vuln.kev", func(x *findings.Finding) string { return yesNo(lang, x.KEV) }},
		{"vuln.kev_due", func(x *findings.Finding) string { return date(x.KEVDue) }},
		{"vuln.priority", func(x *findings.Finding) string { return strconv.Itoa(x.Priority) }},
		{"finding.source", func(x *findings.Finding) string { return x.Source }},
		{"finding.evidence", func(x *findings.Finding) string { return evidenceText(x) }},
		{"finding.note", func(x *findings.Finding) string { return x.Note }},
	}
	return exportList(w, r, lp, "findings", cols, func(offset, limit int) ([]*findings.Finding, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Findings.List(r.Context(), f)
	})
}

func (s *Server) apiGetFinding(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := s.Findings.Get(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiUpdateFinding(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in findings.Update
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	f, err := s.Findings.Update(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

// findingsBulk changes several findings at once.
type findingsBulk struct {
	IDs []int64 `json:"ids"`
	findings.Update
}

func (s *Server) apiUpdateFindings(w http.ResponseWriter, r *http.Request) {
	var in findingsBulk
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	list, err := s.Findings.UpdateMany(r.Context(), in.IDs, in.Update)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listResponse[*findings.Finding]{Items: list})
}
