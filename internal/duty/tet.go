package duty

import (
	"fmt"
	"time"

	"vigil/internal/i18n"
)

// The Lunar New Year (Tết Nguyên Đán) falls on the first day of the first
// lunar month of Vietnam's calendar, which is reckoned at UTC+7 (it
// differs from China's in some years: 2007, 2030 and 2053 begin a day
// earlier in Vietnam). tetDays holds the
// dates for the years a roster is planned for today; lunar.go computes
// them for any year (Hồ Ngọc Đức's algorithm, astronomical new moons and
// solar terms at UTC+7) and a test checks that the two agree.
var tetDays = map[int]string{
	2024: "2024-02-10", // Giáp Thìn (the directive's holiday)
	2025: "2025-01-29", // Ất Tỵ
	2026: "2026-02-17", // Bính Ngọ
	2027: "2027-02-06", // Đinh Mùi
	2028: "2028-01-26", // Mậu Thân
	2029: "2029-02-13", // Kỷ Dậu
	2030: "2030-02-02", // Canh Tuất (China: 03/02; the new moon is at 23:07 in Hanoi)
	2031: "2031-01-23", // Tân Hợi
	2032: "2032-02-11", // Nhâm Tý
	2033: "2033-01-31", // Quý Sửu
	2034: "2034-02-19", // Giáp Dần
	2035: "2035-02-08", // Ất Mão
}

// TetDay is the Lunar New Year's Day of the Gregorian year y, at midnight
// in Asia/Ho_Chi_Minh: from the table for 2024–2035, computed otherwise.
func TetDay(y int) time.Time {
	if s, ok := tetDays[y]; ok {
		d, _ := time.ParseInLocation("2006-01-02", s, i18n.Location)
		return d
	}
	return LunarNewYear(y)
}

var (
	stems    = []string{"Giáp", "Ất", "Bính", "Đinh", "Mậu", "Kỷ", "Canh", "Tân", "Nhâm", "Quý"}
	branches = []string{"Tý", "Sửu", "Dần", "Mão", "Thìn", "Tỵ", "Ngọ", "Mùi", "Thân", "Dậu", "Tuất", "Hợi"}
)

// YearName is the lunar year's name that starts in Gregorian year y
// ("Đinh Mùi" for 2027).
func YearName(y int) string {
	return stems[((y+6)%10+10)%10] + " " + branches[((y+8)%12+12)%12]
}

// Holiday is the Tết holiday of a year as the preset plans it.
type Holiday struct {
	Year    int       `json:"year"`
	Name    string    `json:"name"`     // "Tết Đinh Mùi"
	NewYear time.Time `json:"new_year"` // the first day of the first lunar month
	// First and Last are the official days off as the preset estimates
	// them (see TetHoliday), midnight in Asia/Ho_Chi_Minh.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// From and To are the roster's period: the days off and the days
	// around them (TetBefore days before, TetAfter after).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// The preset's roster starts TetBefore days before the days off (the
// last working days, when attacks that land over the holiday are
// prepared) and ends TetAfter days after (the first working days back,
// when what happened is found).
const (
	TetBefore = 2
	TetAfter  = 2
)

// TetHoliday estimates the official Tết days off of year y. The Labour
// Code (2019, art. 112) gives five days; they are usually the last day of
// the old year and the first four of the new (Tết−1 … Tết+3). A day of
// those that falls on a Saturday or Sunday is made up on the next working
// day (art. 112(3)), and the days off then run on over the weekend they
// touch. The government announces each year's schedule, sometimes
// swapping days with a weekend, so this is an estimate the officer
// adjusts: it gives 14–22/02/2026 (as announced), and 09–15/02/2024 where
// the government gave 08–14/02/2024.
func TetHoliday(y int) Holiday {
	ny := TetDay(y)
	first := ny.AddDate(0, 0, -1)
	last := ny.AddDate(0, 0, 3)
	weekend := func(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday }
	owed := 0
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		if weekend(d) {
			owed++
		}
	}
	for owed > 0 {
		last = last.AddDate(0, 0, 1)
		if !weekend(last) {
			owed--
		}
	}
	for weekend(first.AddDate(0, 0, -1)) {
		first = first.AddDate(0, 0, -1)
	}
	for weekend(last.AddDate(0, 0, 1)) {
		last = last.AddDate(0, 0, 1)
	}
	return Holiday{Year: y, Name: "Tết " + YearName(y), NewYear: ny, First: first, Last: last,
		From: first.AddDate(0, 0, -TetBefore), To: last.AddDate(0, 0, TetAfter)}
}

// NextTet is the holiday of the first Tết whose roster period has not
// ended at now.
func NextTet(now time.Time) Holiday {
	y := now.In(i18n.Location).Year()
	h := TetHoliday(y)
	if now.After(h.To.AddDate(0, 0, 1)) {
		h = TetHoliday(y + 1)
	}
	return h
}

// ParseDay reads a day as dd/mm/yyyy (as Vietnamese is written) or
// yyyy-mm-dd, at midnight in Asia/Ho_Chi_Minh.
func ParseDay(s string) (time.Time, error) {
	for _, layout := range []string{"02/01/2006", "2/1/2006", "2006-01-02"} {
		if d, err := time.ParseInLocation(layout, s, i18n.Location); err == nil {
			return d, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date", s)
}
