package parse

import (
	"errors"
	"strconv"
	"strings"

	"vigil/internal/detect"
)

var errNotObject = errors.New("record is not a JSON object")

// mapJSON recognises the shape of one JSON record and fills ev from it.
func mapJSON(ev *detect.Event, v *jsonValue) error {
	if v.kind != jsonObject {
		return errNotObject
	}
	if e := v.get("Event"); e != nil && e.kind == jsonObject && (e.get("System") != nil || e.get("EventData") != nil) {
		ev.Product = "windows"
		return addWindowsJSON(ev, e)
	}
	flattenJSON(ev, v, "", 0)
	return nil
}

// maxFlattenDepth bounds how deep generic flattening descends.
const maxFlattenDepth = 32

// flattenJSON adds every scalar of v as a field named by its dotted path:
// {"a":{"b":1}} gives a.b=1. An array of scalars becomes one field, its
// values joined by ", " (as a rule writer reads a list); an array holding
// objects or arrays is indexed: {"a":[{"b":1}]} gives a.0.b=1. Null gives
// an empty value.
func flattenJSON(ev *detect.Event, v *jsonValue, prefix string, depth int) {
	if depth > maxFlattenDepth {
		return
	}
	switch v.kind {
	case jsonObject:
		for i, k := range v.keys {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			flattenJSON(ev, &v.elems[i], name, depth+1)
		}
	case jsonArray:
		allScalar := true
		for i := range v.elems {
			if k := v.elems[i].kind; k == jsonObject || k == jsonArray {
				allScalar = false
				break
			}
		}
		if allScalar {
			var b strings.Builder
			for i := range v.elems {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(v.elems[i].text)
			}
			ev.Add(prefix, b.String())
			return
		}
		for i := range v.elems {
			flattenJSON(ev, &v.elems[i], prefix+"."+strconv.Itoa(i), depth+1)
		}
	case jsonNull:
		ev.Add(prefix, "")
	default:
		ev.Add(prefix, v.text)
	}
}
