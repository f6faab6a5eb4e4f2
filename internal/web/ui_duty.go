package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/internal/duty"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/org"
)

// The duty roster's pages: the rosters with who is on duty now (/duty),
// a roster made from a preset (/duty/new), a roster's week as a grid of
// days × shifts with the hours nobody is on duty in red
// (/duty/rosters/{id}), and a shift with its people, swaps and handover
// notes (/duty/shifts/{id}).

// dutyNow is who is on duty now where the reader looks first: the unit
// asked for, else the SOC when the reader sees it, else the reader's own.
func (s *Server) dutyNow(r *http.Request, code string) (*duty.Now, error) {
	now := time.Now()
	if code != "" {
		return s.Duty.NowAt(r.Context(), code, now)
	}
	n, err := s.Duty.NowAt(r.Context(), "", now)
	if err == nil || (errs.Code(err) != errs.ENOTFOUND && errs.Code(err) != errs.EINVALID) {
		return n, err
	}
	if p := principalOf(r); p.UnitCode != "" {
		return s.Duty.NowAt(r.Context(), p.UnitCode, now)
	}
	return nil, nil
}

// names is the people on duty in one line, leads marked.
func onDutyNames(lang string, people []duty.OnDutyPerson) string {
	var parts []string
	for _, p := range people {
		s := p.Name
		if p.Role == duty.RoleLead {
			s += " (" + i18n.T(lang, "duty.role.lead") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

type dutyListData struct {
	Rosters []*duty.Roster
	Pager   *pager
	Filter  url.Values
	Units   []*org.Unit
	Now     *duty.Now
	CanPlan bool
}

// canPlanSomewhere says whether the reader may make rosters anywhere.
func canPlanSomewhere(r *http.Request) bool {
	p := principalOf(r)
	return duty.CanManage(p, p.UnitPath)
}

func (s *Server) uiDuty(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !q.Has("active") && !q.Has("sort") && !q.Has("unit") && !q.Has("q") {
		q.Set("active", "true")
		r.URL.RawQuery = q.Encode()
	}
	lp, err := readList(r, duty.RosterSortKeys)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f, err := rosterFilter(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if lp.Format != "" {
		if err := s.exportRosters(w, r, lp, f); err != nil {
			s.uiError(w, r, err)
		}
		return
	}
	f.Sort, f.Desc, f.Offset, f.Limit = lp.Sort, lp.Desc, lp.Offset, lp.Limit
	list, total, err := s.Duty.ListRosters(r.Context(), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	units, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	now, err := s.dutyNow(r, f.Unit)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &dutyListData{Rosters: list, Pager: newPager(r, lp, len(list), total), Filter: q, Units: units, Now: now, CanPlan: canPlanSomewhere(r)}
	s.render(w, r, http.StatusOK, "duty", s.newPage(r, "duty", "duty.title", d))
}

type dutyNewData struct {
	Form     *formState
	Units    []*org.Unit
	Patterns []string
	Tet      duty.Holiday
}

func (s *Server) uiDutyNew(w http.ResponseWriter, r *http.Request) {
	s.renderDutyNew(w, r, http.StatusOK, nil)
}

func (s *Server) renderDutyNew(w http.ResponseWriter, r *http.Request, status int, form *formState) {
	all, err := s.allUnits(r, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	p := principalOf(r)
	var units []*org.Unit
	for _, u := range all {
		if duty.CanManage(p, u.Path) {
			units = append(units, u)
		}
	}
	if len(units) == 0 {
		s.uiError(w, r, errs.Forbidden("you may not plan the duty of unit %s", p.UnitCode))
		return
	}
	if form == nil {
		form = &formState{values: map[string]string{"preset": duty.PresetTet, "pattern": duty.Pattern3x8}}
		if soc, err := s.Duty.SOCUnit(r.Context()); err == nil && soc != nil {
			form.values["unit"] = soc.Unit
		}
		if q := r.URL.Query().Get("unit"); q != "" {
			form.values["unit"] = q
		}
	}
	tet := duty.NextTet(time.Now())
	if y, err := strconv.Atoi(form.Get("year")); err == nil && y >= 1900 && y < 2200 {
		tet = duty.TetHoliday(y)
	}
	d := &dutyNewData{Form: form, Units: units, Patterns: duty.Patterns, Tet: tet}
	s.render(w, r, status, "duty_new", s.newPage(r, "duty", "duty.new", d))
}

func (s *Server) uiCreateRoster(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	f := r.PostForm
	in := duty.RosterInput{Unit: f.Get("unit"), Name: f.Get("name"), Preset: f.Get("preset"), From: f.Get("from"), To: f.Get("to"),
		Pattern: f.Get("pattern"), Starts: f.Get("starts")}
	if v := strings.TrimSpace(f.Get("year")); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil {
			s.renderDutyNew(w, r, http.StatusBadRequest, newFormState(r, errs.Invalid("year", "must be a year from 1900 to 2199"), "year"))
			return
		}
		in.Year = y
	}
	ro, err := s.Duty.CreateRoster(r.Context(), in)
	if err != nil {
		if formError(err) || errs.Code(err) == errs.ENOTFOUND {
			s.renderDutyNew(w, r, statusOf(errs.Code(err)), newFormState(r, err, "unit", "name", "preset", "year", "from", "to", "pattern", "starts"))
			return
		}
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/duty/rosters/"+strconv.FormatInt(ro.ID, 10))
}

// gridCell is one shift in the week grid.
type gridCell struct {
	Shift   *duty.Shift
	Outside bool // the day is not in the roster's period
	Now     bool // the shift is on now
}

type gridRow struct {
	Label string // "06:00–14:00"
	Cells []gridCell
}

type dutyRosterData struct {
	Roster     *duty.Roster
	Days       []time.Time
	Marks      []string // per day: "new_year", "off" (a Tết day off) or ""
	Rows       []gridRow
	Week       time.Time
	Prev, Next string
	WeekHours  float64 // uncovered this week
	Uncovered  []*duty.Shift
	MoreGaps   int
	Notes      []*duty.Note
	Swaps      []*duty.Swap
	CanManage  bool
	ShiftsCSV  string
	ShiftsXLSX string
	ICS        string
}

// weekOf is the Monday of t's week, at midnight in Vietnam.
func weekOf(t time.Time) time.Time {
	t = t.In(i18n.Location)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, i18n.Location)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

func (s *Server) uiRoster(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	ctx := r.Context()
	ro, err := s.Duty.GetRoster(ctx, id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	first, _ := duty.ParseDay(ro.FirstDay)
	last, _ := duty.ParseDay(ro.LastDay)
	now := time.Now()
	week := weekOf(first)
	if !now.Before(ro.StartsAt) && now.Before(ro.EndsAt) {
		week = weekOf(now)
	}
	if v := r.URL.Query().Get("week"); v != "" {
		d, err := duty.ParseDay(v)
		if err != nil {
			s.uiError(w, r, errs.Invalid("week", "%q is not a date: write it as dd/mm/yyyy (06/02/2027)", v))
			return
		}
		week = weekOf(d)
	}
	end := week.AddDate(0, 0, 7)
	shifts, _, err := s.Duty.Shifts(ctx, id, duty.ShiftFilter{From: week, To: end, Limit: 1000})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := &dutyRosterData{Roster: ro, Week: week, CanManage: duty.CanManage(principalOf(r), ro.UnitPath())}
	// A Tết roster marks the days off (as the preset estimates them) and
	// Lunar New Year's Day in its header.
	var tet *duty.Holiday
	if ro.Preset == duty.PresetTet {
		h := duty.TetHoliday(first.AddDate(0, 0, 7).Year())
		tet = &h
	}
	for i := 0; i < 7; i++ {
		day := week.AddDate(0, 0, i)
		d.Days = append(d.Days, day)
		var mark string
		switch {
		case tet != nil && day.Equal(tet.NewYear):
			mark = "new_year"
		case tet != nil && !day.Before(tet.First) && !day.After(tet.Last):
			mark = "off"
		}
		d.Marks = append(d.Marks, mark)
	}
	byStart := map[string]*duty.Shift{}
	for _, sh := range shifts {
		byStart[sh.StartsAt.In(i18n.Location).Format("2006-01-02 15:04")] = sh
	}
	for i, st := range ro.Starts {
		end := ro.Starts[(i+1)%len(ro.Starts)]
		row := gridRow{Label: st + "–" + end}
		for _, day := range d.Days {
			c := gridCell{Outside: day.Before(first) || day.After(last)}
			if sh := byStart[day.Format("2006-01-02")+" "+st]; sh != nil && !c.Outside {
				c.Shift = sh
				c.Now = !now.Before(sh.StartsAt) && now.Before(sh.EndsAt)
				if sh.Uncovered {
					d.WeekHours += sh.Hours
				}
			}
			row.Cells = append(row.Cells, c)
		}
		d.Rows = append(d.Rows, row)
	}
	base := "/duty/rosters/" + strconv.FormatInt(id, 10)
	if week.After(first) {
		d.Prev = base + "?week=" + week.AddDate(0, 0, -7).Format("2006-01-02")
	}
	if !end.After(last) {
		d.Next = base + "?week=" + end.Format("2006-01-02")
	}
	gaps, total, err := s.Duty.Shifts(ctx, id, duty.ShiftFilter{Uncovered: true, Limit: 50})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d.Uncovered, d.MoreGaps = gaps, total-len(gaps)
	if d.Notes, _, err = s.Duty.Notes(ctx, duty.NoteFilter{RosterID: id, Desc: true, Limit: 10}); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.Swaps, _, err = s.Duty.Swaps(ctx, duty.SwapFilter{RosterID: id, Desc: true, Limit: 10}); err != nil {
		s.uiError(w, r, err)
		return
	}
	api := "/api/v1/duty/rosters/" + strconv.FormatInt(id, 10)
	d.ShiftsCSV, d.ShiftsXLSX, d.ICS = api+"/shifts?format=csv&lang="+langOf(r), api+"/shifts?format=xlsx&lang="+langOf(r), api+"/calendar.ics"
	s.render(w, r, http.StatusOK, "duty_roster", s.newPage(r, "duty", "duty.roster", d))
}

func (s *Server) uiDeleteRoster(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if err := s.Duty.DeleteRoster(r.Context(), id); err != nil {
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/duty")
}

// swapChoice is someone on a nearby shift the person can swap with.
type swapChoice struct {
	Value string // "shiftID|email"
	Label string
}

type dutyShiftData struct {
	Shift     *duty.Shift
	Roster    *duty.Roster
	Prev      *duty.Shift
	Next      *duty.Shift
	Handover  []*duty.Note // the notes of the shift before
	Notes     []*duty.Note
	CanManage bool
	OnIt      bool // the reader is on the shift and may write its note
	People    []string
	Choices   []swapChoice
	Roles     []string
	Form      *formState
}

func (s *Server) uiShift(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.renderShift(w, r, http.StatusOK, id, nil)
}

func (s *Server) renderShift(w http.ResponseWriter, r *http.Request, status int, id int64, form *formState) {
	ctx := r.Context()
	sh, err := s.Duty.GetShift(ctx, id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	ro, err := s.Duty.GetRoster(ctx, sh.RosterID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	p := principalOf(r)
	d := &dutyShiftData{Shift: sh, Roster: ro, CanManage: duty.CanManage(p, ro.UnitPath()), OnIt: sh.Has(p.UserID), Roles: duty.Roles, Form: form}
	// The shifts either side: the one before leaves this one its
	// handover notes.
	around, _, err := s.Duty.Shifts(ctx, sh.RosterID, duty.ShiftFilter{From: sh.StartsAt.Add(-7 * 24 * time.Hour), To: sh.StartsAt.Add(7 * 24 * time.Hour), Limit: 1000})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	for i, o := range around {
		if o.ID != sh.ID {
			continue
		}
		if i > 0 {
			d.Prev = around[i-1]
		}
		if i+1 < len(around) {
			d.Next = around[i+1]
		}
	}
	if d.Prev != nil {
		if d.Handover, _, err = s.Duty.Notes(ctx, duty.NoteFilter{ShiftID: d.Prev.ID, Limit: 100}); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	if d.Notes, _, err = s.Duty.Notes(ctx, duty.NoteFilter{ShiftID: sh.ID, Limit: 100}); err != nil {
		s.uiError(w, r, err)
		return
	}
	if d.CanManage {
		lang := langOf(r)
		for _, o := range around {
			if o.ID == sh.ID {
				continue
			}
			for _, pe := range o.People {
				if !sh.Has(pe.UserID) {
					d.Choices = append(d.Choices, swapChoice{Value: strconv.FormatInt(o.ID, 10) + "|" + pe.Email,
						Label: pe.Name + " — " + i18n.FormatTime(o.StartsAt, lang)})
				}
			}
		}
		users, _, err := s.Org.ListUsers(ctx, org.UserFilter{Limit: 1000})
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		for _, u := range users {
			d.People = append(d.People, u.Email)
		}
	}
	s.render(w, r, status, "duty_shift", s.newPage(r, "duty", "duty.shift", d))
}

// shiftForm runs a shift page's form and comes back to the page: with
// the form's input and the reason beside the field when refused.
func (s *Server) shiftForm(w http.ResponseWriter, r *http.Request, fields []string, do func(id int64) error) {
	id, err := pathInt(r, "id")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.Invalid("", "the form is too large"))
		return
	}
	if err := do(id); err != nil {
		if formError(err) {
			s.renderShift(w, r, statusOf(errs.Code(err)), id, newFormState(r, err, fields...))
			return
		}
		s.uiError(w, r, err)
		return
	}
	redirectSaved(w, r, "/duty/shifts/"+strconv.FormatInt(id, 10))
}

func (s *Server) uiAssign(w http.ResponseWriter, r *http.Request) {
	s.shiftForm(w, r, []string{"user", "role"}, func(id int64) error {
		_, err := s.Duty.Assign(r.Context(), id, duty.Assignment{User: r.PostForm.Get("user"), Role: r.PostForm.Get("role")})
		return err
	})
}

func (s *Server) uiUnassign(w http.ResponseWriter, r *http.Request) {
	s.shiftForm(w, r, nil, func(id int64) error {
		uid, err := strconv.ParseInt(r.PostForm.Get("user_id"), 10, 64)
		if err != nil {
			return errs.Invalid("user", "must be a user id")
		}
		_, err = s.Duty.Unassign(r.Context(), id, uid)
		return err
	})
}

func (s *Server) uiSwap(w http.ResponseWriter, r *http.Request) {
	s.shiftForm(w, r, []string{"user_a", "user_b", "shift_b", "reason"}, func(id int64) error {
		f := r.PostForm
		in := duty.SwapInput{ShiftA: id, UserA: f.Get("user_a"), Reason: f.Get("reason")}
		if with := f.Get("with"); with != "" {
			shift, email, ok := strings.Cut(with, "|")
			b, err := strconv.ParseInt(shift, 10, 64)
			if !ok || err != nil {
				return errs.Invalid("shift_b", "must be a shift of the same roster")
			}
			in.ShiftB, in.UserB = b, email
		} else {
			in.UserB = f.Get("user_b")
		}
		_, err := s.Duty.Swap(r.Context(), in)
		return err
	})
}

func (s *Server) uiAddNote(w http.ResponseWriter, r *http.Request) {
	s.shiftForm(w, r, []string{"body"}, func(id int64) error {
		_, err := s.Duty.AddNote(r.Context(), id, r.PostForm.Get("body"))
		return err
	})
}

// dutyCard is measure 5's card: who is on duty at the SOC now (or at the
// reader's unit when the SOC is not theirs to see) and the hours nobody
// is on duty in the holiday roster.
func (s *Server) dutyCard(r *http.Request) (*measureCard, error) {
	lang := langOf(r)
	now, err := s.dutyNow(r, "")
	if err != nil || now == nil {
		return nil, err
	}
	rosters, _, err := s.Duty.ListRosters(r.Context(), duty.RosterFilter{Unit: now.Unit, Active: true, Limit: 100})
	if err != nil {
		return nil, err
	}
	if len(rosters) == 0 && !now.Rostered {
		return nil, nil
	}
	names := onDutyNames(lang, now.Items)
	if names == "" {
		names = i18n.T(lang, "duty.nobody")
	}
	stats := []cardStat{{Label: i18n.T(lang, "duty.on_now") + " · " + now.Unit, Value: names, Bad: len(now.Items) == 0, Link: "/duty?unit=" + url.QueryEscape(now.Unit)}}
	// The holiday roster: the unit's Tết roster still to come or running,
	// else its active roster that starts first.
	var holiday *duty.Roster
	for _, ro := range rosters {
		if ro.Unit != now.Unit {
			continue
		}
		if holiday == nil || (ro.Preset == duty.PresetTet && holiday.Preset != duty.PresetTet) {
			holiday = ro
		}
	}
	if holiday != nil {
		stats = append(stats, cardStat{Label: i18n.T(lang, "duty.uncovered_hours") + " · " + holiday.Name, Value: hoursText(holiday.UncoveredHours, lang),
			Bad: holiday.UncoveredHours > 0, Link: "/duty/rosters/" + strconv.FormatInt(holiday.ID, 10)})
	}
	return &measureCard{Link: "/duty", Stats: stats}, nil
}

// dutyUnitSection adds who is on duty and the unit's rosters to its page.
func (s *Server) dutyUnitSection(r *http.Request, u *org.Unit) (*unitSection, error) {
	lang := langOf(r)
	now, err := s.Duty.NowAt(r.Context(), u.Code, time.Now())
	if err != nil {
		return nil, err
	}
	rosters, total, err := s.Duty.ListRosters(r.Context(), duty.RosterFilter{Unit: u.Code, Active: true, Limit: 100})
	if err != nil {
		return nil, err
	}
	if total == 0 && !now.Rostered {
		return nil, nil
	}
	names := onDutyNames(lang, now.Items)
	if names == "" {
		names = i18n.T(lang, "duty.nobody")
	}
	var gap float64
	for _, ro := range rosters {
		gap += ro.UncoveredHours
	}
	return &unitSection{Title: i18n.T(lang, "duty.title"), Link: "/duty?unit=" + url.QueryEscape(u.Code), Stats: []cardStat{
		{Label: i18n.T(lang, "duty.on_now"), Value: names, Bad: len(now.Items) == 0},
		{Label: i18n.T(lang, "duty.active_rosters"), Value: strconv.Itoa(total)},
		{Label: i18n.T(lang, "duty.uncovered_hours"), Value: hoursText(gap, lang), Bad: gap > 0},
	}}, nil
}
