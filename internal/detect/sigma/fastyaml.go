package sigma

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// fastDocuments parses data as the block-style YAML Sigma rules are
// written in (nested mappings and sequences, plain, quoted and block
// scalars, one-line flow collections, comments, documents separated by
// ---) into the same yaml.Node trees yaml.v3 builds, several times faster:
// decoding YAML was half of loading SigmaHQ's rules. It gives up (ok
// false) on anything outside that subset (anchors, aliases, tags,
// multi-line flow collections or quoted scalars, explicit keys, tabs in
// indentation, duplicate keys, ...), and the caller then decodes with
// yaml.v3, which also reports syntax errors: the fast path never decides
// what a document means where yaml.v3 would decide otherwise (a test holds
// the two to the same trees over every SigmaHQ file, and a fuzz target
// over any input).
func fastDocuments(data []byte) (docs []*yaml.Node, ok bool) {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) || !yamlPrintable(data) {
		return nil, false
	}
	p := &fastParser{}
	if !p.split(data) {
		return nil, false
	}
	// Segments between markers; a segment right after "---" is a
	// document even when empty (yaml.v3 then reads a null document, which
	// the fast path leaves to it).
	start, docLine := 0, 0
	for {
		end := start
		for end < len(p.lines) && !p.lines[end].marker {
			end++
		}
		p.i, p.end = start, end
		p.skipBlank()
		if p.i < end {
			root, ok := p.block(-1)
			if !ok {
				return nil, false
			}
			p.skipBlank()
			if p.i != end {
				return nil, false // content outside the root node
			}
			line := root.Line
			if docLine > 0 {
				line = docLine
			}
			docs = append(docs, p.node(yaml.Node{Kind: yaml.DocumentNode, Line: line, Column: 1, Content: []*yaml.Node{root}}))
		} else if docLine > 0 {
			return nil, false
		}
		if end >= len(p.lines) {
			break
		}
		docLine = 0
		if strings.HasPrefix(p.lines[end].text, "---") {
			docLine = p.lines[end].no
		}
		start = end + 1
	}
	return docs, true
}

type fastLine struct {
	no     int    // 1-based
	indent int    // leading spaces
	text   string // after the indentation, '\r' and trailing spaces removed
	raw    string // after the indentation, trailing spaces kept (block scalars)
	blank  bool   // empty or a comment only
	marker bool   // "---" at column 1 ("..." is left to yaml.v3)
	nl     bool   // ended by a line break (not the end of the input)
}

type fastParser struct {
	lines  []fastLine
	i, end int
	slab   []yaml.Node // nodes are cut from here: one allocation per 64
}

// node returns a new node in the slab.
func (p *fastParser) node(n yaml.Node) *yaml.Node {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]yaml.Node, 0, 64)
	}
	p.slab = append(p.slab, n)
	return &p.slab[len(p.slab)-1]
}

// split cuts data into lines; false when the input has what the fast
// path does not handle at the line level (tabs in indentation,
// directives, a document marker followed by content).
func (p *fastParser) split(data []byte) bool {
	s := string(data)
	p.lines = make([]fastLine, 0, bytes.Count(data, []byte{'\n'})+1)
	no := 0
	for len(s) > 0 {
		no++
		var line string
		nl := false
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s, nl = s[:i], s[i+1:], true
		} else {
			line, s = s, ""
		}
		if strings.HasSuffix(line, "\r") {
			line, nl = line[:len(line)-1], true
		}
		if strings.IndexByte(line, '\r') >= 0 {
			return false
		}
		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		text := strings.TrimRight(line[indent:], " ")
		if strings.HasPrefix(text, "\t") || strings.HasSuffix(text, "\t") {
			return false
		}
		fl := fastLine{no: no, indent: indent, text: text, raw: line[indent:], nl: nl}
		switch {
		case text == "" || text[0] == '#':
			fl.blank = true
		case indent == 0 && (text == "---" || strings.HasPrefix(text, "--- #")):
			fl.marker = true
		case indent == 0 && (strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...") || text[0] == '%'):
			return false
		}
		p.lines = append(p.lines, fl)
	}
	return true
}

func (p *fastParser) skipBlank() {
	for p.i < p.end && p.lines[p.i].blank {
		p.i++
	}
}

// cur returns the next non-blank line of the document, if any.
func (p *fastParser) cur() (*fastLine, bool) {
	p.skipBlank()
	if p.i >= p.end {
		return nil, false
	}
	return &p.lines[p.i], true
}

func isSeqItem(text string) bool {
	return text == "-" || strings.HasPrefix(text, "- ")
}

// block parses the node starting at the next line, which must be indented
// more than parent.
func (p *fastParser) block(parent int) (*yaml.Node, bool) {
	l, ok := p.cur()
	if !ok || l.indent <= parent {
		return nil, false
	}
	if isSeqItem(l.text) {
		return p.sequence(l.indent)
	}
	return p.mapping(l.indent)
}

// mapping parses "key: value" lines at indent.
func (p *fastParser) mapping(indent int) (*yaml.Node, bool) {
	m := p.node(yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
	for {
		l, ok := p.cur()
		if !ok || l.indent < indent {
			break
		}
		if l.indent > indent || isSeqItem(l.text) {
			return nil, false
		}
		if m.Line == 0 {
			m.Line, m.Column = l.no, indent+1
		}
		key, rest, ok := splitKey(l.text)
		if !ok {
			return nil, false
		}
		k := p.node(yaml.Node{Kind: yaml.ScalarNode, Value: key.value, Style: key.style, Line: l.no, Column: indent + 1})
		setTag(k)
		for j := 0; j < len(m.Content); j += 2 {
			if m.Content[j].Value == k.Value {
				return nil, false // yaml.v3 refuses duplicate keys: let it say so
			}
		}
		col := indent + 1 + (len(l.text) - len(rest))
		p.i++
		v, ok := p.value(rest, indent, l.no, col, true)
		if !ok {
			return nil, false
		}
		m.Content = append(m.Content, k, v)
	}
	if m.Line == 0 {
		return nil, false
	}
	return m, true
}

// sequence parses "- item" lines at indent.
func (p *fastParser) sequence(indent int) (*yaml.Node, bool) {
	s := p.node(yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"})
	for {
		l, ok := p.cur()
		if !ok || l.indent < indent {
			break
		}
		if l.indent > indent || !isSeqItem(l.text) {
			return nil, false
		}
		if s.Line == 0 {
			s.Line, s.Column = l.no, indent+1
		}
		item := strings.TrimLeft(l.text[1:], " ")
		col := indent + 1 + (len(l.text) - len(item))
		if isSeqItem(item) {
			return nil, false
		}
		if item != "" && item[0] != '#' && looksLikeKey(item) {
			// "- key: value": a mapping whose keys line up with this one's.
			l.indent, l.text = col-1, item
			n, ok := p.mapping(col - 1)
			if !ok {
				return nil, false
			}
			s.Content = append(s.Content, n)
			continue
		}
		p.i++
		v, ok := p.value(item, indent, l.no, col, false)
		if !ok {
			return nil, false
		}
		s.Content = append(s.Content, v)
	}
	if s.Line == 0 {
		return nil, false
	}
	return s, true
}

// value parses what follows "key:" or "- " (rest, already past the
// indicator and spaces) and, for block values, the lines after; parent is
// the indentation of the key or dash, line and col where rest starts.
func (p *fastParser) value(rest string, parent, line, col int, inMap bool) (*yaml.Node, bool) {
	if rest == "" || rest[0] == '#' {
		// The value is on the following lines, or null.
		l, ok := p.cur()
		if ok && (l.indent > parent || inMap && l.indent == parent && isSeqItem(l.text)) {
			if l.indent == parent {
				return p.sequence(parent)
			}
			return p.block(parent)
		}
		return p.node(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: line, Column: col}), true
	}
	switch rest[0] {
	case '|', '>':
		return p.blockScalar(rest, parent, line, col)
	case '[':
		return flowSeq(rest, line, col)
	case '{':
		return flowMap(rest, line, col)
	case '\'', '"':
		sc, after, ok := quoted(rest)
		if !ok || !onlyComment(after) {
			return nil, false
		}
		n := p.node(yaml.Node{Kind: yaml.ScalarNode, Value: sc.value, Style: sc.style, Line: line, Column: col})
		setTag(n)
		return n, true
	}
	return p.plain(rest, parent, line, col)
}

// plain parses a plain scalar, with continuation lines indented more than
// parent (folded into one line, as YAML does).
func (p *fastParser) plain(rest string, parent, line, col int) (*yaml.Node, bool) {
	text, ok := yamlPlainLine(rest, false)
	if !ok {
		return nil, false
	}
	commented := strings.Contains(rest, " #")
	var b strings.Builder
	b.WriteString(text)
	for p.i < p.end {
		l := &p.lines[p.i]
		if l.text == "" {
			// A blank line inside a multi-line plain scalar is a line
			// break; look ahead for a continuation.
			j := p.i
			for j < p.end && p.lines[j].text == "" {
				j++
			}
			if j < p.end && !p.lines[j].blank && p.lines[j].indent > parent {
				return nil, false
			}
			break
		}
		if l.blank || l.indent <= parent {
			break
		}
		if commented {
			return nil, false // a comment ends the scalar; yaml.v3 refuses more
		}
		more, ok := yamlPlainLine(l.text, true)
		if !ok {
			return nil, false
		}
		b.WriteByte(' ')
		b.WriteString(more)
		p.i++
	}
	n := p.node(yaml.Node{Kind: yaml.ScalarNode, Value: b.String(), Line: line, Column: col})
	setTag(n)
	return n, true
}

// yamlPlainLine checks one line of a plain scalar and strips a trailing
// comment; false when yaml.v3 could read it otherwise (an indicator
// first, ": " inside, ...).
func yamlPlainLine(s string, continuation bool) (string, bool) {
	if s == "" {
		return "", false
	}
	switch s[0] {
	case '&', '*', '!', '%', '@', '`', '|', '>', '[', ']', '{', '}', ',', '#', '\'', '"', '?':
		return "", false
	case '-', ':':
		if len(s) == 1 || s[1] == ' ' {
			return "", false
		}
	}
	if i := strings.Index(s, " #"); i >= 0 {
		if continuation {
			return "", false
		}
		s = strings.TrimRight(s[:i], " ")
	}
	if strings.Contains(s, ": ") || strings.HasSuffix(s, ":") || strings.Contains(s, "\t") {
		return "", false
	}
	return s, true
}

type scalarText struct {
	value string
	style yaml.Style
}

// looksLikeKey reports whether a line starts "key:" (plain or quoted key).
func looksLikeKey(s string) bool {
	_, _, ok := splitKey(s)
	return ok
}

// splitKey splits "key: rest" or "key:" into the key and what follows
// the colon and spaces.
func splitKey(s string) (scalarText, string, bool) {
	if s == "" {
		return scalarText{}, "", false
	}
	if s[0] == '\'' || s[0] == '"' {
		k, after, ok := quoted(s)
		if !ok || !strings.HasPrefix(after, ":") || len(s)-len(after) > 1000 {
			return scalarText{}, "", false
		}
		after = after[1:]
		if after != "" && after[0] != ' ' {
			return scalarText{}, "", false
		}
		return k, strings.TrimLeft(after, " "), true
	}
	switch s[0] {
	case '&', '*', '!', '%', '@', '`', '|', '>', '[', ']', '{', '}', ',', '#', '?', ':', '-':
		return scalarText{}, "", false
	}
	i := strings.Index(s, ": ")
	if i < 0 {
		if !strings.HasSuffix(s, ":") {
			return scalarText{}, "", false
		}
		i = len(s) - 1
	}
	key := s[:i]
	if len(key) > 1000 || strings.Contains(key, " #") || strings.HasSuffix(key, " ") || strings.Contains(key, "\t") {
		return scalarText{}, "", false
	}
	return scalarText{value: key}, strings.TrimLeft(s[i+1:], " "), true
}

// quoted reads a single- or double-quoted scalar that ends on its line.
func quoted(s string) (scalarText, string, bool) {
	if s[0] == '\'' {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				return scalarText{b.String(), yaml.SingleQuotedStyle}, s[i+1:], true
			}
			b.WriteByte(s[i])
		}
		return scalarText{}, "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return scalarText{b.String(), yaml.DoubleQuotedStyle}, s[i+1:], true
		case '\\':
			if i+1 >= len(s) {
				return scalarText{}, "", false
			}
			i++
			switch s[i] {
			case '\\', '"':
				b.WriteByte(s[i])
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case ' ':
				b.WriteByte(' ')
			case 'x', 'u', 'U':
				n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[i]]
				if i+n >= len(s) {
					return scalarText{}, "", false
				}
				v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
				if err != nil || v > utf8.MaxRune || v >= 0xd800 && v <= 0xdfff {
					return scalarText{}, "", false
				}
				b.WriteRune(rune(v))
				i += n
			default:
				return scalarText{}, "", false
			}
		default:
			b.WriteByte(c)
		}
	}
	return scalarText{}, "", false
}

func onlyComment(s string) bool {
	s = strings.TrimLeft(s, " ")
	return s == "" || s[0] == '#' && len(s) > 0
}

// blockScalar reads "|" or ">" (with "-" chomping) and the lines indented
// more than parent.
func (p *fastParser) blockScalar(header string, parent, line, col int) (*yaml.Node, bool) {
	h := header
	if i := strings.Index(h, " #"); i >= 0 {
		h = strings.TrimRight(h[:i], " ")
	}
	style := yaml.LiteralStyle
	if h[0] == '>' {
		style = yaml.FoldedStyle
	}
	strip := false
	switch h[1:] {
	case "":
	case "-":
		strip = true
	default:
		return nil, false // keep (+) and indentation indicators
	}
	start := p.i
	end := start
	indent := -1
	for end < p.end {
		l := &p.lines[end]
		if l.text == "" {
			if l.indent > 0 || strings.Contains(l.raw, "\t") {
				// Spaces on an empty line may be content: leave it.
				return nil, false
			}
			end++
			continue
		}
		if l.indent <= parent {
			break
		}
		if indent < 0 {
			indent = l.indent
		}
		if l.indent < indent {
			return nil, false
		}
		end++
	}
	// Trailing blank lines belong to the scalar only for chomping.
	last := end
	for last > start && p.lines[last-1].text == "" {
		last--
	}
	if indent < 0 {
		return nil, false
	}
	var parts []string
	for j := start; j < last; j++ {
		l := &p.lines[j]
		if l.text == "" {
			parts = append(parts, "")
			continue
		}
		if l.indent > indent && style == yaml.FoldedStyle {
			return nil, false // more-indented lines fold differently
		}
		// A "#" line inside a block scalar is content, and so are
		// trailing spaces.
		parts = append(parts, strings.Repeat(" ", l.indent-indent)+l.raw)
	}
	var v string
	if style == yaml.LiteralStyle {
		v = strings.Join(parts, "\n")
	} else {
		var b strings.Builder
		for k, s := range parts {
			if k > 0 {
				if s == "" || parts[k-1] == "" {
					b.WriteByte('\n')
					if s == "" && parts[k-1] != "" {
						continue
					}
				} else {
					b.WriteByte(' ')
				}
			}
			b.WriteString(s)
		}
		v = b.String()
		if strings.Contains(v, "\n") {
			return nil, false // leave paragraph folding to yaml.v3
		}
	}
	if !strip && len(parts) > 0 && p.lines[last-1].nl {
		v += "\n"
	}
	p.i = end
	return p.node(yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: style, Line: line, Column: col}), true
}

// flowSeq reads a one-line "[a, 'b', c]".
func flowSeq(s string, line, col int) (*yaml.Node, bool) {
	items, after, ok := flowItems(s, '[', ']', line, col)
	if !ok || !onlyComment(after) {
		return nil, false
	}
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Line: line, Column: col, Content: items}
	return n, true
}

// flowMap reads a one-line "{a: b, c: 'd'}".
func flowMap(s string, line, col int) (*yaml.Node, bool) {
	items, after, ok := flowItems(s, '{', '}', line, col)
	if !ok || !onlyComment(after) || len(items)%2 != 0 {
		return nil, false
	}
	for i := 0; i < len(items); i += 2 {
		for j := 0; j < i; j += 2 {
			if items[j].Value == items[i].Value {
				return nil, false
			}
		}
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle, Line: line, Column: col, Content: items}
	return n, true
}

// flowItems reads scalars between open and close; for a map, keys and
// values alternate.
func flowItems(s string, open, close byte, line, col int) ([]*yaml.Node, string, bool) {
	var out []*yaml.Node
	i := 1
	isMap := open == '{'
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			return nil, "", false
		}
		if s[i] == close && (len(out) == 0) {
			return out, s[i+1:], true
		}
		// One item: a scalar, for a map "key: value".
		keyCol := col + i
		sc, n, ok := flowScalar(s[i:], isMap)
		if !ok || isMap && n > 1000 {
			return nil, "", false
		}
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: sc.value, Style: sc.style, Line: line, Column: keyCol}
		setTag(k)
		out = append(out, k)
		i += n
		if isMap {
			if i >= len(s) || s[i] != ':' || i+1 >= len(s) || s[i+1] != ' ' {
				return nil, "", false
			}
			i += 2
			for i < len(s) && s[i] == ' ' {
				i++
			}
			vc := col + i
			vs, m, ok := flowScalar(s[i:], false)
			if !ok {
				return nil, "", false
			}
			v := &yaml.Node{Kind: yaml.ScalarNode, Value: vs.value, Style: vs.style, Line: line, Column: vc}
			setTag(v)
			out = append(out, v)
			i += m
		}
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			return nil, "", false
		}
		switch s[i] {
		case ',':
			i++
			for i < len(s) && s[i] == ' ' {
				i++
			}
			if i < len(s) && s[i] == close {
				return nil, "", false // trailing comma: leave to yaml.v3
			}
		case close:
			return out, s[i+1:], true
		default:
			return nil, "", false
		}
	}
}

// flowScalar reads one scalar inside a flow collection and how many bytes
// it took.
func flowScalar(s string, isKey bool) (scalarText, int, bool) {
	if s == "" {
		return scalarText{}, 0, false
	}
	if s[0] == '\'' || s[0] == '"' {
		sc, after, ok := quoted(s)
		return sc, len(s) - len(after), ok
	}
	switch s[0] {
	case '&', '*', '!', '%', '@', '`', '|', '>', '[', ']', '{', '}', ',', '#', '?', ':', '-':
		if s[0] == '-' && len(s) > 1 && s[1] != ' ' && s[1] != ',' {
			break
		}
		return scalarText{}, 0, false
	}
	end := 0
	for end < len(s) {
		c := s[end]
		if c == ',' || c == ']' || c == '}' || c == '[' || c == '{' || c == '#' || c == '"' || c == '\'' {
			break
		}
		if c == ':' && (end+1 >= len(s) || s[end+1] == ' ' || s[end+1] == ',') {
			break
		}
		end++
	}
	v := strings.TrimRight(s[:end], " ")
	if v == "" || end < len(s) && (s[end] == '[' || s[end] == '{' || s[end] == '#' || s[end] == '"' || s[end] == '\'') {
		return scalarText{}, 0, false
	}
	if s[end-1] == ' ' && end < len(s) && s[end] == ':' {
		return scalarText{}, 0, false
	}
	return scalarText{value: v}, end, true
}

// setTag gives a scalar the tag yaml.v3 resolves for it (!!str, !!int,
// !!bool, !!null, ...), by yaml.v3's own rules.
func setTag(n *yaml.Node) {
	n.Tag = n.ShortTag()
}

// yamlPrintable reports whether data is UTF-8 holding only characters
// YAML allows (tab, line breaks, printable ASCII, and the printable
// non-ASCII ranges); yaml.v3 refuses the rest.
func yamlPrintable(data []byte) bool {
	for i := 0; i < len(data); {
		c := data[i]
		if c < 0x80 {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		if r < 0xa0 && r != 0x85 || r >= 0xd800 && r <= 0xdfff || r == 0xfffe || r == 0xffff {
			return false
		}
		i += n
	}
	return true
}
