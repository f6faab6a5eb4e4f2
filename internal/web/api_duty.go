package web

import (
	"net/http"
	"time"

	"vigil/internal/errs"
	"vigil/internal/i18n"
)

// apiDutyNow lists who is on duty now at ?unit=CODE (the SOC's unit when
// it is left out), with the handover of the shift before; ?at= (RFC 3339
// or dd/mm/yyyy HH:MM) asks about another moment.
func (s *Server) apiDutyNow(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	if v := r.URL.Query().Get("at"); v != "" {
		t, err := parseMoment(v)
		if err != nil {
			writeError(w, r, err)
			return
		}
		at = t
	}
	n, err := s.Duty.NowAt(r.Context(), r.URL.Query().Get("unit"), at)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

// parseMoment reads a moment as RFC 3339 or as a date and time in
// Asia/Ho_Chi_Minh (dd/mm/yyyy HH:MM or yyyy-mm-dd HH:MM).
func parseMoment(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"02/01/2006 15:04", "2006-01-02 15:04", "2006-01-02T15:04", "02/01/2006", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, i18n.Location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errs.Invalid("at", "%q is not a moment: write it as dd/mm/yyyy HH:MM or RFC 3339", v)
}
