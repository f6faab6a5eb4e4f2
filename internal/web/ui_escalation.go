package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/org"
)

// The escalation pages: policies (/escalation), channels
// (/escalation/channels) and the notification log
// (/escalation/notifications). Forms come back with what was typed and the
// message beside the field; a policy's steps are rows of the form
// (delay_N, target_N, user_N, channel_N).

// formSteps is how many step rows a policy form offers.
const formSteps = 6

type escalationData struct {
	Policies   []*escalate.Policy
	Channels   []*escalate.Channel // every channel in scope, for the step rows
	Pager      *pager
	Units      []*org.Unit
	Severities []string
	Targets    []string
	Kinds      []string
	Rows       []int
	CanWrite   bool
	Form       *formState
	StepError  map[int]string // the message beside a step row (1-based)
	Policy     *escalate.Policy
	Channel    *escalate.Channel
	Test       *escalate.Notification // the result of "send a test"
}

func (s *Server) escalationData(r *http.Request) (*escalationData, error) {
	units, err := s.allUnits(r, "")
	if err != nil {
		return nil, err
	}
	chs, _, err := s.Escalate.ListChannels(r.Context(), escalate.ChannelFilter{Limit: 1000})
	if err != nil {
		return nil, err
	}
	rows := make([]int, formSteps)
	for i := range rows {
		rows[i] = i + 1
	}
	sev := make([]string, len(escalate.Severities))
	for i, v := range escalate.Severities {
		sev[len(sev)-1-i] = v
	}
	return &escalationData{Units: units, Channels: chs, Severities: sev, Targets: escalate.Targets, Kinds: escalate.Kinds, Rows: rows,
		CanWrite: canWriteSomewhere(principalOf(r)), StepError: map[int]string{}}, nil
}

// uiEscalation lists the policies.
func (s *Server) uiEscalation(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, escalate.PolicySortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f := escalate.PolicyFilter{Unit: r.URL.Query().Get("unit")}
	if lp.Format != "" {
		if err := s.exportPolicies(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Escalate.ListPolicies(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d, err := s.escalationData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Policies, d.Pager = list, newPager(r, lp, len(list), total)
	s.render(w, r, http.StatusOK, "escalation", s.newPage(r, "escalation", "esc.title", d))
}

// policyForm reads a policy form: the fields, and the step rows that have
// a target.
func policyForm(r *http.Request) escalate.PolicyInput {
	in := escalate.PolicyInput{Unit: r.PostForm.Get("unit"), Name: r.PostForm.Get("name"), MinSeverity: r.PostForm.Get("min_severity"),
		SOCUnit: r.PostForm.Get("soc_unit"), Disabled: r.PostForm.Get("disabled") != ""}
	for i := 1; i <= formSteps; i++ {
		n := strconv.Itoa(i)
		target := r.PostForm.Get("target_" + n)
		if target == "" {
			continue
		}
		st := escalate.StepInput{Target: target, User: r.PostForm.Get("user_" + n)}
		// A delay that is not a whole number of minutes is refused by the
		// service (-1 is out of range).
		if v := strings.TrimSpace(r.PostForm.Get("delay_" + n)); v != "" {
			d, err := strconv.Atoi(v)
			if err != nil {
				d = -1
			}
			st.DelayMinutes = d
		}
		if c := r.PostForm.Get("channel_" + n); c != "" {
			st.Channel, _ = strconv.ParseInt(c, 10, 64)
		}
		in.Steps = append(in.Steps, st)
	}
	return in
}

// stepRowError places a step's error beside its form row: steps[k] is the
// k-th row that has a target.
func stepRowError(r *http.Request, err error) map[int]string {
	e, ok := errs.As(err)
	if !ok || !strings.HasPrefix(e.Field, "steps[") {
		return nil
	}
	k, convErr := strconv.Atoi(e.Field[len("steps["):strings.IndexByte(e.Field, ']')])
	if convErr != nil {
		return nil
	}
	seen := -1
	for i := 1; i <= formSteps; i++ {
		if r.PostForm.Get("target_"+strconv.Itoa(i)) == "" {
			continue
		}
		if seen++; seen == k {
			return map[int]string{i: messageOf(langOf(r), err)}
		}
	}
	return nil
}

var policyFields = []string{"unit", "name", "min_severity", "soc_unit", "steps"}

func (s *Server) uiCreatePolicy(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	p, err := s.Escalate.CreatePolicy(r.Context(), policyForm(r))
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderPolicy(w, r, statusOf(errs.Code(err)), nil, newFormState(r, err, policyFields...), stepRowError(r, err))
		return
	}
	redirectSaved(w, r, "/escalation/policies/"+strconv.FormatInt(p.ID, 10))
}

// uiNewPolicy is the form of a new policy: the example filled in.
func (s *Server) uiNewPolicy(w http.ResponseWriter, r *http.Request) {
	form := &formState{values: map[string]string{"min_severity": "critical", "delay_1": "15", "target_1": escalate.TargetUnitDuty,
		"delay_2": "10", "target_2": escalate.TargetSOCDuty, "delay_3": "5", "target_3": escalate.TargetSOCLead}}
	if p := principalOf(r); p != nil {
		form.values["unit"] = p.UnitCode
	}
	s.renderPolicy(w, r, http.StatusOK, nil, form, nil)
}

func (s *Server) uiPolicy(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	p, err := s.Escalate.GetPolicy(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.renderPolicy(w, r, http.StatusOK, p, nil, nil)
}

// renderPolicy shows a policy's form (p nil: a new one).
func (s *Server) renderPolicy(w http.ResponseWriter, r *http.Request, status int, p *escalate.Policy, form *formState, stepErr map[int]string) {
	d, err := s.escalationData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if form == nil && p != nil {
		// The policy as it is, in the form's shape.
		form = &formState{values: map[string]string{"unit": p.Unit, "name": p.Name, "min_severity": p.MinSeverity, "soc_unit": p.SOCUnit}}
		if p.Disabled {
			form.values["disabled"] = "1"
		}
		for i, st := range p.Steps {
			n := strconv.Itoa(i + 1)
			form.values["delay_"+n], form.values["target_"+n], form.values["user_"+n] = strconv.Itoa(st.DelayMinutes), st.Target, st.User
			if st.Channel != 0 {
				form.values["channel_"+n] = strconv.FormatInt(st.Channel, 10)
			}
		}
	}
	d.Policy, d.Form = p, form
	if stepErr != nil {
		d.StepError = stepErr
	}
	pg := s.newPage(r, "escalation", "esc.new_policy", d)
	if p != nil {
		pg = s.newPage(r, "escalation", "esc.policy_title", d)
		pg.Title = fmt.Sprintf("%s: %s", pg.Title, p.Name)
	}
	s.render(w, r, status, "escalation_policy", pg)
}

func (s *Server) uiUpdatePolicy(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	cur, err := s.Escalate.GetPolicy(r.Context(), id)
	if err == nil {
		_, err = s.Escalate.UpdatePolicy(r.Context(), id, policyForm(r))
	}
	if err != nil {
		if !formError(err) || cur == nil {
			s.uiError(w, r, err)
			return
		}
		s.renderPolicy(w, r, statusOf(errs.Code(err)), cur, newFormState(r, err, policyFields...), stepRowError(r, err))
		return
	}
	redirectSaved(w, r, "/escalation/policies/"+strconv.FormatInt(id, 10))
}

func (s *Server) uiDeletePolicy(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Escalate.DeletePolicy(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/escalation")
}

// uiChannels lists the channels.
func (s *Server) uiChannels(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, escalate.ChannelSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := escalate.ChannelFilter{Unit: q.Get("unit"), Kind: q.Get("kind")}
	if lp.Format != "" {
		if err := s.exportChannels(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Escalate.ListChannels(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d, err := s.escalationData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Channels, d.Pager = list, newPager(r, lp, len(list), total)
	s.render(w, r, http.StatusOK, "escalation_channels", s.newPage(r, "escalation", "esc.channels_title", d))
}

var channelFields = []string{"unit", "name", "kind", "target", "secret", "lang"}

func channelForm(r *http.Request) escalate.ChannelInput {
	return escalate.ChannelInput{Unit: r.PostForm.Get("unit"), Name: r.PostForm.Get("name"), Kind: r.PostForm.Get("kind"), Target: r.PostForm.Get("target"),
		Secret: r.PostForm.Get("secret"), Lang: r.PostForm.Get("lang"), Disabled: r.PostForm.Get("disabled") != ""}
}

func (s *Server) uiCreateChannel(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	c, err := s.Escalate.CreateChannel(r.Context(), channelForm(r))
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderChannel(w, r, statusOf(errs.Code(err)), nil, newFormState(r, err, channelFields...), nil)
		return
	}
	redirectSaved(w, r, "/escalation/channels/"+strconv.FormatInt(c.ID, 10))
}

// uiNewChannel is the form of a new channel.
func (s *Server) uiNewChannel(w http.ResponseWriter, r *http.Request) {
	form := &formState{values: map[string]string{"kind": escalate.KindWebhook, "lang": "vi"}}
	if p := principalOf(r); p != nil {
		form.values["unit"] = p.UnitCode
	}
	s.renderChannel(w, r, http.StatusOK, nil, form, nil)
}

func (s *Server) uiChannel(w http.ResponseWriter, r *http.Request) {
	c, err := s.channelOf(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.renderChannel(w, r, http.StatusOK, c, nil, nil)
}

func (s *Server) channelOf(r *http.Request) (*escalate.Channel, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	return s.Escalate.GetChannel(r.Context(), id)
}

// renderChannel shows a channel's form (c nil: a new one) and the result
// of a test.
func (s *Server) renderChannel(w http.ResponseWriter, r *http.Request, status int, c *escalate.Channel, form *formState, test *escalate.Notification) {
	d, err := s.escalationData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if form == nil && c != nil {
		form = &formState{values: map[string]string{"unit": c.Unit, "name": c.Name, "kind": c.Kind, "target": c.Target, "lang": c.Lang}}
		if c.Disabled {
			form.values["disabled"] = "1"
		}
	}
	d.Channel, d.Form, d.Test = c, form, test
	pg := s.newPage(r, "escalation", "esc.new_channel", d)
	if c != nil {
		pg = s.newPage(r, "escalation", "esc.channel_title", d)
		pg.Title = fmt.Sprintf("%s: %s", pg.Title, c.Name)
	}
	s.render(w, r, status, "escalation_channel", pg)
}

func (s *Server) uiUpdateChannel(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	c, err := s.channelOf(r)
	if err == nil {
		_, err = s.Escalate.UpdateChannel(r.Context(), c.ID, channelForm(r))
	}
	if err != nil {
		if !formError(err) || c == nil {
			s.uiError(w, r, err)
			return
		}
		s.renderChannel(w, r, statusOf(errs.Code(err)), c, newFormState(r, err, channelFields...), nil)
		return
	}
	redirectSaved(w, r, "/escalation/channels/"+strconv.FormatInt(c.ID, 10))
}

// uiTestChannel sends a test and shows its result on the channel's page.
func (s *Server) uiTestChannel(w http.ResponseWriter, r *http.Request) {
	c, err := s.channelOf(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	n, err := s.Escalate.TestChannel(r.Context(), c.ID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.renderChannel(w, r, http.StatusOK, c, nil, n)
}

func (s *Server) uiDeleteChannel(w http.ResponseWriter, r *http.Request) {
	c, err := s.channelOf(r)
	if err == nil {
		err = s.Escalate.DeleteChannel(r.Context(), c.ID)
	}
	if err != nil {
		if formError(err) && c != nil {
			// Refused (a policy uses it): the page says why, above its form.
			form := newFormState(r, err)
			for k, v := range map[string]string{"unit": c.Unit, "name": c.Name, "kind": c.Kind, "target": c.Target, "lang": c.Lang} {
				form.values[k] = v
			}
			s.renderChannel(w, r, statusOf(errs.Code(err)), c, form, nil)
			return
		}
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/escalation/channels")
}

type notificationsData struct {
	Notifications []*escalate.Notification
	Pager         *pager
	Filter        url.Values
	Units         []*org.Unit
	Statuses      []string
	Kinds         []string
	Targets       []string
}

// uiNotifications is the log: who was told what, when, with which result.
func (s *Server) uiNotifications(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, escalate.NotificationSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := notificationFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportNotifications(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Escalate.ListNotifications(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	units, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &notificationsData{Notifications: list, Pager: newPager(r, lp, len(list), total), Filter: r.URL.Query(), Units: units,
		Statuses: escalate.Statuses, Kinds: escalate.Kinds, Targets: append(append([]string{}, escalate.Targets...), "test")}
	s.render(w, r, http.StatusOK, "escalation_log", s.newPage(r, "escalation", "esc.log_title", d))
}
