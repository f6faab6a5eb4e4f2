package evtx

import (
	"strconv"
	"strings"
	"time"

	"vigil/internal/detect"
)

// section is the child of <Event> an element lies in; it decides how the
// element's values are named (docs/detect-fields.md).
type section uint8

const (
	secNone section = iota
	secSystem
	secEventData
	secUserData // and any other section: leaves by local name
	secRendering
)

type frame struct {
	name      string
	sec       section
	attrStart int // index into builder.attrs of this element's attributes
	textStart int // arena offset where the element's content starts
	hasChild  bool
}

type attrValue struct {
	name       string
	start, end int // arena range of the value
	dropped    bool
}

type pendingField struct {
	name       string
	start, end int
}

// builder receives the walk of one record's elements and turns the ones
// that matter into fields. Values are written to one arena per record and
// converted to a single string at the end, so a record costs one string
// allocation however many fields it has.
type builder struct {
	d       *decoder
	ev      *detect.Event
	arena   []byte
	stack   []frame
	attrs   []attrValue
	saved   []attrValue
	curAttr int // index of the attribute being filled, -1 when in content
	fields  []pendingField
	nSystem int            // fields from <System>, which come first
	unnamed []pendingField // <Data> without Name, added together at the end
	time    time.Time
	host    [2]int // arena range of Computer
	hasHost bool
}

func (b *builder) reset(d *decoder, ev *detect.Event) {
	b.d = d
	b.ev = ev
	b.arena = b.arena[:0]
	b.stack = b.stack[:0]
	b.attrs = b.attrs[:0]
	b.fields = b.fields[:0]
	b.nSystem = 0
	b.curAttr = -1
	b.unnamed = b.unnamed[:0]
	b.time = time.Time{}
	b.hasHost = false
}

func (b *builder) open(name string) {
	sec := secNone
	if n := len(b.stack); n > 0 {
		b.stack[n-1].hasChild = true
		if n == 1 {
			switch name {
			case "System":
				sec = secSystem
			case "EventData":
				sec = secEventData
			case "RenderingInfo":
				sec = secRendering
			default:
				sec = secUserData
			}
		} else {
			sec = b.stack[n-1].sec
		}
	}
	b.stack = append(b.stack, frame{name: name, sec: sec, attrStart: len(b.attrs), textStart: len(b.arena)})
	b.curAttr = -1
}

func (b *builder) attr(name string) {
	b.endAttr()
	if len(b.stack) == 0 {
		return
	}
	b.attrs = append(b.attrs, attrValue{name: name, start: len(b.arena)})
	b.curAttr = len(b.attrs) - 1
}

func (b *builder) endAttr() {
	if b.curAttr >= 0 {
		b.attrs[b.curAttr].end = len(b.arena)
		b.curAttr = -1
	}
}

// dropAttr removes the attribute being filled: an optional substitution
// with no value means the attribute is absent.
func (b *builder) dropAttr() {
	if b.curAttr >= 0 {
		b.attrs[b.curAttr].dropped = true
	}
}

func (b *builder) content() {
	b.endAttr()
	if n := len(b.stack); n > 0 {
		b.stack[n-1].textStart = len(b.arena)
	}
}

func (b *builder) close() {
	b.endAttr()
	n := len(b.stack)
	if n == 0 {
		return
	}
	f := &b.stack[n-1]
	attrs := b.attrs[f.attrStart:]
	textStart, textEnd := f.textStart, len(b.arena)
	leaf := !f.hasChild
	switch f.sec {
	case secSystem:
		if n == 3 {
			b.closeSystem(f.name, attrs, leaf, textStart, textEnd)
			b.nSystem = len(b.fields)
		}
	case secEventData:
		if n == 3 && f.name == "Data" {
			b.closeData(attrs, textStart, textEnd)
		} else if n >= 3 {
			b.closeLeaf(f.name, attrs, leaf, textStart, textEnd)
		}
	case secUserData:
		if n >= 3 {
			b.closeLeaf(f.name, attrs, leaf, textStart, textEnd)
		}
	case secRendering:
		if n == 3 && f.name == "Message" && leaf {
			b.add("Message", textStart, textEnd)
		}
	}
	b.attrs = b.attrs[:f.attrStart]
	b.stack = b.stack[:n-1]
}

// repeat closes the current element and opens a sibling with the same
// name and attributes, for array values in content.
func (b *builder) repeat() {
	n := len(b.stack)
	if n == 0 {
		return
	}
	f := b.stack[n-1]
	b.saved = append(b.saved[:0], b.attrs[f.attrStart:]...)
	b.close()
	b.open(f.name)
	b.attrs = append(b.attrs, b.saved...)
	b.content()
}

func (b *builder) add(name string, start, end int) {
	b.fields = append(b.fields, pendingField{name: name, start: start, end: end})
}

func (b *builder) closeSystem(elem string, attrs []attrValue, leaf bool, start, end int) {
	if leaf {
		if name := detect.SystemFieldName(elem, ""); name != "" {
			b.add(name, start, end)
			if elem == "Computer" {
				b.host = [2]int{start, end}
				b.hasHost = true
			}
		}
	}
	for i := range attrs {
		a := &attrs[i]
		if a.dropped {
			continue
		}
		if elem == "TimeCreated" && a.name == "SystemTime" {
			if b.time.IsZero() {
				b.time = parseSystemTime(b.arena[a.start:a.end])
			}
			continue
		}
		if name := detect.SystemFieldName(elem, a.name); name != "" {
			b.add(name, a.start, a.end)
		}
	}
}

func (b *builder) closeData(attrs []attrValue, start, end int) {
	for i := range attrs {
		a := &attrs[i]
		if a.name == "Name" && !a.dropped {
			b.add(b.d.internBytes(b.arena[a.start:a.end]), start, end)
			return
		}
	}
	b.unnamed = append(b.unnamed, pendingField{start: start, end: end})
}

// closeLeaf names UserData (and unusual EventData) values by the local
// names of leaf elements and of attributes other than namespace
// declarations.
func (b *builder) closeLeaf(elem string, attrs []attrValue, leaf bool, start, end int) {
	for i := range attrs {
		a := &attrs[i]
		if a.dropped || a.name == "xmlns" || strings.HasPrefix(a.name, "xmlns:") {
			continue
		}
		b.add(localName(a.name), a.start, a.end)
	}
	if leaf {
		b.add(localName(elem), start, end)
	}
}

func localName(name string) string {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// addUnnamed adds the unnamed <Data> values as detect.AddUnnamedData
// does, building the joined Data in the arena.
func (b *builder) addUnnamed() {
	switch len(b.unnamed) {
	case 0:
		return
	case 1:
		b.add("Data", b.unnamed[0].start, b.unnamed[0].end)
		return
	}
	start := len(b.arena)
	for i, u := range b.unnamed {
		if i > 0 {
			b.arena = append(b.arena, '\n')
		}
		b.arena = append(b.arena, b.arena[u.start:u.end]...)
	}
	b.add("Data", start, len(b.arena))
	for i, u := range b.unnamed {
		b.add(detect.UnnamedDataName(i), u.start, u.end)
	}
}

// finish moves the collected fields into the event.
func (b *builder) finish() error {
	b.addUnnamed()
	all := string(b.arena)
	ev := b.ev
	first := len(ev.Fields)
	for _, f := range b.fields {
		ev.Fields = append(ev.Fields, detect.Field{Name: f.name, Value: all[f.start:f.end]})
		if f.name == "EventRecordID" {
			if n, err := strconv.ParseUint(all[f.start:f.end], 10, 64); err == nil {
				ev.Record = n
			}
		}
	}
	if b.nSystem < len(b.fields) {
		detect.PreferEventData(ev.Fields[first:], b.nSystem)
	}
	if b.hasHost {
		ev.Host = all[b.host[0]:b.host[1]]
	}
	ev.Time = b.time
	return nil
}

// parseSystemTime reads the SystemTime attribute as value() formats
// FILETIME ("2006-01-02T15:04:05.1234567Z"), or as text if a producer
// stored it as a string.
func parseSystemTime(b []byte) time.Time {
	s := string(b)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999", s); err == nil {
		return t
	}
	return time.Time{}
}
