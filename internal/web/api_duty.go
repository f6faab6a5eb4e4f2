package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/duty"
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

// rosterFilter reads the roster list's query parameters (API and pages).
func rosterFilter(r *http.Request) (duty.RosterFilter, error) {
	q := r.URL.Query()
	f := duty.RosterFilter{Unit: q.Get("unit"), Query: q.Get("q")}
	switch q.Get("active") {
	case "", "0", "false":
	case "1", "true":
		f.Active = true
	default:
		return f, errs.Invalid("active", "must be true or false")
	}
	return f, nil
}

func (s *Server) apiListRosters(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, duty.RosterSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := rosterFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportRosters(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Duty.ListRosters(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// exportRosters writes the rosters f selects as CSV or XLSX.
func (s *Server) exportRosters(w http.ResponseWriter, r *http.Request, lp listParams, f duty.RosterFilter) error {
	lang := exportLang(r)
	f.Sort, f.Desc = lp.Sort, lp.Desc
	cols := []exportColumn[*duty.Roster]{
		{"common.id", func(x *duty.Roster) string { return strconv.FormatInt(x.ID, 10) }},
		{"common.name", func(x *duty.Roster) string { return x.Name }},
		{"common.unit", func(x *duty.Roster) string { return x.Unit + " " + x.UnitName }},
		{"duty.pattern", func(x *duty.Roster) string {
			return i18n.T(lang, "duty.pattern."+x.Pattern) + " (" + strings.Join(x.Starts, ", ") + ")"
		}},
		{"duty.from", func(x *duty.Roster) string { return dayText(x.FirstDay, lang) }},
		{"duty.to", func(x *duty.Roster) string { return dayText(x.LastDay, lang) }},
		{"duty.shifts", func(x *duty.Roster) string { return strconv.Itoa(x.Shifts) }},
		{"duty.uncovered_shifts", func(x *duty.Roster) string { return strconv.Itoa(x.UncoveredShifts) }},
		{"duty.uncovered_hours", func(x *duty.Roster) string { return hoursText(x.UncoveredHours, lang) }},
	}
	return exportList(w, r, lp, "duty-rosters", cols, func(offset, limit int) ([]*duty.Roster, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Duty.ListRosters(r.Context(), f)
	})
}

// dayText shows a stored day (yyyy-mm-dd) in the reader's way.
func dayText(day, lang string) string {
	d, err := duty.ParseDay(day)
	if err != nil {
		return day
	}
	return i18n.FormatDate(d, lang)
}

// hoursText shows hours with one decimal where needed ("7,5" in
// Vietnamese).
func hoursText(h float64, lang string) string {
	s := strconv.FormatFloat(h, 'f', -1, 64)
	if lang != "en" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s
}

func (s *Server) apiCreateRoster(w http.ResponseWriter, r *http.Request) {
	var in duty.RosterInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	ro, err := s.Duty.CreateRoster(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, ro)
}

func (s *Server) apiGetRoster(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	ro, err := s.Duty.GetRoster(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ro)
}

func (s *Server) apiDeleteRoster(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	if err := s.Duty.DeleteRoster(r.Context(), id); err != nil {
		writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// shiftFilter reads ?from=&to=&uncovered=&user= of a roster's shifts.
func (s *Server) shiftFilter(r *http.Request) (duty.ShiftFilter, error) {
	q := r.URL.Query()
	var f duty.ShiftFilter
	for _, b := range []struct {
		name string
		to   *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(b.name); v != "" {
			t, err := parseMoment(v)
			if err != nil {
				return f, errs.Invalid(b.name, "%q is not a moment: write it as dd/mm/yyyy HH:MM or RFC 3339", v)
			}
			*b.to = t
		}
	}
	switch q.Get("uncovered") {
	case "", "0", "false":
	case "1", "true":
		f.Uncovered = true
	default:
		return f, errs.Invalid("uncovered", "must be true or false")
	}
	if v := q.Get("user"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, errs.Invalid("user", "must be a user id")
		}
		f.UserID = id
	}
	return f, nil
}

func (s *Server) apiRosterShifts(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	lp, err := readList(r, duty.ShiftSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f, err := s.shiftFilter(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f.Desc = lp.Desc
	if lp.Format != "" {
		if err := s.exportShifts(w, r, lp, id, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Offset, f.Limit = lp.Offset, lp.Limit
	list, total, err := s.Duty.Shifts(r.Context(), id, f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

// exportShifts writes a roster's shifts as CSV or XLSX: one row a shift,
// who is on it and whether nobody is.
func (s *Server) exportShifts(w http.ResponseWriter, r *http.Request, lp listParams, rosterID int64, f duty.ShiftFilter) error {
	lang := exportLang(r)
	people := func(x *duty.Shift, role string) string {
		var out []string
		for _, p := range x.People {
			if p.Role == role {
				out = append(out, p.Name+" <"+p.Email+">")
			}
		}
		return strings.Join(out, "; ")
	}
	cols := []exportColumn[*duty.Shift]{
		{"common.id", func(x *duty.Shift) string { return strconv.FormatInt(x.ID, 10) }},
		{"duty.starts_at", func(x *duty.Shift) string { return i18n.FormatTime(x.StartsAt, lang) }},
		{"duty.ends_at", func(x *duty.Shift) string { return i18n.FormatTime(x.EndsAt, lang) }},
		{"duty.hours", func(x *duty.Shift) string { return hoursText(x.Hours, lang) }},
		{"duty.role.lead", func(x *duty.Shift) string { return people(x, duty.RoleLead) }},
		{"duty.role.on_duty", func(x *duty.Shift) string { return people(x, duty.RoleOnDuty) }},
		{"duty.uncovered", func(x *duty.Shift) string {
			if x.Uncovered {
				return i18n.T(lang, "common.yes")
			}
			return ""
		}},
		{"duty.notes", func(x *duty.Shift) string { return strconv.Itoa(x.Notes) }},
	}
	return exportList(w, r, lp, "duty-shifts", cols, func(offset, limit int) ([]*duty.Shift, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Duty.Shifts(r.Context(), rosterID, f)
	})
}

// writeCalendar answers an iCalendar file.
func writeCalendar(w http.ResponseWriter, name string, cal *duty.Calendar) {
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.ics"`)
	w.Header().Set("Cache-Control", "no-store")
	duty.WriteCalendar(w, *cal)
}

func (s *Server) apiRosterCalendar(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	cal, err := s.Duty.RosterCalendar(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeCalendar(w, "duty-roster-"+strconv.FormatInt(id, 10), cal)
}

func (s *Server) apiPersonCalendar(w http.ResponseWriter, r *http.Request) {
	cal, err := s.Duty.PersonCalendar(r.Context(), r.URL.Query().Get("user"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeCalendar(w, "duty", cal)
}

func (s *Server) apiGetShift(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	sh, err := s.Duty.GetShift(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sh)
}

func (s *Server) apiAssign(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in duty.Assignment
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	sh, err := s.Duty.Assign(r.Context(), id, in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sh)
}

func (s *Server) apiUnassign(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	user, err := pathInt(r, "user")
	if err != nil {
		writeError(w, r, err)
		return
	}
	sh, err := s.Duty.Unassign(r.Context(), id, user)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sh)
}

func (s *Server) apiShiftNotes(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	lp, err := readList(r, duty.NoteSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	f := duty.NoteFilter{ShiftID: id, Desc: lp.Desc}
	if lp.Format != "" {
		if err := s.exportNotes(w, r, lp, f); err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Offset, f.Limit = lp.Offset, lp.Limit
	list, total, err := s.Duty.Notes(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) exportNotes(w http.ResponseWriter, r *http.Request, lp listParams, f duty.NoteFilter) error {
	lang := exportLang(r)
	cols := []exportColumn[*duty.Note]{
		{"duty.shift", func(x *duty.Note) string { return i18n.FormatTime(x.ShiftStart, lang) }},
		{"duty.author", func(x *duty.Note) string { return x.AuthorName + " <" + x.Author + ">" }},
		{"duty.written_at", func(x *duty.Note) string { return i18n.FormatTime(x.CreatedAt, lang) }},
		{"duty.note", func(x *duty.Note) string { return x.Body }},
	}
	return exportList(w, r, lp, "duty-notes", cols, func(offset, limit int) ([]*duty.Note, int, error) {
		f.Offset, f.Limit = offset, limit
		return s.Duty.Notes(r.Context(), f)
	})
}

// noteInput is a handover note's body.
type noteInput struct {
	Body string `json:"body"`
}

func (s *Server) apiAddNote(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		writeError(w, r, err)
		return
	}
	var in noteInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	n, err := s.Duty.AddNote(r.Context(), id, in.Body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, n)
}

func (s *Server) apiListSwaps(w http.ResponseWriter, r *http.Request) {
	lp, err := readList(r, duty.SwapSortKeys)
	if err != nil {
		writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := duty.SwapFilter{Unit: q.Get("unit"), Desc: lp.Desc}
	if v := q.Get("roster"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			writeError(w, r, errs.Invalid("roster", "must be a roster id"))
			return
		}
		f.RosterID = id
	}
	if lp.Format != "" {
		lang := exportLang(r)
		cols := []exportColumn[*duty.Swap]{
			{"duty.swapped_at", func(x *duty.Swap) string { return i18n.FormatTime(x.CreatedAt, lang) }},
			{"field.user_a", func(x *duty.Swap) string { return x.UserAName + " <" + x.UserA + ">" }},
			{"field.shift_a", func(x *duty.Swap) string { return i18n.FormatTime(x.ShiftAStart, lang) }},
			{"field.user_b", func(x *duty.Swap) string { return x.UserBName + " <" + x.UserB + ">" }},
			{"field.shift_b", func(x *duty.Swap) string { return i18n.FormatTime(x.ShiftBStart, lang) }},
			{"field.reason", func(x *duty.Swap) string { return x.Reason }},
			{"duty.by", func(x *duty.Swap) string { return x.CreatedBy }},
		}
		err := exportList(w, r, lp, "duty-swaps", cols, func(offset, limit int) ([]*duty.Swap, int, error) {
			f.Offset, f.Limit = offset, limit
			return s.Duty.Swaps(r.Context(), f)
		})
		if err != nil {
			writeError(w, r, err)
		}
		return
	}
	f.Offset, f.Limit = lp.Offset, lp.Limit
	list, total, err := s.Duty.Swaps(r.Context(), f)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writePage(w, lp, list, total)
}

func (s *Server) apiSwap(w http.ResponseWriter, r *http.Request) {
	var in duty.SwapInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	sw, err := s.Duty.Swap(r.Context(), in)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, sw)
}

func (s *Server) apiGetSOC(w http.ResponseWriter, r *http.Request) {
	soc, err := s.Duty.SOCUnit(r.Context())
	if err != nil {
		writeError(w, r, err)
		return
	}
	if soc == nil {
		writeError(w, r, errs.NotFound("SOC unit"))
		return
	}
	writeJSON(w, http.StatusOK, soc)
}

// socInput names the SOC's unit.
type socInput struct {
	Unit string `json:"unit"`
}

func (s *Server) apiSetSOC(w http.ResponseWriter, r *http.Request) {
	var in socInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	soc, err := s.Duty.SetSOCUnit(r.Context(), in.Unit)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, soc)
}

// apiTet is the preset's estimate of a year's Tết holiday (?year=, the
// next one by default).
func (s *Server) apiTet(w http.ResponseWriter, r *http.Request) {
	var h duty.Holiday
	if v := r.URL.Query().Get("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < 1900 || y > 2199 {
			writeError(w, r, errs.Invalid("year", "must be a year from 1900 to 2199"))
			return
		}
		h = duty.TetHoliday(y)
	} else {
		h = duty.NextTet(time.Now())
	}
	writeJSON(w, http.StatusOK, h)
}
