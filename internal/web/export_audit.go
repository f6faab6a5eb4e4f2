package web

import (
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/audit"
	"vigil/internal/i18n"
)

// exportAudit writes the audit rows f selects, in its order, as CSV or
// XLSX: each row in words as the page shows it, with what changed as
// "field: before → after", and the recorded action and sequence number
// for machines. The count behind the size check is exact up to the
// export's limit, so a filter selecting more is refused rather than cut.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request, lp listParams, f audit.Filter) error {
	lang := exportLang(r)
	cols := []exportColumn[audit.View]{
		{"audit.time", func(v audit.View) string { return i18n.FormatTime(v.At, lang) }},
		{"audit.actor", func(v audit.View) string { return v.ActorName }},
		{"audit.actor_email", func(v audit.View) string { return v.ActorEmail }},
		{"audit.what", func(v audit.View) string { return v.Sentence }},
		{"export.audit.changes", func(v audit.View) string { return auditChangesText(v) }},
		{"common.unit", func(v audit.View) string { return v.UnitName }},
		{"audit.ip", func(v audit.View) string { return v.IP }},
		{"audit.action", func(v audit.View) string { return v.Action }},
		{"export.audit.seq", func(v audit.View) string { return strconv.FormatInt(v.Seq, 10) }},
	}
	return exportList(w, r, lp, "audit", cols, func(offset, limit int) ([]audit.View, int, error) {
		f.Offset, f.Limit, f.CountLimit = offset, limit, maxExportRows
		recs, total, err := audit.List(r.Context(), s.DB, f)
		if err != nil {
			return nil, 0, err
		}
		views, err := audit.Describe(r.Context(), s.DB, recs, lang)
		if err != nil {
			return nil, 0, err
		}
		n := total.N
		if total.Capped {
			n++ // more than the export holds
		}
		return views, n, nil
	})
}

// auditChangesText is a row's fields on one line: "Vai trò: Người xem →
// Cán bộ; Tên: A" (a creation or deletion has one value per field).
func auditChangesText(v audit.View) string {
	parts := make([]string, 0, len(v.Changes))
	for _, c := range v.Changes {
		if v.Diff {
			parts = append(parts, c.Label+": "+c.BeforeShown().Full+" → "+c.AfterShown().Full)
		} else {
			parts = append(parts, c.Label+": "+c.Value().Full)
		}
	}
	if v.Note != "" {
		parts = append(parts, v.Note)
	}
	return strings.Join(parts, "; ")
}
