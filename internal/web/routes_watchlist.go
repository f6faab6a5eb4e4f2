package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"vigil/internal/attach"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/watchlist"
)

// routesWatchlist lists the API routes and pages of matches of published lists and the clean-up queue (internal/watchlist).
func (s *Server) routesWatchlist() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/watchlist/hits", Tag: "watchlist", Summary: "Matches of published warning lists in scope: the units' clean-up queue (highest priority, then the earliest deadline, first)",
		Result: watchlist.Hit{}, Paged: true, Sorts: watchlist.SortKeys, Query: []string{"unit", "status", "kind", "object", "list", "host", "overdue"}, Handler: s.apiWatchlistHits})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/watchlist/hits/{id}", Tag: "watchlist", Summary: "One match with the actions recorded and the evidence files", Result: watchlistHitDetail{}, Handler: s.apiWatchlistHit})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/watchlist/hits/{id}/action", Tag: "watchlist", Summary: "Record what was done about a match (the finding then awaits verification by a clean scan or inventory)",
		Body: watchlist.ActionInput{}, Result: watchlist.Hit{}, Status: http.StatusOK, Handler: s.apiWatchlistAction})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/watchlist/hits/{id}/evidence", Tag: "watchlist", Summary: fmt.Sprintf("Attach an evidence file to a match (the body is the file, ?name= its name; at most %d MiB; kept read-only with its SHA-256)", attach.MaxSize>>20),
		RawBody: "application/octet-stream", Result: attach.Attachment{}, Query: []string{"name"}, Handler: s.apiWatchlistAddEvidence})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/watchlist/hits/{id}/evidence/{n}", Tag: "watchlist", Summary: "Download an evidence file (X-Content-SHA256 carries its SHA-256)", Handler: s.apiWatchlistEvidenceFile})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/watchlist/hits/{id}/related", Tag: "watchlist", Summary: "Other indicators seen on the same host or alert (computed when asked)", Result: watchlist.Hit{}, List: true, Handler: s.apiWatchlistRelated})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/watchlist/late-units", Tag: "watchlist", Summary: "Units in scope with overdue warning-list items, the oldest deadline first, with who to call; format=csv|xlsx exports",
		Result: watchlist.LateUnit{}, Paged: true, Sorts: watchlist.LateSortKeys, Query: []string{"unit", "format"}, Handler: s.apiWatchlistLateUnits})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/watchlist/runs", Tag: "watchlist", Summary: "The progress of matching published lists (of one list with ?list=ID), newest first; the IT Center's",
		Result: watchlist.Run{}, List: true, Query: []string{"list", "limit"}, Handler: s.apiWatchlistRuns})

	s.uiWatchlistRoutes()
}

// watchlistHitDetail is a match with what was recorded on it.
type watchlistHitDetail struct {
	*watchlist.Hit
	Actions  []watchlist.Action   `json:"actions"`
	Evidence []*attach.Attachment `json:"evidence"`
}

func watchlistFilter(r *http.Request) (watchlist.Filter, error) {
	q := r.URL.Query()
	f := watchlist.Filter{Unit: q.Get("unit"), Statuses: q["status"], Kinds: q["kind"], Objects: q["object"]}
	switch q.Get("overdue") {
	case "", "0", "false":
	case "1", "true":
		f.Overdue = true
	default:
		return f, errs.Invalid("overdue", "must be true or false")
	}
	for _, p := range []struct {
		name string
		to   *int64
	}{{"list", &f.ListID}, {"host", &f.HostID}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return f, errs.Invalid(p.name, "must be a number")
			}
			*p.to = n
		}
	}
	return f, nil
}

func (s *Server) apiWatchlistHits(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, watchlist.SortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := watchlistFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportWatchlist(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Watchlist.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// exportWatchlist writes the queue f selects as CSV or XLSX.
func (s *Server) exportWatchlist(w http.ResponseWriter, r *http.Request, lp listParams, f watchlist.Filter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*watchlist.Hit]{
		{"common.id", func(x *watchlist.Hit) string { return strconv.FormatInt(x.ID, 10) }},
		{"watchlist.kind", func(x *watchlist.Hit) string { return i18n.T(lang, "watchlist.kind."+x.Kind) }},
		{"watchlist.value", func(x *watchlist.Hit) string { return x.Value }},
		{"watchlist.object", func(x *watchlist.Hit) string { return i18n.T(lang, "watchlist.object."+x.Object) }},
		{"hosts.hostname", func(x *watchlist.Hit) string { return x.Host }},
		{"common.unit", func(x *watchlist.Hit) string { return x.Unit + " " + x.UnitName }},
		{"watchlist.reason", func(x *watchlist.Hit) string { return x.Reason }},
		{"watchlist.action", func(x *watchlist.Hit) string { return i18n.T(lang, "watchlist.action."+x.Action) }},
		{"finding.severity", func(x *watchlist.Hit) string { return i18n.T(lang, "severity."+x.Severity) }},
		{"common.status", func(x *watchlist.Hit) string { return hitStatusText(lang, x) }},
		{"finding.due", func(x *watchlist.Hit) string { return dateText(x.DueAt, lang) }},
		{"watchlist.taken", func(x *watchlist.Hit) string { return takenText(lang, x) }},
		{"watchlist.seen", func(x *watchlist.Hit) string { return x.Seen }},
		{"watchlist.list", func(x *watchlist.Hit) string { return x.List }},
		{"watchlist.first_at", func(x *watchlist.Hit) string { return i18n.FormatTime(x.FirstAt, lang) }},
		{"watchlist.last_at", func(x *watchlist.Hit) string { return i18n.FormatTime(x.LastAt, lang) }},
	}
	return exportList(w, r, lp, "watchlist", cols, func(offset, limit int) ([]*watchlist.Hit, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Watchlist.List(r.Context(), f)
	})
}

func dateText(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	return i18n.FormatDate(t, lang)
}

func hitStatusText(lang string, x *watchlist.Hit) string {
	if x.Status == "" {
		return i18n.T(lang, "watchlist.no_host")
	}
	s := i18n.T(lang, "finding."+x.Status)
	if x.Awaiting {
		s += " — " + i18n.T(lang, "watchlist.awaiting")
	}
	return s
}

func takenText(lang string, x *watchlist.Hit) string {
	if x.Taken == "" {
		return ""
	}
	return i18n.T(lang, "watchlist.action."+x.Taken) + ": " + x.TakenNote
}

func (s *Server) apiWatchlistHit(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	d, err := s.watchlistDetail(r, id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) watchlistDetail(r *http.Request, id int64) (*watchlistHitDetail, error) {
	h, err := s.Watchlist.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	acts, err := s.Watchlist.Actions(r.Context(), id)
	if err != nil {
		return nil, err
	}
	files, err := s.Watchlist.Evidence(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if acts == nil {
		acts = []watchlist.Action{}
	}
	lang, err := apiLang(r)
	if err != nil {
		return nil, err
	}
	for i := range acts {
		if v := acts[i].Verification; v != nil {
			acts[i].VerifiedBy = verificationText(lang, v)
		}
	}
	if files == nil {
		files = []*attach.Attachment{}
	}
	return &watchlistHitDetail{Hit: h, Actions: acts, Evidence: files}, nil
}

func (s *Server) apiWatchlistAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in watchlist.ActionInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	h, err := s.Watchlist.RecordAction(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

func (s *Server) apiWatchlistAddEvidence(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	// Rights first: a caller who may not attach must not make the hub read
	// a large file.
	if _, err := s.Watchlist.CanAct(r.Context(), id); err != nil {
		writeError(w, r, err)
		return
	}
	if r.ContentLength > attach.MaxSize {
		writeError(w, r, errs.New(errs.ETOOLARGE, "file", "a file may be at most %d MiB", attach.MaxSize>>20))
		return
	}
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	r.Body = http.MaxBytesReader(w, r.Body, attach.MaxSize+1)
	a, err := s.Watchlist.AddEvidence(r.Context(), id, r.URL.Query().Get("name"), r.Header.Get("Content-Type"), r.Body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) apiWatchlistEvidenceFile(w http.ResponseWriter, r *http.Request) {
	s.serveWatchlistEvidence(w, r, func(err error) { writeError(w, r, err) })
}

// serveWatchlistEvidence sends one of a clean-up item's evidence files.
func (s *Server) serveWatchlistEvidence(w http.ResponseWriter, r *http.Request, fail func(error)) {
	serveAttachment(w, r, "n", s.Watchlist.EvidenceFile, fail)
}

func (s *Server) apiWatchlistRelated(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	list, err := s.Watchlist.Related(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if list == nil {
		list = []*watchlist.Hit{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (s *Server) apiWatchlistRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var listID int64
	if v := q.Get("list"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, r, errs.Invalid("list", "must be a list id"))
			return
		}
		listID = n
	}
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, r, errs.Invalid("limit", "must be a number from 1 to 1000"))
			return
		}
		limit = n
	}
	runs, err := s.Watchlist.Runs(r.Context(), listID, limit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": runs})
}

// evidenceURL is the page link of an evidence file.
func evidenceURL(hitID, fileID int64) string {
	return "/watchlist/hits/" + strconv.FormatInt(hitID, 10) + "/evidence/" + strconv.FormatInt(fileID, 10)
}

// verificationText says what verified an action, in lang: "the malware
// scan t-1 of the host, finished 04/12/2026 10:15, found none of it".
func verificationText(lang string, v *watchlist.Verification) string {
	switch v.Kind {
	case watchlist.VerifiedByScan:
		return fmt.Sprintf(i18n.T(lang, "watchlist.verified_scan"), v.Task, i18n.FormatTime(v.At, lang))
	case watchlist.VerifiedByInventory:
		return fmt.Sprintf(i18n.T(lang, "watchlist.verified_inventory"), v.Host, i18n.FormatTime(v.At, lang))
	}
	return ""
}
