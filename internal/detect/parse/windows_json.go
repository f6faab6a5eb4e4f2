package parse

import (
	"strconv"
	"strings"
	"time"

	"vigil/internal/detect"
)

// addWindowsJSON maps the {"Event":{"System":{...},"EventData":{...}}} shape
// that EVTX-to-JSON converters (evtx_dump, the .json files beside SigmaHQ's
// regression samples) emit. Names match what internal/detect/evtx produces
// from the binary file, so a rule sees the same event either way.
func addWindowsJSON(ev *detect.Event, event *jsonValue) error {
	sys := event.get("System")
	if sys != nil && sys.kind == jsonObject {
		addSystemJSON(ev, sys)
	}
	nSystem := len(ev.Fields)
	if ed := event.get("EventData"); ed != nil {
		addEventDataJSON(ev, ed)
	}
	if ud := event.get("UserData"); ud != nil {
		addUserDataJSON(ev, ud, "", 0)
	}
	if ri := event.get("RenderingInfo"); ri != nil && ri.kind == jsonObject {
		if msg := ri.get("Message"); msg != nil {
			if s, ok := jsonText(msg); ok {
				ev.Add("Message", s)
			}
		}
	}
	detect.PreferEventData(ev.Fields, nSystem)
	if _, ok := ev.Get("EventID"); !ok {
		return errField("Event.System.EventID", "missing")
	}
	return nil
}

func addSystemJSON(ev *detect.Event, sys *jsonValue) {
	for i, elem := range sys.keys {
		v := &sys.elems[i]
		switch v.kind {
		case jsonNull:
			continue
		case jsonObject:
			forEachAttr(v, func(attr string, a *jsonValue) {
				if elem == "TimeCreated" && attr == "SystemTime" {
					ev.Time = parseWindowsTime(a.text)
					return
				}
				if name := detect.SystemFieldName(elem, attr); name != "" {
					ev.Add(name, braceGUID(a.text))
				}
			})
			if t := v.get("#text"); t != nil {
				if s, ok := jsonText(t); ok {
					addSystemValue(ev, elem, s)
				}
			}
		default:
			if s, ok := jsonText(v); ok {
				addSystemValue(ev, elem, s)
			}
		}
	}
}

// forEachAttr calls fn for the attributes of an element converted to a
// JSON object, in the spellings converters use: evtx_dump's
// "#attributes" object, xmltodict's "@Name" keys, or plain scalar keys
// beside "#text".
func forEachAttr(v *jsonValue, fn func(name string, value *jsonValue)) {
	for i, k := range v.keys {
		a := &v.elems[i]
		switch {
		case k == "#attributes":
			if a.kind == jsonObject {
				for j, name := range a.keys {
					if a.elems[j].scalar() {
						fn(strings.TrimPrefix(name, "@"), &a.elems[j])
					}
				}
			}
		case k == "#text":
		case strings.HasPrefix(k, "@"):
			if a.scalar() {
				fn(k[1:], a)
			}
		default:
			if a.scalar() {
				fn(k, a)
			}
		}
	}
}

func addSystemValue(ev *detect.Event, elem, value string) {
	name := detect.SystemFieldName(elem, "")
	if name == "" {
		return
	}
	ev.Add(name, value)
	switch elem {
	case "Computer":
		ev.Host = value
	case "EventRecordID":
		if n, err := strconv.ParseUint(value, 10, 64); err == nil {
			ev.Record = n
		}
	}
}

// addEventDataJSON flattens EventData: named Data become fields of their
// name; unnamed Data values go to Data (and Data1, Data2, ...) as the EVTX
// reader names them. Data may come as evtx_dump writes it (named values
// as keys, unnamed ones under "#text") or as xmltodict does (a list of
// {"@Name": ..., "#text": ...}).
func addEventDataJSON(ev *detect.Event, ed *jsonValue) {
	var unnamed []string
	defer func() { detect.AddUnnamedData(ev, unnamed) }()
	addData := func(d *jsonValue) {
		name, value, ok := dataElement(d)
		if !ok {
			return
		}
		if name == "" {
			unnamed = append(unnamed, braceGUID(value))
			return
		}
		ev.Add(name, braceGUID(value))
	}
	switch ed.kind {
	case jsonObject:
	case jsonArray:
		for i := range ed.elems {
			addData(&ed.elems[i])
		}
		return
	default:
		if s, ok := jsonText(ed); ok && s != "" {
			addData(ed)
		}
		return
	}
	for i, k := range ed.keys {
		v := &ed.elems[i]
		switch {
		case k == "#attributes" || strings.HasPrefix(k, "@"):
			continue
		case k == "Data" || k == "#text":
			if v.kind == jsonObject && v.get("#text") != nil && !hasName(v) {
				v = v.get("#text") // evtx_dump: {"#text": [unnamed values]}
			}
			if v.kind == jsonArray {
				for j := range v.elems {
					addData(&v.elems[j])
				}
			} else {
				addData(v)
			}
			continue
		}
		if v.kind == jsonObject {
			if t := v.get("#text"); t != nil {
				v = t
			}
		}
		if v.kind == jsonArray {
			parts := make([]string, 0, len(v.elems))
			for j := range v.elems {
				if s, ok := jsonText(&v.elems[j]); ok {
					parts = append(parts, s)
				}
			}
			ev.Add(k, strings.Join(parts, "\n"))
			continue
		}
		if s, ok := jsonText(v); ok {
			ev.Add(k, braceGUID(s))
		}
	}
}

// dataElement reads one <Data> element: a scalar (unnamed), or an object
// with a Name attribute and its text.
func dataElement(d *jsonValue) (name, value string, ok bool) {
	if d.kind != jsonObject {
		value, ok = jsonText(d)
		return "", value, ok
	}
	forEachAttr(d, func(attr string, a *jsonValue) {
		if attr == "Name" {
			name = a.text
		}
	})
	for _, k := range []string{"#text", "text", "Value", "value"} {
		if t := d.get(k); t != nil {
			if s, isText := jsonText(t); isText {
				return name, s, true
			}
		}
	}
	// <Data Name="X"/>: present and empty.
	return name, "", name != ""
}

func hasName(v *jsonValue) bool {
	found := false
	forEachAttr(v, func(attr string, _ *jsonValue) { found = found || attr == "Name" })
	return found
}

// addUserDataJSON flattens UserData by the local names of its leaf
// elements and of their attributes (namespace declarations dropped).
func addUserDataJSON(ev *detect.Event, v *jsonValue, name string, depth int) {
	if depth > 32 {
		return
	}
	switch v.kind {
	case jsonObject:
		for i, k := range v.keys {
			child := &v.elems[i]
			if k == "#attributes" {
				if child.kind == jsonObject {
					for j, a := range child.keys {
						if isXMLNS(a) {
							continue
						}
						if s, ok := jsonText(&child.elems[j]); ok {
							ev.Add(localName(a), s)
						}
					}
				}
				continue
			}
			if k == "#text" {
				if s, ok := jsonText(child); ok && name != "" {
					ev.Add(name, s)
				}
				continue
			}
			addUserDataJSON(ev, child, localName(k), depth+1)
		}
	case jsonArray:
		for i := range v.elems {
			addUserDataJSON(ev, &v.elems[i], name, depth+1)
		}
	default:
		if s, ok := jsonText(v); ok && name != "" {
			ev.Add(name, s)
		}
	}
}

func isXMLNS(name string) bool {
	return name == "xmlns" || strings.HasPrefix(name, "xmlns:")
}

func localName(name string) string {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// braceGUID restores the braces Windows writes around GUIDs
// ({5770385F-...}), which EVTX-to-JSON converters drop, so values match
// those read from the EVTX file.
func braceGUID(s string) string {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return s
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return s
		}
	}
	return "{" + strings.ToUpper(s) + "}"
}

// jsonText returns the text of a scalar; null is the empty string, as an
// empty <Data/> element is in the binary file.
func jsonText(v *jsonValue) (string, bool) {
	switch v.kind {
	case jsonNull:
		return "", true
	case jsonBool, jsonNumber, jsonString:
		return v.text, true
	}
	return "", false
}

// parseWindowsTime reads SystemTime values as converters write them
// (RFC 3339 with up to 9 fractional digits, "Z" or an offset, sometimes a
// space instead of "T"); an unreadable time is left zero.
func parseWindowsTime(s string) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	s2 := strings.Replace(s, " ", "T", 1)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s2); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
