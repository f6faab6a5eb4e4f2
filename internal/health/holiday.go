package health

import (
	"time"

	"vigil/internal/duty"
)

// Holiday is the Lunar New Year holiday period the duty roster's preset
// plans (the official days off and the days around them), over which the
// probe's uptime is reported.
type Holiday struct {
	Year     int       `json:"year"`
	Name     string    `json:"name"` // "Tết Bính Ngọ"
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`       // the end of the last day
	Upcoming bool      `json:"upcoming"` // it has not begun
}

func holidayOf(y int) Holiday {
	h := duty.TetHoliday(y)
	return Holiday{Year: y, Name: h.Name, From: h.From, To: h.To.AddDate(0, 0, 1)}
}

// HolidayAt is the holiday period now falls in, or else the last one that
// began before now (the one there is a record of).
func HolidayAt(now time.Time) Holiday {
	for y := now.Year() + 1; y >= now.Year()-1; y-- {
		if h := holidayOf(y); !h.From.After(now) {
			return h
		}
	}
	h := holidayOf(now.Year())
	h.Upcoming = true
	return h
}
