package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/hosts"
	"vigil/internal/i18n"
)

// reasonText says in lang why a host fails a check: the message
// "reason.<code>" with {0}, {1}, ... replaced by the reason's arguments,
// numbers and times written as lang writes them.
func reasonText(lang string, r hosts.Reason) string {
	if r.Code == "" {
		return ""
	}
	s := i18n.T(lang, "reason."+r.Code)
	for i, a := range r.Args {
		var v string
		switch x := a.(type) {
		case int:
			v = i18n.Number(x, lang)
		case time.Time:
			v = i18n.FormatTime(x, lang)
		default:
			v = fmt.Sprint(x)
		}
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", v)
	}
	return s
}
