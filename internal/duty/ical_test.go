package duty_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"vigil/internal/duty"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// unfold reads an iCalendar stream back into content lines (RFC 5545
// 3.1), failing on a bare LF, a line over 75 octets or a fold that splits
// a UTF-8 character.
func unfold(t *testing.T, data []byte) []string {
	t.Helper()
	s := string(data)
	if !strings.HasSuffix(s, "\r\n") {
		t.Fatalf("the stream does not end with CRLF")
	}
	raw := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	var out []string
	for i, l := range raw {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("line %d holds a bare CR or LF: %q", i+1, l)
		}
		if len(l) > 75 {
			t.Errorf("line %d is %d octets: %q", i+1, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d splits a UTF-8 character: %q", i+1, l)
		}
		if strings.HasPrefix(l, " ") {
			if len(out) == 0 {
				t.Fatalf("the stream starts with a continuation")
			}
			out[len(out)-1] += l[1:]
			continue
		}
		out = append(out, l)
	}
	return out
}

// unescape reverses TEXT escaping.
func unescape(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\;`, `;`, `\,`, `,`, `\n`, "\n", `\N`, "\n").Replace(s)
}

func TestWriteCalendarFoldsAndEscapes(t *testing.T) {
	start := time.Date(2027, 2, 6, 22, 0, 0, 0, i18n.Location)
	long := strings.Repeat("Trực Tết Đinh Mùi; ca đêm, trưởng ca\\ ", 6) + "\nDòng hai"
	var buf bytes.Buffer
	err := duty.WriteCalendar(&buf, duty.Calendar{Name: "Lịch trực, SOC", Stamp: time.Date(2026, 12, 4, 1, 2, 3, 0, time.UTC), Events: []duty.Event{
		{UID: "shift-7@vigil.duty", Start: start, End: start.Add(8 * time.Hour), Summary: long, Description: "a;b,c\\d", Location: "Hà Nội"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	lines := unfold(t, buf.Bytes())
	props := map[string]string{}
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("no colon: %q", l)
		}
		if _, seen := props[name]; !seen {
			props[name] = value
		}
	}
	for name, want := range map[string]string{
		"BEGIN":                         "VCALENDAR",
		"VERSION":                       "2.0",
		"TZID":                          "Asia/Ho_Chi_Minh",
		"UID":                           "shift-7@vigil.duty",
		"DTSTAMP":                       "20261204T010203Z",
		"DTSTART;TZID=Asia/Ho_Chi_Minh": "20270206T220000",
		"DTEND;TZID=Asia/Ho_Chi_Minh":   "20270207T060000",
		"TZOFFSETTO":                    "+0700",
		"X-WR-CALNAME":                  `Lịch trực\, SOC`,
	} {
		if props[name] != want {
			t.Errorf("%s = %q, want %q", name, props[name], want)
		}
	}
	if got := unescape(props["SUMMARY"]); got != long {
		t.Errorf("summary read back as %q", got)
	}
	if got := unescape(props["DESCRIPTION"]); got != "a;b,c\\d" {
		t.Errorf("description read back as %q", got)
	}
	if lines[len(lines)-1] != "END:VCALENDAR" {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
	if !bytes.Contains(buf.Bytes(), []byte("\r\n ")) {
		t.Errorf("a long summary was not folded")
	}
}

func TestRosterCalendarAndSwaps(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tm := newTeam(t, db)
		r, err := tm.svc.CreateRoster(tm.ctx["offa"], duty.RosterInput{Unit: "A", From: "06/02/2027", To: "07/02/2027", Pattern: duty.Pattern2x12})
		if err != nil {
			t.Fatal(err)
		}
		shifts, _, _ := tm.svc.Shifts(tm.ctx["offa"], r.ID, duty.ShiftFilter{})
		if len(shifts) != 4 {
			t.Fatalf("%d shifts", len(shifts))
		}
		// Night shifts of 2 × 12 h cross midnight: 19:00 to 07:00.
		if got := shifts[1].EndsAt.Sub(shifts[1].StartsAt); got != 12*time.Hour || shifts[1].EndsAt.In(i18n.Location).Format("02/01 15:04") != "07/02 07:00" {
			t.Errorf("night shift %s – %s", shifts[1].StartsAt, shifts[1].EndsAt)
		}
		assign := func(i int, email, role string) {
			t.Helper()
			if _, err := tm.svc.Assign(tm.ctx["offa"], shifts[i].ID, duty.Assignment{User: email, Role: role}); err != nil {
				t.Fatal(err)
			}
		}
		assign(0, "offa@t.vigil", duty.RoleLead)
		assign(1, "viewa@t.vigil", duty.RoleOnDuty)
		// A district's officer cannot see the province: not on its roster.
		if _, err := tm.svc.Assign(tm.ctx["offa"], shifts[2].ID, duty.Assignment{User: "offa1@t.vigil"}); code(err) != errs.EINVALID {
			t.Errorf("district officer put on the province's roster: %v", err)
		}
		r, _ = tm.svc.GetRoster(tm.ctx["offa"], r.ID)
		if r.UncoveredShifts != 2 || r.UncoveredHours != 24 {
			t.Errorf("uncovered %d shifts / %v h, want 2 / 24", r.UncoveredShifts, r.UncoveredHours)
		}
		// A disabled account does not count as on duty.
		tm.disable(t, "viewa@t.vigil")
		if r, _ = tm.svc.GetRoster(tm.ctx["offa"], r.ID); r.UncoveredShifts != 3 {
			t.Errorf("with viewa disabled: %d uncovered shifts, want 3", r.UncoveredShifts)
		}
		tm.enable(t, "viewa@t.vigil")

		// A swap: offa (day 1) and viewa (night 1) exchange, each taking
		// the other's role on the shift.
		sw, err := tm.svc.Swap(tm.ctx["offa"], duty.SwapInput{ShiftA: shifts[0].ID, UserA: "offa@t.vigil", ShiftB: shifts[1].ID, UserB: "viewa@t.vigil", Reason: "con ốm"})
		if err != nil {
			t.Fatal(err)
		}
		if sw.UserA != "offa@t.vigil" || sw.UserB != "viewa@t.vigil" || sw.ShiftB != shifts[1].ID || sw.Reason != "con ốm" {
			t.Errorf("swap %+v", sw)
		}
		day, _ := tm.svc.GetShift(tm.ctx["offa"], shifts[0].ID)
		night, _ := tm.svc.GetShift(tm.ctx["offa"], shifts[1].ID)
		if len(day.People) != 1 || day.People[0].Email != "viewa@t.vigil" || day.People[0].Role != duty.RoleLead ||
			len(night.People) != 1 || night.People[0].Email != "offa@t.vigil" || night.People[0].Role != duty.RoleOnDuty {
			t.Errorf("after the swap: day %+v, night %+v", day.People, night.People)
		}
		// Swapping back the wrong way round is refused, nothing changes.
		if _, err := tm.svc.Swap(tm.ctx["offa"], duty.SwapInput{ShiftA: shifts[0].ID, UserA: "offa@t.vigil", ShiftB: shifts[1].ID, UserB: "viewa@t.vigil"}); code(err) != errs.EINVALID {
			t.Errorf("a swap of someone not on the shift: %v", err)
		}
		// A cover: admin takes offa's night.
		if _, err := tm.svc.Swap(tm.ctx["offa"], duty.SwapInput{ShiftA: shifts[1].ID, UserA: "offa@t.vigil", UserB: "admin@t.vigil"}); err != nil {
			t.Fatal(err)
		}
		swaps, total, err := tm.svc.Swaps(tm.ctx["viewa"], duty.SwapFilter{RosterID: r.ID})
		if err != nil || total != 2 || swaps[1].ShiftB != 0 || swaps[1].UserB != "admin@t.vigil" {
			t.Errorf("swaps %d %+v %v", total, swaps, err)
		}
		if _, _, err := tm.svc.Swaps(tm.ctx["offb"], duty.SwapFilter{RosterID: r.ID}); code(err) != errs.ENOTFOUND {
			t.Errorf("officer of B lists A's swaps: %v", err)
		}
		// Both changes are in the audit log.
		var n int
		if err := db.QueryRow(tm.ctx["system"], `SELECT COUNT(*) FROM audit_log WHERE action IN ('shift.swap', 'shift.cover')`).Scan(&n); err != nil || n != 2 {
			t.Errorf("audit rows of swaps: %d, %v", n, err)
		}

		// Handover notes: only the people on the shift, shown to the next.
		if _, err := tm.svc.AddNote(tm.ctx["offa"], shifts[0].ID, "Không có sự cố."); code(err) != errs.EFORBIDDEN {
			t.Errorf("a note by someone not on the shift: %v", err)
		}
		if _, err := tm.svc.AddNote(tm.ctx["viewa"], shifts[0].ID, "Cổng thông tin bị quét cổng lúc 10:00; đã chặn."); err != nil {
			t.Fatal(err)
		}
		now, err := tm.svc.NowAt(tm.ctx["viewa"], "A", shifts[1].StartsAt.Add(time.Hour))
		if err != nil || len(now.Handover) != 1 || !strings.Contains(now.Handover[0].Body, "quét cổng") || len(now.Items) != 1 || now.Items[0].Email != "admin@t.vigil" {
			t.Errorf("now on the night: %+v, %v", now, err)
		}

		// The roster as a calendar: four shifts, two nobody is on.
		cal, err := tm.svc.RosterCalendar(tm.ctx["viewa"], r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := duty.WriteCalendar(&buf, *cal); err != nil {
			t.Fatal(err)
		}
		lines := unfold(t, buf.Bytes())
		var events, gaps int
		uids := map[string]bool{}
		for _, l := range lines {
			switch {
			case l == "BEGIN:VEVENT":
				events++
			case strings.HasPrefix(l, "UID:"):
				uids[l] = true
			case strings.HasPrefix(l, "SUMMARY:CHƯA CÓ NGƯỜI TRỰC"):
				gaps++
			}
		}
		if events != 4 || len(uids) != 4 || gaps != 2 {
			t.Errorf("calendar: %d events, %d uids, %d gaps:\n%s", events, len(uids), gaps, buf.String())
		}
		// One person's calendar: admin's one night.
		pc, err := tm.svc.PersonCalendar(tm.ctx["admin"], "")
		if err != nil || len(pc.Events) != 1 || !pc.Events[0].Start.Equal(shifts[1].StartsAt) {
			t.Errorf("admin's calendar %+v, %v", pc, err)
		}
		if _, err := tm.svc.PersonCalendar(tm.ctx["offb"], "viewa@t.vigil"); code(err) != errs.ENOTFOUND {
			t.Errorf("officer of B reads viewa's shifts: %v", err)
		}
	})
}
