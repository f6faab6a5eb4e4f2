package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

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

// exportSuppressions writes the suppression rules f selects as CSV or XLSX.
func (s *Server) exportSuppressions(w http.ResponseWriter, r *http.Request, lp listParams, f alerts.SuppressionFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*alerts.Suppression]{
		{"common.id", func(x *alerts.Suppression) string { return strconv.FormatInt(x.ID, 10) }},
		{"sup.rule", func(x *alerts.Suppression) string { return x.RuleID }},
		{"sup.host", func(x *alerts.Suppression) string { return x.Host }},
		{"sup.unit", func(x *alerts.Suppression) string { return x.Unit }},
		{"sup.field", func(x *alerts.Suppression) string { return x.Field }},
		{"sup.value", func(x *alerts.Suppression) string { return x.Value }},
		{"sup.reason", func(x *alerts.Suppression) string { return x.Reason }},
		{"sup.expires", func(x *alerts.Suppression) string { return i18n.FormatDate(x.ExpiresAt, lang) }},
		{"sup.hits", func(x *alerts.Suppression) string { return strconv.FormatInt(x.Hits, 10) }},
		{"sup.created", func(x *alerts.Suppression) string { return x.CreatedBy }},
		{"sup.state", func(x *alerts.Suppression) string { return i18n.T(lang, supState(x)) }},
	}
	return exportList(w, r, lp, "alert-suppressions", cols, func(offset, limit int) ([]*alerts.Suppression, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Alerts.Suppressions(r.Context(), f)
	})
}

// supState is the message key of a suppression rule's state.
func supState(x *alerts.Suppression) string {
	switch {
	case !x.RemovedAt.IsZero():
		return "sup.removed"
	case !x.Active:
		return "sup.expired"
	}
	return "sup.active"
}

func (s *Server) apiListSuppressions(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, alerts.SuppressionSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := alerts.SuppressionFilter{Unit: q.Get("unit"), Rule: q.Get("rule")}
	switch q.Get("inactive") {
	case "", "0", "false":
	case "1", "true":
		f.Inactive = true
	default:
		writeError(w, r, errs.Invalid("inactive", "must be true or false"))
		return
	}
	if lp.Format != "" {
		if err := s.exportSuppressions(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Alerts.Suppressions(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiCreateSuppression(w http.ResponseWriter, r *http.Request) {
	var in alerts.SuppressionInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	x, err := s.Alerts.CreateSuppression(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, x)
}

func (s *Server) apiRemoveSuppression(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Alerts.RemoveSuppression(r.Context(), id); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// liveAlert is one change on the live stream: the alert, its words in the
// reader's language for the page to show, and whether it passes the
// stream's filters (a row that stops passing leaves the page).
type liveAlert struct {
	*alerts.Alert
	Match         bool   `json:"match"`
	SeverityLabel string `json:"severity_label"`
	StatusLabel   string `json:"status_label"`
	LastSeenText  string `json:"last_seen_text"`
	SinceText     string `json:"status_since_text"`
}

// apiAlertStream streams the changes of the alerts in the caller's scope
// as server-sent events ("alert" with a liveAlert; "reload" when changes
// were dropped because the reader fell behind).
func (s *Server) apiAlertStream(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := alertFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	match, err := s.Alerts.Matcher(ctx, f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	sub, stop, err := s.Alerts.Subscribe(ctx)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer stop()
	lang := langOf(r)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send([]byte("retry: 3000\n: live\n\n")) {
		return
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.Alerts.Closing():
			return
		case <-ping.C:
			if !send([]byte(": ping\n\n")) {
				return
			}
		case a, ok := <-sub.C:
			if !ok {
				return
			}
			if a == nil {
				if !send([]byte("event: reload\ndata: {}\n\n")) {
					return
				}
				continue
			}
			b, _ := json.Marshal(liveAlert{Alert: a, Match: match(a), SeverityLabel: i18n.T(lang, "alert.sev."+a.Severity),
				StatusLabel: i18n.T(lang, "alert.status."+a.Status), LastSeenText: i18n.FormatTime(a.LastSeen, lang), SinceText: i18n.FormatTime(a.StatusSince, lang)})
			if !send([]byte("event: alert\ndata: " + string(b) + "\n\n")) {
				return
			}
		}
	}
}
