package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/attach"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/intel"
	"vigil/internal/org"
)

// The incident pages: the list of cases with the open ones counted by
// unit and severity (/incidents), the form that opens or edits one
// (/incidents/new, prefilled from ?alert= or ?hit=; /incidents/{id}/edit),
// the case page a duty officer works from (/incidents/{id}), the running
// clocks (/incidents/timers), the monthly summary (/incidents/summary)
// and the clocks' settings (/incidents/settings).

type incidentsData struct {
	Rows       []*incident.Case
	Pager      *pager
	Filter     url.Values
	Units      []*org.Unit
	Statuses   []string
	Severities []string
	Categories []string
	Matrix     []matrixRow
	CanOpen    bool
}

// matrixRow is a unit's open cases by severity (most severe first).
type matrixRow struct {
	Unit, Name string
	Counts     []int
	Total      int
}

func (s *Server) uiIncidents(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, incident.SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := incidentFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if r.URL.Query().Get("status") == "" && !r.URL.Query().Has("status") {
		f.Status = "open"
	}
	if lp.Format != "" {
		if err := s.exportIncidents(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Incidents.List(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	cells, err := s.Incidents.OpenByUnit(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	filter := r.URL.Query()
	if !filter.Has("status") {
		filter.Set("status", "open")
	}
	d := &incidentsData{Rows: list, Pager: newPager(r, lp, len(list), total), Filter: filter, Statuses: incident.Statuses,
		Severities: incident.Severities, Categories: incident.Categories, CanOpen: s.Incidents.CanOpen(r.Context())}
	idx := map[string]int{}
	for _, c := range cells {
		i, ok := idx[c.Unit]
		if !ok {
			i = len(d.Matrix)
			idx[c.Unit] = i
			d.Matrix = append(d.Matrix, matrixRow{Unit: c.Unit, Name: c.UnitName, Counts: make([]int, len(incident.Severities))})
		}
		for j, sv := range incident.Severities {
			if sv == c.Severity {
				d.Matrix[i].Counts[j] += c.Count
			}
		}
		d.Matrix[i].Total += c.Count
	}
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "incidents", s.newPage(r, "incidents", "inc.title", d))
}

// incidentFormData is the form that opens or edits a case.
type incidentFormData struct {
	Case       *incident.Case
	Form       *formState
	Units      []*org.Unit
	Categories []string
	Severities []string
	Alerts     string // alert ids carried from the alert page
	Hit        string // the warning-list hit it comes from
}

var incidentFormFields = []string{"title", "description", "category", "severity", "units", "hosts", "system_name", "security_level",
	"personal_data", "serious", "detected_at", "owner", "alerts", "domains", "public_ips", "os", "services", "security_measures", "purpose",
	"resolution", "lessons", "support_from", "damage_vnd", "value"}

func (s *Server) renderIncidentForm(w http.ResponseWriter, r *http.Request, status int, c *incident.Case, fm *formState) {
	units, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &incidentFormData{Case: c, Form: fm, Units: units, Categories: incident.Categories, Severities: incident.Severities}
	lang := langOf(r)
	if fm == nil {
		fm = &formState{values: map[string]string{}}
		if c != nil {
			fm.values = map[string]string{"title": c.Title, "description": c.Description, "category": c.Category, "severity": c.Severity,
				"units": strings.Join(c.Units, ", "), "hosts": strings.Join(c.Hosts, "\n"), "system_name": c.SystemName,
				"security_level": strconv.Itoa(c.SecurityLevel), "detected_at": c.DetectedAt.In(i18n.Location).Format("02/01/2006 15:04"),
				"owner": c.Owner, "domains": strings.Join(c.Domains, "\n"), "public_ips": strings.Join(c.PublicIPs, "\n"), "os": strings.Join(c.OS, "\n"),
				"services": strings.Join(c.Services, "\n"), "security_measures": c.SecurityMeasures, "purpose": c.Purpose, "resolution": c.Resolution,
				"lessons": c.Lessons, "support_from": c.SupportFrom, "damage_vnd": strconv.FormatInt(c.DamageVND, 10)}
			if c.PersonalData {
				fm.values["personal_data"] = "on"
			}
			if c.Serious {
				fm.values["serious"] = "on"
			}
			if c.VNCERTHelp {
				fm.values["vncert_help"] = "on"
			}
		} else if err := s.prefillIncident(r, fm); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	d.Form = fm
	d.Alerts, d.Hit = fm.Get("alerts"), fm.Get("hit")
	title := "inc.new"
	if c != nil {
		title = "inc.edit"
	}
	p := s.newPage(r, "incidents", title, d)
	if c != nil {
		p.Title = i18n.T(lang, title) + " " + c.Ref
	}
	s.render(w, r, status, "incident_form", p)
}

// prefillIncident fills a new case's form from the alerts (?alert=) or
// the warning-list hit (?hit=) it is opened from.
func (s *Server) prefillIncident(r *http.Request, fm *formState) error {
	q := r.URL.Query()
	lang := langOf(r)
	var ids []string
	for _, v := range q["alert"] {
		ids = append(ids, strings.Split(v, ",")...)
	}
	if len(ids) > 0 {
		var units, hosts []string
		title := ""
		sev := "medium"
		for _, v := range ids {
			id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return errs.Invalid("alerts", "no alert %d in your units", 0)
			}
			a, err := s.Alerts.Get(r.Context(), id)
			if err != nil {
				return err
			}
			if title == "" {
				title = a.RuleTitle
				if a.Host != "" {
					title += " — " + a.Host
				}
			}
			if a.Severity == "critical" || (a.Severity == "high" && sev != "critical") {
				sev = a.Severity
			}
			if !contains(units, a.Unit) {
				units = append(units, a.Unit)
			}
			if a.Host != "" && !contains(hosts, a.Host) {
				hosts = append(hosts, a.Host)
			}
		}
		fm.values["alerts"] = strings.Join(ids, ",")
		fm.values["title"], fm.values["severity"], fm.values["units"], fm.values["hosts"] = title, sev, strings.Join(units, ", "), strings.Join(hosts, "\n")
		fm.values["category"] = "other"
	}
	if v := q.Get("hit"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errs.NotFound("hit " + v)
		}
		h, err := s.Watchlist.Get(r.Context(), id)
		if err != nil {
			return err
		}
		fm.values["hit"] = v
		fm.values["title"] = fmt.Sprintf(i18n.T(lang, "inc.from_hit_title"), h.Value, h.Host)
		fm.values["units"], fm.values["hosts"] = h.Unit, h.Host
		fm.values["severity"] = h.Severity
		fm.values["category"] = "malware"
		fm.values["value"] = h.Kind + ":" + h.Value
		if h.AlertID != 0 {
			fm.values["alerts"] = strconv.FormatInt(h.AlertID, 10)
		}
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) uiNewIncident(w http.ResponseWriter, r *http.Request) {
	if !s.Incidents.CanOpen(r.Context()) {
		s.uiError(w, r, errs.Forbidden("you may not open incident cases"))
		return
	}
	s.renderIncidentForm(w, r, http.StatusOK, nil, nil)
}

func splitIDs(field, v string) ([]int64, error) {
	var out []int64
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, errs.Invalid(field, "%q is not a number", p)
		}
		out = append(out, n)
	}
	return out, nil
}

func (s *Server) uiCreateIncident(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	f := r.PostForm
	in := incident.Input{Title: f.Get("title"), Description: f.Get("description"), Category: f.Get("category"), Severity: f.Get("severity"),
		Units: []string{f.Get("units")}, Hosts: []string{f.Get("hosts")}, SystemName: f.Get("system_name"), PersonalData: f.Get("personal_data") != "",
		Serious: f.Get("serious") != "", DetectedAt: f.Get("detected_at"), Owner: f.Get("owner")}
	var err error
	if in.Alerts, err = splitIDs("alerts", f.Get("alerts")); err == nil {
		in.SecurityLevel, err = formInt("security_level", f.Get("security_level"))
	}
	if err == nil && f.Get("hit") != "" {
		in.Source = "hit"
		in.Note = fmt.Sprintf(i18n.T("vi", "inc.from_hit_note"), f.Get("hit"))
	}
	if err == nil && strings.TrimSpace(f.Get("value")) != "" {
		kind, value, _ := strings.Cut(f.Get("value"), ":")
		in.Observables = []incident.ObservableInput{{Kind: kind, Value: value}}
	}
	var c *incident.Case
	if err == nil {
		c, err = s.Incidents.Create(r.Context(), in)
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.renderIncidentForm(w, r, statusOf(errs.Code(err)), nil, newFormState(r, err, incidentFormFields...))
		return
	}
	redirectSaved(w, r, "/incidents/"+strconv.FormatInt(c.ID, 10))
}

func formInt(field, v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errs.Invalid(field, "%q is not a number", v)
	}
	return n, nil
}

func (s *Server) uiEditIncident(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	c, err := s.Incidents.Get(r.Context(), id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if !c.CanWork {
		s.uiError(w, r, errs.Forbidden("you may read incident %s but not work it", c.Ref))
		return
	}
	s.renderIncidentForm(w, r, http.StatusOK, c, nil)
}

func (s *Server) uiUpdateIncident(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	f := r.PostForm
	str := func(k string) *string { v := f.Get(k); return &v }
	list := func(k string) *[]string { v := []string{f.Get(k)}; return &v }
	flag := func(k string) *bool { v := f.Get(k) != ""; return &v }
	in := incident.Patch{Title: str("title"), Description: str("description"), Category: str("category"), Severity: str("severity"),
		SystemName: str("system_name"), PersonalData: flag("personal_data"), Serious: flag("serious"), Units: list("units"), Hosts: list("hosts"),
		Domains: list("domains"), PublicIPs: list("public_ips"), OS: list("os"), Services: list("services"), SecurityMeasures: str("security_measures"),
		Purpose: str("purpose"), DetectedAt: str("detected_at"), Resolution: str("resolution"), Lessons: str("lessons"), SupportFrom: str("support_from"),
		VNCERTHelp: flag("vncert_help")}
	if o := strings.TrimSpace(f.Get("owner")); o != "" {
		in.Owner = &o
	}
	lvl, err := formInt("security_level", f.Get("security_level"))
	if err == nil {
		in.SecurityLevel = &lvl
		var dmg int
		if dmg, err = formInt("damage_vnd", f.Get("damage_vnd")); err == nil {
			d := int64(dmg)
			in.DamageVND = &d
		}
	}
	var c *incident.Case
	if err == nil {
		c, err = s.Incidents.Update(r.Context(), id, in)
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		cur, gerr := s.Incidents.Get(r.Context(), id)
		if gerr != nil {
			s.uiError(w, r, gerr)
			return
		}
		s.renderIncidentForm(w, r, statusOf(errs.Code(err)), cur, newFormState(r, err, incidentFormFields...))
		return
	}
	redirectSaved(w, r, "/incidents/"+strconv.FormatInt(c.ID, 10))
}

// incidentData is the case page.
type incidentData struct {
	Case        *incident.Case
	Clocks      []clockView
	Tasks       []*incident.Task
	Observables []*incident.Observable
	Evidence    []*attach.Attachment
	Timeline    []incident.Entry
	TLTotal     int
	TLPager     *pager
	Kinds       []string
	Kind        string
	Statuses    []string
	Next        string // the next status in order
	Lists       []*intel.List
	Action      string     // the form that failed
	Form        *formState // its input and reason
	MaxMiB      int
}

// clockView is a clock in words.
type clockView struct {
	incident.Clock
	Left string
}

func clockViews(lang string, ks []incident.Clock, now time.Time) []clockView {
	out := make([]clockView, len(ks))
	for i, k := range ks {
		out[i] = clockView{Clock: k, Left: leftText(lang, k, now)}
	}
	return out
}

// leftText says how long is left before a clock's deadline, or how late.
func leftText(lang string, k incident.Clock, now time.Time) string {
	if !k.Done.IsZero() {
		return ""
	}
	d := k.Due.Sub(now)
	if d < 0 {
		return fmt.Sprintf(i18n.T(lang, "inc.late_by"), incident.Duration(-d).Text(lang))
	}
	return fmt.Sprintf(i18n.T(lang, "inc.left"), incident.Duration(d).Text(lang))
}

var timelineKinds = []string{"alert", "status", "note", "task", "task_done", "observable", "evidence", "participant", "owner", "watchlist", "report", "delivery"}

func (s *Server) uiIncident(w http.ResponseWriter, r *http.Request) {
	if f := r.URL.Query().Get("format"); f != "" {
		// The timeline pager's CSV and XLSX links.
		id, err := pathInt(r, "id")
		var lp listParams
		if err == nil {
			lp, err = readList(r, nil)
		}
		if err == nil {
			err = s.exportTimeline(w, r, lp, id, incident.TimelineFilter{Kind: r.URL.Query().Get("kind")})
		}
		if err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	s.renderIncident(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderIncident(w http.ResponseWriter, r *http.Request, status int, action string, fm *formState) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d, err := s.incidentPage(r, id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Action, d.Form = action, fm
	p := s.newPage(r, "incidents", "inc.title", d)
	p.Title = d.Case.Ref + " — " + d.Case.Title
	s.render(w, r, status, "incident", p)
}

// incidentPage gathers what the case page shows.
func (s *Server) incidentPage(r *http.Request, id int64) (*incidentData, error) {
	ctx := r.Context()
	c, err := s.Incidents.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	lang := langOf(r)
	d := &incidentData{Case: c, Clocks: clockViews(lang, c.Clocks, time.Now()), Statuses: incident.Statuses, Kinds: timelineKinds, MaxMiB: attach.MaxSize >> 20}
	for i, st := range incident.Statuses {
		if st == c.Status && i+1 < len(incident.Statuses) {
			d.Next = incident.Statuses[i+1]
		}
	}
	if d.Tasks, err = s.Incidents.Tasks(ctx, id); err != nil {
		return nil, err
	}
	if d.Observables, err = s.Incidents.Observables(ctx, id); err != nil {
		return nil, err
	}
	if d.Evidence, err = s.Incidents.Evidence(ctx, id); err != nil {
		return nil, err
	}
	lp, err := readList(r, nil)
	if err != nil {
		return nil, err
	}
	if r.URL.Query().Get("limit") == "" {
		lp.Limit = 200
	}
	d.Kind = r.URL.Query().Get("kind")
	if d.Timeline, d.TLTotal, err = s.Incidents.Timeline(ctx, id, incident.TimelineFilter{Kind: d.Kind, Offset: lp.Offset, Limit: lp.Limit}); err != nil {
		return nil, err
	}
	d.TLPager = newPager(r, lp, len(d.Timeline), d.TLTotal)
	if c.CanWork && len(d.Observables) > 0 && s.Intel.CanAddEntries(ctx) {
		lists, _, err := s.Intel.Lists(ctx, intel.ListFilter{Status: intel.ListDraft, Limit: 20})
		if err == nil {
			d.Lists = lists
		}
	}
	return d, nil
}

// uiIncidentAction runs one of the case page's forms and comes back to
// it: saved, or the page with the form's input and the reason.
func (s *Server) uiIncidentAction(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathInt(r, "id")
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		if name == "evidence" {
			err = r.ParseMultipartForm(4 << 20)
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				err = errs.New(errs.ETOOLARGE, "file", "a file may be at most %d MiB", attach.MaxSize>>20)
			case err != nil:
				err = errs.Invalid("file", "choose a file to attach")
			}
		} else {
			err = s.parseForm(w, r)
		}
		if err == nil {
			err = s.incidentAction(r, name, id)
		}
		if err != nil {
			if !formError(err) {
				s.uiError(w, r, err)
				return
			}
			s.renderIncident(w, r, statusOf(errs.Code(err)), name, newFormState(r, err, "status", "note", "text", "title", "owner", "due", "value", "kind",
				"email", "file", "sha256", "form", "at", "list", "unit"))
			return
		}
		redirectSaved(w, r, "/incidents/"+strconv.FormatInt(id, 10))
	}
}

func (s *Server) incidentAction(r *http.Request, name string, id int64) error {
	ctx := r.Context()
	f := r.PostForm
	var err error
	switch name {
	case "status":
		_, err = s.Incidents.SetStatus(ctx, id, incident.StatusInput{Status: f.Get("status"), Note: f.Get("note")})
	case "note":
		_, err = s.Incidents.AddNote(ctx, id, incident.NoteInput{Text: f.Get("text")})
	case "task":
		_, err = s.Incidents.AddTask(ctx, id, incident.TaskInput{Title: f.Get("title"), Owner: f.Get("owner"), Due: f.Get("due")})
	case "task_done":
		var task int64
		if task, err = pathInt(r, "task"); err == nil {
			_, err = s.Incidents.CompleteTask(ctx, id, task)
		}
	case "observable":
		var in []incident.ObservableInput
		for _, l := range strings.Split(f.Get("value"), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				in = append(in, incident.ObservableInput{Kind: f.Get("kind"), Value: l, Note: f.Get("note")})
			}
		}
		_, err = s.Incidents.AddObservables(ctx, id, in)
	case "participant":
		_, err = s.Incidents.AddParticipant(ctx, id, f.Get("email"))
	case "reported":
		var at time.Time
		if v := strings.TrimSpace(f.Get("at")); v != "" {
			at, err = incident.ParseTime("at", v)
		}
		if err == nil {
			err = s.Incidents.MarkReported(ctx, nil, id, f.Get("form"), at)
		}
	case "watchlist":
		err = s.incidentToWatchlist(r, id)
	case "evidence":
		fhs := r.MultipartForm.File["file"]
		if len(fhs) == 0 || fhs[0].Filename == "" {
			return errs.Invalid("file", "choose a file to attach")
		}
		file, ferr := fhs[0].Open()
		if ferr != nil {
			return errs.Invalid("file", "choose a file to attach")
		}
		defer file.Close()
		_, err = s.Incidents.AddEvidence(ctx, id, incident.EvidenceInput{Name: fhs[0].Filename, ContentType: fhs[0].Header.Get("Content-Type"),
			SHA256: r.FormValue("sha256"), Data: file})
	}
	return err
}

// incidentToWatchlist adds an observable to a draft warning list, for the
// case's owning unit, with the case as the reason.
func (s *Server) incidentToWatchlist(r *http.Request, id int64) error {
	obs, err := pathInt(r, "obs")
	if err != nil {
		return err
	}
	c, o, err := s.Incidents.Observable(r.Context(), id, obs)
	if err != nil {
		return err
	}
	listID, err := strconv.ParseInt(r.PostForm.Get("list"), 10, 64)
	if err != nil {
		return errs.Invalid("list", "choose a draft warning list")
	}
	l, err := s.Intel.GetList(r.Context(), listID)
	if err != nil {
		return err
	}
	unit := r.PostForm.Get("unit")
	if unit == "" && !s.Intel.CanManage(r.Context()) {
		unit = c.Unit
	}
	in := intel.EntryInput{Unit: unit, Severity: c.Severity, Reason: c.Ref + " — " + c.Title}
	switch {
	case o.IndicatorID != 0: // the indicator intel already holds
		in.IndicatorIDs = []int64{o.IndicatorID}
	case o.Kind == "account" || o.Kind == "hostname" || o.Kind == "domain" || o.Kind == "email": // kinds a pasted value names
		in.Values, in.Source = o.Kind+":"+o.Value, c.Ref
	default: // addresses, URLs and hashes tell their kind
		in.Values, in.Source = o.Value, c.Ref
	}
	res, err := s.Intel.AddEntries(r.Context(), listID, in)
	if err != nil {
		return err
	}
	if res.IndicatorsLoaded == 0 && len(res.Skipped) > 0 {
		return errs.Invalid("list", "the warning list took nothing: %s", res.Skipped[0].Reason)
	}
	return s.Incidents.NoteWatchlist(r.Context(), id, o, l.Name)
}

// timersData is the running clocks' page.
type timersData struct {
	Rows   []timerView
	Pager  *pager
	Filter url.Values
	Units  []*org.Unit
}

type timerView struct {
	Case  *incident.Case
	Clock clockView
}

// timerFilter reads the timers list's filters and paging.
func timerFilter(r *http.Request) (listParams, incident.TimerPageFilter, error) {
	var f incident.TimerPageFilter
	lp, err := readList(r, incident.TimerSorts)
	if err != nil {
		return lp, f, err
	}
	legal, err := boolParam(r, "legal")
	if err != nil {
		return lp, f, err
	}
	f.Unit, f.Legal = r.URL.Query().Get("unit"), legal
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	return lp, f, nil
}

func (s *Server) uiIncidentTimers(w http.ResponseWriter, r *http.Request) {
	lp, f, err := timerFilter(r)
	if err == nil && lp.Format != "" {
		err = s.exportTimers(w, r, lp, f)
		if err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	rows, total, err := s.Incidents.TimerPage(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lang, now := langOf(r), time.Now()
	d := &timersData{Filter: r.URL.Query(), Pager: newPager(r, lp, len(rows), total)}
	for _, x := range rows {
		d.Rows = append(d.Rows, timerView{Case: x.Case, Clock: clockView{Clock: x.Clock, Left: leftText(lang, x.Clock, now)}})
	}
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "incident_timers", s.newPage(r, "incidents", "inc.timers", d))
}

// exportTimers writes every running clock f selects, in its order, as CSV
// or XLSX in the reader's language.
func (s *Server) exportTimers(w http.ResponseWriter, r *http.Request, lp listParams, f incident.TimerPageFilter) error {
	lang, now := exportLang(r), time.Now()
	cols := []exportColumn[incident.TimerRow]{
		{"inc.ref", func(x incident.TimerRow) string { return x.Case.Ref }},
		{"inc.f.title", func(x incident.TimerRow) string { return x.Case.Title }},
		{"inc.clock", func(x incident.TimerRow) string {
			name := i18n.T(lang, "inc.clock."+x.Clock.Name)
			if !x.Clock.Legal {
				name += " (" + i18n.T(lang, "inc.soc_target") + ")"
			}
			return name
		}},
		{"inc.due", func(x incident.TimerRow) string { return i18n.FormatTime(x.Clock.Due, lang) }},
		{"common.status", func(x incident.TimerRow) string { return leftText(lang, x.Clock, now) }},
		{"inc.f.severity", func(x incident.TimerRow) string { return i18n.T(lang, "inc.sev."+x.Case.Severity) }},
		{"inc.f.unit", func(x incident.TimerRow) string { return x.Case.Unit }},
	}
	return exportList(w, r, lp, "incident-timers", cols, func(offset, limit int) ([]incident.TimerRow, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Incidents.TimerPage(r.Context(), f)
	})
}

type summaryData struct {
	Sum   *incident.Summary
	Month string
	Prev  string
	Next  string
	Unit  string
	Units []*org.Unit
}

func (s *Server) uiIncidentSummary(w http.ResponseWriter, r *http.Request) {
	month := monthParam(r, time.Now())
	sum, err := s.Incidents.MonthlySummary(r.Context(), r.URL.Query().Get("unit"), month)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &summaryData{Sum: sum, Month: month, Unit: r.URL.Query().Get("unit"),
		Prev: sum.From.AddDate(0, -1, 0).Format("2006-01"), Next: sum.From.AddDate(0, 1, 0).Format("2006-01")}
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	p := s.newPage(r, "incidents", "inc.summary", d)
	p.Title = i18n.T(langOf(r), "inc.summary") + " " + sum.From.In(i18n.Location).Format("01/2006")
	s.render(w, r, http.StatusOK, "incident_summary", p)
}

type settingsData struct {
	Set  incident.Settings
	Form *formState
}

func (s *Server) uiIncidentSettings(w http.ResponseWriter, r *http.Request) {
	st, err := s.Incidents.Settings(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "incident_settings", s.newPage(r, "incidents", "inc.settings", &settingsData{Set: st}))
}

func (s *Server) uiSaveIncidentSettings(w http.ResponseWriter, r *http.Request) {
	if err := s.parseForm(w, r); err != nil {
		s.uiError(w, r, err)
		return
	}
	f := r.PostForm
	st := incident.Settings{WorkingDays: f.Get("working_days") == "working", Holidays: []string{f.Get("holidays")}}
	var err error
	for _, x := range []struct {
		field string
		dst   *int
	}{{"initial_days", &st.InitialDays}, {"final_days", &st.FinalDays}, {"personal_data_hours", &st.PersonalDataHours},
		{"ack_minutes", &st.AckMinutes}, {"contain_hours", &st.ContainHours}, {"close_days", &st.CloseDays}, {"remind_hours", &st.RemindHours}} {
		if err == nil {
			*x.dst, err = formInt(x.field, f.Get(x.field))
		}
	}
	if err == nil {
		_, err = s.Incidents.SaveSettings(r.Context(), st)
	}
	if err != nil {
		if !formError(err) {
			s.uiError(w, r, err)
			return
		}
		s.render(w, r, statusOf(errs.Code(err)), "incident_settings", s.newPage(r, "incidents", "inc.settings",
			&settingsData{Set: st, Form: newFormState(r, err, "initial_days", "final_days", "personal_data_hours", "ack_minutes", "contain_hours", "close_days", "remind_hours", "holidays")}))
		return
	}
	redirectSaved(w, r, "/incidents/settings")
}

// incidentUnitSection is the block of a unit's page about its incident
// cases: open ones, critical open ones, national report deadlines past.
func (s *Server) incidentUnitSection(r *http.Request, u *org.Unit) (*unitSection, error) {
	lang := langOf(r)
	_, open, err := s.Incidents.List(r.Context(), incident.Filter{Unit: u.Code, Status: "open", Limit: 1})
	if err != nil {
		return nil, err
	}
	_, critical, err := s.Incidents.List(r.Context(), incident.Filter{Unit: u.Code, Status: "open", Severity: "critical", Limit: 1})
	if err != nil {
		return nil, err
	}
	timers, err := s.Incidents.Timers(r.Context(), incident.TimerFilter{Unit: u.Code, Legal: true})
	if err != nil {
		return nil, err
	}
	late := 0
	for _, t := range timers {
		if t.Clock.State == incident.ClockOverdue {
			late++
		}
	}
	code := url.QueryEscape(u.Code)
	return &unitSection{Title: i18n.T(lang, "inc.title"), Link: "/incidents?status=open&unit=" + code, Stats: []cardStat{
		{Label: i18n.T(lang, "inc.card.open"), Value: i18n.Number(open, lang), Link: "/incidents?status=open&unit=" + code},
		{Label: i18n.T(lang, "inc.card.critical"), Value: i18n.Number(critical, lang), Bad: critical > 0, Link: "/incidents?status=open&severity=critical&unit=" + code},
		{Label: i18n.T(lang, "inc.card.reports_late"), Value: i18n.Number(late, lang), Bad: late > 0, Link: "/incidents/timers?legal=true&unit=" + code},
	}}, nil
}
