package parse

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonKind is the type of a decoded JSON value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// jsonValue is a decoded JSON value that keeps object members in document
// order (encoding/json's maps do not), so fields reach the event in the
// order the producer wrote them and numbers keep their original text
// (EventID 4688, not 4688.0).
type jsonValue struct {
	kind  jsonKind
	text  string      // scalar: the number literal, the unescaped string, "true"/"false"
	keys  []string    // object member names, parallel to elems
	elems []jsonValue // object member values or array elements
}

// get returns the member named key of an object, or nil.
func (v *jsonValue) get(key string) *jsonValue {
	if v == nil || v.kind != jsonObject {
		return nil
	}
	for i := range v.keys {
		if v.keys[i] == key {
			return &v.elems[i]
		}
	}
	return nil
}

// str returns the text of a scalar member, "" when absent or not scalar.
func (v *jsonValue) str(key string) string {
	m := v.get(key)
	if m == nil || !m.scalar() {
		return ""
	}
	return m.text
}

func (v *jsonValue) scalar() bool {
	return v.kind == jsonBool || v.kind == jsonNumber || v.kind == jsonString
}

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 200

var errJSONDepth = errors.New("json: nesting too deep")

// jsonSyntaxError carries the byte offset within the record.
type jsonSyntaxError struct {
	Offset int
	Msg    string
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("json: %s at byte %d", e.Msg, e.Offset)
}

// parseJSON decodes exactly one JSON value from data (surrounding space
// allowed).
func parseJSON(data []byte) (jsonValue, error) {
	var p jsonParser
	return p.parse(data)
}

// parse is parseJSON reusing the parser's scratch space and key table.
func (p *jsonParser) parse(data []byte) (jsonValue, error) {
	p.data, p.pos = data, 0
	p.str = string(data)
	p.space()
	v, err := p.value(0)
	if err != nil {
		return jsonValue{}, err
	}
	p.space()
	if p.pos != len(p.data) {
		return jsonValue{}, p.fail("unexpected data after value")
	}
	return v, nil
}

type jsonParser struct {
	data []byte
	str  string // data as one string: values without escapes are slices of it
	pos  int
	// Members of the objects and arrays being parsed, gathered here and
	// copied out at exact size when each closes.
	keyStack []string
	valStack []jsonValue
	buf      []byte            // scratch for unescaping strings
	keys     map[string]string // interned object keys, when not nil
}

// maxKeys bounds the key table: keys of well-formed logs repeat, hostile
// input must not grow it without end.
const maxKeys = 4096

// substr returns data[start:end] as a string, sharing the record's string
// when parse made one.
func (p *jsonParser) substr(start, end int) string {
	if len(p.str) == len(p.data) {
		return p.str[start:end]
	}
	return string(p.data[start:end])
}

func (p *jsonParser) fail(msg string) error {
	return &jsonSyntaxError{Offset: p.pos, Msg: msg}
}

func (p *jsonParser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (jsonValue, error) {
	if depth > maxJSONDepth {
		return jsonValue{}, errJSONDepth
	}
	if p.pos >= len(p.data) {
		return jsonValue{}, p.fail("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		return jsonValue{kind: jsonString, text: s}, err
	case c == 't':
		return p.literal("true", jsonValue{kind: jsonBool, text: "true"})
	case c == 'f':
		return p.literal("false", jsonValue{kind: jsonBool, text: "false"})
	case c == 'n':
		return p.literal("null", jsonValue{kind: jsonNull})
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return jsonValue{}, p.fail("unexpected character " + strconv.QuoteRune(rune(p.data[p.pos])))
}

func (p *jsonParser) literal(word string, v jsonValue) (jsonValue, error) {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return jsonValue{}, p.fail("invalid literal")
	}
	p.pos += len(word)
	return v, nil
}

func (p *jsonParser) number() (jsonValue, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	digits := 0
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
			if c >= '0' && c <= '9' {
				digits++
			}
			p.pos++
			continue
		}
		break
	}
	if digits == 0 {
		return jsonValue{}, p.fail("invalid number")
	}
	return jsonValue{kind: jsonNumber, text: p.substr(start, p.pos)}, nil
}

func (p *jsonParser) string() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	// Fast path: no escapes.
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '"' {
			s := p.substr(start, p.pos)
			p.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		p.pos++
	}
	p.buf = append(p.buf[:0], p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch c {
		case '"':
			p.pos++
			return string(p.buf), nil
		case '\\':
			p.pos++
			if p.pos >= len(p.data) {
				return "", p.fail("unterminated string")
			}
			e := p.data[p.pos]
			p.pos++
			switch e {
			case '"', '\\', '/':
				p.buf = append(p.buf, e)
			case 'b':
				p.buf = append(p.buf, '\b')
			case 'f':
				p.buf = append(p.buf, '\f')
			case 'n':
				p.buf = append(p.buf, '\n')
			case 'r':
				p.buf = append(p.buf, '\r')
			case 't':
				p.buf = append(p.buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.fail("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// A lone surrogate becomes U+FFFD rather than an error:
					// converters emit them from broken UTF-16 in logs.
					r2 := rune(utf8.RuneError)
					if p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
						save := p.pos
						p.pos += 2
						if lo, ok := p.hex4(); ok && utf16.DecodeRune(r, lo) != utf8.RuneError {
							r2 = utf16.DecodeRune(r, lo)
						} else {
							p.pos = save
						}
					}
					r = r2
				}
				p.buf = utf8.AppendRune(p.buf, r)
			default:
				return "", p.fail("invalid escape")
			}
		default:
			p.buf = append(p.buf, c)
			p.pos++
		}
	}
	return "", p.fail("unterminated string")
}

// key reads an object key, interned when the parser keeps a key table:
// records of one log repeat the same keys.
func (p *jsonParser) key() (string, error) {
	if p.keys != nil {
		start := p.pos + 1
		if end := bytes.IndexByte(p.data[start:], '"'); end >= 0 && bytes.IndexByte(p.data[start:start+end], '\\') < 0 {
			raw := p.data[start : start+end]
			p.pos = start + end + 1
			if k, ok := p.keys[string(raw)]; ok {
				return k, nil
			}
			k := string(raw)
			if len(p.keys) < maxKeys {
				p.keys[k] = k
			}
			return k, nil
		}
	}
	return p.string()
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.data)-p.pos < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := p.data[p.pos+i]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.pos += 4
	return r, true
}

func (p *jsonParser) object(depth int) (jsonValue, error) {
	p.pos++ // {
	v := jsonValue{kind: jsonObject}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	kbase, base := len(p.keyStack), len(p.valStack)
	defer func() {
		p.keyStack = p.keyStack[:kbase]
		p.valStack = p.valStack[:base]
	}()
	for {
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return jsonValue{}, p.fail("expected object key")
		}
		k, err := p.key()
		if err != nil {
			return jsonValue{}, err
		}
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return jsonValue{}, p.fail("expected ':'")
		}
		p.pos++
		p.space()
		e, err := p.value(depth + 1)
		if err != nil {
			return jsonValue{}, err
		}
		p.keyStack = append(p.keyStack, k)
		p.valStack = append(p.valStack, e)
		p.space()
		if p.pos >= len(p.data) {
			return jsonValue{}, p.fail("unterminated object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			v.keys = append([]string(nil), p.keyStack[kbase:]...)
			v.elems = append([]jsonValue(nil), p.valStack[base:]...)
			return v, nil
		default:
			return jsonValue{}, p.fail("expected ',' or '}'")
		}
	}
}

func (p *jsonParser) array(depth int) (jsonValue, error) {
	p.pos++ // [
	v := jsonValue{kind: jsonArray}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return v, nil
	}
	base := len(p.valStack)
	defer func() { p.valStack = p.valStack[:base] }()
	for {
		p.space()
		e, err := p.value(depth + 1)
		if err != nil {
			return jsonValue{}, err
		}
		p.valStack = append(p.valStack, e)
		p.space()
		if p.pos >= len(p.data) {
			return jsonValue{}, p.fail("unterminated array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			v.elems = append([]jsonValue(nil), p.valStack[base:]...)
			return v, nil
		default:
			return jsonValue{}, p.fail("expected ',' or ']'")
		}
	}
}
