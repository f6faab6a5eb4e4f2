package web

import (
	"net/http"
	"net/url"
	"strconv"

	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/watchlist"
)

// The late units of the warning lists (/watchlist/late and
// GET /api/v1/watchlist/late-units): a list like every other — pages both
// ways with the true total, sort, the unit filter, CSV and XLSX export —
// scoped to the caller's subtree.

func (s *Server) apiWatchlistLateUnits(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, watchlist.LateSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := watchlist.LateFilter{Unit: r.URL.Query().Get("unit")}
	if lp.Format != "" {
		if err := s.exportLateUnits(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Watchlist.LateUnits(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

type watchlistLateData struct {
	Rows   []*watchlist.LateUnit
	Pager  *pager
	Filter url.Values
	Units  []*org.Unit
}

func (s *Server) uiWatchlistLate(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, watchlist.LateSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f := watchlist.LateFilter{Unit: r.URL.Query().Get("unit")}
	if lp.Format != "" {
		if err := s.exportLateUnits(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Watchlist.LateUnits(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &watchlistLateData{Rows: list, Pager: newPager(r, lp, len(list), total), Filter: r.URL.Query()}
	if d.Units, err = s.allUnits(r, ""); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "watchlist_late", s.newPage(r, "watchlist", "watchlist.late", d))
}

func (s *Server) exportLateUnits(w http.ResponseWriter, r *http.Request, lp listParams, f watchlist.LateFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*watchlist.LateUnit]{
		{"common.unit", func(x *watchlist.LateUnit) string { return x.Unit }},
		{"common.name", func(x *watchlist.LateUnit) string { return x.UnitName }},
		{"watchlist.late_count", func(x *watchlist.LateUnit) string { return strconv.Itoa(x.Overdue) }},
		{"watchlist.open_count", func(x *watchlist.LateUnit) string { return strconv.Itoa(x.Open) }},
		{"watchlist.oldest_due", func(x *watchlist.LateUnit) string { return i18n.FormatDate(x.OldestDue, lang) }},
		{"watchlist.contact", func(x *watchlist.LateUnit) string { return x.Contact }},
		{"common.phone", func(x *watchlist.LateUnit) string { return x.ContactPhone }},
		{"common.email", func(x *watchlist.LateUnit) string { return x.ContactEmail }},
		{"watchlist.officer", func(x *watchlist.LateUnit) string { return x.Officer }},
	}
	return exportList(w, r, lp, "watchlist-late-units", cols, func(offset, limit int) ([]*watchlist.LateUnit, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Watchlist.LateUnits(r.Context(), f)
	})
}
