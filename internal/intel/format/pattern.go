package format

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A STIX pattern (STIX 2.1 section 9, and 2.0's grammar which it
// extends): observation expressions in [ ], joined by AND, OR and
// FOLLOWEDBY, grouped in ( ), each with qualifiers WITHIN n SECONDS,
// REPEATS n TIMES, START t'…' STOP t'…'; inside [ ] comparison expressions
// joined by AND and OR, grouped in ( ), each an object path, an optional
// NOT, an operator (=, ==, !=, <>, <, <=, >, >=, IN, LIKE, MATCHES,
// ISSUBSET, ISSUPERSET) and a literal, or EXISTS path.

// Comparison is one comparison expression of a pattern.
type Comparison struct {
	Object string   // the object type: ipv4-addr, file, x-acme-thing
	Path   []string // the property path, quotes removed: ["hashes", "SHA-256"], ["dst_ref", "value"], ["extensions", "*"]
	Op     string   // "=", "!=", "<", "<=", ">", ">=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"
	Not    bool
	Values []Literal // one, or an IN list's members; none for EXISTS
}

// Literal is a constant in a pattern.
type Literal struct {
	Kind  string // "string", "int", "float", "bool", "hex", "binary", "timestamp"
	Value string // the string unescaped, the number's text, hex digits, base64, the timestamp
}

// PathString is the path joined by dots ("hashes.SHA-256").
func (c Comparison) PathString() string { return strings.Join(c.Path, ".") }

// PatternError is a malformed pattern: Pos is the 0-based byte offset,
// Format one of patternFormats and Args its arguments (strings: the
// pattern's own text, quoted by the format, or endOfPattern).
type PatternError struct {
	Pos    int
	Format string
	Args   []any
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("character %d: %s", e.Pos+1, e.Msg())
}

// Msg is what is wrong, in English.
func (e *PatternError) Msg() string { return fmt.Sprintf(e.Format, e.Args...) }

// endOfPattern is what a message says was found when the pattern ended.
const endOfPattern = "the end of the pattern"

// The messages of a PatternError.
const (
	patTooLong       = "pattern too long"
	patUnexpected    = "unexpected %s"
	patUnterminated  = "unterminated string"
	patOddHex        = "odd number of hex digits"
	patBadHex        = "bad hex literal"
	patBadBase64     = "bad base64 literal"
	patBadTimestamp  = "bad timestamp (want t'yyyy-mm-ddThh:mm:ssZ')"
	patBadEscape     = `unterminated string or bad escape (only \' and \\)`
	patBadChar       = "unexpected character %q"
	patWant          = "want %q, found %s"
	patTooDeep       = "pattern nested too deeply"
	patWantObs       = "want an observation expression in [ ], found %s"
	patWithinNumber  = "WITHIN wants a number of seconds, found %s"
	patWithinPos     = "WITHIN wants a positive number"
	patWantSeconds   = "want SECONDS, found %s"
	patRepeatsNumber = "REPEATS wants a whole number, found %s"
	patRepeatsPos    = "REPEATS wants a positive number"
	patWantTimes     = "want TIMES, found %s"
	patStart         = "START wants a timestamp t'…', found %s"
	patWantStop      = "want STOP, found %s"
	patStop          = "STOP wants a timestamp t'…', found %s"
	patBoolCompare   = "%s cannot compare a boolean"
	patWantsString   = "%s wants a string, found %s"
	patWantOperator  = "want a comparison operator, found %s"
	patWantObject    = "want an object type, found %s"
	patWantProperty  = "want a property name, found %s"
	patWantIndex     = "want a list index or *, found %s"
	patWantValue     = "want a value, found %s"
)

// patternFormats lists them, for the translation tables.
var patternFormats = []string{patTooLong, patUnexpected, patUnterminated, patOddHex, patBadHex, patBadBase64,
	patBadTimestamp, patBadEscape, patBadChar, patWant, patTooDeep, patWantObs, patWithinNumber, patWithinPos,
	patWantSeconds, patRepeatsNumber, patRepeatsPos, patWantTimes, patStart, patWantStop, patStop,
	patBoolCompare, patWantsString, patWantOperator, patWantObject, patWantProperty, patWantIndex, patWantValue}

// maxPattern bounds a pattern's length and nesting.
const (
	maxPattern = 1 << 20
	maxDepth   = 64
)

// ParsePattern parses a STIX 2.0 or 2.1 pattern and returns its
// comparison expressions in order. The logical structure is checked, not
// kept: Vigil takes any comparison it can hold as an indicator whatever
// joins it (an AND only narrows a match, so taking each part errs
// towards alerting).
func ParsePattern(s string) ([]Comparison, error) {
	if len(s) > maxPattern {
		return nil, &PatternError{Pos: 0, Format: patTooLong}
	}
	p := &patternParser{lx: lexer{src: s}}
	p.next()
	if err := p.observations(0); err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errf(patUnexpected, p.tok.describe())
	}
	return p.out, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tFloat
	tHex
	tBinary
	tTimestamp
	tPunct // [ ] ( ) : . , * and operators
	tBad
)

type token struct {
	kind tokKind
	text string // identifier, punctuation, unescaped literal
	pos  int
	msg  string // for tBad: one of patternFormats
	arg  string // its argument, if it has one
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return endOfPattern
	case tString:
		return "'" + clip(t.text) + "'"
	}
	return strconv.Quote(clip(t.text))
}

type lexer struct {
	src string
	pos int
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || '0' <= c && c <= '9' || c == '-'
}

func (l *lexer) next() token {
	for l.pos < len(l.src) && strings.IndexByte(" \t\r\n\f", l.src[l.pos]) >= 0 {
		l.pos++
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: start}
	}
	c := l.src[l.pos]
	// Prefixed literals h'..' b'..' t'..'
	if (c == 'h' || c == 'b' || c == 't') && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\'' {
		l.pos++
		s, ok := l.quoted()
		if !ok {
			return token{kind: tBad, pos: start, msg: patUnterminated}
		}
		switch c {
		case 'h':
			if len(s)%2 != 0 {
				return token{kind: tBad, pos: start, msg: patOddHex}
			}
			if _, err := hex.DecodeString(s); err != nil {
				return token{kind: tBad, pos: start, msg: patBadHex}
			}
			return token{kind: tHex, text: strings.ToLower(s), pos: start}
		case 'b':
			if _, err := base64.StdEncoding.DecodeString(s); err != nil {
				return token{kind: tBad, pos: start, msg: patBadBase64}
			}
			return token{kind: tBinary, text: s, pos: start}
		default:
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
				return token{kind: tBad, pos: start, msg: patBadTimestamp}
			}
			return token{kind: tTimestamp, text: s, pos: start}
		}
	}
	switch {
	case c == '\'':
		s, ok := l.quoted()
		if !ok {
			return token{kind: tBad, pos: start, msg: patBadEscape}
		}
		return token{kind: tString, text: s, pos: start}
	case isIdentStart(c):
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tIdent, text: l.src[start:l.pos], pos: start}
	case c >= '0' && c <= '9' || (c == '-' || c == '+') && l.pos+1 < len(l.src) && l.src[l.pos+1] >= '0' && l.src[l.pos+1] <= '9':
		l.pos++
		for l.pos < len(l.src) && l.src[l.pos] >= '0' && l.src[l.pos] <= '9' {
			l.pos++
		}
		kind := tInt
		if l.pos < len(l.src) && l.src[l.pos] == '.' && l.pos+1 < len(l.src) && l.src[l.pos+1] >= '0' && l.src[l.pos+1] <= '9' {
			kind = tFloat
			l.pos++
			for l.pos < len(l.src) && l.src[l.pos] >= '0' && l.src[l.pos] <= '9' {
				l.pos++
			}
		}
		return token{kind: kind, text: l.src[start:l.pos], pos: start}
	}
	for _, op := range []string{"==", "!=", "<>", "<=", ">=", "=", "<", ">", "[", "]", "(", ")", ":", ".", ",", "*"} {
		if strings.HasPrefix(l.src[l.pos:], op) {
			l.pos += len(op)
			return token{kind: tPunct, text: op, pos: start}
		}
	}
	l.pos++
	return token{kind: tBad, pos: start, msg: patBadChar, arg: string(rune(c))}
}

// quoted reads a '…' literal at l.pos (the opening quote), unescaping \'
// and \\, the only escapes STIX allows.
func (l *lexer) quoted() (string, bool) {
	l.pos++ // opening quote
	var b strings.Builder
	plain := l.pos
	for l.pos < len(l.src) {
		switch l.src[l.pos] {
		case '\'':
			if b.Len() == 0 {
				s := l.src[plain:l.pos]
				l.pos++
				return s, true
			}
			b.WriteString(l.src[plain:l.pos])
			l.pos++
			return b.String(), true
		case '\\':
			if l.pos+1 >= len(l.src) || (l.src[l.pos+1] != '\'' && l.src[l.pos+1] != '\\') {
				return "", false
			}
			b.WriteString(l.src[plain:l.pos])
			b.WriteByte(l.src[l.pos+1])
			l.pos += 2
			plain = l.pos
		default:
			l.pos++
		}
	}
	return "", false
}

type patternParser struct {
	lx  lexer
	tok token
	out []Comparison
	err error
}

func (p *patternParser) next() {
	p.tok = p.lx.next()
}

func (p *patternParser) errf(format string, args ...any) error {
	if p.tok.kind == tBad {
		e := &PatternError{Pos: p.tok.pos, Format: p.tok.msg}
		if strings.Contains(p.tok.msg, "%") {
			e.Args = []any{p.tok.arg}
		}
		return e
	}
	return &PatternError{Pos: p.tok.pos, Format: format, Args: args}
}

func (p *patternParser) isPunct(s string) bool { return p.tok.kind == tPunct && p.tok.text == s }

func (p *patternParser) isKeyword(k string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, k)
}

func (p *patternParser) expectPunct(s string) error {
	if !p.isPunct(s) {
		return p.errf(patWant, s, p.tok.describe())
	}
	p.next()
	return nil
}

// observations := observation ((AND|OR|FOLLOWEDBY) observation)*
func (p *patternParser) observations(depth int) error {
	if depth > maxDepth {
		return p.errf(patTooDeep)
	}
	for {
		if err := p.observation(depth); err != nil {
			return err
		}
		if p.isKeyword("AND") || p.isKeyword("OR") || p.isKeyword("FOLLOWEDBY") {
			p.next()
			continue
		}
		return nil
	}
}

// observation := ( '[' comparisons ']' | '(' observations ')' ) qualifier*
func (p *patternParser) observation(depth int) error {
	switch {
	case p.isPunct("["):
		p.next()
		if err := p.comparisons(depth + 1); err != nil {
			return err
		}
		if err := p.expectPunct("]"); err != nil {
			return err
		}
	case p.isPunct("("):
		p.next()
		if err := p.observations(depth + 1); err != nil {
			return err
		}
		if err := p.expectPunct(")"); err != nil {
			return err
		}
	default:
		return p.errf(patWantObs, p.tok.describe())
	}
	return p.qualifiers()
}

func (p *patternParser) qualifiers() error {
	for {
		switch {
		case p.isKeyword("WITHIN"):
			p.next()
			if p.tok.kind != tInt && p.tok.kind != tFloat {
				return p.errf(patWithinNumber, p.tok.describe())
			}
			if f, _ := strconv.ParseFloat(p.tok.text, 64); f <= 0 {
				return p.errf(patWithinPos)
			}
			p.next()
			if !p.isKeyword("SECONDS") {
				return p.errf(patWantSeconds, p.tok.describe())
			}
			p.next()
		case p.isKeyword("REPEATS"):
			p.next()
			if p.tok.kind != tInt {
				return p.errf(patRepeatsNumber, p.tok.describe())
			}
			if n, err := strconv.Atoi(p.tok.text); err != nil || n <= 0 {
				return p.errf(patRepeatsPos)
			}
			p.next()
			if !p.isKeyword("TIMES") {
				return p.errf(patWantTimes, p.tok.describe())
			}
			p.next()
		case p.isKeyword("START"):
			p.next()
			if p.tok.kind != tTimestamp && p.tok.kind != tString { // STIX 2.0 wrote a plain string
				return p.errf(patStart, p.tok.describe())
			}
			p.next()
			if !p.isKeyword("STOP") {
				return p.errf(patWantStop, p.tok.describe())
			}
			p.next()
			if p.tok.kind != tTimestamp && p.tok.kind != tString {
				return p.errf(patStop, p.tok.describe())
			}
			p.next()
		default:
			return nil
		}
	}
}

// comparisons := comparisonAnd (OR comparisonAnd)*, comparisonAnd := test (AND test)*
func (p *patternParser) comparisons(depth int) error {
	if depth > maxDepth {
		return p.errf(patTooDeep)
	}
	for {
		if err := p.test(depth); err != nil {
			return err
		}
		if p.isKeyword("AND") || p.isKeyword("OR") {
			p.next()
			continue
		}
		return nil
	}
}

func (p *patternParser) test(depth int) error {
	if p.isPunct("(") {
		p.next()
		if err := p.comparisons(depth + 1); err != nil {
			return err
		}
		return p.expectPunct(")")
	}
	var c Comparison
	if p.isKeyword("EXISTS") {
		p.next()
		if err := p.path(&c); err != nil {
			return err
		}
		c.Op = "EXISTS"
		p.out = append(p.out, c)
		return nil
	}
	if err := p.path(&c); err != nil {
		return err
	}
	if p.isKeyword("NOT") {
		c.Not = true
		p.next()
	}
	switch {
	case p.tok.kind == tPunct && compareOps[p.tok.text] != "":
		c.Op = compareOps[p.tok.text]
		p.next()
		lit, err := p.literal()
		if err != nil {
			return err
		}
		if c.Op != "=" && c.Op != "!=" && lit.Kind == "bool" {
			return p.errf(patBoolCompare, c.Op)
		}
		c.Values = []Literal{lit}
	case p.isKeyword("IN"):
		c.Op = "IN"
		p.next()
		if err := p.expectPunct("("); err != nil {
			return err
		}
		for {
			lit, err := p.literal()
			if err != nil {
				return err
			}
			c.Values = append(c.Values, lit)
			if p.isPunct(",") {
				p.next()
				continue
			}
			break
		}
		if err := p.expectPunct(")"); err != nil {
			return err
		}
	case p.isKeyword("LIKE"), p.isKeyword("MATCHES"), p.isKeyword("ISSUBSET"), p.isKeyword("ISSUPERSET"):
		c.Op = strings.ToUpper(p.tok.text)
		p.next()
		if p.tok.kind != tString {
			return p.errf(patWantsString, c.Op, p.tok.describe())
		}
		c.Values = []Literal{{Kind: "string", Value: p.tok.text}}
		p.next()
	default:
		return p.errf(patWantOperator, p.tok.describe())
	}
	p.out = append(p.out, c)
	return nil
}

// compareOps maps the comparison operators to their one spelling.
var compareOps = map[string]string{"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

// path := objectType ':' component ('.' component | '[' index ']')*
func (p *patternParser) path(c *Comparison) error {
	if p.tok.kind != tIdent {
		return p.errf(patWantObject, p.tok.describe())
	}
	c.Object = p.tok.text
	p.next()
	if err := p.expectPunct(":"); err != nil {
		return err
	}
	if p.tok.kind != tIdent && p.tok.kind != tString {
		return p.errf(patWantProperty, p.tok.describe())
	}
	c.Path = append(c.Path, p.tok.text)
	p.next()
	for {
		switch {
		case p.isPunct("."):
			p.next()
			if p.tok.kind != tIdent && p.tok.kind != tString {
				return p.errf(patWantProperty, p.tok.describe())
			}
			c.Path = append(c.Path, p.tok.text)
			p.next()
		case p.isPunct("["):
			p.next()
			if p.isPunct("*") || p.tok.kind == tInt {
				c.Path = append(c.Path, p.tok.text)
				p.next()
			} else {
				return p.errf(patWantIndex, p.tok.describe())
			}
			if err := p.expectPunct("]"); err != nil {
				return err
			}
		default:
			return nil
		}
	}
}

func (p *patternParser) literal() (Literal, error) {
	t := p.tok
	var l Literal
	switch t.kind {
	case tString:
		l = Literal{"string", t.text}
	case tInt:
		l = Literal{"int", t.text}
	case tFloat:
		l = Literal{"float", t.text}
	case tHex:
		l = Literal{"hex", t.text}
	case tBinary:
		l = Literal{"binary", t.text}
	case tTimestamp:
		l = Literal{"timestamp", t.text}
	case tIdent:
		if strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false") {
			l = Literal{"bool", strings.ToLower(t.text)}
			break
		}
		fallthrough
	default:
		return l, p.errf(patWantValue, t.describe())
	}
	p.next()
	return l, nil
}
