package web

import (
	"net/http"
	"strconv"
	"time"

	"vigil/internal/errs"
	"vigil/internal/health"
	"vigil/internal/hosts"
	"vigil/internal/i18n"
)

func (s *Server) apiListProbes(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, health.ProbeSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := health.ProbeFilter{Sort: lp.Sort, Desc: lp.Desc, Offset: lp.Offset, Limit: lp.Limit}
	if lp.Format != "" {
		lang := exportLang(r)
		cols := []exportColumn[*health.Probe]{
			{"common.name", func(p *health.Probe) string { return p.Name }},
			{"health.kind", func(p *health.Probe) string { return p.Kind }},
			{"health.target", func(p *health.Probe) string { return p.Target }},
			{"health.interval", func(p *health.Probe) string { return strconv.Itoa(p.IntervalSeconds) }},
			{"common.status", func(p *health.Probe) string { return i18n.T(lang, "health.state."+p.State) }},
			{"health.last_check", func(p *health.Probe) string { return i18n.FormatTime(p.LastAt, lang) }},
			{"health.error", func(p *health.Probe) string { return p.LastError }},
		}
		if err := exportList(w, r, lp, "probes", cols, func(offset, limit int) ([]*health.Probe, int, error) {
			f.Offset, f.Limit = offset, limit
			return s.Health.ListProbes(r.Context(), f)
		}); err != nil {
			writeError(w, r, err)
		}
		return
	}
	list, total, err := s.Health.ListProbes(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiCreateProbe(w http.ResponseWriter, r *http.Request) {
	var in health.ProbeInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.Health.CreateProbe(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) apiGetProbe(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.Health.GetProbe(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiUpdateProbe(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in health.ProbeInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	p, err := s.Health.UpdateProbe(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiDeleteProbe(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Health.DeleteProbe(r.Context(), id); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiCheckProbe(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, err := s.Health.CheckNow(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// uptimePeriod reads ?period=24h|7d|holiday or ?since=&until= (dates or
// RFC 3339 times); the last 24 hours when neither is given.
func uptimePeriod(r *http.Request, now time.Time) (from, to time.Time, err error) {
	q := r.URL.Query()
	switch q.Get("period") {
	case "", "24h":
		from = now.Add(-24 * time.Hour)
	case "7d":
		from = now.Add(-7 * 24 * time.Hour)
	case "holiday":
		h := health.HolidayAt(now)
		from, to = h.From, h.To
	default:
		return from, to, errs.Invalid("period", "must be one of %s", "24h, 7d, holiday")
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &from}, {"until", &to}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, err := parseDateParam(v)
		if err != nil {
			return from, to, errs.Invalid(p.name, "must be a date (dd/mm/yyyy or yyyy-mm-dd) or RFC 3339 time")
		}
		*p.dst = t
	}
	return from, to, nil
}

func (s *Server) apiProbeUptime(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	from, to, err := uptimePeriod(r, time.Now())
	if err != nil {
		writeError(w, r, err)
		return
	}
	h, err := s.Health.ProbeHistory(r.Context(), id, from, to)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) apiProbeResults(w http.ResponseWriter, r *http.Request) {
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
	if lp.Format != "" {
		if err := s.exportProbeResults(w, r, lp, id); err != nil {
			writeError(w, r, err)
		}
		return
	}
	list, total, err := s.Health.ProbeResults(r.Context(), id, lp.Offset, lp.Limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiHealthEpisodes(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, nil)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := health.EpisodeFilter{Kinds: q["kind"], Offset: lp.Offset, Limit: lp.Limit}
	switch q.Get("open") {
	case "", "0", "false":
	case "1", "true":
		f.Open = true
	default:
		writeError(w, r, errs.Invalid("open", "must be true or false"))
		return
	}
	list, total, err := s.Health.ListEpisodes(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiHealthFeeds(w http.ResponseWriter, r *http.Request) {
	list, err := s.Health.FeedStatus(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if list == nil {
		list = []health.FeedState{}
	}
	writeJSON(w, http.StatusOK, listResponse[health.FeedState]{Items: list})
}

// healthSourceFilter reads ?unit=&silent= of the sources' health list.
func healthSourceFilter(r *http.Request, lp listParams) (health.SourceFilter, error) {
	q := r.URL.Query()
	f := health.SourceFilter{Unit: q.Get("unit"), Sort: lp.Sort, Desc: lp.Desc, Offset: lp.Offset, Limit: lp.Limit}
	switch q.Get("silent") {
	case "", "0", "false":
	case "1", "true":
		f.Silent = true
	default:
		return f, errs.Invalid("silent", "must be true or false")
	}
	return f, nil
}

func (s *Server) apiHealthSources(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, health.SourceSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := healthSourceFilter(r, lp)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportHealthSources(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	list, total, err := s.Health.ListSources(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// exportHealthSources writes the sources f selects with their state.
func (s *Server) exportHealthSources(w http.ResponseWriter, r *http.Request, lp listParams, f health.SourceFilter) error {
	lang := exportLang(r)
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return i18n.FormatTime(t, lang)
	}
	cols := []exportColumn[*health.SourceHealth]{
		{"common.name", func(x *health.SourceHealth) string { return x.Name }},
		{"common.kind", func(x *health.SourceHealth) string { return i18n.T(lang, "sources.kind."+x.Kind) }},
		{"common.unit", func(x *health.SourceHealth) string { return x.Unit + " " + x.UnitName }},
		{"common.status", func(x *health.SourceHealth) string { return i18n.T(lang, "health.source."+x.State) }},
		{"health.silent_since", func(x *health.SourceHealth) string { return when(x.SilentSince) }},
		{"health.last_event", func(x *health.SourceHealth) string { return when(x.LastEventAt) }},
		{"health.expected_every", func(x *health.SourceHealth) string { return strconv.Itoa(x.IntervalMinutes) }},
	}
	return exportList(w, r, lp, "sources-health", cols, func(offset, limit int) ([]*health.SourceHealth, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Health.ListSources(r.Context(), f)
	})
}

func (s *Server) apiHealthAgents(w http.ResponseWriter, r *http.Request) {
	list, err := s.Health.OfflineAgents(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if list == nil {
		list = []*hosts.OfflineAgents{}
	}
	writeJSON(w, http.StatusOK, listResponse[*hosts.OfflineAgents]{Items: list})
}

func (s *Server) apiHealthCounters(w http.ResponseWriter, r *http.Request) {
	list, err := s.Health.PipelineCounters(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, listResponse[health.Counter]{Items: list})
}
