package duty

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// iCalendar (RFC 5545), written by hand: it is a few lines of text, and
// what matters is done right — CRLF line ends, lines folded at 75 octets
// without splitting a UTF-8 character (3.1), TEXT values escaped (3.3.11),
// a UID per event that stays the same on every export (so a calendar that
// subscribes updates shifts instead of doubling them), DTSTAMP in UTC, and
// the times in Asia/Ho_Chi_Minh with its VTIMEZONE (UTC+7, no daylight
// saving since 1975).

// Event is one shift in a calendar.
type Event struct {
	UID         string
	Start, End  time.Time
	Summary     string
	Description string
	Location    string
}

// Calendar is what WriteCalendar writes.
type Calendar struct {
	Name   string
	Stamp  time.Time // DTSTAMP of every event: when the export was made
	Events []Event
}

const tzid = "Asia/Ho_Chi_Minh"

// WriteCalendar writes c as an iCalendar stream.
func WriteCalendar(w io.Writer, c Calendar) error {
	b := bufio.NewWriter(w)
	line := func(name, value string) { writeFolded(b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Vigil//Duty roster//VI")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	if c.Name != "" {
		line("X-WR-CALNAME", escapeText(c.Name))
	}
	line("X-WR-TIMEZONE", tzid)
	line("BEGIN", "VTIMEZONE")
	line("TZID", tzid)
	line("BEGIN", "STANDARD")
	line("DTSTART", "19750613T000000")
	line("TZOFFSETFROM", "+0800")
	line("TZOFFSETTO", "+0700")
	line("TZNAME", "ICT")
	line("END", "STANDARD")
	line("END", "VTIMEZONE")
	stamp := c.Stamp.UTC().Format("20060102T150405Z")
	local := func(t time.Time) string { return t.In(i18n.Location).Format("20060102T150405") }
	for _, e := range c.Events {
		line("BEGIN", "VEVENT")
		line("UID", e.UID)
		line("DTSTAMP", stamp)
		writeFolded(b, "DTSTART;TZID="+tzid+":"+local(e.Start))
		writeFolded(b, "DTEND;TZID="+tzid+":"+local(e.End))
		line("SUMMARY", escapeText(e.Summary))
		if e.Description != "" {
			line("DESCRIPTION", escapeText(e.Description))
		}
		if e.Location != "" {
			line("LOCATION", escapeText(e.Location))
		}
		line("TRANSP", "OPAQUE")
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.Flush()
}

// escapeText escapes a TEXT value: backslash, semicolon, comma and line
// breaks (RFC 5545 3.3.11).
func escapeText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case ';':
			b.WriteString(`\;`)
		case ',':
			b.WriteString(`\,`)
		case '\n', '\r':
			b.WriteString(`\n`)
		default:
			if r < 0x20 && r != '\t' || r == 0x7f {
				continue // control characters are not allowed in TEXT
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeFolded writes a content line, folded so no line is longer than 75
// octets: each continuation starts with a space (which counts), and a
// fold never falls inside a UTF-8 character.
func writeFolded(w *bufio.Writer, s string) {
	limit := 75
	for len(s) > limit {
		n := limit
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		w.WriteString(s[:n])
		w.WriteString("\r\n ")
		s = s[n:]
		limit = 74 // the leading space is one of the 75
	}
	w.WriteString(s)
	w.WriteString("\r\n")
}

// uid names a shift in calendars, the same on every export.
func uid(shiftID int64) string { return "shift-" + strconv.FormatInt(shiftID, 10) + "@vigil.duty" }

// roleWord is a role on a shift in Vietnamese, the calendars' language.
func roleWord(role string) string {
	if role == RoleLead {
		return "trưởng ca"
	}
	return "trực"
}

func peopleText(people []Person) string {
	var parts []string
	for _, pe := range people {
		if pe.Disabled {
			continue
		}
		s := pe.Name
		if pe.Role == RoleLead {
			s += " (" + roleWord(pe.Role) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// RosterCalendar is a roster as a calendar: every shift, with who is on
// it; a shift nobody is on says so.
func (s *Service) RosterCalendar(ctx context.Context, rosterID int64) (*Calendar, error) {
	r, err := s.GetRoster(ctx, rosterID)
	if err != nil {
		return nil, err
	}
	cal := &Calendar{Name: r.Name + " · " + r.UnitName, Stamp: s.now()}
	for offset := 0; ; {
		shifts, total, err := s.Shifts(ctx, rosterID, ShiftFilter{Offset: offset, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, sh := range shifts {
			e := Event{UID: uid(sh.ID), Start: sh.StartsAt, End: sh.EndsAt, Location: r.UnitName,
				Description: r.Name + "\n" + r.Unit + " · " + r.UnitName}
			if sh.Uncovered {
				e.Summary = "CHƯA CÓ NGƯỜI TRỰC — " + r.Unit
			} else {
				e.Summary = "Trực " + r.Unit + ": " + peopleText(sh.People)
			}
			cal.Events = append(cal.Events, e)
		}
		offset += len(shifts)
		if len(shifts) == 0 || offset >= total {
			break
		}
	}
	return cal, nil
}

// PersonShift is a shift someone is on, with its roster.
type PersonShift struct {
	Shift
	Role     string `json:"role"`
	Roster   string `json:"roster"`
	Unit     string `json:"unit"`
	UnitName string `json:"unit_name"`
}

// PersonShifts lists the shifts the user of email is on, in the rosters
// the caller reads, from from on (all when zero), in time order. An
// e-mail the caller cannot see answers not found.
func (s *Service) PersonShifts(ctx context.Context, email string, from time.Time) ([]*PersonShift, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		email = p.Email
	}
	var userID int64
	var path string
	err = s.DB.QueryRow(ctx, `SELECT us.id, un.path FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).Scan(&userID, &path)
	self := err == nil && userID == p.UserID && p.UserID != 0
	if err := p.CheckRead(err, func() string { return path }, errs.NotFound("user "+strconv.Quote(email))); err != nil && !self {
		return nil, err
	}
	cond, args := p.Scope("u.path")
	args = append([]any{userID, store.Micros(from)}, args...)
	rows, err := s.DB.Query(ctx, `SELECT s.id, s.roster_id, s.starts_at, s.ends_at, a.role, r.name, u.code, u.name
		FROM duty_assignments a JOIN duty_shifts s ON s.id = a.shift_id JOIN duty_rosters r ON r.id = s.roster_id JOIN units u ON u.id = r.unit_id
		WHERE a.user_id = ? AND s.ends_at > ? AND `+cond+` ORDER BY s.starts_at LIMIT 5000`, args...)
	if err != nil {
		return nil, fmt.Errorf("duty: person's shifts: %w", err)
	}
	defer rows.Close()
	var out []*PersonShift
	for rows.Next() {
		var ps PersonShift
		var a, b int64
		if err := rows.Scan(&ps.ID, &ps.RosterID, &a, &b, &ps.Role, &ps.Roster, &ps.Unit, &ps.UnitName); err != nil {
			return nil, fmt.Errorf("duty: person's shifts: %w", err)
		}
		ps.StartsAt, ps.EndsAt, ps.Hours = store.Time(a), store.Time(b), hours(b-a)
		ps.People = []Person{}
		out = append(out, &ps)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("duty: person's shifts: %w", err)
	}
	shifts := make([]*Shift, len(out))
	for i, ps := range out {
		shifts[i] = &ps.Shift
	}
	if err := s.people(ctx, s.DB, shifts); err != nil {
		return nil, err
	}
	return out, nil
}

// PersonCalendar is one person's shifts as a calendar.
func (s *Service) PersonCalendar(ctx context.Context, email string) (*Calendar, error) {
	shifts, err := s.PersonShifts(ctx, email, time.Time{})
	if err != nil {
		return nil, err
	}
	if email == "" {
		email = auth.FromContext(ctx).Email
	}
	cal := &Calendar{Name: "Lịch trực · " + email, Stamp: s.now()}
	for _, sh := range shifts {
		cal.Events = append(cal.Events, Event{UID: uid(sh.ID), Start: sh.StartsAt, End: sh.EndsAt, Location: sh.UnitName,
			Summary:     "Trực " + sh.Unit + " (" + roleWord(sh.Role) + ")",
			Description: sh.Roster + "\n" + sh.Unit + " · " + sh.UnitName + "\nCùng ca: " + peopleText(sh.People)})
	}
	return cal, nil
}
