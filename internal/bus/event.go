package bus

import (
	"encoding/binary"
	"fmt"
	"time"

	"vigil/internal/detect"
)

// eventVersion is the first byte of an encoded event; a later layout
// takes another number so old journals still decode.
const eventVersion = 1

// EncodeEvent appends the compact binary form of e (a FormatEvent record's
// Data) to buf.
func EncodeEvent(buf []byte, e *detect.Event) []byte {
	buf = append(buf, eventVersion)
	var t int64
	if !e.Time.IsZero() {
		t = e.Time.UnixNano()
	}
	buf = binary.AppendVarint(buf, t)
	buf = appendString(buf, e.Host)
	buf = appendString(buf, e.Source)
	buf = binary.AppendUvarint(buf, e.Record)
	buf = appendString(buf, e.Product)
	buf = appendString(buf, e.Service)
	buf = appendString(buf, e.Category)
	buf = appendString(buf, e.Damage)
	buf = binary.AppendUvarint(buf, uint64(len(e.Fields)))
	for _, f := range e.Fields {
		buf = appendString(buf, f.Name)
		buf = appendString(buf, f.Value)
	}
	return buf
}

// DecodeEvent fills e (reset first) from data written by EncodeEvent.
func DecodeEvent(data []byte, e *detect.Event) error {
	*e = detect.Event{Fields: e.Fields[:0]}
	d := decoder{b: data}
	if v := d.byte(); d.err == nil && v != eventVersion {
		return fmt.Errorf("bus: event encoding version %d unknown", v)
	}
	if t := d.varint(); t != 0 {
		e.Time = time.Unix(0, t).UTC()
	}
	e.Host = d.string()
	e.Source = d.string()
	e.Record = d.uvarint()
	e.Product = d.string()
	e.Service = d.string()
	e.Category = d.string()
	e.Damage = d.string()
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)/2) {
		d.fail()
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		name := d.string()
		value := d.string()
		e.Fields = append(e.Fields, detect.Field{Name: name, Value: value})
	}
	if d.err != nil || len(d.b) != 0 {
		return fmt.Errorf("bus: encoded event truncated or corrupt")
	}
	return nil
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}
