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
			if attrs := v.get("#attributes"); attrs != nil && attrs.kind == jsonObject {
				for j, attr := range attrs.keys {
					a := &attrs.elems[j]
					if !a.scalar() {
						continue
					}
					if elem == "TimeCreated" && attr == "SystemTime" {
						ev.Time = parseWindowsTime(a.text)
						continue
					}
					if name := detect.SystemFieldName(elem, attr); name != "" {
						ev.Add(name, braceGUID(a.text))
					}
				}
			}
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
// name; unnamed Data values become Data, Data1, Data2, ... as the EVTX
// reader names them.
func addEventDataJSON(ev *detect.Event, ed *jsonValue) {
	unnamed := 0
	addUnnamed := func(s string) {
		ev.Add(detect.UnnamedDataName(unnamed), s)
		unnamed++
	}
	switch ed.kind {
	case jsonObject:
	case jsonArray:
		for i := range ed.elems {
			if s, ok := jsonText(&ed.elems[i]); ok {
				addUnnamed(s)
			}
		}
		return
	default:
		if s, ok := jsonText(ed); ok && s != "" {
			addUnnamed(s)
		}
		return
	}
	for i, k := range ed.keys {
		v := &ed.elems[i]
		switch k {
		case "#attributes":
			continue
		case "Data", "#text":
			values := v
			if v.kind == jsonObject {
				if t := v.get("#text"); t != nil {
					values = t
				}
			}
			if values.kind == jsonArray {
				for j := range values.elems {
					if s, ok := jsonText(&values.elems[j]); ok {
						addUnnamed(s)
					}
				}
			} else if s, ok := jsonText(values); ok {
				addUnnamed(s)
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
