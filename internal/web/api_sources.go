package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/i18n"
	"vigil/internal/sources"
)

// The registered event sources of the watch (internal/sources): the API,
// its export, and the list behind the /sources page.

// sourceFilter reads the source list's filters.
func sourceFilter(r *http.Request) sources.Filter {
	q := r.URL.Query()
	return sources.Filter{Unit: q.Get("unit"), Kind: q.Get("kind"), Status: q.Get("status"), Q: q.Get("q")}
}

func (s *Server) apiListSources(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, sources.SortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := sourceFilter(r)
	if lp.Format != "" {
		if err := s.exportSources(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Sources.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// exportSources writes the sources f selects as CSV or XLSX (token
// prefixes only; the tokens are not kept).
func (s *Server) exportSources(w http.ResponseWriter, r *http.Request, lp listParams, f sources.Filter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*sources.Source]{
		{"common.name", func(x *sources.Source) string { return x.Name }},
		{"common.unit", func(x *sources.Source) string { return x.Unit }},
		{"sources.kind", func(x *sources.Source) string { return i18n.T(lang, "sources.kind."+x.Kind) }},
		{"sources.interval", func(x *sources.Source) string { return strconv.Itoa(x.IntervalMinutes) }},
		{"sources.senders", func(x *sources.Source) string { return strings.Join(x.Senders, " ") }},
		{"tokens.prefix", func(x *sources.Source) string { return x.Prefix }},
		{"sources.accepted", func(x *sources.Source) string { return strconv.FormatInt(x.Accepted, 10) }},
		{"sources.refused", func(x *sources.Source) string { return strconv.FormatInt(x.Refused, 10) }},
		{"sources.first_event", func(x *sources.Source) string { return i18n.FormatTime(x.FirstEventAt, lang) }},
		{"sources.last_event", func(x *sources.Source) string { return i18n.FormatTime(x.LastEventAt, lang) }},
		{"common.created", func(x *sources.Source) string { return i18n.FormatTime(x.CreatedAt, lang) }},
		{"common.status", func(x *sources.Source) string { return i18n.T(lang, "sources.status."+sourceStatus(x)) }},
	}
	return exportList(w, r, lp, "sources", cols, func(offset, limit int) ([]*sources.Source, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Sources.List(r.Context(), f)
	})
}

// sourceStatus is active, silent or revoked.
func sourceStatus(x *sources.Source) string {
	switch {
	case !x.Active():
		return "revoked"
	case x.Silent(time.Now()):
		return "silent"
	}
	return "active"
}

func (s *Server) apiCreateSource(w http.ResponseWriter, r *http.Request) {
	var in sources.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	src, err := s.Sources.Create(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, src)
}

func (s *Server) apiGetSource(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	var src *sources.Source
	if err == nil {
		src, err = s.Sources.Get(r.Context(), id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, src)
}

func (s *Server) apiUpdateSource(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in sources.Patch
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	src, err := s.Sources.Update(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, src)
}

func (s *Server) apiRevokeSource(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		err = s.Sources.Revoke(r.Context(), id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiRotateSourceToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	var src *sources.Source
	if err == nil {
		src, err = s.Sources.RotateToken(r.Context(), id)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, src)
}

func (s *Server) apiUnknownSenders(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, sources.UnknownSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		lang := exportLang(r)
		cols := []exportColumn[*sources.UnknownSender]{
			{"sources.address", func(u *sources.UnknownSender) string { return u.Address }},
			{"sources.count", func(u *sources.UnknownSender) string { return strconv.FormatInt(u.Count, 10) }},
			{"sources.first_seen", func(u *sources.UnknownSender) string { return i18n.FormatTime(u.FirstSeen, lang) }},
			{"sources.last_seen", func(u *sources.UnknownSender) string { return i18n.FormatTime(u.LastSeen, lang) }},
			{"sources.sample", func(u *sources.UnknownSender) string { return u.Sample }},
		}
		if err := exportList(w, r, lp, "unknown-senders", cols, func(offset, limit int) ([]*sources.UnknownSender, int, error) {
			return s.Sources.UnknownSenders(r.Context(), lp.Sort, lp.Desc, offset, limit)
		}); err != nil {
			writeError(w, r, err)
		}
		return
	}
	list, total, err := s.Sources.UnknownSenders(r.Context(), lp.Sort, lp.Desc, lp.Offset, lp.Limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}
