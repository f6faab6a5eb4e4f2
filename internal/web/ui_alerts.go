package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/org"
)

// The alert queue's pages: the live list (/alerts, updated by server-sent
// events from /api/v1/alerts/stream through static/app.js), one alert with
// its kept events (/alerts/{id}), and the suppression rules
// (/alerts/suppressions); the dashboard's card 2 and a unit page's section.

// alertsCard fills measure 2's dashboard card: the alerts still to work in
// the caller's view, by severity, and the critical ones nobody has
// acknowledged.
func (s *Server) alertsCard(r *http.Request) (*measureCard, error) {
	c, err := s.Alerts.Count(r.Context(), "")
	if err != nil {
		return nil, err
	}
	return &measureCard{Link: "/alerts", Stats: alertStats(langOf(r), c, "")}, nil
}

func alertStats(lang string, c *alerts.Counts, unit string) []cardStat {
	q := "/alerts?status=active"
	if unit != "" {
		q += "&unit=" + url.QueryEscape(unit)
	}
	stats := []cardStat{{Label: i18n.T(lang, "alert.open_count"), Value: i18n.Number(c.Total, lang), Bad: c.Total > 0, Link: q}}
	for _, sev := range []string{alerts.SeverityCritical, alerts.SeverityHigh, alerts.SeverityMedium} {
		stats = append(stats, cardStat{Label: i18n.T(lang, "alert.sev."+sev), Value: i18n.Number(c.Open[sev], lang),
			Bad: c.Open[sev] > 0 && sev != alerts.SeverityMedium, Link: q + "&severity=" + sev})
	}
	n := c.Unacknowledged[alerts.SeverityCritical]
	stats = append(stats, cardStat{Label: i18n.T(lang, "alert.unacked_critical"), Value: i18n.Number(n, lang), Bad: n > 0,
		Link: strings.Replace(q, "status=active", "status=open", 1) + "&severity=critical"})
	return stats
}

// alertsUnitSection adds the unit's alerts to its page.
func (s *Server) alertsUnitSection(r *http.Request, u *org.Unit) (*unitSection, error) {
	c, err := s.Alerts.Count(r.Context(), u.Code)
	if err != nil {
		return nil, err
	}
	lang := langOf(r)
	return &unitSection{Title: i18n.T(lang, "alerts.title"), Link: "/alerts?status=active&unit=" + url.QueryEscape(u.Code), Stats: alertStats(lang, c, u.Code)}, nil
}

type alertsData struct {
	Alerts     []*alerts.Alert
	Pager      *pager
	Filter     url.Values
	Units      []*org.Unit
	Severities []string
	Statuses   []string
	Reasons    []string
	CanWork    bool
	Form       *formState
	Stream     string // the live stream of this view
}

func (s *Server) uiAlerts(w http.ResponseWriter, r *http.Request) {
	s.renderAlerts(w, r, http.StatusOK, nil)
}

func (s *Server) renderAlerts(w http.ResponseWriter, r *http.Request, status int, form *formState) {
	q := r.URL.Query()
	if !q.Has("status") && !q.Has("sort") && !q.Has("unit") && !q.Has("severity") && !q.Has("rule") && !q.Has("host") && !q.Has("assignee") {
		// The queue opens on what is still to work, newest first.
		q.Set("status", "active")
		r.URL.RawQuery = q.Encode()
	}
	lp, err := readList(r, alerts.SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := alertFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportAlerts(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Alerts.List(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	units, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	sq := url.Values{}
	for _, k := range []string{"unit", "severity", "status", "rule", "host", "host_id", "assignee"} {
		if v, ok := q[k]; ok {
			sq[k] = v
		}
	}
	d := &alertsData{Alerts: list, Pager: newPager(r, lp, len(list), total), Filter: q, Units: units,
		Severities: alerts.Severities, Statuses: alerts.Statuses, Reasons: alerts.CloseReasons, Form: form,
		CanWork: alerts.CanWork(principalOf(r)), Stream: "/api/v1/alerts/stream?" + sq.Encode()}
	s.render(w, r, status, "alerts", s.newPage(r, "alerts", "alerts.title", d))
}

// alertUpdate reads the action form of the queue and of an alert's page.
func alertUpdate(r *http.Request) alerts.Update {
	var in alerts.Update
	in.Action, in.Reason = r.PostForm.Get("action"), r.PostForm.Get("reason")
	if in.Action != "close" {
		in.Reason = ""
	}
	// Absent fields are left alone; a box sent empty clears (the alert's
	// page shows the current values in its boxes).
	if v, ok := r.PostForm["assignee"]; ok {
		in.Assignee = &v[0]
	}
	if v, ok := r.PostForm["note"]; ok {
		in.Note = &v[0]
	}
	return in
}

// uiUpdateAlerts applies the bulk form to the selected alerts and returns
// to the same view of the queue.
func (s *Server) uiUpdateAlerts(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	back := safeNext(r.PostForm.Get("back"))
	var ids []int64
	for _, v := range r.PostForm["id"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			s.uiError(w, r, errs.Invalid("id", "not an alert"))
			return
		}
		ids = append(ids, id)
	}
	in := alertUpdate(r)
	// In bulk, an empty box leaves each alert's note and assignee alone.
	if in.Note != nil && strings.TrimSpace(*in.Note) == "" {
		in.Note = nil
	}
	if in.Assignee != nil && strings.TrimSpace(*in.Assignee) == "" {
		in.Assignee = nil
	}
	var err error
	if len(ids) == 0 {
		err = errs.Invalid("ids", "choose at least one alert")
	} else {
		_, err = s.Alerts.UpdateMany(r.Context(), ids, in)
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		u, _ := url.Parse(back)
		r2 := r.Clone(r.Context())
		r2.Method = http.MethodGet
		r2.URL = &url.URL{Path: "/alerts"}
		if u != nil && u.Path == "/alerts" {
			r2.URL.RawQuery = u.RawQuery
		}
		s.renderAlerts(w, r2, statusOf(errs.Code(err)), newFormState(r, err, "ids", "action", "reason", "assignee", "note"))
		return
	}
	redirectSaved(w, r, back)
}

// eventField is one field of a kept event, in the event's order.
type eventField struct{ Name, Value string }

type alertEventView struct {
	alerts.Event
	Fields []eventField
}

// orderedFields reads a kept event's JSON object keeping its order.
func orderedFields(raw json.RawMessage) []eventField {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var out []eventField
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			break
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			break
		}
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		out = append(out, eventField{Name: fmt.Sprint(k), Value: s})
	}
	return out
}

type alertData struct {
	Alert    *alerts.Alert
	Events   []alertEventView
	Reasons  []string
	CanWork  bool
	Form     *formState
	Suppress string // link to a suppression rule form filled for this alert
	Kept     string
	Cases    []*incident.Case // the cases this alert is linked to, in the caller's scope
}

func (s *Server) uiAlert(w http.ResponseWriter, r *http.Request) {
	s.renderAlert(w, r, http.StatusOK, nil)
}

func (s *Server) renderAlert(w http.ResponseWriter, r *http.Request, status int, form *formState) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	a, err := s.Alerts.Get(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lang := langOf(r)
	d := &alertData{Alert: a, Reasons: alerts.CloseReasons, CanWork: alerts.CanWork(principalOf(r)), Form: form,
		Kept: strings.NewReplacer("{0}", strconv.Itoa(alerts.KeepFirst), "{1}", strconv.Itoa(alerts.KeepLast)).Replace(i18n.T(lang, "alert.events_kept"))}
	for _, e := range a.Events {
		d.Events = append(d.Events, alertEventView{Event: e, Fields: orderedFields(e.Fields)})
	}
	sq := url.Values{"rule_id": {a.RuleID}, "unit": {a.Unit}}
	if a.Host != "" {
		sq.Set("host", a.Host)
	}
	d.Suppress = "/alerts/suppressions?" + sq.Encode() + "#new"
	if s.Incidents != nil {
		if d.Cases, err = s.Incidents.CasesOfAlert(r.Context(), a.ID); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	p := s.newPage(r, "alerts", "alert.title", d)
	p.Title = i18n.T(lang, "alert.title") + " " + strconv.FormatInt(a.ID, 10) + ": " + a.RuleTitle
	s.render(w, r, status, "alert", p)
}

func (s *Server) uiUpdateAlert(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	if _, err := s.Alerts.Update(r.Context(), id, alertUpdate(r)); err != nil {
		if formError(err) && errs.Code(err) != errs.ENOTFOUND {
			s.renderAlert(w, r, statusOf(errs.Code(err)), newFormState(r, err, "action", "reason", "assignee", "note"))
			return
		}
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/alerts/"+strconv.FormatInt(id, 10))
}

type suppressionsData struct {
	Rules    []*alerts.Suppression
	Pager    *pager
	Filter   url.Values
	Units    []*org.Unit
	CanWork  bool
	Form     *formState
	Defaults url.Values // the create form filled from an alert
	Tomorrow string
}

func (s *Server) uiSuppressions(w http.ResponseWriter, r *http.Request) {
	s.renderSuppressions(w, r, http.StatusOK, nil)
}

func (s *Server) renderSuppressions(w http.ResponseWriter, r *http.Request, status int, form *formState) {
	lp, err := readList(r, alerts.SuppressionSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := alerts.SuppressionFilter{Rule: q.Get("rule"), Inactive: q.Get("inactive") == "1"}
	if lp.Format != "" {
		if err := s.exportSuppressions(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Alerts.Suppressions(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	units, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &suppressionsData{Rules: list, Pager: newPager(r, lp, len(list), total), Filter: q, Units: units, CanWork: alerts.CanWork(principalOf(r)),
		Form: form, Defaults: q, Tomorrow: time.Now().In(i18n.Location).AddDate(0, 0, 7).Format("02/01/2006")}
	s.render(w, r, status, "alert_suppressions", s.newPage(r, "alerts", "sup.title", d))
}

func (s *Server) uiCreateSuppression(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	in := alerts.SuppressionInput{RuleID: r.PostForm.Get("rule_id"), Host: r.PostForm.Get("host"), Unit: r.PostForm.Get("unit"),
		Field: r.PostForm.Get("field"), Value: r.PostForm.Get("value"), Reason: r.PostForm.Get("reason"), Expires: r.PostForm.Get("expires")}
	if _, err := s.Alerts.CreateSuppression(r.Context(), in); err != nil {
		if formError(err) {
			r2 := r.Clone(r.Context())
			r2.URL = &url.URL{Path: "/alerts/suppressions"}
			s.renderSuppressions(w, r2, statusOf(errs.Code(err)), newFormState(r, err, "rule_id", "host", "unit", "field", "value", "reason", "expires"))
			return
		}
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/alerts/suppressions")
}

func (s *Server) uiRemoveSuppression(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.Alerts.RemoveSuppression(r.Context(), id); err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/alerts/suppressions")
}
