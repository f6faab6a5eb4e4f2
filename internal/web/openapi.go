package web

import (
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPIDoc builds the OpenAPI 3 document from the route table.
func (s *Server) openAPIDoc() map[string]any {
	paths := map[string]any{}
	schemas := map[string]any{}
	for _, rt := range s.apiRoutes {
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"tags":        []string{rt.Tag},
			"operationId": strings.ToLower(rt.Method) + strings.NewReplacer("/api/v1", "", "/", "_", "{", "", "}", "").Replace(rt.Path),
		}
		var params []any
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		if rt.Paged {
			params = append(params,
				map[string]any{"name": "sort", "in": "query", "schema": map[string]any{"type": "string", "enum": rt.Sorts}},
				map[string]any{"name": "order", "in": "query", "schema": map[string]any{"type": "string", "enum": []string{"asc", "desc"}}},
				map[string]any{"name": "cursor", "in": "query", "description": "next or prev of an earlier answer", "schema": map[string]any{"type": "string"}},
				map[string]any{"name": "offset", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 0}},
				map[string]any{"name": "limit", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 1000}},
				map[string]any{"name": "format", "in": "query", "description": "csv or xlsx: the whole list as a file (formula cells neutralised)",
					"schema": map[string]any{"type": "string", "enum": []string{"json", "csv", "xlsx"}}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Public {
			op["security"] = []any{}
		}
		switch {
		case rt.RawBody != "":
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{rt.RawBody: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}}
		case rt.Body != nil:
			name := reflect.TypeOf(rt.Body).Name()
			schemas[name] = schemaOf(reflect.TypeOf(rt.Body), schemas)
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(name)}}}
		}
		responses := map[string]any{
			"default": map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}},
		}
		code := strconv.Itoa(rt.successStatus())
		switch {
		case rt.Result == nil:
			responses[code] = map[string]any{"description": "done"}
		default:
			name := reflect.TypeOf(rt.Result).Name()
			schemas[name] = schemaOf(reflect.TypeOf(rt.Result), schemas)
			var sch any = ref(name)
			if rt.Paged {
				sch = map[string]any{"type": "object", "required": []string{"items", "total", "offset", "next", "prev"}, "properties": map[string]any{
					"items":        map[string]any{"type": "array", "items": ref(name)},
					"total":        map[string]any{"type": "integer", "description": "how many items match the filters in all"},
					"offset":       map[string]any{"type": "integer", "description": "position of the first item"},
					"next":         map[string]any{"type": "string", "description": "cursor of the next page; empty at the end"},
					"prev":         map[string]any{"type": "string", "description": "cursor of the previous page; empty on the first"},
					"total_capped": map[string]any{"type": "boolean", "description": "total is a lower bound: more items match than were counted"},
				}}
			} else if rt.List {
				sch = map[string]any{"type": "object", "required": []string{"items", "next"}, "properties": map[string]any{
					"items": map[string]any{"type": "array", "items": ref(name)},
					"next":  map[string]any{"type": "string", "description": "cursor of the next page; empty at the end"},
				}}
			}
			responses[code] = map[string]any{"description": "ok", "content": map[string]any{"application/json": map[string]any{"schema": sch}}}
		}
		op["responses"] = responses
		item[strings.ToLower(rt.Method)] = op
	}
	schemas["Error"] = map[string]any{"type": "object", "properties": map[string]any{"error": map[string]any{"type": "object",
		"required": []string{"code", "message"}, "properties": map[string]any{
			"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}, "field": map[string]any{"type": "string"},
			"format": map[string]any{"type": "string", "description": "the message's English format (its arguments in args), for a client that says it in another language"},
			"args":   map[string]any{"type": "array", "items": map[string]any{}},
		}}}}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Vigil API", "version": s.Version,
			"description": "Vigil's JSON API. Authenticate with Authorization: Bearer <token> (POST /api/v1/auth/token). Lists return {items, total, offset, next, prev}; pass ?cursor=<next> or <prev> for the neighbouring pages, ?limit= up to 1000, ?sort=&order= to sort and ?format=csv|xlsx to export every matching item."},
		"servers":    []any{map[string]any{"url": "/"}},
		"security":   []any{map[string]any{"bearer": []string{}}},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
	}
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

var timeType = reflect.TypeOf(time.Time{})

// schemaOf maps a Go type to a JSON Schema, following encoding/json's rules
// for field names.
func schemaOf(t reflect.Type, defs map[string]any) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "object", "description": "JSON value"}
		}
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), defs)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), defs)}
	case reflect.Struct:
		props := map[string]any{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Tag.Get("json") == "" {
				// encoding/json lifts an embedded struct's fields.
				if sub, ok := schemaOf(f.Type, defs)["properties"].(map[string]any); ok {
					for k, v := range sub {
						props[k] = v
					}
				}
				continue
			}
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name := strings.Split(tag, ",")[0]
			if name == "" {
				name = f.Name
			}
			props[name] = schemaOf(f.Type, defs)
			names = append(names, name)
		}
		sort.Strings(names)
		return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	}
	return map[string]any{}
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.openAPIDoc())
}
