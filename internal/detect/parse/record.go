package parse

import (
	"bytes"
	"errors"

	"vigil/internal/detect"
)

// Parser decodes single records, as they arrive one at a time from a
// network listener or a message bus, with the code the file readers use:
// Line is what the text reader does with each line, JSON what the JSON
// reader does with each value. It keeps scratch space (interned JSON keys,
// dotted field names) so a stream of records costs few allocations; use
// one Parser per goroutine.
type Parser struct {
	json   jsonParser
	shaper shaper
}

// NewParser returns a Parser ready for use.
func NewParser() *Parser {
	p := &Parser{}
	p.json.keys = make(map[string]string, 64)
	return p
}

// Errors of single records, for counting why records were not parsed
// (see Reason).
var (
	// ErrEmpty is a record holding nothing but space.
	ErrEmpty = errors.New("empty record")
	// ErrContainer is a JSON record wrapping several records (an
	// Elasticsearch search result, a CloudTrail file): the sender is to
	// send them one by one.
	ErrContainer = errors.New("JSON record wraps several records: send them one by one")
	// ErrTooLong is a record longer than a line-based format allows.
	ErrTooLong = errLineTooLong
)

// Line fills ev (after resetting it) from one line of text: RFC 3164 or
// 5424 syslog, CEF or LEEF with or without a syslog header, auditd,
// FortiGate key=value, a web access log line, or plain text (whose
// message keyword rules still see). A trailing line terminator and a
// leading byte order mark are ignored.
func (p *Parser) Line(ev *detect.Event, line []byte) error {
	ev.Reset()
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	line = bytes.TrimPrefix(line, utf8BOM)
	if len(line) > maxLineLen {
		return ErrTooLong
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return ErrEmpty
	}
	return parseTextLine(ev, line)
}

// JSON fills ev (after resetting it) from one JSON object in any shape the
// JSON reader knows: Windows events (Event/System/EventData, Winlogbeat,
// NXLog, xmltodict), Suricata EVE, Zeek, Wazuh alerts, journald, AWS
// CloudTrail records, and any other object flattened to dotted names
// (ECS).
func (p *Parser) JSON(ev *detect.Event, data []byte) error {
	ev.Reset()
	if len(bytes.TrimSpace(data)) == 0 {
		return ErrEmpty
	}
	if len(data) > maxValueLen {
		return errValueTooLarge
	}
	v, err := p.json.parse(bytes.TrimPrefix(data, utf8BOM))
	if err != nil {
		return err
	}
	if v.kind == jsonArray || containerRecords(&v) != nil {
		return ErrContainer
	}
	return p.shaper.mapJSON(ev, &v)
}

// Reason sorts an error of Line or JSON into a short, stable class for
// counters: "empty", "too_long", "container", "json_syntax", "not_object",
// "json_depth" or "format" (a header or field the format requires is
// wrong: CEF, LEEF, syslog structured data, a Windows event's shape).
func Reason(err error) string {
	var se *jsonSyntaxError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrEmpty):
		return "empty"
	case errors.Is(err, errLineTooLong), errors.Is(err, errValueTooLarge):
		return "too_long"
	case errors.Is(err, ErrContainer):
		return "container"
	case errors.As(err, &se):
		return "json_syntax"
	case errors.Is(err, errNotObject):
		return "not_object"
	case errors.Is(err, errJSONDepth):
		return "json_depth"
	}
	return "format"
}
