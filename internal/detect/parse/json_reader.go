package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"vigil/internal/detect"
)

// jsonReader reads JSON records in either of two modes. JSON lines (the
// first line is a whole object) are read line by line, so a bad line is
// skipped and the next one read. Anything else (one pretty-printed object,
// concatenated objects, an array of objects) is read as a stream of values;
// a syntax error there ends the file, since there is no line to resume at.
type jsonReader struct {
	source string
	lines  *lineReader

	dec     *json.Decoder
	inArray bool
	queue   []jsonValue // elements of a nested array read whole
	index   int64       // record number in stream mode
	raw     json.RawMessage
	done    error

	stats detect.ReadStats
}

func newJSONReader(br *bufio.Reader, source string) *jsonReader {
	r := &jsonReader{source: source}
	if isJSONLines(br) {
		r.lines = &lineReader{br: br}
		return r
	}
	head, _ := br.Peek(sniffLen)
	head = bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if len(head) > 0 && head[0] == '[' {
		// A top-level array is streamed element by element so that a large
		// export is not held whole.
		r.dec = json.NewDecoder(br)
		if _, err := r.dec.Token(); err == nil {
			r.inArray = true
		}
		return r
	}
	r.dec = json.NewDecoder(br)
	return r
}

// isJSONLines reports whether the first line of the input is one complete
// JSON object.
func isJSONLines(br *bufio.Reader) bool {
	head, _ := br.Peek(br.Size())
	head = bytes.TrimPrefix(head, utf8BOM)
	nl := bytes.IndexByte(head, '\n')
	if nl < 0 {
		return false
	}
	first := bytes.TrimSpace(head[:nl])
	if len(first) == 0 || first[0] != '{' {
		return false
	}
	_, err := parseJSON(first)
	return err == nil
}

func (r *jsonReader) Stats() detect.ReadStats { return r.stats }

func (r *jsonReader) Next(ev *detect.Event) error {
	for {
		v, pos, err := r.nextValue()
		if err != nil {
			return err
		}
		if v == nil {
			continue // a skipped record
		}
		ev.Reset()
		ev.Source = r.source
		ev.Record = uint64(pos)
		if err := mapJSON(ev, v); err != nil {
			r.stats.Skip(recordError(r.source, pos, err))
			continue
		}
		r.stats.Events++
		return nil
	}
}

// nextValue returns the next record and its line (lines mode) or index
// (stream mode); nil with no error for a skipped record.
func (r *jsonReader) nextValue() (*jsonValue, int64, error) {
	if r.lines != nil {
		for {
			line, err := r.lines.next()
			if err == io.EOF {
				return nil, 0, io.EOF
			}
			if err == errLineTooLong {
				r.stats.Skip(&detect.RecordError{Source: r.source, Line: r.lines.line, Err: err})
				return nil, 0, nil
			}
			if err != nil {
				return nil, 0, fmt.Errorf("parse: %s:%d: %w", r.source, r.lines.line+1, err)
			}
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			v, err := parseJSON(line)
			if err != nil {
				r.stats.Skip(&detect.RecordError{Source: r.source, Line: r.lines.line, Err: err})
				return nil, 0, nil
			}
			return &v, r.lines.line, nil
		}
	}
	if len(r.queue) > 0 {
		v := r.queue[0]
		r.queue = r.queue[1:]
		r.index++
		return &v, r.index, nil
	}
	if r.done != nil {
		return nil, 0, r.done
	}
	if r.inArray {
		if !r.dec.More() {
			// The closing ']'; what follows, if anything, is more values.
			r.inArray = false
			if _, err := r.dec.Token(); err != nil {
				return nil, 0, r.fail(err)
			}
		}
	}
	r.raw = r.raw[:0]
	if err := r.dec.Decode(&r.raw); err != nil {
		if err == io.EOF {
			r.done = io.EOF
			return nil, 0, io.EOF
		}
		return nil, 0, r.fail(err)
	}
	r.index++
	v, err := parseJSON(r.raw)
	if err != nil {
		r.stats.Skip(&detect.RecordError{Source: r.source, Line: r.index, Err: err})
		return nil, 0, nil
	}
	if v.kind == jsonArray {
		r.index--
		r.queue = v.elems
		return nil, 0, nil
	}
	return &v, r.index, nil
}

// fail records a syntax error that ends the stream: it is counted as a
// skipped record and the reader reports io.EOF from then on, so the events
// before it are still usable.
func (r *jsonReader) fail(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
		r.stats.Skip(&detect.RecordError{Source: r.source, Line: r.index + 1, Err: fmt.Errorf("json stream ends in error: %w", err)})
		r.done = io.EOF
		return io.EOF
	}
	r.done = fmt.Errorf("parse: %s: record %d: %w", r.source, r.index+1, err)
	return r.done
}
