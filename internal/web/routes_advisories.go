package web

import (
	"net/http"
	"strings"

	"vigil/internal/advisory"
	"vigil/internal/errs"
)

// routesAdvisories lists the API routes and pages of advisories, their acknowledgement and completion (internal/advisory).
func (s *Server) routesAdvisories() {
	s.api(apiRoute{Method: "GET", Path: "/api/v1/advisories", Tag: "advisories", Summary: "Advisories in scope (a unit sees those targeting it or a unit under it; the IT Center and the SOC see all, drafts included), newest first",
		Result: advisory.Advisory{}, Paged: true, Sorts: advisory.SortKeys, Query: []string{"status", "severity", "unit", "overdue", "waiting", "q"}, Handler: s.apiListAdvisories})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/advisories", Tag: "advisories", Summary: "Draft an advisory (the IT Center); deadline dd/mm/yyyy or yyyy-mm-dd, the end of that day in Vietnam",
		Body: advisory.Input{}, Result: advisory.Advisory{}, Handler: s.apiCreateAdvisory})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/advisories/overdue", Tag: "advisories", Summary: "Target units in scope past an issued advisory's deadline without reporting completion, oldest deadline first",
		Result: advisory.Late{}, Paged: true, Sorts: advisory.OverdueSortKeys, Query: []string{"unit"}, Handler: s.apiOverdueAdvisories})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/advisories/import-feed", Tag: "advisories", Summary: "Import an RSS 2.0 or Atom 1.0 document (?channel= names it): each item not seen before becomes a draft",
		RawBody: "application/rss+xml", Status: http.StatusOK, Result: feedImportResult{}, Query: []string{"channel"}, Handler: s.apiImportAdvisoryFeed})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/advisories/{id}", Tag: "advisories", Summary: "An advisory, its target counts in scope and the caller's unit's answer",
		Result: advisory.Advisory{}, Handler: s.apiGetAdvisory})
	s.api(apiRoute{Method: "PATCH", Path: "/api/v1/advisories/{id}", Tag: "advisories", Summary: "Change an advisory (the IT Center); its targets only while a draft",
		Body: advisory.Patch{}, Result: advisory.Advisory{}, Handler: s.apiUpdateAdvisory})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/advisories/{id}/issue", Tag: "advisories", Summary: "Issue a draft to its target units (the IT Center)",
		Result: advisory.Advisory{}, Status: http.StatusOK, Handler: s.apiIssueAdvisory})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/advisories/{id}/withdraw", Tag: "advisories", Summary: "Withdraw an advisory (the IT Center), with a reason",
		Body: withdrawRequest{}, Result: advisory.Advisory{}, Status: http.StatusOK, Handler: s.apiWithdrawAdvisory})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/advisories/{id}/ack", Tag: "advisories", Summary: "Acknowledge an advisory for the caller's unit (or ?unit=CODE in the caller's subtree)",
		Body: advisory.Answer{}, Result: advisory.Target{}, Status: http.StatusOK, Query: []string{"unit"}, Handler: s.apiAnswerAdvisory(false)})
	s.api(apiRoute{Method: "POST", Path: "/api/v1/advisories/{id}/complete", Tag: "advisories", Summary: "Report an advisory completed for the caller's unit (or ?unit=CODE), with a note of what was done",
		Body: advisory.Answer{}, Result: advisory.Target{}, Status: http.StatusOK, Query: []string{"unit"}, Handler: s.apiAnswerAdvisory(true)})
	s.api(apiRoute{Method: "GET", Path: "/api/v1/advisories/{id}/units", Tag: "advisories", Summary: "An advisory's target units in scope: acknowledged and completed since when, overdue, open findings about its CVEs",
		Result: advisory.Target{}, Paged: true, Sorts: advisory.TargetSortKeys, Query: []string{"state", "overdue"}, Handler: s.apiAdvisoryUnits})

	// Pages.
	s.mux.HandleFunc("GET /advisories", s.uiAuth(s.uiAdvisories))
	s.mux.HandleFunc("GET /advisories/new", s.uiAuth(s.uiNewAdvisory))
	s.mux.HandleFunc("POST /advisories", s.uiAuth(s.uiCreateAdvisory))
	s.mux.HandleFunc("GET /advisories/overdue", s.uiAuth(s.uiOverdueAdvisories))
	s.mux.HandleFunc("GET /advisories/{id}", s.uiAuth(s.uiAdvisory))
	s.mux.HandleFunc("GET /advisories/{id}/edit", s.uiAuth(s.uiEditAdvisory))
	s.mux.HandleFunc("POST /advisories/{id}", s.uiAuth(s.uiUpdateAdvisory))
	s.mux.HandleFunc("POST /advisories/{id}/issue", s.uiAuth(s.uiIssueAdvisory))
	s.mux.HandleFunc("POST /advisories/{id}/withdraw", s.uiAuth(s.uiWithdrawAdvisory))
	s.mux.HandleFunc("POST /advisories/{id}/ack", s.uiAuth(s.uiAnswerAdvisory(false)))
	s.mux.HandleFunc("POST /advisories/{id}/complete", s.uiAuth(s.uiAnswerAdvisory(true)))
}

// withdrawRequest is the body of POST /api/v1/advisories/{id}/withdraw.
type withdrawRequest struct {
	Reason string `json:"reason"`
}

// feedImportResult answers POST /api/v1/advisories/import-feed.
type feedImportResult struct {
	Channel string `json:"channel"`
	New     int    `json:"new"`
}

// maxFeedBody bounds a feed document posted for a one-off import.
const maxFeedBody = advisory.MaxFeedBytes

func boolParam(r *http.Request, name string) (bool, error) {
	switch r.URL.Query().Get(name) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, errs.Invalid(name, "must be true or false")
}

func advisoryFilter(r *http.Request) (advisory.Filter, error) {
	q := r.URL.Query()
	f := advisory.Filter{Status: q.Get("status"), Severity: q.Get("severity"), Unit: q.Get("unit"), Query: q.Get("q")}
	var err error
	if f.Overdue, err = boolParam(r, "overdue"); err != nil {
		return f, err
	}
	if f.Waiting, err = boolParam(r, "waiting"); err != nil {
		return f, err
	}
	return f, nil
}

func (s *Server) apiListAdvisories(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, advisory.SortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := advisoryFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportAdvisories(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Advisories.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiCreateAdvisory(w http.ResponseWriter, r *http.Request) {
	var in advisory.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.Advisories.Create(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a)
}

func (s *Server) apiGetAdvisory(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var a *advisory.Advisory
		if a, err = s.Advisories.Get(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, a)
			return
		}
	}
	writeError(w, r, err)
}

func (s *Server) apiUpdateAdvisory(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in advisory.Patch
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.Advisories.Update(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiIssueAdvisory(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err == nil {
		var a *advisory.Advisory
		if a, err = s.Advisories.Issue(r.Context(), id); err == nil {
			writeJSON(w, http.StatusOK, a)
			return
		}
	}
	writeError(w, r, err)
}

// decodeOptional decodes a JSON body when there is one (an empty body
// leaves v as it is).
func (s *Server) decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return s.decodeJSONLimit(w, r, v, 64<<10)
}

func (s *Server) apiWithdrawAdvisory(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in withdrawRequest
	if err := s.decodeOptional(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	a, err := s.Advisories.Withdraw(r.Context(), id, in.Reason)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiAnswerAdvisory(complete bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathInt(r, "id")
		if err != nil {
			writeError(w, r, err)
			return
		}
		var in advisory.Answer
		if err := s.decodeOptional(w, r, &in); err != nil {
			writeError(w, r, err)
			return
		}
		if u := r.URL.Query().Get("unit"); u != "" {
			in.Unit = u
		}
		var t *advisory.Target
		if complete {
			t, err = s.Advisories.Complete(r.Context(), id, in)
		} else {
			t, err = s.Advisories.Acknowledge(r.Context(), id, in)
		}
		if err != nil {
			writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
	}
}

func targetFilter(r *http.Request) (advisory.TargetFilter, error) {
	f := advisory.TargetFilter{State: r.URL.Query().Get("state")}
	var err error
	f.Overdue, err = boolParam(r, "overdue")
	return f, err
}

func (s *Server) apiAdvisoryUnits(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	lp, err := readList(r, advisory.TargetSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := targetFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportAdvisoryUnits(w, r, lp, id, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Advisories.Targets(r.Context(), id, f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiOverdueAdvisories(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, advisory.OverdueSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := advisory.OverdueFilter{Unit: r.URL.Query().Get("unit")}
	if lp.Format != "" {
		if err := s.exportOverdue(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Advisories.Overdue(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiImportAdvisoryFeed(w http.ResponseWriter, r *http.Request) {
	channel := strings.TrimSpace(r.URL.Query().Get("channel"))
	// Permission first: a caller who may not import must not make the hub
	// read a document.
	ok, err := s.Advisories.ITCenter(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if !ok {
		writeError(w, r, errs.Forbidden("only the IT Center (the root unit's officers and administrators) writes and issues advisories"))
		return
	}
	if channel == "" {
		writeError(w, r, errs.Invalid("channel", "name the channel the document comes from (?channel=VNCERT)"))
		return
	}
	release, err := s.admitBody(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	defer release()
	r.Body = http.MaxBytesReader(w, r.Body, maxFeedBody+1)
	n, err := s.Advisories.ImportFeed(r.Context(), channel, r.Body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, feedImportResult{Channel: channel, New: n})
}
