package duty

import (
	"math"
	"time"

	"vigil/internal/i18n"
)

// The Vietnamese lunisolar calendar, after Hồ Ngọc Đức's algorithm
// ("Âm lịch Việt Nam", the one Vietnamese calendars are printed from): a
// month starts on the day (at UTC+7) of an astronomical new moon, month
// 11 holds the winter solstice, and a year with 13 months repeats the
// first month that holds no major solar term. New moons and the sun's
// longitude come from the short series of Meeus' "Astronomical
// Algorithms", good to minutes for 1900–2100.

const vnZone = 7.0 // hours east of UTC

// jdn is the Julian day number of a Gregorian date.
func jdn(y, m, d int) int {
	a := (14 - m) / 12
	yy := y + 4800 - a
	mm := m + 12*a - 3
	return d + (153*mm+2)/5 + 365*yy + yy/4 - yy/100 + yy/400 - 32045
}

// dateOf is the date of a Julian day number, at midnight in Vietnam.
func dateOf(j int) time.Time {
	return time.Date(1970, 1, 1, 0, 0, 0, 0, i18n.Location).AddDate(0, 0, j-2440588)
}

// newMoonDay is the Julian day number (local) of the k-th new moon after
// that of 1900-01-01.
func newMoonDay(k int) int {
	kf := float64(k)
	t := kf / 1236.85
	t2, t3 := t*t, t*t*t
	dr := math.Pi / 180
	jd1 := 2415020.75933 + 29.53058868*kf + 0.0001178*t2 - 0.000000155*t3
	jd1 += 0.00033 * math.Sin((166.56+132.87*t-0.009173*t2)*dr)
	m := 359.2242 + 29.10535608*kf - 0.0000333*t2 - 0.00000347*t3
	mpr := 306.0253 + 385.81691806*kf + 0.0107306*t2 + 0.00001236*t3
	f := 21.2964 + 390.67050646*kf - 0.0016528*t2 - 0.00000239*t3
	c1 := (0.1734-0.000393*t)*math.Sin(m*dr) + 0.0021*math.Sin(2*dr*m)
	c1 = c1 - 0.4068*math.Sin(mpr*dr) + 0.0161*math.Sin(dr*2*mpr)
	c1 -= 0.0004 * math.Sin(dr*3*mpr)
	c1 = c1 + 0.0104*math.Sin(dr*2*f) - 0.0051*math.Sin(dr*(m+mpr))
	c1 = c1 - 0.0074*math.Sin(dr*(m-mpr)) + 0.0004*math.Sin(dr*(2*f+m))
	c1 = c1 - 0.0004*math.Sin(dr*(2*f-m)) - 0.0006*math.Sin(dr*(2*f+mpr))
	c1 = c1 + 0.0010*math.Sin(dr*(2*f-mpr)) + 0.0005*math.Sin(dr*(2*mpr+m))
	var deltaT float64
	if t < -11 {
		deltaT = 0.001 + 0.000839*t + 0.0002261*t2 - 0.00000845*t3 - 0.000000081*t*t3
	} else {
		deltaT = -0.000278 + 0.000265*t + 0.000262*t2
	}
	return int(math.Floor(jd1 + c1 - deltaT + 0.5 + vnZone/24))
}

// sunSector is which of the twelve 30° sectors of ecliptic longitude the
// sun is in at the start of local day j (0 from the vernal equinox).
func sunSector(j int) int {
	t := (float64(j) - 2451545.5 - vnZone/24) / 36525
	t2 := t * t
	dr := math.Pi / 180
	m := 357.52910 + 35999.05030*t - 0.0001559*t2 - 0.00000048*t*t2
	l0 := 280.46645 + 36000.76983*t + 0.0003032*t2
	dl := (1.914600 - 0.004817*t - 0.000014*t2) * math.Sin(dr*m)
	dl += (0.019993-0.000101*t)*math.Sin(dr*2*m) + 0.000290*math.Sin(dr*3*m)
	l := (l0 + dl) * dr
	l -= math.Pi * 2 * math.Floor(l/(math.Pi*2))
	return int(math.Floor(l / math.Pi * 6))
}

// month11 is the day month 11 (the one holding the winter solstice)
// starts in Gregorian year y.
func month11(y int) int {
	off := jdn(y, 12, 31) - 2415021
	k := int(math.Floor(float64(off) / 29.530588853))
	nm := newMoonDay(k)
	if sunSector(nm) >= 9 {
		nm = newMoonDay(k - 1)
	}
	return nm
}

// leapOffset is the place, counted in months after month 11 at a11, of a
// 13-month year's leap month.
func leapOffset(a11 int) int {
	k := int(math.Floor((float64(a11)-2415021.076998695)/29.530588853 + 0.5))
	i := 1
	arc := sunSector(newMoonDay(k + i))
	for {
		last := arc
		i++
		arc = sunSector(newMoonDay(k + i))
		if arc == last || i >= 14 {
			break
		}
	}
	return i - 1
}

// LunarNewYear computes the first day of the first lunar month of the
// lunar year that starts in Gregorian year y, in Vietnam's calendar.
func LunarNewYear(y int) time.Time {
	a11, b11 := month11(y-1), month11(y)
	k := int(math.Floor((float64(a11)-2415021.076998695)/29.530588853 + 0.5))
	off := 2 // month 11, 12, then 1
	if b11-a11 > 365 && leapOffset(a11) <= off {
		off++ // a leap 11th or 12th month comes first
	}
	return dateOf(newMoonDay(k + off))
}
