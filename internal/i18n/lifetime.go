package i18n

import (
	"strconv"
	"strings"
	"time"
)

// ParseLifetime reads how long something (a token) should last as people
// write it: a number of days ("3", "3 ngày", "3 days", "3d"), or the last
// day it is good for ("31/12/2026", "2026-12-31": until the end of that
// day in Asia/Ho_Chi_Minh). A Go duration ("72h", "90m") is still read,
// for scripts written against earlier versions. ok is false for anything
// else; the duration may be zero or negative (a date in the past) and
// the caller checks its bounds.
func ParseLifetime(s string, now time.Time) (d time.Duration, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	num, unit := s, ""
	if i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); i > 0 {
		num, unit = s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	}
	if n, err := strconv.Atoi(num); err == nil && n <= 100000 {
		switch unit {
		case "", "d", "day", "days", "ngày", "ngay":
			return time.Duration(n) * 24 * time.Hour, true
		}
	}
	for _, layout := range []string{"02/01/2006", "2/1/2006", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, Location); err == nil {
			return t.AddDate(0, 0, 1).Sub(now), true
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d, true
	}
	return 0, false
}
