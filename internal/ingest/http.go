package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"vigil/internal/bus"
	"vigil/internal/errs"
	"vigil/internal/sources"
)

// The events API: a body of JSON lines (one object a line) or one JSON
// array of objects — Suricata EVE, Wazuh alerts, Windows events as JSON,
// anything the pipeline parses — or, as text/plain, log lines. The body
// is read whole (bounded by MaxBody after decompression), every record
// is checked, and the good ones are published in one call: the answer,
// 202 with the counts and each refused line's reason, says they are
// durable; 503 says none were taken.

// Result is the events API's answer.
type Result struct {
	Accepted int         `json:"accepted"`
	Refused  int         `json:"refused"`
	Errors   []LineError `json:"errors,omitempty"` // the first maxLineErrors refusals
	// More says how many refusals are not listed in Errors.
	More int `json:"more_errors,omitempty"`

	byReason [8]int // refusals by index in sources.Reasons
}

// LineError is one refused record: its line (JSON lines, text) or its
// position in the array, from 1.
type LineError struct {
	Line    int    `json:"line"`
	Reason  string `json:"reason"` // one of sources.Reasons
	Message string `json:"message"`
}

const maxLineErrors = 100

func (r *Result) refuse(line int, reason, msg string) {
	r.Refused++
	for i, v := range sources.Reasons {
		if v == reason {
			r.byReason[i]++
		}
	}
	if len(r.Errors) < maxLineErrors {
		r.Errors = append(r.Errors, LineError{Line: line, Reason: reason, Message: msg})
	} else {
		r.More++
	}
}

// ReadBody reads an events API body, decompressing gzip (Content-Encoding
// gzip), and refuses one larger than max bytes once decompressed.
func ReadBody(r io.Reader, contentEncoding string, max int64) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(contentEncoding)) {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, errs.Invalid("", "the body is not gzip: %v", err)
		}
		defer zr.Close()
		r = zr
	default:
		return nil, errs.Invalid("", "Content-Encoding %q is not accepted: send gzip or nothing", contentEncoding)
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errs.Errorf(errs.ETOOLARGE, "the body is larger than the limit of %d bytes", max)
		}
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errs.Invalid("", "the body is not gzip: %v", err)
		}
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errs.Errorf(errs.ETOOLARGE, "the body is larger than the limit of %d bytes once decompressed", max)
	}
	return b, nil
}

// DecodeBody splits a body into records: JSON lines, one JSON array of
// objects, or (text) log lines. emit receives each good record's format
// and data, a slice of body; refusals go to res.
func DecodeBody(body []byte, text bool, maxLine int, res *Result, emit func(bus.Format, []byte)) {
	if text {
		decodeLines(body, maxLine, res, func(line int, b []byte) {
			if reason := classify(b); reason != "" {
				res.refuse(line, reason, reasonMessage(reason))
				return
			}
			emit(bus.FormatText, b)
		})
		return
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		decodeArray(trimmed, maxLine, res, emit)
		return
	}
	decodeLines(body, maxLine, res, func(line int, b []byte) {
		checkObject(line, b, res, emit)
	})
}

func decodeLines(body []byte, maxLine int, res *Result, fn func(line int, b []byte)) {
	for line := 1; len(body) > 0; line++ {
		var b []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			b, body = body[:i], body[i+1:]
		} else {
			b, body = body, nil
		}
		b = bytes.TrimRight(b, "\r\x00")
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		if len(b) > maxLine {
			res.refuse(line, sources.ReasonOversize, fmt.Sprintf("longer than %d bytes", maxLine))
			continue
		}
		fn(line, b)
	}
}

// checkObject emits b if it is one JSON object in UTF-8.
func checkObject(line int, b []byte, res *Result, emit func(bus.Format, []byte)) {
	b = bytes.TrimSpace(b)
	if !isJSONObject(b) || !json.Valid(b) {
		res.refuse(line, sources.ReasonMalformed, "not a JSON object")
		return
	}
	if reason := classify(b); reason == sources.ReasonInvalidUTF8 {
		res.refuse(line, reason, reasonMessage(reason))
		return
	}
	emit(bus.FormatJSON, b)
}

// decodeArray emits the objects of a JSON array one by one, finding each
// element's end with a small scanner rather than decoding it, so nothing
// is copied; a malformed array stops at the damage.
func decodeArray(b []byte, maxLine int, res *Result, emit func(bus.Format, []byte)) {
	b = b[1:] // '['
	for i := 1; ; i++ {
		b = skipSpace(b)
		if len(b) == 0 {
			res.refuse(i, sources.ReasonMalformed, "the array is not closed")
			return
		}
		if b[0] == ']' {
			if rest := skipSpace(b[1:]); len(rest) > 0 {
				res.refuse(i, sources.ReasonMalformed, "data after the array")
			}
			return
		}
		n := valueEnd(b)
		if n <= 0 {
			res.refuse(i, sources.ReasonMalformed, "malformed JSON; the rest of the array is skipped")
			return
		}
		elem := b[:n]
		if len(elem) > maxLine {
			res.refuse(i, sources.ReasonOversize, fmt.Sprintf("longer than %d bytes", maxLine))
		} else {
			checkObject(i, elem, res, emit)
		}
		b = skipSpace(b[n:])
		switch {
		case len(b) > 0 && b[0] == ',':
			b = b[1:]
		case len(b) > 0 && b[0] == ']':
		default:
			res.refuse(i+1, sources.ReasonMalformed, "expected , or ] after an element")
			return
		}
	}
}

func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// valueEnd returns the length of the JSON value b starts with (objects,
// arrays and strings matched by nesting; scalars up to a delimiter), or
// 0 when it does not end. json.Valid checks the value afterwards.
func valueEnd(b []byte) int {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			j := i + 1
			for ; j < len(b); j++ {
				if b[j] == '\\' {
					j++
					continue
				}
				if b[j] == '"' {
					break
				}
			}
			if j >= len(b) {
				return 0
			}
			i = j
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth < 0 {
				return i // a scalar ended by the array's ]
			}
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	if depth == 0 {
		return len(b)
	}
	return 0
}

func reasonMessage(reason string) string {
	switch reason {
	case sources.ReasonInvalidUTF8:
		return "not valid UTF-8"
	case sources.ReasonBinary:
		return "holds control bytes: not a log line"
	}
	return reason
}

// Receive publishes the records of an events API body from source id and
// says what was taken. Nothing is published when any error is returned.
func (s *Service) Receive(ctx context.Context, id sources.Identity, remote string, body []byte, text bool) (*Result, error) {
	res := &Result{}
	now := time.Now().UTC()
	var recs []bus.Record
	DecodeBody(body, text, max(s.MaxLine, 1<<20), res, func(f bus.Format, b []byte) {
		recs = append(recs, bus.Record{SourceID: id.ID, UnitID: id.UnitID, Format: f, Remote: remote, Received: now, Data: b})
	})
	t := s.Sources.Tally(id.ID)
	for i, n := range res.byReason {
		t.Refuse(sources.Reasons[i], n)
		s.Metrics.refuse(TransportHTTP, sources.Reasons[i], n)
	}
	if len(recs) > 0 {
		// A full bus is waited on briefly, then answered 503.
		if err := s.publishWait(ctx, recs, TransportHTTP, 2*time.Second); err != nil {
			if err == errBusy || err == errNoBus {
				t.Refuse(sources.ReasonFull, len(recs))
				s.Metrics.refuse(TransportHTTP, sources.ReasonFull, len(recs))
			}
			return nil, err
		}
		t.Accept(len(recs), now)
		s.Metrics.accept(TransportHTTP, len(recs))
	}
	res.Accepted = len(recs)
	return res, nil
}

// RefuseToken counts a request refused for its token (unknown or
// revoked), charged to the source when the token was one.
func (s *Service) RefuseToken(transport string, id sources.Identity, reason string) {
	s.Metrics.refuse(transport, reason, 1)
	if id.ID != 0 {
		s.Sources.Tally(id.ID).Refuse(reason, 1)
		return
	}
	s.Sources.Count("refused_"+reason, 1)
}
