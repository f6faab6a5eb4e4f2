package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/health"
	"vigil/internal/hosts"
	"vigil/internal/i18n"
	"vigil/internal/org"
)

// The health page: the probe of the national center with its uptime, the
// episodes of ill health, event sources, agents offline per unit, feeds
// and the pipeline's counters.

// probeView is a probe with its uptime over the periods the page shows.
type probeView struct {
	*health.Probe
	Day, Week, Holiday *health.Uptime
	Chart              template.HTML // the last seven days, hour by hour
}

type healthData struct {
	Now      time.Time
	Probes   []*probeView
	Open     []*health.Episode
	Recent   []*health.Episode
	Feeds    []health.FeedState
	Holiday  health.Holiday
	IsAdmin  bool
	Form     *formState // the new-probe form, when it comes back refused
	Kinds    []string
	Counters []pipelineCounter
	Sources  []*health.SourceHealth
	Pager    *pager // the sources'
	Silent   bool   // only silent sources are listed
	Agents   []*hosts.OfflineAgents
	// AgentsAfter is how long an agent is silent before it counts.
	AgentsAfter time.Duration
}

// pipelineCounter is one of the pipeline's figures; Missing says the part
// that counts it is not in this process.
type pipelineCounter struct {
	Label   string
	Value   string
	Bad     bool
	Missing bool
}

func isAdmin(p *auth.Principal) bool { return p != nil && p.Role == auth.RoleAdmin && p.Via != "agent" }

// probeViews loads every probe with its uptime (probes are few).
func (s *Server) probeViews(r *http.Request, withHoliday bool) ([]*probeView, error) {
	ctx := r.Context()
	probes, _, err := s.Health.ListProbes(ctx, health.ProbeFilter{Sort: "name", Limit: 100})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	lang := langOf(r)
	var out []*probeView
	for _, p := range probes {
		v := &probeView{Probe: p}
		week, err := s.Health.ProbeHistory(ctx, p.ID, now.Add(-7*24*time.Hour), now)
		if err != nil {
			return nil, err
		}
		v.Week = &week.Uptime
		v.Chart = uptimeSVG(lang, week.Buckets, 40)
		day, err := s.Health.ProbeHistory(ctx, p.ID, now.Add(-24*time.Hour), now)
		if err != nil {
			return nil, err
		}
		v.Day = &day.Uptime
		if withHoliday {
			if hol := health.HolidayAt(now); !hol.Upcoming {
				h, err := s.Health.ProbeHistory(ctx, p.ID, hol.From, hol.To)
				if err != nil {
					return nil, err
				}
				v.Holiday = &h.Uptime
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) healthData(r *http.Request) (*healthData, error) {
	ctx := r.Context()
	lang := langOf(r)
	d := &healthData{Now: time.Now(), IsAdmin: isAdmin(principalOf(r)), Kinds: []string{health.KindTCP, health.KindHTTPS}, AgentsAfter: s.Health.AgentsOfflineThreshold()}
	d.Holiday = health.HolidayAt(d.Now)
	var err error
	if d.Probes, err = s.probeViews(r, true); err != nil {
		return nil, err
	}
	// Units with agents offline have their own table below: the list of
	// what is going on names the rest.
	if d.Open, _, err = s.Health.ListEpisodes(ctx, health.EpisodeFilter{Open: true, Kinds: []string{health.EpisodeProbe, health.EpisodeSource, health.EpisodeFeed}, Limit: 200}); err != nil {
		return nil, err
	}
	if d.Recent, _, err = s.Health.ListEpisodes(ctx, health.EpisodeFilter{Limit: 20}); err != nil {
		return nil, err
	}
	if d.Feeds, err = s.Health.FeedStatus(ctx); err != nil {
		return nil, err
	}
	lp, err := readList(r, health.SourceSortKeys)
	if err != nil {
		return nil, err
	}
	if r.URL.Query().Get("sort") == "" {
		lp.Sort = "last_event" // the longest silent first
	}
	if r.URL.Query().Get("limit") == "" {
		lp.Limit = 50
	}
	f, err := healthSourceFilter(r, lp)
	if err != nil {
		return nil, err
	}
	d.Silent = f.Silent
	var total int
	if d.Sources, total, err = s.Health.ListSources(ctx, f); err != nil {
		return nil, err
	}
	d.Pager = newPager(r, lp, len(d.Sources), total)
	if d.Agents, err = s.Health.OfflineAgents(ctx); err != nil {
		return nil, err
	}
	counters, err := s.Health.PipelineCounters(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range counters {
		label, ok := i18n.Lookup(lang, "health.counter."+c.Name)
		if reason, refused := strings.CutPrefix(c.Name, "refused_"); !ok && refused {
			if r, ok2 := i18n.Lookup(lang, "sources.reason."+reason); ok2 {
				label, ok = fmt.Sprintf(i18n.T(lang, "health.counter.refused"), r), true
			}
		}
		if !ok {
			label = c.Name
		}
		d.Counters = append(d.Counters, pipelineCounter{Label: label, Value: i18n.Number(int(c.Value), lang), Missing: c.Missing,
			Bad: c.Value > 0 && c.Name != "bus_pending"})
	}
	return d, nil
}

func (s *Server) uiHealth(w http.ResponseWriter, r *http.Request) {
	if lp, err := readList(r, health.SourceSortKeys); err == nil && lp.Format != "" {
		f, err := healthSourceFilter(r, lp)
		if err == nil {
			err = s.exportHealthSources(w, r, lp, f)
		}
		if err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d, err := s.healthData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "health", s.newPage(r, "health", "health.title", d))
}

// probeForm reads the probe form; the interval and the threshold come as
// a number and a unit (seconds or minutes).
func probeForm(r *http.Request) (health.ProbeInput, error) {
	var in health.ProbeInput
	text := func(name string) *string {
		v := r.PostFormValue(name)
		return &v
	}
	in.Name, in.Kind, in.Target = text("name"), text("kind"), text("target")
	in.WantBody, in.WantFingerprint, in.WantBanner = text("want_body"), text("want_fingerprint"), text("want_banner")
	enabled := r.PostFormValue("enabled") != ""
	in.Enabled = &enabled
	for _, f := range []struct {
		name string
		dst  **int
		unit string // the form field holding "s" or "m"
	}{
		{"interval", &in.IntervalSeconds, "interval_unit"},
		{"timeout_seconds", &in.TimeoutSeconds, ""},
		{"want_status", &in.WantStatus, ""},
		{"down_after", &in.DownAfterSeconds, "down_after_unit"},
	} {
		v := strings.TrimSpace(r.PostFormValue(f.name))
		if v == "" {
			zero := 0
			*f.dst = &zero
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return in, errs.Invalid(f.name, "must be a whole number, not %q", v)
		}
		if f.unit != "" && r.PostFormValue(f.unit) == "m" {
			n *= 60
		}
		*f.dst = &n
	}
	return in, nil
}

// formFields maps the service's field names to the form's.
func probeFormError(err error) error {
	if e, ok := errs.As(err); ok {
		switch e.Field {
		case "interval_seconds":
			c := *e
			c.Field = "interval"
			return &c
		case "down_after_seconds":
			c := *e
			c.Field = "down_after"
			return &c
		}
	}
	return err
}

var probeFormFields = []string{"name", "kind", "target", "interval", "timeout_seconds", "want_status", "want_body", "want_fingerprint", "want_banner", "down_after"}

func (s *Server) uiCreateProbe(w http.ResponseWriter, r *http.Request) {
	in, err := probeForm(r)
	var p *health.Probe
	if err == nil {
		p, err = s.Health.CreateProbe(r.Context(), in)
	}
	if err == nil {
		http.Redirect(w, r, "/health/probes/"+strconv.FormatInt(p.ID, 10)+"?flash=saved", http.StatusSeeOther)
		return
	}
	if !formError(err) {
		s.uiError(w, r, err)
		return
	}
	d, derr := s.healthData(r)
	if derr != nil {
		s.uiError(w, r, derr)
		return
	}
	d.Form = newFormState(r, probeFormError(err), probeFormFields...)
	s.render(w, r, statusOf(errs.Code(err)), "health", s.newPage(r, "health", "health.title", d))
}

type probeData struct {
	Probe   *health.Probe
	History *health.History
	Chart   template.HTML
	Period  string
	Periods []string
	Holiday health.Holiday
	Results []*health.Result
	Pager   *pager
	IsAdmin bool
	Form    *formState
	// Interval and DownAfter as the form shows them: a number and a unit.
	Interval, IntervalUnit, DownAfter, DownAfterUnit string
	WantStatus                                       string // "" for none
}

func splitSeconds(n int) (string, string) {
	if n > 0 && n%60 == 0 {
		return strconv.Itoa(n / 60), "m"
	}
	return strconv.Itoa(n), "s"
}

func (s *Server) probeData(r *http.Request, id int64) (*probeData, error) {
	ctx := r.Context()
	p, err := s.Health.GetProbe(ctx, id)
	if err != nil {
		return nil, err
	}
	period := r.URL.Query().Get("period")
	if period == "" {
		period = "7d"
	}
	q := r.URL.Query()
	q.Set("period", period)
	r2 := r.Clone(ctx)
	r2.URL.RawQuery = q.Encode()
	from, to, err := uptimePeriod(r2, time.Now())
	if err != nil {
		return nil, err
	}
	h, err := s.Health.ProbeHistory(ctx, id, from, to)
	if err != nil {
		return nil, err
	}
	lp, err := readList(r, nil)
	if err != nil {
		return nil, err
	}
	if r.URL.Query().Get("limit") == "" {
		lp.Limit = 50
	}
	results, total, err := s.Health.ProbeResults(ctx, id, lp.Offset, lp.Limit)
	if err != nil {
		return nil, err
	}
	d := &probeData{Probe: p, History: h, Chart: uptimeSVG(langOf(r), h.Buckets, 80), Period: period, Periods: []string{"24h", "7d", "holiday"},
		Holiday: health.HolidayAt(time.Now()), Results: results, Pager: newPager(r, lp, len(results), total), IsAdmin: isAdmin(principalOf(r))}
	d.Interval, d.IntervalUnit = splitSeconds(p.IntervalSeconds)
	d.DownAfter, d.DownAfterUnit = splitSeconds(p.DownAfterSeconds)
	if p.WantStatus != 0 {
		d.WantStatus = strconv.Itoa(p.WantStatus)
	}
	return d, nil
}

func (s *Server) uiProbe(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp, err := readList(r, nil); err == nil && lp.Format != "" {
		if err := s.exportProbeResults(w, r, lp, id); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d, err := s.probeData(r, id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "probe", s.newPage(r, "health", "health.probe", d))
}

func (s *Server) uiUpdateProbe(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	in, err := probeForm(r)
	if err == nil {
		_, err = s.Health.UpdateProbe(r.Context(), id, in)
	}
	if err == nil {
		http.Redirect(w, r, "/health/probes/"+strconv.FormatInt(id, 10)+"?flash=saved", http.StatusSeeOther)
		return
	}
	if !formError(err) {
		s.uiError(w, r, err)
		return
	}
	d, derr := s.probeData(r, id)
	if derr != nil {
		s.uiError(w, r, derr)
		return
	}
	d.Form = newFormState(r, probeFormError(err), probeFormFields...)
	s.render(w, r, statusOf(errs.Code(err)), "probe", s.newPage(r, "health", "health.probe", d))
}

func (s *Server) uiDeleteProbe(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Health.DeleteProbe(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	http.Redirect(w, r, "/health?flash=saved", http.StatusSeeOther)
}

func (s *Server) uiCheckProbe(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		_, err = s.Health.CheckNow(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	http.Redirect(w, r, "/health/probes/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// probeCardStats are the probe's lines on the dashboard's measure-5
// card: its state and its uptime over seven days, with the chart.
func (s *Server) probeCardStats(r *http.Request) ([]cardStat, template.HTML, error) {
	views, err := s.probeViews(r, false)
	if err != nil || len(views) == 0 {
		return nil, "", err
	}
	lang := langOf(r)
	v := views[0]
	for _, x := range views { // the worst one speaks for the link
		if x.State == health.StateDown {
			v = x
			break
		}
	}
	link := "/health/probes/" + strconv.FormatInt(v.ID, 10)
	return []cardStat{
		{Label: i18n.T(lang, "health.ncsc_link"), Value: i18n.T(lang, "health.state."+v.State), Bad: v.State != health.StateUp, Link: link},
		{Label: i18n.T(lang, "health.uptime_7d"), Value: uptimeText(lang, v.Week), Bad: v.Week.Percent != nil && *v.Week.Percent < 99, Link: link},
	}, v.Chart, nil
}

// withHealth adds the probe's lines and chart to a card (measure 5's).
func (s *Server) withHealth(base func(r *http.Request) (*measureCard, error)) func(r *http.Request) (*measureCard, error) {
	return func(r *http.Request) (*measureCard, error) {
		var card *measureCard
		if base != nil {
			c, err := base(r)
			if err != nil {
				return nil, err
			}
			card = c
		}
		stats, chart, err := s.probeCardStats(r)
		if err != nil {
			return nil, err
		}
		if len(stats) == 0 {
			return card, nil
		}
		if card == nil {
			card = &measureCard{Link: "/health"}
		}
		card.Stats = append(card.Stats, stats...)
		card.Chart = chart
		return card, nil
	}
}

// uptimeText is "99,5%" with the unknown share beside it when there is
// one, "—" when nothing is known.
func uptimeText(lang string, u *health.Uptime) string {
	if u == nil || u.Percent == nil {
		return "—"
	}
	s := formatPercent(lang, *u.Percent)
	if unknown := 100 - u.Known(); unknown >= 0.05 {
		s += " " + fmt.Sprintf(i18n.T(lang, "health.unknown_share"), formatPercent(lang, unknown))
	}
	return s
}

func formatPercent(lang string, v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if v == 100 || v == 0 {
		s = strconv.FormatFloat(v, 'f', 0, 64)
	}
	if lang == "vi" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s + "%"
}

// uptimeSVG draws a history as a strip of columns, one per bucket: the
// share of it up (green), down (red) and unknown (grey, the hub was not
// checking). No script, no inline style: classes the stylesheet colours.
func uptimeSVG(lang string, buckets []*health.Bucket, height int) template.HTML {
	if len(buckets) == 0 {
		return ""
	}
	var b strings.Builder
	var up, down, unknown float64
	for _, k := range buckets {
		up, down, unknown = up+k.Up, down+k.Down, unknown+k.Unknown
	}
	total := &health.Uptime{Up: up, Down: down, Unknown: unknown, Percent: nil}
	if up+down > 0 {
		p := 100 * up / (up + down)
		total.Percent = &p
	}
	label := fmt.Sprintf(i18n.T(lang, "health.chart_label"), datetimeShort(lang, buckets[0].From), datetimeShort(lang, buckets[len(buckets)-1].To), uptimeText(lang, total))
	fmt.Fprintf(&b, `<svg class="uptime" viewBox="0 0 %d %d" preserveAspectRatio="none" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		len(buckets), height, template.HTMLEscapeString(label))
	for i, k := range buckets {
		span := k.Up + k.Down + k.Unknown
		if span <= 0 {
			continue
		}
		y := 0.0
		fmt.Fprintf(&b, `<g><title>%s – %s: %s</title>`, datetimeShort(lang, k.From), datetimeShort(lang, k.To), template.HTMLEscapeString(uptimeText(lang, &k.Uptime)))
		for _, part := range []struct {
			class string
			v     float64
		}{{"down", k.Down}, {"unknown", k.Unknown}, {"up", k.Up}} {
			if part.v <= 0 {
				continue
			}
			hgt := float64(height) * part.v / span
			fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%.2f" width="1" height="%.2f"/>`, part.class, i, y, hgt)
			y += hgt
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func datetimeShort(lang string, t time.Time) string {
	return t.In(i18n.Location).Format("02/01 15:04")
}

// durationText says how long in the reader's words ("2 giờ 5 phút").
func durationText(lang string, d time.Duration) string {
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf(i18n.T(lang, "health.days"), days))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf(i18n.T(lang, "health.hours"), hours))
	}
	if mins > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf(i18n.T(lang, "health.minutes"), mins))
	}
	return strings.Join(parts, " ")
}

// exportProbeResults writes a probe's kept checks as CSV or XLSX.
func (s *Server) exportProbeResults(w http.ResponseWriter, r *http.Request, lp listParams, id int64) error {
	lang := exportLang(r)
	cols := []exportColumn[*health.Result]{
		{"health.at", func(x *health.Result) string { return i18n.FormatTime(x.At, lang) }},
		{"common.status", func(x *health.Result) string {
			if x.OK {
				return i18n.T(lang, "health.state.up")
			}
			return i18n.T(lang, "health.err."+x.ErrKind)
		}},
		{"health.latency", func(x *health.Result) string { return strconv.FormatFloat(x.LatencyMS, 'f', 1, 64) }},
		{"health.error", func(x *health.Result) string { return x.Error }},
	}
	return exportList(w, r, lp, "probe-"+strconv.FormatInt(id, 10), cols, func(offset, limit int) ([]*health.Result, int, error) {
		return s.Health.ProbeResults(r.Context(), id, offset, limit)
	})
}

// healthUnitSection adds a unit's watch health to its page: its sources
// (how many silent) and its agents offline (its subtree).
func (s *Server) healthUnitSection(r *http.Request, u *org.Unit) (*unitSection, error) {
	ctx := r.Context()
	_, all, err := s.Health.ListSources(ctx, health.SourceFilter{Unit: u.Code, Limit: 1})
	if err != nil {
		return nil, err
	}
	_, silent, err := s.Health.ListSources(ctx, health.SourceFilter{Unit: u.Code, Silent: true, Limit: 1})
	if err != nil {
		return nil, err
	}
	offline, err := s.Health.OfflineAgents(ctx)
	if err != nil {
		return nil, err
	}
	lost := 0
	for _, o := range offline {
		if strings.HasPrefix(o.UnitPath, u.Path) {
			lost += o.Offline
		}
	}
	if all == 0 && lost == 0 {
		return nil, nil
	}
	lang := langOf(r)
	return &unitSection{Title: i18n.T(lang, "health.title"), Link: "/health", Stats: []cardStat{
		{Label: i18n.T(lang, "health.sources"), Value: strconv.Itoa(all)},
		{Label: i18n.T(lang, "health.source.silent"), Value: strconv.Itoa(silent), Bad: silent > 0, Link: "/health?silent=true&unit=" + url.QueryEscape(u.Code) + "#health-sources"},
		{Label: i18n.T(lang, "health.agents_offline"), Value: strconv.Itoa(lost), Bad: lost > 0, Link: "/health#health-agents"},
	}}, nil
}
