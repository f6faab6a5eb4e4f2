package phishing

import (
	"strings"
	"unicode/utf8"

	"vigil/internal/errs"
)

// Placeholders a template may use; {link} is required in the body.
var Placeholders = []string{"name", "email", "position", "department", "unit", "link", "date"}

// CheckText checks a template text's placeholders: "{name}" must be one of
// Placeholders, "{{" and "}}" write literal braces. A broken one is refused with
// its line and column, so a drill never sends "{nmae}" to a thousand
// people.
func CheckText(field, text string) error {
	line, col := 1, 0
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		col++
		switch {
		case r == '\n':
			line, col = line+1, 0
		case r == '{' && strings.HasPrefix(text[i:], "{{"):
			i += 2
			col++
			continue
		case r == '{':
			end := strings.IndexAny(text[i+1:], "{}\n")
			if end < 0 || text[i+1+end] != '}' {
				return errs.Invalid(field, "line %d, column %d: a placeholder is not closed with }", line, col)
			}
			name := text[i+1 : i+1+end]
			if !known(name) {
				return errs.Invalid(field, "line %d, column %d: unknown placeholder {%s}; use {name}, {email}, {position}, {department}, {unit}, {link} or {date}", line, col, name)
			}
			i += end + 2
			col += utf8.RuneCountInString(name) + 1
			continue
		case r == '}' && strings.HasPrefix(text[i:], "}}"):
			i += 2
			col++
			continue
		case r == '}':
			return errs.Invalid(field, "line %d, column %d: a } without its {", line, col)
		}
		i += n
	}
	return nil
}

func known(name string) bool {
	for _, p := range Placeholders {
		if p == name {
			return true
		}
	}
	return false
}

// Render fills a checked text's placeholders from vars (escape, when set,
// is applied to each value: HTML escaping for the HTML part).
func Render(text string, vars map[string]string, escape func(string) string) string {
	var b strings.Builder
	for i := 0; i < len(text); {
		switch {
		case strings.HasPrefix(text[i:], "{{"):
			b.WriteByte('{')
			i += 2
		case strings.HasPrefix(text[i:], "}}"):
			b.WriteByte('}')
			i += 2
		case text[i] == '{':
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				b.WriteString(text[i:])
				return b.String()
			}
			v := vars[text[i+1:i+end]]
			if escape != nil {
				v = escape(v)
			}
			b.WriteString(v)
			i += end + 1
		default:
			b.WriteByte(text[i])
			i++
		}
	}
	return b.String()
}
