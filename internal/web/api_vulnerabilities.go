package web

import (
	"net/http"
	"strconv"

	"vigil/internal/errs"
	"vigil/internal/findings"
)

// dueDaysBody is the due-date settings as the API reads and writes them.
type dueDaysBody struct {
	Items []findings.DueSetting `json:"items"`
}

func (s *Server) apiDueDays(w http.ResponseWriter, r *http.Request) {
	list, err := s.Findings.DueDays(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dueDaysBody{Items: list})
}

func (s *Server) apiSetDueDays(w http.ResponseWriter, r *http.Request) {
	var in dueDaysBody
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	list, err := s.Findings.SetDueDays(r.Context(), in.Items)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dueDaysBody{Items: list})
}

// apiVulnDashboard is a unit's vulnerability picture: totals, the units
// under it rolled up, and the trend (?weeks=, 8 by default; ?ms2023=true
// for the Microsoft 2023 high/critical fixes only).
func (s *Server) apiVulnDashboard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	weeks := 8
	if v := q.Get("weeks"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 26 {
			writeError(w, r, errs.Invalid("weeks", "must be a number of weeks from 1 to 26"))
			return
		}
		weeks = n
	}
	ms := false
	switch q.Get("ms2023") {
	case "", "0", "false":
	case "1", "true":
		ms = true
	default:
		writeError(w, r, errs.Invalid("ms2023", "must be true or false"))
		return
	}
	d, err := s.Findings.VulnDashboard(r.Context(), q.Get("unit"), weeks, ms)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
