package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/sources"
)

// The /sources page: the event sources in the caller's scope with their
// counts and when they last sent, a form to register one (its token shown
// once), revocation and new tokens, and — for those who see every unit —
// the syslog senders no source claims and ingest's own drops.

type sourceRow struct {
	*sources.Source
	Status            string // active, silent, revoked
	AcceptedText      string
	RefusedText       string
	Reasons           []string // "oversize 3", in the reader's words
	LastAgo, FirstAgo string
}

type sourcesData struct {
	Rows     []sourceRow
	Pager    *pager
	Filter   sources.Filter
	Kinds    []string
	Statuses []string
	Units    []*org.Unit // units the caller may register sources in
	Form     *formState
	New      *sources.Source
	Unknown  []*sources.UnknownSender
	// UnknownTotal counts every unknown sender (Unknown shows the latest).
	UnknownTotal int
	SeesAll      bool
	Drops        []counterRow
	Server       string
}

type counterRow struct {
	Label, Value, Since string
}

func (s *Server) sourcesData(r *http.Request) (*sourcesData, error) {
	lang := langOf(r)
	lp, err := readList(r, sources.SortKeys)
	if err != nil {
		return nil, err
	}
	f := sourceFilter(r)
	d := &sourcesData{Filter: f, Kinds: sources.Kinds, Statuses: sources.Statuses, Server: r.Host}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Sources.List(r.Context(), f)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for _, x := range list {
		row := sourceRow{Source: x, Status: sourceStatus(x), AcceptedText: i18n.Number(int(x.Accepted), lang), RefusedText: i18n.Number(int(x.Refused), lang)}
		for _, reason := range sources.Reasons {
			if n := x.RefusedBy[reason]; n > 0 {
				row.Reasons = append(row.Reasons, i18n.T(lang, "sources.reason."+reason)+" "+i18n.Number(int(n), lang))
			}
		}
		if !x.LastEventAt.IsZero() {
			row.LastAgo = durationText(lang, now.Sub(x.LastEventAt))
		}
		if !x.FirstEventAt.IsZero() {
			row.FirstAgo = durationText(lang, now.Sub(x.FirstEventAt))
		}
		d.Rows = append(d.Rows, row)
	}
	d.Pager = newPager(r, lp, len(list), total)
	p := principalOf(r)
	units, err := s.allUnits(r, "")
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if p.CanWrite(u.Path) {
			d.Units = append(d.Units, u)
		}
	}
	if d.SeesAll = p.SeesAllUnits(); d.SeesAll {
		if d.Unknown, d.UnknownTotal, err = s.Sources.UnknownSenders(r.Context(), "", false, 0, 50); err != nil {
			return nil, err
		}
		counters, err := s.Sources.Counters(r.Context())
		if err != nil {
			return nil, err
		}
		for _, name := range []string{"udp_queue_dropped", "udp_kernel_dropped"} {
			c := counters[name]
			row := counterRow{Label: i18n.T(lang, "sources."+name), Value: i18n.Number(int(c.Value), lang)}
			if !c.Since.IsZero() {
				row.Since = i18n.FormatTime(c.Since, lang)
			}
			d.Drops = append(d.Drops, row)
		}
		var refused int64
		for _, reason := range sources.Reasons {
			refused += counters["refused_"+reason].Value
		}
		d.Drops = append(d.Drops, counterRow{Label: i18n.T(lang, "sources.ingest_refused"), Value: i18n.Number(int(refused), lang)})
	}
	return d, nil
}

func (s *Server) uiSources(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, sources.SortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportSources(w, r, lp, sourceFilter(r)); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	d, err := s.sourcesData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sources", s.newPage(r, "sources", "sources.title", d))
}

func (s *Server) uiCreateSource(w http.ResponseWriter, r *http.Request) {
	interval := 0
	var err error
	if v := strings.TrimSpace(r.PostFormValue("interval_minutes")); v != "" {
		if interval, err = strconv.Atoi(v); err != nil {
			err = errs.Invalid("interval_minutes", "must be a whole number, not %q", v)
		}
	}
	var src *sources.Source
	if err == nil {
		src, err = s.Sources.Create(r.Context(), sources.Input{Unit: r.PostFormValue("unit"), Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"),
			IntervalMinutes: interval, Senders: []string{r.PostFormValue("senders")}})
	}
	if err != nil && !formError(err) {
		s.uiError(w, r, err)
		return
	}
	d, derr := s.sourcesData(r)
	if derr != nil {
		s.uiError(w, r, derr)
		return
	}
	status := http.StatusOK
	if err != nil {
		d.Form, status = newFormState(r, err, "unit", "name", "kind", "interval_minutes", "senders"), statusOf(errs.Code(err))
	}
	d.New = src
	s.render(w, r, status, "sources", s.newPage(r, "sources", "sources.title", d))
}

func (s *Server) uiRevokeSource(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Sources.Revoke(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/sources")
}

func (s *Server) uiRotateSource(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	var src *sources.Source
	if err == nil {
		src, err = s.Sources.RotateToken(r.Context(), id)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d, err := s.sourcesData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d.New = src
	s.render(w, r, http.StatusOK, "sources", s.newPage(r, "sources", "sources.title", d))
}
