package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/i18n"
)

// The escalation API: policies and channels (create, read, replace,
// delete; a channel can send a test), and the log of notifications.

func (s *Server) apiListPolicies(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, escalate.PolicySortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := escalate.PolicyFilter{Unit: r.URL.Query().Get("unit")}
	if lp.Format != "" {
		if err := s.exportPolicies(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Escalate.ListPolicies(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// stepsText is a policy's steps on one line, for exports and lists.
func stepsText(lang string, p *escalate.Policy) string {
	parts := make([]string, len(p.Steps))
	for i, st := range p.Steps {
		who := i18n.T(lang, "esc.target."+st.Target)
		switch st.Target {
		case escalate.TargetUser:
			who += " " + st.User
		case escalate.TargetChannel:
			who += " " + st.ChannelName
		}
		parts[i] = "+" + strconv.Itoa(st.DelayMinutes) + "′ " + who
	}
	return strings.Join(parts, " → ")
}

func (s *Server) exportPolicies(w http.ResponseWriter, r *http.Request, lp listParams, f escalate.PolicyFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*escalate.Policy]{
		{"common.id", func(x *escalate.Policy) string { return strconv.FormatInt(x.ID, 10) }},
		{"common.name", func(x *escalate.Policy) string { return x.Name }},
		{"common.unit", func(x *escalate.Policy) string { return x.Unit + " " + x.UnitName }},
		{"field.min_severity", func(x *escalate.Policy) string { return severityText(lang, x.MinSeverity) }},
		{"field.soc_unit", func(x *escalate.Policy) string { return x.SOCUnit }},
		{"field.steps", func(x *escalate.Policy) string { return stepsText(lang, x) }},
		{"esc.enabled", func(x *escalate.Policy) string { return yesNo(lang, !x.Disabled) }},
		{"esc.updated", func(x *escalate.Policy) string { return i18n.FormatTime(x.UpdatedAt, lang) }},
	}
	return exportList(w, r, lp, "escalation-policies", cols, func(offset, limit int) ([]*escalate.Policy, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Escalate.ListPolicies(r.Context(), f)
	})
}

func severityText(lang, s string) string {
	if w, ok := i18n.Lookup(lang, "severity."+s); ok {
		return w
	}
	return i18n.T(lang, "esc.sev."+s)
}

func yesNo(lang string, b bool) string {
	if b {
		return i18n.T(lang, "esc.yes")
	}
	return i18n.T(lang, "esc.no")
}

func (s *Server) apiCreatePolicy(w http.ResponseWriter, r *http.Request) {
	var in escalate.PolicyInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.Escalate.CreatePolicy(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) apiGetPolicy(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var p *escalate.Policy
		if p, err = s.Escalate.GetPolicy(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, p)
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiUpdatePolicy(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in escalate.PolicyInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.Escalate.UpdatePolicy(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiDeletePolicy(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Escalate.DeletePolicy(r.Context(), id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiListChannels(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, escalate.ChannelSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := escalate.ChannelFilter{Unit: q.Get("unit"), Kind: q.Get("kind")}
	if lp.Format != "" {
		if err := s.exportChannels(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Escalate.ListChannels(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) exportChannels(w http.ResponseWriter, r *http.Request, lp listParams, f escalate.ChannelFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*escalate.Channel]{
		{"common.id", func(x *escalate.Channel) string { return strconv.FormatInt(x.ID, 10) }},
		{"common.name", func(x *escalate.Channel) string { return x.Name }},
		{"common.unit", func(x *escalate.Channel) string { return x.Unit + " " + x.UnitName }},
		{"common.kind", func(x *escalate.Channel) string { return i18n.T(lang, "esc.kind."+x.Kind) }},
		{"field.target", func(x *escalate.Channel) string { return x.Target }},
		{"field.secret", func(x *escalate.Channel) string { return x.SecretHint }},
		{"esc.enabled", func(x *escalate.Channel) string { return yesNo(lang, !x.Disabled) }},
		{"esc.updated", func(x *escalate.Channel) string { return i18n.FormatTime(x.UpdatedAt, lang) }},
	}
	return exportList(w, r, lp, "notification-channels", cols, func(offset, limit int) ([]*escalate.Channel, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Escalate.ListChannels(r.Context(), f)
	})
}

func (s *Server) apiCreateChannel(w http.ResponseWriter, r *http.Request) {
	var in escalate.ChannelInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.Escalate.CreateChannel(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiGetChannel(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var c *escalate.Channel
		if c, err = s.Escalate.GetChannel(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiUpdateChannel(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in escalate.ChannelInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.Escalate.UpdateChannel(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiDeleteChannel(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Escalate.DeleteChannel(r.Context(), id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiTestChannel(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	n, err := s.Escalate.TestChannel(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

// notificationFilter reads the log's query parameters, shared by the API
// and the page.
func notificationFilter(r *http.Request) (escalate.NotificationFilter, error) {
	q := r.URL.Query()
	f := escalate.NotificationFilter{Unit: q.Get("unit"), Statuses: q["status"], Kind: q.Get("kind"), Target: q.Get("target"), Query: q.Get("q")}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"alert", &f.AlertID}, {"channel", &f.Channel}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return f, errs.Invalid(p.name, "must be a number")
			}
			*p.dst = n
		}
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := parseDateParam(v)
			if err != nil {
				return f, errs.Invalid(p.name, "must be a date (dd/mm/yyyy or yyyy-mm-dd) or RFC 3339 time")
			}
			*p.dst = t
		}
	}
	return f, nil
}

func (s *Server) apiListNotifications(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, escalate.NotificationSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := notificationFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportNotifications(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Escalate.ListNotifications(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) exportNotifications(w http.ResponseWriter, r *http.Request, lp listParams, f escalate.NotificationFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	at := func(t time.Time) string { return i18n.FormatTime(t, lang) }
	cols := []exportColumn[*escalate.Notification]{
		{"common.id", func(x *escalate.Notification) string { return strconv.FormatInt(x.ID, 10) }},
		{"esc.created", func(x *escalate.Notification) string { return at(x.CreatedAt) }},
		{"esc.alert", func(x *escalate.Notification) string {
			if x.AlertID == 0 {
				return ""
			}
			return "#" + strconv.FormatInt(x.AlertID, 10) + " " + x.AlertTitle
		}},
		{"esc.severity", func(x *escalate.Notification) string { return severityText(lang, x.Severity) }},
		{"common.unit", func(x *escalate.Notification) string { return x.Unit + " " + x.UnitName }},
		{"esc.host", func(x *escalate.Notification) string { return x.Host }},
		{"esc.policy", func(x *escalate.Notification) string { return x.Policy }},
		{"esc.step", func(x *escalate.Notification) string { return stepNumber(x.Step) }},
		{"field.target", func(x *escalate.Notification) string { return i18n.T(lang, "esc.target."+x.Target) }},
		{"esc.recipient", func(x *escalate.Notification) string { return x.Recipient }},
		{"common.kind", func(x *escalate.Notification) string { return i18n.T(lang, "esc.kind."+x.Kind) }},
		{"common.status", func(x *escalate.Notification) string { return i18n.T(lang, "esc.status."+x.Status) }},
		{"esc.attempts", func(x *escalate.Notification) string { return strconv.Itoa(x.Attempts) }},
		{"esc.delivered", func(x *escalate.Notification) string { return at(x.DeliveredAt) }},
		{"esc.last_error", func(x *escalate.Notification) string { return x.LastError }},
		{"esc.subject", func(x *escalate.Notification) string { return x.Subject }},
	}
	return exportList(w, r, lp, "notifications", cols, func(offset, limit int) ([]*escalate.Notification, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Escalate.ListNotifications(r.Context(), f)
	})
}

func stepNumber(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
