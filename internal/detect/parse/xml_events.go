package parse

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"vigil/internal/datafile"
	"vigil/internal/detect"
)

// Windows events as XML text: wevtutil qe /f:xml and Event Viewer's "Save
// as XML" exports (<Events><Event>...</Event>...), and Sysmon for Linux,
// which writes each event as one XML line to syslog. They get the same
// fields as the EVTX reader gives the binary form.

// xmlFrame is an element being read.
type xmlFrame struct {
	name     string // local name
	attrs    []xml.Attr
	text     strings.Builder
	hasChild bool
}

// addEventXML reads the <Event> element whose start d has just returned
// into ev, up to and including its end tag.
func addEventXML(ev *detect.Event, d *xml.Decoder, start xml.StartElement) error {
	stack := []*xmlFrame{{name: start.Name.Local, attrs: start.Attr}}
	var unnamed []string
	nSystem := -1
	for len(stack) > 0 {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > 64 {
				return errors.New("xml: elements nested too deep")
			}
			stack[len(stack)-1].hasChild = true
			stack = append(stack, &xmlFrame{name: t.Name.Local, attrs: t.Attr})
		case xml.CharData:
			stack[len(stack)-1].text.Write(t)
		case xml.EndElement:
			f := stack[len(stack)-1]
			depth := len(stack) // 1: Event, 2: a section, 3: its children
			stack = stack[:len(stack)-1]
			if depth < 3 {
				if depth == 2 && f.name == "System" {
					nSystem = len(ev.Fields)
				}
				continue
			}
			section := stack[1].name
			text := f.text.String()
			switch section {
			case "System":
				if depth != 3 {
					continue
				}
				if !f.hasChild {
					addSystemValue(ev, f.name, strings.TrimSpace(text))
				}
				for _, a := range f.attrs {
					if f.name == "TimeCreated" && a.Name.Local == "SystemTime" {
						ev.Time = parseWindowsTime(a.Value)
						continue
					}
					if name := detect.SystemFieldName(f.name, a.Name.Local); name != "" {
						ev.Add(name, a.Value)
					}
				}
			case "EventData":
				if depth == 3 && f.name == "Data" {
					if name := xmlAttr(f.attrs, "Name"); name != "" {
						ev.Add(name, text)
					} else {
						unnamed = append(unnamed, text)
					}
					continue
				}
				addXMLLeaf(ev, f, text)
			case "RenderingInfo":
				if depth == 3 && f.name == "Message" {
					ev.Add("Message", text)
				}
			default: // UserData, ProcessingErrorData, ...
				addXMLLeaf(ev, f, text)
			}
		}
	}
	detect.AddUnnamedData(ev, unnamed)
	if nSystem >= 0 {
		detect.PreferEventData(ev.Fields, nSystem)
	}
	ev.Product = "windows"
	if p, _ := ev.Get("Provider_Name"); p == "Linux-Sysmon" {
		ev.Product = "linux"
	}
	if _, ok := ev.Get("EventID"); !ok {
		return errField("Event.System.EventID", "missing")
	}
	return nil
}

func addXMLLeaf(ev *detect.Event, f *xmlFrame, text string) {
	for _, a := range f.attrs {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
			continue
		}
		ev.Add(a.Name.Local, a.Value)
	}
	if !f.hasChild {
		ev.Add(f.name, text)
	}
}

func xmlAttr(attrs []xml.Attr, name string) string {
	for _, a := range attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// parseXMLEventLine reads one event written as XML on a line (Sysmon for
// Linux in syslog).
func parseXMLEventLine(ev *detect.Event, b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("xml: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Event" {
			return addEventXML(ev, d, se)
		}
	}
}

// looksXMLEvents reports whether text starts like an XML export of events.
func looksXMLEvents(head []byte) bool {
	return bytes.HasPrefix(head, []byte("<?xml")) || bytes.HasPrefix(head, []byte("<Events")) || bytes.HasPrefix(head, []byte("<Event ")) || bytes.HasPrefix(head, []byte("<Event>"))
}

// xmlReader streams the <Event> elements of an XML document.
type xmlReader struct {
	source string
	d      *xml.Decoder
	index  int64
	done   bool
	stats  detect.ReadStats
}

func newXMLReader(br *bufio.Reader, source string) *xmlReader {
	d := xml.NewDecoder(br)
	d.Strict = false
	// Exports declare UTF-16 or a Windows code page now and then; the
	// bytes are read as they are.
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	return &xmlReader{source: source, d: d}
}

func (r *xmlReader) Stats() detect.ReadStats { return r.stats }

func (r *xmlReader) Next(ev *detect.Event) error {
	for !r.done {
		tok, err := r.d.Token()
		if err == io.EOF {
			r.done = true
			break
		}
		if err != nil {
			// The decoder cannot resume after a syntax error; the events
			// before it are kept.
			r.stats.Skip(&datafile.Error{File: r.source, Record: fmt.Sprintf("event %d", r.index+1), Err: fmt.Errorf("xml stream ends in error: %w", err)})
			r.done = true
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Event" {
			continue
		}
		r.index++
		ev.Reset()
		ev.Source = r.source
		ev.Record = uint64(r.index)
		if err := addEventXML(ev, r.d, se); err != nil {
			r.stats.Skip(recordError(r.source, r.index, err))
			if errors.Is(err, io.ErrUnexpectedEOF) {
				r.done = true
			}
			continue
		}
		if id, ok := ev.Get("EventRecordID"); ok {
			if n, err := strconv.ParseUint(id, 10, 64); err == nil {
				ev.Record = n
			}
		}
		r.stats.Events++
		return nil
	}
	return io.EOF
}
