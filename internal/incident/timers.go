package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Settings are the clocks' rules, which the IT Center may change: the
// national deadlines (Circular 20/2017 Art. 9, Decree 13/2023 Art. 23)
// whose details are unconfirmed, and the SOC's own targets.
type Settings struct {
	// InitialDays after discovery the initial report (Mẫu 03) is due.
	InitialDays int `json:"initial_days"`
	// WorkingDays counts InitialDays and FinalDays as working days
	// (Monday to Friday, Holidays excepted) instead of calendar days.
	WorkingDays bool `json:"working_days"`
	// FinalDays after the response ends (the case closed) the final
	// report (Mẫu 04) is due.
	FinalDays int `json:"final_days"`
	// PersonalDataHours after discovery a personal-data breach is
	// notified to the Ministry of Public Security (A05).
	PersonalDataHours int `json:"personal_data_hours"`
	// The SOC's targets, from the case's opening: acknowledge (leave
	// "new"), contain (reach eradication or later), close.
	AckMinutes   int `json:"ack_minutes"`
	ContainHours int `json:"contain_hours"`
	CloseDays    int `json:"close_days"`
	// RemindHours before a deadline a reminder goes out through the
	// escalation channels.
	RemindHours int `json:"remind_hours"`
	// Holidays (yyyy-mm-dd) are not working days.
	Holidays []string `json:"holidays,omitempty"`
}

// DefaultSettings are the rules as the regulation reads (calendar days).
func DefaultSettings() Settings {
	return Settings{InitialDays: 5, FinalDays: 5, PersonalDataHours: 72, AckMinutes: 60, ContainHours: 24, CloseDays: 30, RemindHours: 24}
}

func (st *Settings) check() error {
	for _, v := range []struct {
		field    string
		n, lo, h int
	}{
		{"initial_days", st.InitialDays, 1, 60}, {"final_days", st.FinalDays, 1, 60}, {"personal_data_hours", st.PersonalDataHours, 1, 720},
		{"ack_minutes", st.AckMinutes, 1, 10080}, {"contain_hours", st.ContainHours, 1, 8760}, {"close_days", st.CloseDays, 1, 3650},
		{"remind_hours", st.RemindHours, 0, 720},
	} {
		if v.n < v.lo || v.n > v.h {
			return errs.Invalid(v.field, "must be between %d and %d", v.lo, v.h)
		}
	}
	var days []string
	for _, h := range st.Holidays {
		for _, d := range strings.FieldsFunc(h, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' }) {
			t, err := ParseTime("holidays", d)
			if err != nil {
				return err
			}
			d = t.In(i18n.Location).Format("2006-01-02")
			if !slices.Contains(days, d) {
				days = append(days, d)
			}
		}
	}
	if len(days) > 1000 {
		return errs.Invalid("holidays", "list at most %d values", 1000)
	}
	slices.Sort(days)
	st.Holidays = days
	return nil
}

// Settings returns the clocks' rules (the defaults until changed).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	st := DefaultSettings()
	var data string
	err := s.DB.QueryRow(ctx, `SELECT data FROM incident_settings WHERE id = 1`).Scan(&data)
	if store.IsNoRows(err) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("incident: settings: %w", err)
	}
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		return DefaultSettings(), nil
	}
	return st, nil
}

// SaveSettings changes the clocks' rules (the IT Center: whoever writes
// at the root unit) and audits it.
func (s *Service) SaveSettings(ctx context.Context, st Settings) (Settings, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return st, err
	}
	var root string
	if err := s.DB.QueryRow(ctx, `SELECT path FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&root); err != nil && !store.IsNoRows(err) {
		return st, fmt.Errorf("incident: root unit: %w", err)
	}
	if root == "" || !p.CanWrite(root) {
		return st, errs.Forbidden("only the IT Center (the root unit's officers and administrators) sets the incident clocks")
	}
	if err := st.check(); err != nil {
		return st, err
	}
	before, err := s.Settings(ctx)
	if err != nil {
		return st, err
	}
	data, _ := json.Marshal(st)
	now := store.Micros(s.now())
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO incident_settings (id, data, updated_by, updated_at) VALUES (1, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET data = excluded.data, updated_by = excluded.updated_by, updated_at = excluded.updated_at`, string(data), p.Email, now); err != nil {
			return fmt.Errorf("incident: save settings: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "incident.settings", ObjectType: "incident_settings", ObjectID: "1", Before: before, After: st})
	})
	return st, err
}

// addDays adds n days to t: calendar days, or working days (Monday to
// Friday, not a holiday) counted in Vietnam, keeping the time of day.
func (st *Settings) addDays(t time.Time, n int) time.Time {
	if !st.WorkingDays {
		return t.AddDate(0, 0, n)
	}
	d := t.In(i18n.Location)
	for added := 0; added < n; {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday || slices.Contains(st.Holidays, d.Format("2006-01-02")) {
			continue
		}
		added++
	}
	return d
}

// Clock names.
const (
	ClockInitial      = "initial"       // Mẫu 03: 5 days after discovery
	ClockEmergency    = "emergency"     // serious / beyond capacity: at once
	ClockFinal        = "final"         // Mẫu 04: 5 days after the response ends
	ClockPersonalData = "personal_data" // 72 h to A05
	ClockAck          = "ack"           // SOC target
	ClockContain      = "contain"       // SOC target
	ClockClose        = "close"         // SOC target
)

// Clock states.
const (
	ClockRunning = "running" // due later
	ClockSoon    = "soon"    // due within the reminder window
	ClockOverdue = "overdue" // due and not done
	ClockMet     = "met"     // done in time
	ClockLate    = "late"    // done after the deadline
)

// Clock is one deadline of a case.
type Clock struct {
	Name   string    `json:"name"`
	Legal  bool      `json:"legal"` // a national reporting deadline (else a SOC target)
	Start  time.Time `json:"start"`
	Due    time.Time `json:"due"`
	Done   time.Time `json:"done,omitzero"`
	State  string    `json:"state"`
	Remain string    `json:"-"` // filled by pages
}

// Left is the time left until the deadline (negative when past).
func (k Clock) Left(now time.Time) time.Duration { return k.Due.Sub(now) }

func (st *Settings) clock(name string, legal bool, start, due, done, now time.Time) Clock {
	k := Clock{Name: name, Legal: legal, Start: start, Due: due, Done: done}
	switch {
	case !done.IsZero() && done.After(due):
		k.State = ClockLate
	case !done.IsZero():
		k.State = ClockMet
	case now.After(due):
		k.State = ClockOverdue
	case due.Sub(now) <= time.Duration(st.RemindHours)*time.Hour:
		k.State = ClockSoon
	default:
		k.State = ClockRunning
	}
	return k
}

// Clocks are the deadlines of a case at now: the national ones that apply
// and the SOC's targets.
func (st *Settings) Clocks(c *Case, now time.Time) []Clock {
	var out []Clock
	if c.Serious {
		at := c.seriousAt
		if at.IsZero() {
			at = c.OpenedAt
		}
		out = append(out, st.clock(ClockEmergency, true, at, at, c.InitialSentAt, now))
	}
	out = append(out, st.clock(ClockInitial, true, c.DetectedAt, st.addDays(c.DetectedAt, st.InitialDays), c.InitialSentAt, now))
	if c.PersonalData {
		out = append(out, st.clock(ClockPersonalData, true, c.DetectedAt, c.DetectedAt.Add(time.Duration(st.PersonalDataHours)*time.Hour), c.PDNotifiedAt, now))
	}
	if !c.ClosedAt.IsZero() {
		out = append(out, st.clock(ClockFinal, true, c.ClosedAt, st.addDays(c.ClosedAt, st.FinalDays), c.FinalSentAt, now))
	}
	out = append(out,
		st.clock(ClockAck, false, c.OpenedAt, c.OpenedAt.Add(time.Duration(st.AckMinutes)*time.Minute), c.AckedAt, now),
		st.clock(ClockContain, false, c.OpenedAt, c.OpenedAt.Add(time.Duration(st.ContainHours)*time.Hour), c.ContainedAt, now),
		st.clock(ClockClose, false, c.OpenedAt, c.OpenedAt.AddDate(0, 0, st.CloseDays), c.ClosedAt, now))
	return out
}

// ReportDue is the earliest national reporting deadline of a case still
// running (not met): the emergency report of a serious case, the initial
// report, the 72-hour personal-data notice and, once the case is closed,
// the final report; nil when none is running.
func (st *Settings) ReportDue(c *Case) *time.Time {
	var due *time.Time
	for _, k := range st.Clocks(c, time.Time{}) {
		if !k.Legal || !k.Done.IsZero() {
			continue
		}
		if due == nil || k.Due.Before(*due) {
			t := k.Due
			due = &t
		}
	}
	return due
}
