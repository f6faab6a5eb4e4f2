package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// mkRoster makes a one-day 3 × 8 h roster of unit as actor and returns
// its id.
func mkRoster(t *testing.T, w *world, actor, unit string) string {
	t.Helper()
	r := w.call(actor, "POST", "/api/v1/duty/rosters", map[string]any{"unit": unit, "from": "06/02/2027", "to": "06/02/2027", "pattern": "3x8"})
	expect(t, r, 201, actor+" makes a roster of "+unit)
	return fmt.Sprint(r.json(t)["id"])
}

// shiftIDs are a roster's shifts, in time order.
func shiftIDs(t *testing.T, w *world, roster string) []string {
	t.Helper()
	var out []string
	for _, it := range w.call("admin", "GET", "/api/v1/duty/rosters/"+roster+"/shifts", nil).items(t) {
		out = append(out, fmt.Sprint(it["id"]))
	}
	return out
}

// dutyRoster gives unit A a one-day roster with viewerA on its first
// shift, a handover note and a swap (officerA takes that shift), for
// tests that walk every page; it returns the roster's id and that
// shift's.
func (w *world) dutyRoster(t *testing.T) (roster, shift string) {
	t.Helper()
	roster = mkRoster(t, w, "officerA", "A")
	shifts := shiftIDs(t, w, roster)
	for i, email := range []string{"viewera@test.vigil", "officera@test.vigil"} {
		expect(t, w.call("officerA", "POST", "/api/v1/duty/shifts/"+shifts[i]+"/assignments", map[string]string{"user": email, "role": "lead"}), 200, "assign")
	}
	expect(t, w.call("viewerA", "POST", "/api/v1/duty/shifts/"+shifts[0]+"/notes", map[string]string{"body": "Bàn giao: không có sự cố."}), 201, "note")
	expect(t, w.call("officerA", "POST", "/api/v1/duty/swaps", jsonBody(`{"shift_a":`+shifts[0]+`,"user_a":"viewera@test.vigil","shift_b":`+shifts[1]+`,"user_b":"officera@test.vigil"}`)), 201, "swap")
	return roster, shifts[0]
}

// The duty roster's entries in the scope matrix (scope_test.go).
func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/duty/now": func(t *testing.T, w *world) {
			// The SOC (ITC, the root's IT Center) without ?unit=.
			r := w.call("analyst", "GET", "/api/v1/duty/now", nil)
			expect(t, r, 200, "analyst asks the SOC's watch")
			if m := r.json(t); m["unit"] != "ITC" {
				t.Errorf("SOC now: %s", r.Body)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/duty/now?unit=B", nil), 404, "officerA asks B's watch")
			expect(t, w.call("officerA", "GET", "/api/v1/duty/now?unit=ITC", nil), 404, "officerA asks the SOC's watch")
			expect(t, w.call("viewerA", "GET", "/api/v1/duty/now?unit=A1", nil), 200, "viewerA asks A1's watch")
			expect(t, w.call("viewerA", "GET", "/api/v1/duty/now?unit=A&at=yesterday", nil), 400, "a bad moment")
			// Someone on A's night shift is on duty at 23:00.
			id := mkRoster(t, w, "officerA", "A")
			night := shiftIDs(t, w, id)[2]
			expect(t, w.call("officerA", "POST", "/api/v1/duty/shifts/"+night+"/assignments", map[string]string{"user": "viewera@test.vigil", "role": "lead"}), 200, "assign")
			r = w.call("viewerA", "GET", "/api/v1/duty/now?unit=A&at=06/02/2027%2023:00", nil)
			if it := r.items(t); len(it) != 1 || it[0]["email"] != "viewera@test.vigil" || it[0]["role"] != "lead" {
				t.Errorf("A at 23:00: %s", r.Body)
			}
			expect(t, w.call("admin", "DELETE", "/api/v1/duty/rosters/"+id, nil), 204, "clean up")
		},
		"GET /api/v1/duty/rosters": func(t *testing.T, w *world) {
			mkRoster(t, w, "officerA", "A1")
			mkRoster(t, w, "officerB", "B")
			for _, it := range w.call("officerA", "GET", "/api/v1/duty/rosters", nil).items(t) {
				if !strings.HasPrefix(fmt.Sprint(it["unit"]), "A") {
					t.Errorf("officerA sees roster of %v", it["unit"])
				}
			}
			if got := codes(t, w.call("analyst", "GET", "/api/v1/duty/rosters", nil), "unit"); !got["B"] || !got["A1"] {
				t.Errorf("analyst sees rosters of %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/duty/rosters?unit=B", nil), 404, "officerA lists B's rosters")
			r := w.call("viewerA", "GET", "/api/v1/duty/rosters?format=csv", nil)
			expect(t, r, 200, "export")
			if !strings.Contains(string(r.Body), "A1") || strings.Contains(string(r.Body), "Hà Nội") {
				t.Errorf("viewerA's export: %s", r.Body)
			}
		},
		"POST /api/v1/duty/rosters": func(t *testing.T, w *world) {
			in := func(unit string) map[string]any {
				return map[string]any{"unit": unit, "preset": "tet", "year": 2027, "pattern": "2x12"}
			}
			expect(t, w.call("officerA", "POST", "/api/v1/duty/rosters", in("B")), 404, "officerA plans for B")
			expect(t, w.call("viewerA", "POST", "/api/v1/duty/rosters", in("A")), 403, "viewerA plans for A")
			expect(t, w.call("analyst", "POST", "/api/v1/duty/rosters", in("A")), 403, "the SOC's analyst plans for A")
			r := w.call("analyst", "POST", "/api/v1/duty/rosters", in("ITC"))
			expect(t, r, 201, "the SOC's analyst plans the SOC's Tết")
			if m := r.json(t); m["first_day"] != "2027-02-03" || m["last_day"] != "2027-02-13" || m["shifts"] != float64(22) {
				t.Errorf("Tết 2027 in 2 × 12 h: %s", r.Body)
			}
			r = w.call("officerA", "POST", "/api/v1/duty/rosters", map[string]any{"unit": "A", "from": "30/02/2027", "to": "01/03/2027"})
			expect(t, r, 400, "a day that does not exist")
			if !strings.Contains(string(r.Body), `"field":"from"`) {
				t.Errorf("bad day: %s", r.Body)
			}
		},
		"GET /api/v1/duty/rosters/{id}": func(t *testing.T, w *world) {
			b := mkRoster(t, w, "officerB", "B")
			a := mkRoster(t, w, "officerA", "A")
			expect(t, w.call("officerA", "GET", "/api/v1/duty/rosters/"+b, nil), 404, "officerA reads B's roster")
			r := w.call("viewerA", "GET", "/api/v1/duty/rosters/"+a, nil)
			expect(t, r, 200, "viewerA reads A's roster")
			if m := r.json(t); m["uncovered_hours"] != float64(24) {
				t.Errorf("an empty day: %s", r.Body)
			}
		},
		"DELETE /api/v1/duty/rosters/{id}": func(t *testing.T, w *world) {
			b := mkRoster(t, w, "officerB", "B")
			a := mkRoster(t, w, "officerA", "A")
			expect(t, w.call("officerA", "DELETE", "/api/v1/duty/rosters/"+b, nil), 404, "officerA removes B's roster")
			expect(t, w.call("viewerA", "DELETE", "/api/v1/duty/rosters/"+a, nil), 403, "viewerA removes A's roster")
			expect(t, w.call("officerA", "DELETE", "/api/v1/duty/rosters/"+a, nil), 204, "officerA removes A's roster")
			expect(t, w.call("officerA", "GET", "/api/v1/duty/rosters/"+a, nil), 404, "gone")
		},
		"GET /api/v1/duty/rosters/{id}/shifts": func(t *testing.T, w *world) {
			b := mkRoster(t, w, "officerB", "B")
			a := mkRoster(t, w, "officerA", "A")
			expect(t, w.call("officerA", "GET", "/api/v1/duty/rosters/"+b+"/shifts", nil), 404, "officerA reads B's shifts")
			r := w.call("viewerA", "GET", "/api/v1/duty/rosters/"+a+"/shifts?uncovered=true", nil)
			if r.json(t)["total"] != float64(3) {
				t.Errorf("uncovered shifts: %s", r.Body)
			}
			expect(t, w.call("viewerA", "GET", "/api/v1/duty/rosters/"+a+"/shifts?format=xlsx", nil), 200, "export")
		},
		"GET /api/v1/duty/rosters/{id}/calendar.ics": func(t *testing.T, w *world) {
			b := mkRoster(t, w, "officerB", "B")
			a := mkRoster(t, w, "officerA", "A")
			expect(t, w.call("officerA", "GET", "/api/v1/duty/rosters/"+b+"/calendar.ics", nil), 404, "officerA exports B's roster")
			r := w.call("viewerA", "GET", "/api/v1/duty/rosters/"+a+"/calendar.ics", nil)
			expect(t, r, 200, "viewerA exports A's roster")
			if !strings.HasPrefix(string(r.Body), "BEGIN:VCALENDAR\r\n") || strings.Count(string(r.Body), "BEGIN:VEVENT") != 3 {
				t.Errorf("calendar: %s", r.Body)
			}
		},
		"GET /api/v1/duty/calendar.ics": func(t *testing.T, w *world) {
			expect(t, w.call("viewerA", "GET", "/api/v1/duty/calendar.ics?user=officerb@test.vigil", nil), 404, "viewerA asks officerB's shifts")
			expect(t, w.call("viewerA", "GET", "/api/v1/duty/calendar.ics?user=nobody@test.vigil", nil), 404, "an unknown person")
			b := mkRoster(t, w, "officerB", "B")
			expect(t, w.call("officerB", "POST", "/api/v1/duty/shifts/"+shiftIDs(t, w, b)[0]+"/assignments", map[string]string{"user": "officerb@test.vigil"}), 200, "officerB on B")
			r := w.call("officerB", "GET", "/api/v1/duty/calendar.ics", nil)
			expect(t, r, 200, "officerB's own calendar")
			if strings.Count(string(r.Body), "BEGIN:VEVENT") != 1 {
				t.Errorf("officerB's calendar: %s", r.Body)
			}
		},
		"GET /api/v1/duty/shifts/{id}": func(t *testing.T, w *world) {
			b := shiftIDs(t, w, mkRoster(t, w, "officerB", "B"))[0]
			expect(t, w.call("officerA", "GET", "/api/v1/duty/shifts/"+b, nil), 404, "officerA reads B's shift")
			expect(t, w.call("analyst", "GET", "/api/v1/duty/shifts/"+b, nil), 200, "analyst reads B's shift")
		},
		"POST /api/v1/duty/shifts/{id}/assignments": func(t *testing.T, w *world) {
			b := shiftIDs(t, w, mkRoster(t, w, "officerB", "B"))[0]
			a := shiftIDs(t, w, mkRoster(t, w, "officerA", "A"))[0]
			u := func(email string) map[string]string { return map[string]string{"user": email} }
			expect(t, w.call("officerA", "POST", "/api/v1/duty/shifts/"+b+"/assignments", u("officera@test.vigil")), 404, "officerA staffs B's shift")
			expect(t, w.call("viewerA", "POST", "/api/v1/duty/shifts/"+a+"/assignments", u("viewera@test.vigil")), 403, "viewerA staffs A's shift")
			expect(t, w.call("officerA", "POST", "/api/v1/duty/shifts/"+a+"/assignments", u("officerb@test.vigil")), 400, "officerA puts officerB on A")
			expect(t, w.call("officerA", "POST", "/api/v1/duty/shifts/"+a+"/assignments", u("viewera@test.vigil")), 200, "officerA puts viewerA on A")
		},
		"DELETE /api/v1/duty/shifts/{id}/assignments/{user}": func(t *testing.T, w *world) {
			b := shiftIDs(t, w, mkRoster(t, w, "officerB", "B"))[0]
			a := shiftIDs(t, w, mkRoster(t, w, "officerA", "A"))[0]
			w.call("officerB", "POST", "/api/v1/duty/shifts/"+b+"/assignments", map[string]string{"user": "officerb@test.vigil"})
			w.call("officerA", "POST", "/api/v1/duty/shifts/"+a+"/assignments", map[string]string{"user": "viewera@test.vigil"})
			expect(t, w.call("officerA", "DELETE", "/api/v1/duty/shifts/"+b+"/assignments/"+itoa(w.userIDs["officerB"]), nil), 404, "officerA unstaffs B's shift")
			expect(t, w.call("viewerA", "DELETE", "/api/v1/duty/shifts/"+a+"/assignments/"+itoa(w.userIDs["viewerA"]), nil), 403, "viewerA takes herself off")
			r := w.call("officerA", "DELETE", "/api/v1/duty/shifts/"+a+"/assignments/"+itoa(w.userIDs["viewerA"]), nil)
			expect(t, r, 200, "officerA takes viewerA off")
			if r.json(t)["uncovered"] != true {
				t.Errorf("shift after: %s", r.Body)
			}
		},
		"GET /api/v1/duty/shifts/{id}/notes": func(t *testing.T, w *world) {
			b := shiftIDs(t, w, mkRoster(t, w, "officerB", "B"))[0]
			expect(t, w.call("officerA", "GET", "/api/v1/duty/shifts/"+b+"/notes", nil), 404, "officerA reads B's notes")
			expect(t, w.call("analyst", "GET", "/api/v1/duty/shifts/"+b+"/notes", nil), 200, "analyst reads B's notes")
		},
		"POST /api/v1/duty/shifts/{id}/notes": func(t *testing.T, w *world) {
			b := shiftIDs(t, w, mkRoster(t, w, "officerB", "B"))[0]
			a := shiftIDs(t, w, mkRoster(t, w, "officerA", "A"))[0]
			note := map[string]string{"body": "Không có sự cố; SIEM bình thường."}
			expect(t, w.call("officerA", "POST", "/api/v1/duty/shifts/"+b+"/notes", note), 404, "officerA writes on B's shift")
			expect(t, w.call("officerA", "POST", "/api/v1/duty/shifts/"+a+"/notes", note), 403, "officerA is not on the shift")
			w.call("officerA", "POST", "/api/v1/duty/shifts/"+a+"/assignments", map[string]string{"user": "viewera@test.vigil"})
			expect(t, w.call("viewerA", "POST", "/api/v1/duty/shifts/"+a+"/notes", note), 201, "viewerA writes on her shift")
			if it := w.call("officerA", "GET", "/api/v1/duty/shifts/"+a+"/notes", nil).items(t); len(it) != 1 || it[0]["author"] != "viewera@test.vigil" {
				t.Errorf("notes: %v", it)
			}
		},
		"GET /api/v1/duty/swaps": func(t *testing.T, w *world) {
			b := mkRoster(t, w, "officerB", "B")
			expect(t, w.call("officerA", "GET", "/api/v1/duty/swaps?roster="+b, nil), 404, "officerA lists B's swaps")
			expect(t, w.call("officerA", "GET", "/api/v1/duty/swaps?unit=B", nil), 404, "officerA lists B's swaps by unit")
			for _, it := range w.call("officerA", "GET", "/api/v1/duty/swaps", nil).items(t) {
				if !strings.HasSuffix(fmt.Sprint(it["user_a"]), "a@test.vigil") {
					t.Errorf("officerA sees swap %v", it)
				}
			}
		},
		"POST /api/v1/duty/swaps": func(t *testing.T, w *world) {
			bs := shiftIDs(t, w, mkRoster(t, w, "officerB", "B"))
			as := shiftIDs(t, w, mkRoster(t, w, "officerA", "A"))
			on := func(actor, shift, email string) {
				expect(t, w.call(actor, "POST", "/api/v1/duty/shifts/"+shift+"/assignments", map[string]string{"user": email}), 200, "assign")
			}
			on("officerB", bs[0], "officerb@test.vigil")
			on("officerA", as[0], "officera@test.vigil")
			on("officerA", as[1], "viewera@test.vigil")
			swap := func(a, b string) map[string]any {
				return map[string]any{"shift_a": a, "user_a": "officera@test.vigil", "shift_b": b, "user_b": "viewera@test.vigil", "reason": "việc gia đình"}
			}
			body := func(a, b string) jsonBody {
				m := swap(a, b)
				return jsonBody(fmt.Sprintf(`{"shift_a":%s,"user_a":%q,"shift_b":%s,"user_b":%q,"reason":%q}`, m["shift_a"], m["user_a"], m["shift_b"], m["user_b"], m["reason"]))
			}
			expect(t, w.call("officerA", "POST", "/api/v1/duty/swaps", body(bs[0], bs[1])), 404, "officerA swaps on B")
			expect(t, w.call("viewerA", "POST", "/api/v1/duty/swaps", body(as[0], as[1])), 403, "viewerA swaps")
			r := w.call("officerA", "POST", "/api/v1/duty/swaps", body(as[0], as[1]))
			expect(t, r, 201, "officerA swaps A's shifts")
			first := w.call("viewerA", "GET", "/api/v1/duty/shifts/"+as[0], nil).json(t)["people"].([]any)
			second := w.call("viewerA", "GET", "/api/v1/duty/shifts/"+as[1], nil).json(t)["people"].([]any)
			if len(first) != 1 || first[0].(map[string]any)["email"] != "viewera@test.vigil" || len(second) != 1 || second[0].(map[string]any)["email"] != "officera@test.vigil" {
				t.Errorf("after the swap: %v / %v", first, second)
			}
		},
		"GET /api/v1/duty/soc": func(t *testing.T, w *world) {
			r := w.call("viewerA", "GET", "/api/v1/duty/soc", nil)
			expect(t, r, 200, "viewerA asks which unit is the SOC")
			if r.json(t)["unit"] != "ITC" {
				t.Errorf("SOC: %s", r.Body)
			}
		},
		"PUT /api/v1/duty/soc": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "PUT", "/api/v1/duty/soc", map[string]string{"unit": "A"}), 403, "officerA names the SOC")
			expect(t, w.call("analyst", "PUT", "/api/v1/duty/soc", map[string]string{"unit": "ITC"}), 403, "analyst names the SOC")
			expect(t, w.call("admin", "PUT", "/api/v1/duty/soc", map[string]string{"unit": "NOPE"}), 404, "an unknown unit")
			r := w.call("admin", "PUT", "/api/v1/duty/soc", map[string]string{"unit": "B"})
			expect(t, r, 200, "admin names the SOC")
			if m := r.json(t); m["unit"] != "B" || m["named"] != true {
				t.Errorf("SOC: %s", r.Body)
			}
			expect(t, w.call("admin", "PUT", "/api/v1/duty/soc", map[string]string{"unit": "ITC"}), 200, "back to ITC")
		},
		"GET /api/v1/duty/tet": func(t *testing.T, w *world) {
			r := w.call("viewerA", "GET", "/api/v1/duty/tet?year=2027", nil)
			expect(t, r, 200, "Tết 2027")
			if m := r.json(t); !strings.HasPrefix(fmt.Sprint(m["new_year"]), "2027-02-06T00:00:00+07:00") || m["name"] != "Tết Đinh Mùi" {
				t.Errorf("Tết 2027: %s", r.Body)
			}
			expect(t, w.call("viewerA", "GET", "/api/v1/duty/tet?year=năm", nil), 400, "not a year")
		},
	} {
		scopeMatrix[k] = v
	}
}
