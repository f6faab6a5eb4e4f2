package i18n

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"vigil/internal/errs"
)

// TestEveryMessageHasBothLanguages: a key with one language missing shows
// the other language (or the key) to half the readers.
func TestEveryMessageHasBothLanguages(t *testing.T) {
	for key, m := range messages {
		if strings.TrimSpace(m[0]) == "" {
			t.Errorf("%s has no Vietnamese text", key)
		}
		if strings.TrimSpace(m[1]) == "" {
			t.Errorf("%s has no English text", key)
		}
	}
	if _, ok := Lookup("vi", "no.such.key"); ok || T("vi", "no.such.key") != "no.such.key" {
		t.Errorf("a missing key is not reported")
	}
}

var verbRE = regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?[a-zA-Z%]`)

// TestErrorTranslationsTakeTheSameArguments: every Vietnamese error text
// formats the English format's arguments without a %!(BADVERB) or
// %!(EXTRA) in sight.
func TestErrorTranslationsTakeTheSameArguments(t *testing.T) {
	for en, vi := range errorFormats {
		var args []any
		for _, v := range verbRE.FindAllString(en, -1) {
			switch v[len(v)-1] {
			case 'd':
				args = append(args, 7)
			case '%':
			default:
				args = append(args, "x")
			}
		}
		if got := fmt.Sprintf(vi, args...); strings.Contains(got, "%!") {
			t.Errorf("%q -> %q formats as %q", en, vi, got)
		}
		if vi == en {
			t.Errorf("%q is not translated", en)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := errs.Invalid("email", "is not an e-mail address")
	for _, c := range []struct{ lang, beside, above string }{
		{"vi", "Không phải địa chỉ thư điện tử", "Thư điện tử: không phải địa chỉ thư điện tử"},
		{"en", "Is not an e-mail address", "E-mail: is not an e-mail address"},
	} {
		if got := ErrorMessage(c.lang, e); got != c.beside {
			t.Errorf("%s beside the field: %q, want %q", c.lang, got, c.beside)
		}
		if got := ErrorText(c.lang, e); got != c.above {
			t.Errorf("%s above the form: %q, want %q", c.lang, got, c.above)
		}
	}
	// Arguments that are roles or kinds are named; nested errors are
	// translated; foreign errors say only "internal".
	if got := ErrorText("vi", errs.Forbidden("you may not create a %s in unit %s", "officer", "A")); !strings.Contains(got, "Cán bộ an toàn thông tin đơn vị") {
		t.Errorf("role argument not named: %q", got)
	}
	nested := errs.New(errs.EINVALID, "note", "finding %d: %v", 12, errs.Invalid("note", "must be at most 4000 bytes"))
	if got := ErrorText("vi", nested); got != "Ghi chú: phát hiện 12: dài quá 4000 byte" {
		t.Errorf("nested: %q", got)
	}
	if nested.Message != "finding 12: must be at most 4000 bytes" {
		t.Errorf("English of nested: %q", nested.Message)
	}
	if got := ErrorText("vi", fmt.Errorf("disk on fire")); strings.Contains(got, "fire") {
		t.Errorf("a foreign error leaks: %q", got)
	}
}
