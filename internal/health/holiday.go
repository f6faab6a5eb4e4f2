package health

import (
	"time"

	"vigil/internal/i18n"
)

// lunarNewYear is the first day of each lunar year (Tết Nguyên Đán) in
// Vietnam.
var lunarNewYear = []time.Time{
	day(2024, 2, 10), day(2025, 1, 29), day(2026, 2, 17), day(2027, 2, 6), day(2028, 1, 26),
	day(2029, 2, 13), day(2030, 2, 3), day(2031, 1, 23), day(2032, 2, 11),
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, i18n.Location) }

// Holiday is a Lunar New Year holiday period: the days off and the days
// around them, from five days before the first day of the year to the
// end of its sixth day.
type Holiday struct {
	Year     int       `json:"year"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Upcoming bool      `json:"upcoming"` // it has not begun
}

// HolidayAt is the holiday period now falls in, or else the last one that
// began before now (the one whose record there is); with none known, the
// next one.
func HolidayAt(now time.Time) Holiday {
	var last *Holiday
	for _, t := range lunarNewYear {
		h := Holiday{Year: t.Year(), From: t.AddDate(0, 0, -5), To: t.AddDate(0, 0, 6)}
		if h.From.After(now) {
			if last == nil {
				h.Upcoming = true
				return h
			}
			break
		}
		last = &h
	}
	return *last
}
