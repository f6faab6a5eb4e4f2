package web

import (
	"net/http"
	"strconv"

	"vigil/internal/alerts"
	"vigil/internal/errs"
	"vigil/internal/i18n"
)

// alertFilter reads the alert queue's query parameters, shared by the API,
// the page and the live stream.
func alertFilter(r *http.Request) (alerts.Filter, error) {
	q := r.URL.Query()
	f := alerts.Filter{Unit: q.Get("unit"), Statuses: q["status"], Severities: q["severity"], Rule: q.Get("rule"), Host: q.Get("host"), Assignee: q.Get("assignee")}
	if v := q.Get("host_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, errs.Invalid("host_id", "must be a host id")
		}
		f.HostID = id
	}
	if f.Assignee == "me" {
		if p := principalOf(r); p != nil {
			f.Assignee = p.Email
		}
	}
	return f, nil
}

func (s *Server) apiListAlerts(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, alerts.SortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := alertFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportAlerts(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Alerts.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// exportAlerts writes the alerts f selects as CSV or XLSX.
func (s *Server) exportAlerts(w http.ResponseWriter, r *http.Request, lp listParams, f alerts.Filter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*alerts.Alert]{
		{"common.id", func(a *alerts.Alert) string { return strconv.FormatInt(a.ID, 10) }},
		{"alert.severity", func(a *alerts.Alert) string { return i18n.T(lang, "alert.sev."+a.Severity) }},
		{"alert.rule", func(a *alerts.Alert) string { return a.RuleTitle }},
		{"alert.rule_id", func(a *alerts.Alert) string { return a.RuleID }},
		{"alert.host", func(a *alerts.Alert) string { return a.Host }},
		{"common.unit", func(a *alerts.Alert) string { return a.Unit + " " + a.UnitName }},
		{"alert.count", func(a *alerts.Alert) string { return strconv.FormatInt(a.Count, 10) }},
		{"alert.first_seen", func(a *alerts.Alert) string { return i18n.FormatTime(a.FirstSeen, lang) }},
		{"alert.last_seen", func(a *alerts.Alert) string { return i18n.FormatTime(a.LastSeen, lang) }},
		{"common.status", func(a *alerts.Alert) string { return i18n.T(lang, "alert.status."+a.Status) }},
		{"alert.status_since", func(a *alerts.Alert) string { return i18n.FormatTime(a.StatusSince, lang) }},
		{"alert.status_by", func(a *alerts.Alert) string { return a.StatusBy }},
		{"alert.assignee", func(a *alerts.Alert) string { return a.Assignee }},
		{"alert.reason", func(a *alerts.Alert) string {
			if a.CloseReason == "" {
				return ""
			}
			return i18n.T(lang, "alert.reason."+a.CloseReason)
		}},
		{"alert.note", func(a *alerts.Alert) string { return a.Note }},
	}
	return exportList(w, r, lp, "alerts", cols, func(offset, limit int) ([]*alerts.Alert, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Alerts.List(r.Context(), f)
	})
}

func (s *Server) apiGetAlert(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.Alerts.Get(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiUpdateAlert(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in alerts.Update
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.Alerts.Update(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// alertsBulk changes several alerts at once.
type alertsBulk struct {
	IDs []int64 `json:"ids"`
	alerts.Update
}

func (s *Server) apiUpdateAlerts(w http.ResponseWriter, r *http.Request) {
	var in alertsBulk
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	list, err := s.Alerts.UpdateMany(r.Context(), in.IDs, in.Update)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listResponse[*alerts.Alert]{Items: list})
}
