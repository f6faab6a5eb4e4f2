package sigma

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// patKind is how one value of a field specification is tested.
type patKind uint8

const (
	pEq patKind = iota
	pPrefix
	pSuffix
	pContains
	pGlob
	pRegex
	pCIDR
	pLT
	pLTE
	pGT
	pGTE
	pExists   // field present (num != 0) or absent (num == 0)
	pNull     // field absent (Sigma's null); '' is pEq with an empty s
	pAny      // any value, field present
	pNever    // matches nothing (empty list)
	pFieldRef // compare with another field (ref, refOp)
	pLongRun  // a run of at least num characters (not newlines unless cased, which marks dot-all)
)

// pattern is one compiled value. Strings are stored lowered unless cased.
type pattern struct {
	// What every test reads comes first, to share a cache line.
	kind    patKind
	cased   bool
	inMulti bool // tested by the field's automaton, not one by one
	// ascii: s has no byte above 0x7f, so a value can be compared raw,
	// folding its ASCII capitals, instead of folded first.
	ascii bool
	// exact: a "contains" whose literal the automaton looks for whole, in
	// this field; when its pair is stamped the value holds it.
	exact bool
	refOp patKind // pFieldRef: pEq, pPrefix, pSuffix, pContains
	ref   int32   // pFieldRef: field id of the other field
	// lits are literals (lowered) of which the value must contain one, for
	// the prefilter; pairs are their (field, literal) ids once compiled,
	// nil when the pattern cannot be prefiltered.
	pairs  []int32
	s      string
	minLen int // pRegex: no shorter value (in bytes) can match
	lits   []string
	glob   []int16 // pGlob: bytes, globOne, globStar
	re     *regexp.Regexp
	nets   []netip.Prefix
	num    float64
	rx     *rxCheck
}

const (
	globOne  = 256
	globStar = 257
)

// token of a Sigma string after escapes: a literal run or a wildcard.
type tok struct {
	kind byte // 'l' literal, '*' any run, '?' one character
	s    string
}

// parseSigmaString splits a Sigma string into literals and wildcards. A
// backslash escapes *, ? and itself; before any other character it is a
// plain backslash, which is how SigmaHQ writes Windows paths.
func parseSigmaString(s string) []tok {
	var out []tok
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, tok{kind: 'l', s: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				lit.WriteByte(s[i+1])
				i++
				continue
			}
			lit.WriteByte(c)
		case '*':
			flush()
			if len(out) == 0 || out[len(out)-1].kind != '*' {
				out = append(out, tok{kind: '*'})
			}
		case '?':
			flush()
			out = append(out, tok{kind: '?'})
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out
}

func plainText(t []tok) (string, bool) {
	var b strings.Builder
	for _, x := range t {
		if x.kind != 'l' {
			return "", false
		}
		b.WriteString(x.s)
	}
	return b.String(), true
}

// Options change how rules compile.
type Options struct {
	// Placeholders gives the values of %name% placeholders for the expand
	// modifier (names without the percent signs; looked up exactly, then
	// ignoring case). A rule using a placeholder without values is refused
	// with a *PlaceholderError, as the specification asks of a tool that
	// cannot fill one: a wildcard in its place would make a rule meant for
	// "not one of our domain controllers" fire on every computer. `vigil
	// detect` fills the map from --placeholders; the hub can fill it from
	// what it knows (inventory, address ranges).
	Placeholders map[string][]string
}

// PlaceholderError refuses a rule whose expand placeholders have no value.
type PlaceholderError struct {
	Names []string // without percent signs, sorted
}

func (e *PlaceholderError) Error() string {
	var b strings.Builder
	b.WriteString("placeholder")
	if len(e.Names) > 1 {
		b.WriteString("s")
	}
	for i, n := range e.Names {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(" %" + n + "%")
	}
	b.WriteString(" without a value (the expand modifier needs one)")
	return b.String()
}

// specCompiler turns a FieldSpec into patterns.
type specCompiler struct {
	opts  *Options
	field func(name string) int32
	// missing collects placeholders without values, so a refused rule
	// names them all.
	missing []string
}

// placeholder returns the values of a placeholder.
func (sc *specCompiler) placeholder(name string) ([]string, bool) {
	if v, ok := sc.opts.Placeholders[name]; ok && len(v) > 0 {
		return v, true
	}
	for k, v := range sc.opts.Placeholders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v, true
		}
	}
	if !slices.Contains(sc.missing, name) {
		sc.missing = append(sc.missing, name)
	}
	return nil, false
}

type modState struct {
	all, cased, re, cidr, exists, fieldref bool
	reFlags                                string
	cmp                                    patKind // pLT... or 0
	wild                                   byte    // 'c' contains, 's' startswith, 'e' endswith
	neq                                    bool
}

var dashes = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// compileSpec builds the patterns of one field specification and whether
// all must match.
func (sc *specCompiler) compileSpec(fs *FieldSpec) (pats []pattern, all bool, err error) {
	var ms modState
	// Transformations that apply to the value text, in modifier order.
	var xforms []xform
	for _, m := range fs.Modifiers {
		switch m {
		case "contains":
			ms.wild = 'c'
		case "startswith":
			ms.wild = 's'
		case "endswith":
			ms.wild = 'e'
		case "all":
			ms.all = true
		case "cased":
			ms.cased = true
		case "re":
			ms.re = true
		case "i", "m", "s":
			if !ms.re {
				return nil, false, fmt.Errorf("modifier %q needs re before it", m)
			}
			ms.reFlags += m
		case "cidr":
			ms.cidr = true
		case "exists":
			ms.exists = true
		case "fieldref":
			ms.fieldref = true
		case "lt":
			ms.cmp = pLT
		case "lte":
			ms.cmp = pLTE
		case "gt":
			ms.cmp = pGT
		case "gte":
			ms.cmp = pGTE
		case "neq":
			ms.neq = true
		case "windash":
			xforms = append(xforms, windash)
		case "base64":
			xforms = append(xforms, encodeWith(func(s string) []string { return []string{base64.StdEncoding.EncodeToString([]byte(s))} }))
		case "base64offset":
			xforms = append(xforms, encodeWith(base64Offsets))
		case "wide", "utf16le":
			xforms = append(xforms, encodeWith(func(s string) []string { return []string{utf16Bytes(s, false, false)} }))
		case "utf16be":
			xforms = append(xforms, encodeWith(func(s string) []string { return []string{utf16Bytes(s, true, false)} }))
		case "utf16":
			xforms = append(xforms, encodeWith(func(s string) []string { return []string{utf16Bytes(s, false, true)} }))
		case "expand":
			xforms = append(xforms, sc.expand)
		default:
			return nil, false, fmt.Errorf("unsupported modifier %q", m)
		}
	}
	if fs.Field == "" && ms.wild == 0 {
		// Keywords are a full-text search: a value anywhere in any field.
		ms.wild = 'c'
	}
	if ms.neq {
		return nil, false, fmt.Errorf("modifier neq is not supported")
	}
	if ms.all && len(fs.Values) == 1 && !ms.exists {
		// The specification forbids it, but it means the same as without.
		ms.all = false
	}
	for _, v := range fs.Values {
		ps, err := sc.compileValue(fs, v, &ms, xforms)
		if err != nil {
			return nil, false, err
		}
		pats = append(pats, ps...)
	}
	if len(fs.Values) == 0 {
		pats = append(pats, pattern{kind: pNever})
	}
	return pats, ms.all, nil
}

// xform rewrites the alternatives of a value (windash, base64, expand, ...).
type xform func([][]tok) ([][]tok, error)

func (sc *specCompiler) compileValue(fs *FieldSpec, v Value, ms *modState, xforms []xform) ([]pattern, error) {
	one := func(p pattern) []pattern { return []pattern{p} }
	switch {
	case ms.exists:
		if v.Kind != Bool {
			return nil, fmt.Errorf("exists wants true or false, got %q", v.S)
		}
		p := pattern{kind: pExists}
		if v.S == "true" {
			p.num = 1
		}
		return one(p), nil
	case v.Kind == Null:
		return one(pattern{kind: pNull}), nil
	case ms.re:
		flags := ""
		if ms.reFlags != "" {
			flags = "(?" + ms.reFlags + ")"
		}
		re, err := regexp.Compile(flags + v.S)
		if err != nil {
			return nil, fmt.Errorf("regular expression %q: %v", v.S, err)
		}
		if n, dotAll, ok := longRun(flags + v.S); ok {
			// RE2 pays for counted repetition per character; ".{1000,}"
			// is just a length test.
			return one(pattern{kind: pLongRun, num: float64(n), cased: dotAll}), nil
		}
		p := pattern{kind: pRegex, re: re, cased: true, minLen: regexMinLen(flags + v.S)}
		p.lits = regexLiterals(flags + v.S)
		p.rx = regexCheck(flags + v.S)
		return []pattern{p}, nil
	case ms.cidr:
		pfx, err := netip.ParsePrefix(strings.TrimSpace(v.S))
		if err != nil {
			a, err2 := netip.ParseAddr(strings.TrimSpace(v.S))
			if err2 != nil {
				return nil, fmt.Errorf("cidr %q: %v", v.S, err)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		return one(pattern{kind: pCIDR, nets: []netip.Prefix{pfx.Masked()}}), nil
	case ms.cmp != 0:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.S), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", v.S)
		}
		return one(pattern{kind: ms.cmp, num: f}), nil
	case ms.fieldref:
		op := pEq
		switch ms.wild {
		case 'c':
			op = pContains
		case 's':
			op = pPrefix
		case 'e':
			op = pSuffix
		}
		return one(pattern{kind: pFieldRef, ref: sc.field(v.S), refOp: op, cased: ms.cased}), nil
	}
	vals := [][]tok{parseSigmaString(v.S)}
	if v.Kind != String {
		vals = [][]tok{{{kind: 'l', s: v.S}}}
	}
	for _, x := range xforms {
		var err error
		vals, err = x(vals)
		if err != nil {
			return nil, err
		}
		if len(vals) > 4096 {
			return nil, fmt.Errorf("value %q expands to too many alternatives", v.S)
		}
	}
	var out []pattern
	for _, t := range vals {
		switch ms.wild {
		case 'c':
			t = wrap(t, true, true)
		case 's':
			t = wrap(t, false, true)
		case 'e':
			t = wrap(t, true, false)
		}
		out = append(out, stringPattern(t, ms.cased))
	}
	return out, nil
}

func wrap(t []tok, head, tail bool) []tok {
	out := make([]tok, 0, len(t)+2)
	if head && (len(t) == 0 || t[0].kind != '*') {
		out = append(out, tok{kind: '*'})
	}
	out = append(out, t...)
	if tail && (len(out) == 0 || out[len(out)-1].kind != '*') {
		out = append(out, tok{kind: '*'})
	}
	return out
}

// stringPattern picks the cheapest test for a token list.
func stringPattern(t []tok, cased bool) pattern {
	// merge adjacent literals
	var m []tok
	for _, x := range t {
		if x.kind == 'l' && len(m) > 0 && m[len(m)-1].kind == 'l' {
			m[len(m)-1].s += x.s
			continue
		}
		if x.kind == 'l' && x.s == "" {
			continue
		}
		m = append(m, x)
	}
	norm := func(s string) string {
		if cased {
			return s
		}
		return lower(s)
	}
	p := pattern{cased: cased}
	switch {
	case len(m) == 0:
		p.kind = pEq
	case len(m) == 1 && m[0].kind == 'l':
		p.kind, p.s = pEq, norm(m[0].s)
	case len(m) == 1 && m[0].kind == '*':
		p.kind = pAny
	case len(m) == 2 && m[0].kind == 'l' && m[1].kind == '*':
		p.kind, p.s = pPrefix, norm(m[0].s)
	case len(m) == 2 && m[0].kind == '*' && m[1].kind == 'l':
		p.kind, p.s = pSuffix, norm(m[1].s)
	case len(m) == 3 && m[0].kind == '*' && m[1].kind == 'l' && m[2].kind == '*':
		p.kind, p.s = pContains, norm(m[1].s)
	default:
		p.kind = pGlob
		for _, x := range m {
			switch x.kind {
			case '*':
				p.glob = append(p.glob, globStar)
			case '?':
				p.glob = append(p.glob, globOne)
			default:
				for _, c := range []byte(norm(x.s)) {
					p.glob = append(p.glob, int16(c))
				}
			}
		}
	}
	lit := p.s
	if p.kind == pGlob {
		lit = ""
		for _, x := range m {
			if x.kind == 'l' && len(x.s) > len(lit) {
				lit = x.s
			}
		}
	}
	if lit != "" {
		p.lits = []string{lower(lit)}
	}
	return p
}

func windash(vals [][]tok) ([][]tok, error) {
	var out [][]tok
	for _, t := range vals {
		alts := [][]tok{nil}
		for _, x := range t {
			if x.kind != 'l' || !strings.ContainsAny(x.s, "-/") {
				for i := range alts {
					alts[i] = append(alts[i], x)
				}
				continue
			}
			// Expand each dash or slash of the literal into all variants.
			parts := []string{""}
			for _, r := range x.s {
				if r == '-' || r == '/' {
					var np []string
					for _, p := range parts {
						for _, d := range dashes {
							np = append(np, p+d)
						}
					}
					parts = np
					if len(parts) > 4096 {
						return nil, fmt.Errorf("windash: too many dashes in %q", x.s)
					}
					continue
				}
				for i := range parts {
					parts[i] += string(r)
				}
			}
			var na [][]tok
			for _, a := range alts {
				for _, p := range parts {
					n := append(append([]tok(nil), a...), tok{kind: 'l', s: p})
					na = append(na, n)
				}
			}
			alts = na
			if len(alts) > 4096 {
				return nil, fmt.Errorf("windash: too many alternatives")
			}
		}
		out = append(out, alts...)
	}
	return out, nil
}

func encodeWith(enc func(string) []string) func([][]tok) ([][]tok, error) {
	return func(vals [][]tok) ([][]tok, error) {
		var out [][]tok
		for _, t := range vals {
			s, ok := plainText(t)
			if !ok {
				return nil, fmt.Errorf("encoding modifiers need a value without wildcards")
			}
			for _, e := range enc(s) {
				out = append(out, []tok{{kind: 'l', s: e}})
			}
		}
		return out, nil
	}
}

// base64Offsets returns the stable middle of the base64 encoding of s at
// each of the three byte offsets it can start at inside a longer text.
func base64Offsets(s string) []string {
	var out []string
	startCut := []int{0, 2, 3}
	for i := 0; i < 3; i++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, i), s...))
		endCut := []int{0, 3, 2}[(len(s)+i)%3]
		a, b := startCut[i], len(enc)-endCut
		if a >= b {
			continue
		}
		out = append(out, enc[a:b])
	}
	return out
}

func utf16Bytes(s string, bigEndian, bom bool) string {
	u := utf16.Encode([]rune(s))
	var b []byte
	if bom {
		b = append(b, 0xff, 0xfe)
	}
	for _, c := range u {
		if bigEndian {
			b = append(b, byte(c>>8), byte(c))
		} else {
			b = append(b, byte(c), byte(c>>8))
		}
	}
	return string(b)
}

// expand replaces %name% placeholders by their values; one without values
// is noted in sc.missing (the rule is then refused) and stands as a
// wildcard meanwhile.
func (sc *specCompiler) expand(vals [][]tok) ([][]tok, error) {
	var out [][]tok
	for _, t := range vals {
		alts := [][]tok{nil}
		for _, x := range t {
			if x.kind != 'l' || !strings.Contains(x.s, "%") {
				for i := range alts {
					alts[i] = append(alts[i], x)
				}
				continue
			}
			s := x.s
			for len(s) > 0 {
				i := strings.IndexByte(s, '%')
				j := -1
				if i >= 0 {
					j = strings.IndexByte(s[i+1:], '%')
				}
				if i < 0 || j < 0 {
					for k := range alts {
						alts[k] = append(alts[k], tok{kind: 'l', s: s})
					}
					break
				}
				if i > 0 {
					for k := range alts {
						alts[k] = append(alts[k], tok{kind: 'l', s: s[:i]})
					}
				}
				name := s[i+1 : i+1+j]
				s = s[i+2+j:]
				repl, ok := sc.placeholder(name)
				if !ok {
					for k := range alts {
						alts[k] = append(alts[k], tok{kind: '*'})
					}
					continue
				}
				var na [][]tok
				for _, a := range alts {
					for _, r := range repl {
						na = append(na, append(append([]tok(nil), a...), parseSigmaString(r)...))
					}
				}
				alts = na
			}
		}
		out = append(out, alts...)
	}
	return out, nil
}

// regexMinLen returns how many characters any match needs at least (a
// byte length is never shorter), so short values skip the regexp.
func regexMinLen(expr string) int {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return 0
	}
	return reMin(re.Simplify(), 0)
}

func reMin(re *syntax.Regexp, depth int) int {
	if depth > 50 {
		return 0
	}
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return reMin(re.Sub[0], depth+1)
	case syntax.OpRepeat:
		return min(re.Min*reMin(re.Sub[0], depth+1), 1<<20)
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += reMin(s, depth+1)
		}
		return min(n, 1<<20)
	case syntax.OpAlternate:
		n := 1 << 30
		for _, s := range re.Sub {
			n = min(n, reMin(s, depth+1))
		}
		return n
	}
	return 0
}

// longRun recognises ".{n,}" and "(.){n,}": a run of at least n characters.
func longRun(expr string) (n int, dotAll, ok bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || re.Op != syntax.OpRepeat || re.Max != -1 || re.Min < 1 {
		return 0, false, false
	}
	sub := re.Sub[0]
	if sub.Op == syntax.OpCapture {
		sub = sub.Sub[0]
	}
	switch sub.Op {
	case syntax.OpAnyCharNotNL:
		return re.Min, false, true
	case syntax.OpAnyChar:
		return re.Min, true, true
	}
	return 0, false, false
}

// regexLiterals returns literals (lowered) of which every match of the
// expression contains one, or nil when the prefilter cannot rely on any.
func regexLiterals(expr string) []string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	lits, ok := reLits(re.Simplify(), 0)
	if !ok {
		return nil
	}
	return lits
}

// maxLitSet bounds the literal sets the prefilter tries.
const maxLitSet = 64

// reStrings returns the whole language of re, lowered, when it is a small
// finite set of strings (literals, small character classes, and their
// concatenations and alternations).
func reStrings(re *syntax.Regexp, depth int) ([]string, bool) {
	if depth > 20 {
		return nil, false
	}
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return nil, false
		}
		if re.Flags&syntax.FoldCase != 0 {
			// Case variants of a letter may be non-ASCII (K, the Kelvin
			// sign); lowered they stay apart, so list them all.
			out := []string{""}
			for _, r := range re.Rune {
				var alts []string
				for f := r; ; {
					alts = addString(alts, lower(string(f)))
					if f = unicode.SimpleFold(f); f == r {
						break
					}
				}
				out = product(out, alts)
				if out == nil {
					return nil, false
				}
			}
			return out, true
		}
		return []string{lower(string(re.Rune))}, true
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] >= 16 {
				return nil, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				out = addString(out, lower(string(r)))
				if len(out) > 8 {
					return nil, false
				}
			}
		}
		return out, len(out) > 0
	case syntax.OpCapture:
		return reStrings(re.Sub[0], depth+1)
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			l, ok := reStrings(sub, depth+1)
			if !ok {
				return nil, false
			}
			if out = product(out, l); out == nil {
				return nil, false
			}
		}
		return out, true
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			l, ok := reStrings(sub, depth+1)
			if !ok {
				return nil, false
			}
			for _, x := range l {
				out = addString(out, x)
			}
			if len(out) > maxLitSet {
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

func addString(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// product concatenates every string of a with every string of b, or
// returns nil past maxLitSet strings.
func product(a, b []string) []string {
	if len(a)*len(b) > maxLitSet {
		return nil
	}
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = addString(out, x+y)
		}
	}
	return out
}

func reLits(re *syntax.Regexp, depth int) ([]string, bool) {
	if depth > 20 {
		return nil, false
	}
	if re.Op == syntax.OpConcat {
		// A run of neighbours with small finite languages holds one of
		// their concatenations; the best of those and of each other
		// part's literals is the prefilter.
		var best []string
		consider := func(l []string) {
			if len(l) > 0 && (best == nil || litScore(l) > litScore(best)) {
				best = l
			}
		}
		run := []string{""}
		for _, s := range re.Sub {
			if l, ok := reStrings(s, depth+1); ok {
				if next := product(run, l); next != nil {
					run = next
					continue
				}
				if run[0] != "" || len(run) > 1 {
					consider(run)
				}
				run = l
				continue
			}
			if run[0] != "" || len(run) > 1 {
				consider(run)
			}
			run = []string{""}
			if l, ok := reLits(s, depth+1); ok {
				consider(l)
			}
		}
		if run[0] != "" || len(run) > 1 {
			consider(run)
		}
		return best, best != nil
	}
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return nil, false
		}
		return []string{lower(string(re.Rune))}, true
	case syntax.OpCapture, syntax.OpPlus:
		return reLits(re.Sub[0], depth+1)
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return reLits(re.Sub[0], depth+1)
		}
	case syntax.OpConcat:
		var best []string
		for _, s := range re.Sub {
			l, ok := reLits(s, depth+1)
			if ok && (best == nil || litScore(l) > litScore(best)) {
				best = l
			}
		}
		return best, best != nil
	case syntax.OpAlternate:
		var all []string
		for _, s := range re.Sub {
			l, ok := reLits(s, depth+1)
			if !ok {
				return nil, false
			}
			all = append(all, l...)
		}
		if len(all) > 64 {
			return nil, false
		}
		return all, true
	}
	return nil, false
}

// litScore rates a literal set as a prefilter: its shortest literal.
func litScore(l []string) int {
	m := 1 << 30
	for _, s := range l {
		if len(s) < m {
			m = len(s)
		}
	}
	return m
}

// asciiFoldEq reports whether v, its ASCII capitals folded, equals the
// lower-case ASCII string s. Folding keeps a value's length and never
// makes a non-ASCII byte ASCII, so this is v's folded form equal to s.
func asciiFoldEq(v, s string) bool {
	if len(v) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := v[i]
		if c-'A' < 26 {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// lower folds s the way event values are folded: per rune, with
// unicode.ToLower, keeping invalid bytes as they are.
func lower(s string) string {
	if !needsLower(s) {
		return s
	}
	return string(appendLower(nil, s))
}

func needsLower(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || ('A' <= c && c <= 'Z') {
			return true
		}
	}
	return false
}

func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			dst = append(dst, c)
			i++
			continue
		}
		lr := unicode.ToLower(r)
		if utf8.RuneLen(lr) != n {
			// Keep byte offsets stable so a folded pattern stays a
			// substring of a folded value.
			dst = append(dst, s[i:i+n]...)
		} else {
			dst = utf8.AppendRune(dst, lr)
		}
		i += n
	}
	return dst
}

// globMatch matches s against a glob of bytes, globOne (one character) and
// globStar (any run), without allocating.
func globMatch(g []int16, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(g) {
			switch c := g[p]; {
			case c == globStar:
				starP, starI = p, i
				p++
				continue
			case c == globOne:
				_, n := utf8.DecodeRuneInString(s[i:])
				i += n
				p++
				continue
			case byte(c) == s[i]:
				i++
				p++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP+1, starI
	}
	for p < len(g) && g[p] == globStar {
		p++
	}
	return p == len(g)
}

// rxCheck holds cheap necessary conditions of a regular expression, tested
// on the raw value before the expression runs: a run of at least runMin
// bytes all in runSet, and at least cntMin copies of byte cnt.
type rxCheck struct {
	runSet [256]bool
	runMin int
	cnt    string // one byte
	cntMin int
}

// rxRunMin and rxCntMin are the least run and count worth testing.
const (
	rxRunMin = 8
	rxCntMin = 3
)

// regexCheck derives an rxCheck from the parts every match holds in order
// (the top-level concatenation), or returns nil when it finds none worth
// testing.
func regexCheck(expr string) *rxCheck {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	parts := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		parts = re.Sub
	}
	c := &rxCheck{}
	// Runs: neighbours that match only ASCII bytes of a set, at least min
	// of them; consecutive ones make one longer run over their union.
	var set [256]bool
	n := 0
	flush := func() {
		if n > c.runMin {
			c.runSet, c.runMin = set, n
		}
		set, n = [256]bool{}, 0
	}
	var counts [256]int
	for _, p := range parts {
		for p.Op == syntax.OpCapture {
			p = p.Sub[0]
		}
		countLits(p, &counts)
		m, ok := asciiRun(p, &set)
		if !ok {
			flush()
			continue
		}
		n += m
	}
	flush()
	if c.runMin < rxRunMin {
		c.runMin = 0
	}
	for b, k := range counts {
		if k > c.cntMin {
			c.cnt, c.cntMin = string(rune(b)), k
		}
	}
	if c.cntMin < rxCntMin {
		c.cntMin = 0
	}
	if c.runMin == 0 && c.cntMin == 0 {
		return nil
	}
	return c
}

// countLits adds the bytes of a literal part (case-sensitive, ASCII) to
// counts: a match holds that many of each.
func countLits(p *syntax.Regexp, counts *[256]int) {
	if p.Op != syntax.OpLiteral {
		return
	}
	for _, r := range p.Rune {
		if r >= utf8.RuneSelf {
			continue
		}
		if p.Flags&syntax.FoldCase != 0 && unicode.IsLetter(r) {
			continue
		}
		counts[r]++
	}
}

// asciiRun reports whether p matches only strings of ASCII bytes it adds
// to set, and how many bytes at least.
func asciiRun(p *syntax.Regexp, set *[256]bool) (int, bool) {
	for p.Op == syntax.OpCapture {
		p = p.Sub[0]
	}
	add := func(lo, hi rune) bool {
		if lo < 0 || hi >= utf8.RuneSelf {
			return false
		}
		for r := lo; r <= hi; r++ {
			set[r] = true
		}
		return true
	}
	switch p.Op {
	case syntax.OpLiteral:
		var tmp [256]bool
		for _, r := range p.Rune {
			if r >= utf8.RuneSelf {
				return 0, false
			}
			tmp[r] = true
			if p.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					if f >= utf8.RuneSelf {
						return 0, false
					}
					tmp[f] = true
				}
			}
		}
		for b, ok := range tmp {
			if ok {
				set[b] = true
			}
		}
		return len(p.Rune), true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(p.Rune); i += 2 {
			if p.Rune[i+1] >= utf8.RuneSelf {
				return 0, false
			}
		}
		for i := 0; i+1 < len(p.Rune); i += 2 {
			add(p.Rune[i], p.Rune[i+1])
		}
		return 1, true
	case syntax.OpRepeat, syntax.OpPlus, syntax.OpStar, syntax.OpQuest:
		sub := p.Sub[0]
		for sub.Op == syntax.OpCapture {
			sub = sub.Sub[0]
		}
		if sub.Op != syntax.OpCharClass && (sub.Op != syntax.OpLiteral || len(sub.Rune) != 1) {
			return 0, false
		}
		var tmp [256]bool
		if _, ok := asciiRun(sub, &tmp); !ok {
			return 0, false
		}
		for b, ok := range tmp {
			if ok {
				set[b] = true
			}
		}
		switch p.Op {
		case syntax.OpRepeat:
			return p.Min, true
		case syntax.OpPlus:
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// possible reports whether the raw value v meets the check.
func (c *rxCheck) possible(v string) bool {
	if c.cntMin > 0 && strings.Count(v, c.cnt) < c.cntMin {
		return false
	}
	if c.runMin > 0 {
		if len(v) < c.runMin {
			return false
		}
		run := 0
		for i := 0; i < len(v); i++ {
			if !c.runSet[v[i]] {
				run = 0
				continue
			}
			if run++; run >= c.runMin {
				return true
			}
		}
		return false
	}
	return true
}
