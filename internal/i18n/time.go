package i18n

import (
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the hub must show Vietnamese time on hosts without zoneinfo
)

// Location is Asia/Ho_Chi_Minh, where every time is shown.
var Location = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
}()

// FormatDate shows a date as dd/mm/yyyy (Vietnamese) or yyyy-mm-dd (English).
func FormatDate(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(Location)
	if lang == "en" {
		return t.Format("2006-01-02")
	}
	return t.Format("02/01/2006")
}

// FormatMonth shows a month written "2026-11" as readers write it:
// "tháng 11/2026" (Vietnamese) or "November 2026" (English); anything
// else is returned as it is.
func FormatMonth(ym, lang string) string {
	t, err := time.Parse("2006-01", ym)
	if err != nil {
		return ym
	}
	if lang == "en" {
		return t.Format("January 2006")
	}
	return t.Format("tháng 01/2006")
}

// FormatTime shows a date and time in Asia/Ho_Chi_Minh.
func FormatTime(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(Location)
	if lang == "en" {
		return t.Format("2006-01-02 15:04")
	}
	return t.Format("15:04 02/01/2006")
}

// Number writes n with thousands grouped as each language writes them:
// 1.234.567 in Vietnamese, 1,234,567 in English.
func Number(n int, lang string) string {
	sep := '.'
	if lang == "en" {
		sep = ','
	}
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}
