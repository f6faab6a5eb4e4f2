package web

import (
	"net/http"
	"strconv"

	"vigil/internal/errs"
	"vigil/internal/findings"
)

// findingFilter reads the findings queue's query parameters, shared by the
// API and the pages.
func findingFilter(r *http.Request) (findings.Filter, error) {
	q := r.URL.Query()
	f := findings.Filter{Unit: q.Get("unit"), Kinds: q["kind"], Statuses: q["status"], Severities: q["severity"], Owner: q.Get("owner")}
	if v := q.Get("host"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, errs.Invalid("host", "must be a host id")
		}
		f.HostID = id
	}
	switch q.Get("overdue") {
	case "", "0", "false":
	case "1", "true":
		f.Overdue = true
	default:
		return f, errs.Invalid("overdue", "must be true or false")
	}
	return f, nil
}

func (s *Server) apiListFindings(w http.ResponseWriter, r *http.Request) {
	after, limit, err := pageParams(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := findingFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.After, f.Limit = after, limit
	list, next, err := s.Findings.List(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeList(w, list, next)
}

func (s *Server) apiGetFinding(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := s.Findings.Get(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiUpdateFinding(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in findings.Update
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	f, err := s.Findings.Update(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}
