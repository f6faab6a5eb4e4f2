// Package i18n holds what Vigil needs to speak Vietnamese first and English
// second: message catalogs, date and time formats in Asia/Ho_Chi_Minh, and
// accent-insensitive folding for search.
package i18n

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold returns s lower-cased with diacritics removed, so "Đắk Lắk" and
// "dak lak" fold alike. Đ/đ is a letter of its own in Vietnamese, not a D
// with a mark, so Unicode decomposition leaves it: it is mapped by hand.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			b.WriteByte('d')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
