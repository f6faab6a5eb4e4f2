// Package detect is Vigil's detection engine: a common event model, parsers
// for outside log formats, a Sigma rule compiler and matcher, and an
// indicator matcher. It is pure: events in, matches out, no database, so it
// can be benchmarked and fuzzed alone and reused by `vigil detect` offline,
// by the hub's ingest and by the agent.
package detect

import "time"

// Field is one named value of an event. Names follow Sigma's conventions for
// Windows and Sysmon (EventID, Channel, Image, CommandLine, ...) and ECS-like
// dotted names for network events (source.ip, destination.port, ...); see
// docs/detect-fields.md.
type Field struct {
	Name  string
	Value string
}

// Event is one log record in the common model. Parsers fill it; the engine
// reads it. An Event may be reused by a parser between records (Reset), so a
// consumer that keeps one past the next read must Clone it.
type Event struct {
	Time   time.Time
	Host   string
	Source string // file path or stream name the record came from
	Record uint64 // record number in Source: EVTX record id, line number, ...

	// Logsource hints set by the parser where the format tells them
	// (Sigma's product/service/category); Windows events are routed by their
	// Channel and EventID fields instead.
	Product  string
	Service  string
	Category string

	// Damage is set when the record was read from a part of the input
	// that failed an integrity check (an EVTX chunk with a wrong
	// checksum): its values may be altered, so results from it are marked.
	// It says where and what failed.
	Damage string

	Fields []Field
}

// Get returns the value of the first field named name.
func (e *Event) Get(name string) (string, bool) {
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			return e.Fields[i].Value, true
		}
	}
	return "", false
}

// Set replaces the value of field name, or appends it.
func (e *Event) Set(name, value string) {
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			e.Fields[i].Value = value
			return
		}
	}
	e.Fields = append(e.Fields, Field{Name: name, Value: value})
}

// Add appends a field without checking for an existing one (parsers use it
// when names are known to be distinct).
func (e *Event) Add(name, value string) {
	e.Fields = append(e.Fields, Field{Name: name, Value: value})
}

// Reset clears the event for reuse, keeping the Fields capacity.
func (e *Event) Reset() {
	f := e.Fields[:0]
	*e = Event{Fields: f}
}

// Clone returns a deep copy safe to keep after the parser moves on.
func (e *Event) Clone() *Event {
	c := *e
	c.Fields = append([]Field(nil), e.Fields...)
	return &c
}
