package web

import (
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/i18n"
	"vigil/internal/vulnmatch"
)

// apiMissingUpdates answers GET /api/v1/hosts/{id}/missing-updates: the
// Microsoft updates the host lacks (its active missing_update findings),
// most severe first, as JSON or, with ?format=csv|xlsx, a file.
func (s *Server) apiMissingUpdates(w http.ResponseWriter, r *http.Request) {
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
	list, err := s.VulnMatch.MissingUpdates(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := exportMissingUpdates(w, r, lp, list); err != nil {
			writeError(w, r, err)
		}
		return
	}
	writeJSON(w, http.StatusOK, listResponse[vulnmatch.MissingUpdate]{Items: list})
}

func exportMissingUpdates(w http.ResponseWriter, r *http.Request, lp listParams, list []vulnmatch.MissingUpdate) error {
	lang := exportLang(r)
	cols := []exportColumn[vulnmatch.MissingUpdate]{
		{"match.kb", func(m vulnmatch.MissingUpdate) string { return m.KB }},
		{"match.product", func(m vulnmatch.MissingUpdate) string { return m.Product }},
		{"match.severity", func(m vulnmatch.MissingUpdate) string { return i18n.T(lang, "severity."+m.Severity) }},
		{"match.cvss", func(m vulnmatch.MissingUpdate) string { return strconv.FormatFloat(m.CVSS, 'f', 1, 64) }},
		{"match.kev", func(m vulnmatch.MissingUpdate) string { return i18n.T(lang, "match.yesno."+strconv.FormatBool(m.KEV)) }},
		{"match.cve_count", func(m vulnmatch.MissingUpdate) string { return strconv.Itoa(len(m.CVEs)) }},
		{"match.cves", func(m vulnmatch.MissingUpdate) string { return strings.Join(m.CVEs, " ") }},
		{"match.document", func(m vulnmatch.MissingUpdate) string { return m.Document }},
		{"match.installed", func(m vulnmatch.MissingUpdate) string { return m.Installed }},
		{"match.replaces", func(m vulnmatch.MissingUpdate) string { return strings.Join(m.Replaces, " ") }},
		{"common.status", func(m vulnmatch.MissingUpdate) string { return i18n.T(lang, "finding."+m.Status) }},
		{"match.due", func(m vulnmatch.MissingUpdate) string {
			if m.DueAt.IsZero() {
				return ""
			}
			return i18n.FormatTime(m.DueAt, lang)
		}},
	}
	return exportList(w, r, lp, "missing-updates", cols, func(offset, limit int) ([]vulnmatch.MissingUpdate, int, error) {
		if offset >= len(list) {
			return nil, len(list), nil
		}
		return list[offset:min(len(list), offset+limit)], len(list), nil
	})
}
