package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/i18n"
)

// apiRoute is one API endpoint. The table of them is the single source for
// the mux and for the OpenAPI document, so the two cannot drift.
type apiRoute struct {
	Method  string
	Path    string
	Summary string
	Tag     string
	Public  bool // no authentication needed
	Agent   bool // called by endpoint agents with their own credentials
	Body    any  // zero value of the request body type
	Result  any  // zero value of the response type (an item for lists)
	List    bool // response is {"items":[Result],"next":...}
	// Paged lists answer {"items","total","offset","next","prev"}, sort
	// by Sorts (?sort=&order=), page by position (?cursor= or ?offset=)
	// and export (?format=csv|xlsx); see list.go.
	Paged bool
	Sorts []string
	Query []string // documented query parameters
	// RawBody is the media type of a body that is a file rather than JSON
	// ("text/csv"); Body is then nil.
	RawBody string
	// Status is the success status when it is not the default: 201 for a
	// POST that returns a Result (it made something), 200 for another
	// Result, 204 without one.
	Status  int
	Handler http.HandlerFunc
}

// successStatus is the status the route answers when it succeeds.
func (rt apiRoute) successStatus() int {
	switch {
	case rt.Status != 0:
		return rt.Status
	case rt.Result == nil:
		return http.StatusNoContent
	case rt.Method == http.MethodPost:
		return http.StatusCreated
	}
	return http.StatusOK
}

func (s *Server) api(rt apiRoute) {
	s.apiRoutes = append(s.apiRoutes, rt)
	h := rt.Handler
	switch {
	case rt.Agent:
		h = requireAgent(h)
	case !rt.Public:
		h = requireAuth(h)
	}
	s.mux.HandleFunc(rt.Method+" "+rt.Path, h)
}

func requireAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalOf(r)
		if p == nil {
			writeError(w, r, errs.Errorf(errs.EUNAUTHORIZED, "authentication required: send Authorization: Bearer <token>"))
			return
		}
		if p.Via == "agent" {
			writeError(w, r, errs.Forbidden("agent credentials may call only the agent API"))
			return
		}
		h(w, r)
	}
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
		// Format and Args are the message's English format and its
		// arguments, so a client (vigil's command line) can say it in
		// another language: a list of choices is {"one_of": [codes],
		// "prefix": key}, an import file's problem {"problem": {...}}.
		Format string `json:"format,omitempty"`
		Args   []any  `json:"args,omitempty"`
	} `json:"error"`
}

// errorArgs are an error's arguments as the API sends them: strings,
// numbers, choices and problems as JSON; anything else as its text.
func errorArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch x := a.(type) {
		case string, int, int64, float64, bool:
			out[i] = x
		case errs.OneOf:
			out[i] = map[string]any{"one_of": x.Codes, "prefix": x.Prefix}
		case *errs.Error:
			out[i] = x.Message
		case i18n.Localizer:
			out[i] = map[string]any{"problem": x}
		default:
			out[i] = fmt.Sprint(x)
		}
	}
	return out
}

func statusOf(code string) int {
	switch code {
	case errs.EINVALID:
		return http.StatusBadRequest
	case errs.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case errs.EFORBIDDEN:
		return http.StatusForbidden
	case errs.ENOTFOUND:
		return http.StatusNotFound
	case errs.ECONFLICT:
		return http.StatusConflict
	case errs.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case errs.ETOOMANY:
		return http.StatusTooManyRequests
	case errs.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError renders err as {"error":{"code","message","field"}} with the
// status its code maps to. Internal errors are logged, not shown.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var body apiError
	e, ok := errs.As(err)
	if !ok {
		logger(r).Error("internal error", "path", r.URL.Path, "err", err)
		e = &errs.Error{Code: errs.EINTERNAL, Message: "internal error"}
	}
	body.Error.Code, body.Error.Message, body.Error.Field = e.Code, e.Message, e.Field
	if e.Format != "" && e.Code != errs.EINTERNAL {
		body.Error.Format, body.Error.Args = e.Format, errorArgs(e.Args)
	}
	setRetryAfter(w, e)
	writeJSON(w, statusOf(e.Code), body)
}

// setRetryAfter tells a throttled (429) or busy (503) caller when to come
// back, as every such answer must: agents and scripts wait that long
// instead of hammering.
func setRetryAfter(w http.ResponseWriter, e *errs.Error) {
	if e == nil || (e.Code != errs.ETOOMANY && e.Code != errs.EUNAVAILABLE) {
		return
	}
	secs := int((e.RetryAfter + time.Second - 1) / time.Second)
	if secs <= 0 {
		secs = 60
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// listResponse is the answer of an action returning the items it
// changed (paged lists answer pageResponse, list.go).
type listResponse[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

// decodeJSON reads a JSON body into v, refusing unknown fields, trailing
// data and bodies over the limit, with errors that name the field.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return s.decodeJSONLimit(w, r, v, s.BodyLimit)
}

// decodeJSONLimit is decodeJSON with a body limit of its own.
func (s *Server) decodeJSONLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errs.Invalid("", "Content-Type must be application/json")
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, limit)
	}
	if dec.More() {
		return errs.Invalid("", "request body holds more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.Invalid("", "request body holds data after the JSON value")
	}
	return nil
}

func jsonError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return errs.Errorf(errs.ETOOLARGE, "request body is larger than the limit of %d bytes", limit)
	case errors.As(err, &se):
		return errs.Invalid("", "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		field := te.Field
		return errs.Invalid(field, "must be a %s, not %s", te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return errs.Invalid("", "request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Invalid("", "request body is truncated JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.Invalid(name, "unknown field")
	}
	return errs.Invalid("", "bad JSON: %v", err)
}

func pathInt(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, errs.NotFound(fmt.Sprintf("%s %q", name, r.PathValue(name)))
	}
	return n, nil
}

// APIRoutes lists every API endpoint as "METHOD PATH", in registration
// order (tests walk it to prove each endpoint is covered).
func (s *Server) APIRoutes() []string {
	out := make([]string, 0, len(s.apiRoutes))
	for _, rt := range s.apiRoutes {
		out = append(out, rt.Method+" "+rt.Path)
	}
	return out
}

// requireAgent admits only endpoint agents.
func requireAgent(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalOf(r)
		if p == nil || p.Via != "agent" {
			writeError(w, r, errs.Errorf(errs.EUNAUTHORIZED, "agent credentials required: Authorization: Bearer agent.<id>.<secret>"))
			return
		}
		h(w, r)
	}
}
