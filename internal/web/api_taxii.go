package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/i18n"
	"vigil/internal/taxii"
)

// The hub's own API over its TAXII collections and intel feeds (the TAXII
// 2.1 protocol itself is served by internal/taxii under /taxii2/).

func (s *Server) apiListTAXIICollections(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, taxii.CollectionSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := taxii.CollectionFilter{Query: r.URL.Query().Get("q"), Sort: lp.Sort, Desc: lp.Desc, Offset: lp.Offset, Limit: lp.Limit}
	if lp.Format != "" {
		lang := exportLang(r)
		cols := []exportColumn[*taxii.Collection]{
			{"taxii.col.title", func(c *taxii.Collection) string { return c.Title }},
			{"taxii.col.shares", func(c *taxii.Collection) string { return collectionShares(c, lang) }},
			{"taxii.col.max_tlp", func(c *taxii.Collection) string { return strings.ToUpper(c.MaxTLP) }},
			{"taxii.col.writable", func(c *taxii.Collection) string { return yesNo(lang, c.Writable) }},
			{"taxii.col.access", func(c *taxii.Collection) string { return grantsText(c, lang) }},
			{"taxii.col.path", func(c *taxii.Collection) string { return c.Path }},
		}
		if err := exportList(w, r, lp, "taxii-collections", cols, func(offset, limit int) ([]*taxii.Collection, int, error) {
			f.Offset, f.Limit = offset, limit
			return s.TAXII.ListCollections(r.Context(), f)
		}); err != nil {
			writeError(w, r, err)
		}
		return
	}
	list, total, err := s.TAXII.ListCollections(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// collectionShares says in words what a collection shares.
func collectionShares(c *taxii.Collection, lang string) string {
	s := i18n.T(lang, "taxii.sel."+c.Selection)
	if c.Selection == taxii.SelectList {
		s += ": " + c.ListName
		if c.ListTitle != "" {
			s = i18n.T(lang, "taxii.sel."+c.Selection) + ": " + c.ListTitle + " (" + fmt.Sprintf(i18n.T(lang, "taxii.list_option"), monthWords(lang, c.ListMonth), c.ListVersion) + ")"
		}
	}
	return s
}

// grantsText lists who may read or write a collection.
func grantsText(c *taxii.Collection, lang string) string {
	var parts []string
	for _, g := range c.Grants {
		who := g.Name
		if g.Kind == taxii.GranteeUnit {
			who = i18n.T(lang, "taxii.grant.unit") + " " + g.Name
		}
		right := i18n.T(lang, "taxii.grant.read")
		switch {
		case g.CanRead && g.CanWrite:
			right = i18n.T(lang, "taxii.grant.read_write")
		case g.CanWrite:
			right = i18n.T(lang, "taxii.grant.write")
		}
		parts = append(parts, who+" ("+right+")")
	}
	return strings.Join(parts, "; ")
}

func (s *Server) apiCreateTAXIICollection(w http.ResponseWriter, r *http.Request) {
	var in taxii.CollectionInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.TAXII.CreateCollection(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiGetTAXIICollection(w http.ResponseWriter, r *http.Request) {
	c, err := s.TAXII.GetCollection(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiUpdateTAXIICollection(w http.ResponseWriter, r *http.Request) {
	var in taxii.CollectionInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.TAXII.UpdateCollection(r.Context(), r.PathValue("id"), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiDeleteTAXIICollection(w http.ResponseWriter, r *http.Request) {
	if err := s.TAXII.DeleteCollection(r.Context(), r.PathValue("id")); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiGrantTAXII(w http.ResponseWriter, r *http.Request) {
	var in taxii.GrantInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.TAXII.GrantAccess(r.Context(), r.PathValue("id"), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiRevokeTAXII(w http.ResponseWriter, r *http.Request) {
	gid, err := pathInt(r, "grantee")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.TAXII.RevokeAccess(r.Context(), r.PathValue("id"), r.PathValue("kind"), gid); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiListFeeds(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, taxii.FeedSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := taxii.FeedFilter{Kind: q.Get("kind"), Status: q.Get("status"), Query: q.Get("q"), Sort: lp.Sort, Desc: lp.Desc, Offset: lp.Offset, Limit: lp.Limit}
	if lp.Format != "" {
		lang := exportLang(r)
		cols := []exportColumn[*taxii.Feed]{
			{"common.name", func(f *taxii.Feed) string { return f.Name }},
			{"ifeeds.kind", func(f *taxii.Feed) string { return i18n.T(lang, "ifeeds.kind."+f.Kind) }},
			{"ifeeds.url", func(f *taxii.Feed) string { return f.URL }},
			{"ifeeds.interval", func(f *taxii.Feed) string { return strconv.Itoa(f.IntervalMinutes) }},
			{"ifeeds.last_run", func(f *taxii.Feed) string { return i18n.FormatTime(f.LastRunAt, lang) }},
			{"ifeeds.status", func(f *taxii.Feed) string { return feedStatusText(f, lang) }},
			{"ifeeds.since", func(f *taxii.Feed) string { return i18n.FormatTime(f.StatusSince, lang) }},
			{"ifeeds.count", func(f *taxii.Feed) string { return strconv.Itoa(f.LastCount) }},
			{"ifeeds.error", func(f *taxii.Feed) string { return feedErrorText(f.LastError, lang) }},
		}
		if err := exportList(w, r, lp, "intel-feeds", cols, func(offset, limit int) ([]*taxii.Feed, int, error) {
			f.Offset, f.Limit = offset, limit
			return s.TAXII.ListFeeds(r.Context(), f)
		}); err != nil {
			writeError(w, r, err)
		}
		return
	}
	list, total, err := s.TAXII.ListFeeds(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// feedStatusText is a feed's last outcome in words.
func feedStatusText(f *taxii.Feed, lang string) string {
	switch {
	case !f.Enabled:
		return i18n.T(lang, "ifeeds.st.disabled")
	case f.LastStatus == "":
		return i18n.T(lang, "ifeeds.st.never")
	}
	return i18n.T(lang, "ifeeds.st."+f.LastStatus)
}

// feedErrorText is a recorded failure in words: its kind translated, the
// remote side's own words after it.
func feedErrorText(msg, lang string) string {
	if msg == "" {
		return ""
	}
	kind, detail := taxii.FailureKind(msg)
	if kind == "" {
		return detail
	}
	return i18n.T(lang, "ifeeds.err."+kind) + " — " + detail
}

func (s *Server) apiCreateFeed(w http.ResponseWriter, r *http.Request) {
	var in taxii.FeedInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	f, err := s.TAXII.CreateFeed(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

func (s *Server) apiGetFeed(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := s.TAXII.GetFeed(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiUpdateFeed(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in taxii.FeedInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	f, err := s.TAXII.UpdateFeed(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiDeleteFeed(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.TAXII.DeleteFeed(r.Context(), id); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiRunFeed(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := s.TAXII.RunFeed(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}
