package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"vigil/internal/detect"
)

// Binary XML tokens (libyal's "Token types"); 0x40 on some marks "more
// data follows" or "has attributes".
const (
	tokEOF            = 0x00
	tokOpenStart      = 0x01
	tokCloseStart     = 0x02
	tokCloseEmpty     = 0x03
	tokEndElement     = 0x04
	tokValue          = 0x05
	tokAttribute      = 0x06
	tokCDATA          = 0x07
	tokCharRef        = 0x08
	tokEntityRef      = 0x09
	tokPITarget       = 0x0a
	tokPIData         = 0x0b
	tokTemplate       = 0x0c
	tokSubstitution   = 0x0d
	tokOptionalSubst  = 0x0e
	tokFragmentHeader = 0x0f
	tokMoreFlag       = 0x40
)

// Value types.
const (
	typeNull     = 0x00
	typeString   = 0x01
	typeAnsi     = 0x02
	typeInt8     = 0x03
	typeUint8    = 0x04
	typeInt16    = 0x05
	typeUint16   = 0x06
	typeInt32    = 0x07
	typeUint32   = 0x08
	typeInt64    = 0x09
	typeUint64   = 0x0a
	typeFloat32  = 0x0b
	typeFloat64  = 0x0c
	typeBool     = 0x0d
	typeBinary   = 0x0e
	typeGUID     = 0x0f
	typeSizeT    = 0x10
	typeFileTime = 0x11
	typeSysTime  = 0x12
	typeSID      = 0x13
	typeHex32    = 0x14
	typeHex64    = 0x15
	typeBinXML   = 0x21
	typeArray    = 0x80
)

// maxNesting bounds nested binary XML (type 0x21 values holding templates
// holding 0x21 values ...), so hostile input cannot recurse without end.
const maxNesting = 12

// recordBudget bounds the ops one record may execute: substitution values
// holding binary XML that instantiates templates with more such values
// can multiply work at each level, so a few bytes could otherwise keep the
// reader busy for hours. Real records execute a few hundred ops.
const recordBudget = 1 << 18

var errBudget = errors.New("record expands beyond any real event (binary XML too deeply self-referencing)")

// maxValues bounds a template instance's substitution count.
const maxValues = 4096

var errTruncated = errors.New("binary XML runs past its end")

// cursor reads little-endian values from the chunk with a sticky error:
// once a read would pass end, every later read returns zero and err says
// why, so decoding code checks once per token rather than per field.
type cursor struct {
	b   []byte // the whole chunk: offsets in binary XML are chunk-relative
	pos int
	end int
	err error
}

func (c *cursor) need(n int) bool {
	if c.err != nil {
		return false
	}
	if n < 0 || c.pos+n > c.end {
		c.err = errTruncated
		return false
	}
	return true
}

func (c *cursor) u8() byte {
	if !c.need(1) {
		return 0
	}
	v := c.b[c.pos]
	c.pos++
	return v
}

func (c *cursor) u16() uint16 {
	if !c.need(2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(c.b[c.pos:])
	c.pos += 2
	return v
}

func (c *cursor) u32() uint32 {
	if !c.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(c.b[c.pos:])
	c.pos += 4
	return v
}

func (c *cursor) skip(n int) {
	if c.need(n) {
		c.pos += n
	}
}

func (c *cursor) bytes(n int) []byte {
	if !c.need(n) {
		return nil
	}
	v := c.b[c.pos : c.pos+n]
	c.pos += n
	return v
}

// opKind is an instruction of a compiled binary XML fragment. A template
// is compiled once per chunk into ops; each record using it then only
// executes the ops against its substitution values.
type opKind uint8

const (
	opOpen     opKind = iota // start of element name
	opAttr                   // start of attribute name; values follow
	opContent                // end of the start tag; content follows
	opClose                  // end of element
	opText                   // literal text
	opSubst                  // substitution index (optional when flagged)
	opTemplate               // template instance inside raw binary XML
)

type op struct {
	kind     opKind
	optional bool
	index    uint16
	name     string    // element, attribute name or literal text
	tmpl     *template // opTemplate
	values   []value   // opTemplate
}

type template struct {
	ops []op
	err error // a definition that failed to compile fails every use
}

// value is one substitution value: its type and bytes in the chunk.
type value struct {
	typ  byte
	data []byte
}

// decoder turns binary XML into event fields. It keeps per-chunk caches of
// names and compiled templates and per-reader scratch space, so steady
// state decoding allocates little more than the field values.
type decoder struct {
	chunk     []byte
	names     map[uint32]string
	templates map[uint32]*template
	intern    map[string]string
	// Templates of earlier chunks, for chunks whose own definition is
	// damaged.
	byGUID map[[16]byte]*template
	byID   map[uint32]*template

	budget      int    // ops a record may still execute
	text        []byte // scratch for literal text
	scratchOps  [maxNesting + 1][]op
	scratchVals [maxNesting + 1][]value
	b           builder
}

func (d *decoder) init() {
	d.names = make(map[uint32]string, 128)
	d.templates = make(map[uint32]*template, 16)
	d.intern = make(map[string]string, 256)
	d.byGUID = make(map[[16]byte]*template, 16)
	d.byID = make(map[uint32]*template, 16)
}

func (d *decoder) resetChunk(b []byte) {
	d.chunk = b
	clear(d.names)
	clear(d.templates)
}

// maxInterned bounds the name intern table; past it names are allocated
// per use, so hostile files cannot grow memory without limit.
const maxInterned = 16384

func (d *decoder) internBytes(b []byte) string {
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.intern) < maxInterned {
		d.intern[s] = s
	}
	return s
}

// textString returns literal template text, interned when short: Data
// Name attributes ("CommandLine", ...) recur in every chunk.
func (d *decoder) textString(b []byte) string {
	if len(b) <= 64 {
		return d.internBytes(b)
	}
	return string(b)
}

// name returns the name stored at chunk offset off, skipping the name in
// c when it is stored inline at the cursor.
func (d *decoder) name(c *cursor, off uint32) (string, error) {
	inline := int(off) == c.pos
	if s, ok := d.names[off]; ok {
		if inline {
			d.skipName(c, off)
		}
		return s, c.err
	}
	o := int(off)
	if o < 0 || o+8 > len(d.chunk) {
		return "", fmt.Errorf("name offset %#x out of chunk", off)
	}
	n := int(binary.LittleEndian.Uint16(d.chunk[o+6:]))
	if o+8+2*n > len(d.chunk) {
		return "", fmt.Errorf("name at %#x runs past chunk", off)
	}
	var tmp [128]byte
	buf := appendUTF16(tmp[:0], d.chunk[o+8:o+8+2*n])
	s := d.internBytes(buf)
	d.names[off] = s
	if inline {
		d.skipName(c, off)
	}
	return s, c.err
}

func (d *decoder) skipName(c *cursor, off uint32) {
	o := int(off)
	if o+8 > len(d.chunk) {
		c.err = errTruncated
		return
	}
	n := int(binary.LittleEndian.Uint16(d.chunk[o+6:]))
	c.skip(8 + 2*n + 2)
}

// template returns the compiled template defined at chunk offset off.
func (d *decoder) template(off uint32) *template {
	if t, ok := d.templates[off]; ok {
		return t
	}
	t := &template{}
	d.templates[off] = t // before compiling: a self-referencing template fails rather than loops
	o := int(off)
	if o < 0 || o+24 > len(d.chunk) {
		t.err = fmt.Errorf("template offset %#x out of chunk", off)
		return t
	}
	size := int(binary.LittleEndian.Uint32(d.chunk[o+20:]))
	end := o + 24 + size
	if size < 0 || end > len(d.chunk) || end < o {
		end = len(d.chunk)
	}
	c := cursor{b: d.chunk, pos: o + 24, end: end}
	ops, err := d.compile(&c, nil, false, true, 0)
	if err != nil {
		t.err = fmt.Errorf("template at %#x: %w", off, err)
		return t
	}
	t.ops = ops
	if len(d.byGUID) < maxKnownTemplates {
		var guid [16]byte
		copy(guid[:], d.chunk[o+4:o+20])
		d.byGUID[guid] = t
		d.byID[binary.LittleEndian.Uint32(d.chunk[o+4:])] = t
	}
	return t
}

// maxKnownTemplates bounds the file-wide template memory.
const maxKnownTemplates = 4096

// knownTemplate finds a template compiled in an earlier chunk by the GUID
// in the definition header at off, or else by the instance's template id
// (the GUID's first four bytes).
func (d *decoder) knownTemplate(off, id uint32) *template {
	o := int(off)
	if o >= 0 && o+20 <= len(d.chunk) {
		var guid [16]byte
		copy(guid[:], d.chunk[o+4:o+20])
		if t := d.byGUID[guid]; t != nil {
			return t
		}
	}
	return d.byID[id]
}

// compile translates binary XML tokens from c into ops until the end of
// the fragment. nested is true for binary XML held in a substitution value
// (type 0x21), whose element starts lack the dependency identifier.
//
// persist is true while compiling a template definition, which outlives
// the record: its values must not live in per-record scratch space.
func (d *decoder) compile(c *cursor, ops []op, nested, persist bool, depth int) ([]op, error) {
	if depth > maxNesting {
		return ops, errors.New("binary XML nested too deep")
	}
	open := 0
	for c.pos < c.end && c.err == nil {
		tokPos := c.pos
		tok := c.u8()
		switch tok &^ tokMoreFlag {
		case tokEOF:
			return ops, nil
		case tokFragmentHeader:
			c.skip(3)
		case tokOpenStart:
			// Element starts carry a dependency identifier except inside
			// substitution values; producers have been seen to differ, so
			// when the name offset only makes sense read the other way,
			// read it the other way.
			withDep := !nested
			if !d.plausibleNameAt(c, c.pos+nameFieldAt(withDep)) && d.plausibleNameAt(c, c.pos+nameFieldAt(!withDep)) {
				withDep = !withDep
			}
			if withDep {
				c.skip(2) // dependency identifier
			}
			c.skip(4) // data size
			name, err := d.name(c, c.u32())
			if err != nil {
				return ops, err
			}
			if tok&tokMoreFlag != 0 {
				c.skip(4) // attribute list size
			}
			ops = append(ops, op{kind: opOpen, name: name})
			open++
		case tokAttribute:
			name, err := d.name(c, c.u32())
			if err != nil {
				return ops, err
			}
			ops = append(ops, op{kind: opAttr, name: name})
		case tokCloseStart:
			ops = append(ops, op{kind: opContent})
		case tokCloseEmpty:
			ops = append(ops, op{kind: opContent}, op{kind: opClose})
			open--
		case tokEndElement:
			ops = append(ops, op{kind: opClose})
			open--
		case tokValue:
			typ := c.u8()
			if typ != typeString && typ != typeAnsi {
				return ops, fmt.Errorf("value token of type %#x at %#x", typ, tokPos)
			}
			n := int(c.u16())
			unit := 2
			if typ == typeAnsi {
				unit = 1
			}
			raw := c.bytes(n * unit)
			if typ == typeString {
				d.text = appendUTF16(d.text[:0], raw)
			} else {
				d.text = appendAnsi(d.text[:0], raw)
			}
			ops = append(ops, op{kind: opText, name: d.textString(d.text)})
		case tokCDATA:
			n := int(c.u16())
			d.text = appendUTF16(d.text[:0], c.bytes(2*n))
			ops = append(ops, op{kind: opText, name: d.textString(d.text)})
		case tokCharRef:
			r := rune(c.u16())
			ops = append(ops, op{kind: opText, name: string(r)})
		case tokEntityRef:
			name, err := d.name(c, c.u32())
			if err != nil {
				return ops, err
			}
			ops = append(ops, op{kind: opText, name: entity(name)})
		case tokPITarget:
			if _, err := d.name(c, c.u32()); err != nil {
				return ops, err
			}
		case tokPIData:
			n := int(c.u16())
			c.skip(2 * n)
		case tokTemplate:
			var err error
			ops, err = d.compileTemplateInstance(c, ops, persist, depth)
			if err != nil {
				return ops, err
			}
		case tokSubstitution, tokOptionalSubst:
			idx := c.u16()
			c.skip(1) // declared type; the value's own type is authoritative
			ops = append(ops, op{kind: opSubst, index: idx, optional: tok == tokOptionalSubst})
		default:
			return ops, fmt.Errorf("unknown binary XML token %#x at %#x", tok, tokPos)
		}
		if nested && open == 0 && (tok&^tokMoreFlag == tokCloseEmpty || tok&^tokMoreFlag == tokEndElement) {
			// A bare element in a 0x21 value ends with it.
			return ops, c.err
		}
	}
	return ops, c.err
}

// nameFieldAt is where an element start's name offset lies after its
// token: past the data size, and the dependency identifier if present.
func nameFieldAt(withDep bool) int {
	if withDep {
		return 6
	}
	return 4
}

// plausibleNameAt reports whether the 32-bit value at chunk offset at can
// be a name offset there: the name stored right after it, or earlier in
// the chunk's records.
func (d *decoder) plausibleNameAt(c *cursor, at int) bool {
	if at+4 > c.end {
		return false
	}
	off := int(binary.LittleEndian.Uint32(d.chunk[at:]))
	return off == at+4 || off >= chunkHeaderSize && off < at
}

// compileTemplateInstance reads a template instance (the token already
// consumed) and emits an opTemplate carrying its values.
func (d *decoder) compileTemplateInstance(c *cursor, ops []op, persist bool, depth int) ([]op, error) {
	c.skip(1) // unknown
	templateID := c.u32()
	defOff := c.u32()
	if c.err != nil {
		return ops, c.err
	}
	if int(defOff) == c.pos {
		// The definition is stored here, on its first use in the chunk.
		c.skip(4 + 16)
		size := c.u32()
		c.skip(int(size))
	}
	if c.err != nil {
		return ops, c.err
	}
	t := d.template(defOff)
	if t.err != nil {
		// The definition here is damaged; the same template compiled from
		// another chunk of the file serves as well (compiled templates
		// hold names, not chunk offsets).
		if known := d.knownTemplate(defOff, templateID); known != nil {
			t = known
		} else {
			return ops, t.err
		}
	}
	vals, err := d.readValues(c, persist, depth)
	if err != nil {
		return ops, err
	}
	return append(ops, op{kind: opTemplate, tmpl: t, values: vals}), nil
}

// readValues reads a template instance's substitution array.
func (d *decoder) readValues(c *cursor, persist bool, depth int) ([]value, error) {
	n := int(c.u32())
	if c.err != nil {
		return nil, c.err
	}
	if n > maxValues || n*4 > c.end-c.pos {
		return nil, fmt.Errorf("template instance claims %d values", n)
	}
	var vals []value
	if !persist {
		vals = d.scratchVals[depth]
	}
	first := len(vals)
	descPos := c.pos
	c.skip(4 * n)
	for i := 0; i < n; i++ {
		size := int(binary.LittleEndian.Uint16(c.b[descPos+4*i:]))
		typ := c.b[descPos+4*i+2]
		data := c.bytes(size)
		if c.err != nil {
			return nil, fmt.Errorf("value %d (type %#x, %d bytes): %w", i, typ, size, c.err)
		}
		vals = append(vals, value{typ: typ, data: data})
	}
	if persist {
		return vals, nil
	}
	d.scratchVals[depth] = vals
	// Capped so that a later instance appending to the scratch space
	// cannot overwrite these values.
	return vals[first:len(vals):len(vals)], nil
}

func entity(name string) string {
	switch name {
	case "lt":
		return "<"
	case "gt":
		return ">"
	case "amp":
		return "&"
	case "quot":
		return `"`
	case "apos":
		return "'"
	}
	return "&" + name + ";"
}

// recoverPanics is switched off by tests that want a bug's stack trace.
var recoverPanics = true

// decodeRecord walks the binary XML of one record (chunk offsets
// start..end) into ev.
func (d *decoder) decodeRecord(ev *detect.Event, start, end int) (err error) {
	defer func() {
		if !recoverPanics {
			return
		}
		// Every read is bounds-checked; this is the last line of defence
		// so that no file can crash a hunt.
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error decoding record: %v", p)
		}
	}()
	for i := range d.scratchVals {
		d.scratchVals[i] = d.scratchVals[i][:0]
	}
	c := cursor{b: d.chunk, pos: start, end: end}
	ops, err := d.compile(&c, d.scratchOps[0][:0], false, false, 0)
	d.scratchOps[0] = ops
	if err != nil {
		return err
	}
	d.b.reset(d, ev)
	d.budget = recordBudget
	if err := d.exec(ops, nil, 0); err != nil {
		return err
	}
	return d.b.finish()
}

// exec runs ops with the substitution values of their template instance.
func (d *decoder) exec(ops []op, values []value, depth int) error {
	b := &d.b
	d.budget -= len(ops)
	if d.budget < 0 {
		return errBudget
	}
	for i := range ops {
		o := &ops[i]
		switch o.kind {
		case opOpen:
			b.open(o.name)
		case opAttr:
			b.attr(o.name)
		case opContent:
			b.content()
		case opClose:
			b.close()
		case opText:
			b.arena = append(b.arena, o.name...)
		case opTemplate:
			if depth+1 > maxNesting {
				return errors.New("templates nested too deep")
			}
			if err := d.exec(o.tmpl.ops, o.values, depth+1); err != nil {
				return err
			}
		case opSubst:
			if int(o.index) >= len(values) {
				if o.optional {
					b.dropAttr()
				}
				continue
			}
			v := values[o.index]
			if v.typ == typeNull || (o.optional && len(v.data) == 0) {
				if o.optional {
					b.dropAttr()
				}
				continue
			}
			if v.typ == typeBinXML {
				if err := d.execNested(v.data, depth+1); err != nil {
					return err
				}
				continue
			}
			b.value(v.typ, v.data)
		}
	}
	return nil
}

// execNested decodes binary XML held in a substitution value.
func (d *decoder) execNested(data []byte, depth int) error {
	if depth > maxNesting {
		return errors.New("binary XML values nested too deep")
	}
	// data lies inside the chunk; recover its chunk offset so names and
	// templates referenced from it resolve.
	off := cap(d.chunk) - cap(data)
	if off < 0 || off+len(data) > len(d.chunk) {
		return errors.New("binary XML value outside chunk")
	}
	c := cursor{b: d.chunk, pos: off, end: off + len(data)}
	ops, err := d.compile(&c, d.scratchOps[depth][:0], true, false, depth)
	d.scratchOps[depth] = ops
	if err != nil {
		return fmt.Errorf("binary XML value: %w", err)
	}
	return d.exec(ops, nil, depth)
}

// appendUTF16 appends UTF-16LE text as UTF-8, dropping trailing NULs;
// unpaired surrogates become U+FFFD.
func appendUTF16(dst, src []byte) []byte {
	n := len(src) / 2
	for n > 0 && src[2*n-2] == 0 && src[2*n-1] == 0 {
		n--
	}
	for i := 0; i < n; i++ {
		u := uint16(src[2*i]) | uint16(src[2*i+1])<<8
		if u < 0x80 {
			dst = append(dst, byte(u))
			continue
		}
		r := rune(u)
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
			if u < 0xdc00 && i+1 < n {
				u2 := uint16(src[2*i+2]) | uint16(src[2*i+3])<<8
				if r2 := utf16.DecodeRune(rune(u), rune(u2)); r2 != utf8.RuneError {
					r = r2
					i++
				}
			}
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// appendAnsi appends codepage text, read as Latin-1 (the codepage is not
// recorded in the file), dropping trailing NULs.
func appendAnsi(dst, src []byte) []byte {
	for len(src) > 0 && src[len(src)-1] == 0 {
		src = src[:len(src)-1]
	}
	for _, c := range src {
		if c < 0x80 {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}
