package parse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"vigil/internal/datafile"
	"vigil/internal/detect"
)

// jsonReader reads JSON records in either of two modes. JSON lines (the
// first line is a whole object) are read line by line. Anything else (one
// pretty-printed object, concatenated objects, an array of objects) is cut
// into top-level values by following brackets and strings, without
// validating them; each value is then decoded on its own. Either way a
// bad record is skipped and the next one read.
type jsonReader struct {
	source string
	lines  *lineReader

	br      *bufio.Reader
	inArray bool        // inside a top-level array
	queue   []jsonValue // elements of a nested array read whole
	index   int64       // record number in stream mode
	buf     []byte
	parser  jsonParser
	shaper  shaper

	stats detect.ReadStats
}

func newJSONReader(br *bufio.Reader, source string) *jsonReader {
	r := &jsonReader{source: source, br: br}
	r.parser.keys = make(map[string]string, 64)
	r.shaper.zeekLog = zeekLogFromName(source)
	if isJSONLines(br) {
		r.lines = &lineReader{br: br}
	}
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
		if err := r.shaper.mapJSON(ev, v); err != nil {
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
	if len(r.queue) > 0 {
		// Records of a container read whole; in JSON lines they share
		// their line's number.
		v := r.queue[0]
		r.queue = r.queue[1:]
		if r.lines != nil {
			return &v, r.lines.line, nil
		}
		r.index++
		return &v, r.index, nil
	}
	if r.lines != nil {
		for {
			line, err := r.lines.next()
			if err == io.EOF {
				return nil, 0, io.EOF
			}
			if err == errLineTooLong {
				r.stats.Skip(&datafile.Error{File: r.source, Line: int(r.lines.line), Err: err})
				return nil, 0, nil
			}
			if err != nil {
				return nil, 0, fmt.Errorf("parse: %s:%d: %w", r.source, r.lines.line+1, err)
			}
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			v, err := r.parser.parse(line)
			if err != nil {
				r.stats.Skip(&datafile.Error{File: r.source, Line: int(r.lines.line), Err: err})
				return nil, 0, nil
			}
			if records := containerRecords(&v); records != nil {
				r.queue = records
				return nil, 0, nil
			}
			if v.kind == jsonArray {
				r.queue = v.elems // a line holding an array of records
				return nil, 0, nil
			}
			return &v, r.lines.line, nil
		}
	}
	raw, err := r.scanValue()
	if err != nil {
		return nil, 0, err
	}
	r.index++
	if raw == nil {
		r.stats.Skip(&datafile.Error{File: r.source, Record: fmt.Sprintf("record %d", r.index), Err: errValueTooLarge})
		return nil, 0, nil
	}
	v, err := r.parser.parse(raw)
	if err != nil {
		r.stats.Skip(&datafile.Error{File: r.source, Record: fmt.Sprintf("record %d", r.index), Err: err})
		return nil, 0, nil
	}
	if v.kind == jsonArray {
		// An array inside the top-level sequence: its elements are records.
		r.index--
		r.queue = v.elems
		return nil, 0, nil
	}
	if records := containerRecords(&v); records != nil {
		r.index--
		r.queue = records
		return nil, 0, nil
	}
	return &v, r.index, nil
}

// containerRecords returns the records of an export that wraps them in
// one object: an Elasticsearch/OpenSearch search result
// ({"hits":{"hits":[{"_source":{...}}]}}) or AWS CloudTrail's
// {"Records":[...]}; nil for any other value.
func containerRecords(v *jsonValue) []jsonValue {
	if v.kind != jsonObject {
		return nil
	}
	if hits := v.get("hits").get("hits"); hits != nil && hits.kind == jsonArray && v.get("hits").kind == jsonObject {
		out := make([]jsonValue, 0, len(hits.elems))
		for i := range hits.elems {
			if src := hits.elems[i].get("_source"); src != nil && src.kind == jsonObject {
				out = append(out, *src)
			}
		}
		if len(out) > 0 {
			return out
		}
		return []jsonValue{}
	}
	if recs := v.get("Records"); recs != nil && recs.kind == jsonArray && len(v.keys) == 1 {
		return recs.elems
	}
	return nil
}

// maxValueLen bounds one JSON record in stream mode.
const maxValueLen = 64 << 20

var errValueTooLarge = fmt.Errorf("JSON value larger than %d bytes", maxValueLen)

// scanValue returns the bytes of the next top-level value (an element of a
// top-level array counts as top-level), io.EOF at the end, or nil bytes
// for a value too large to keep (it is consumed).
func (r *jsonReader) scanValue() ([]byte, error) {
	// Skip separators: space, commas, a BOM, and the brackets of a
	// top-level array.
	for {
		c, err := r.br.ReadByte()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("parse: %s: %w", r.source, err)
		}
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',':
			continue
		case c == 0xef || c == 0xbb || c == 0xbf:
			continue // UTF-8 BOM
		case c == '[' && !r.inArray:
			r.inArray = true
			continue
		case c == ']' && r.inArray:
			r.inArray = false
			continue
		}
		r.br.UnreadByte()
		break
	}
	r.buf = r.buf[:0]
	depth, inString, escaped, tooLarge := 0, false, false, false
	scalar := false
	for {
		if r.br.Buffered() == 0 {
			if _, err := r.br.Peek(1); err != nil {
				if err == io.EOF {
					break // the value ends with the input
				}
				return nil, fmt.Errorf("parse: %s: %w", r.source, err)
			}
		}
		chunk, _ := r.br.Peek(r.br.Buffered())
		end := -1
		for i, c := range chunk {
			if inString {
				switch {
				case escaped:
					escaped = false
				case c == '\\':
					escaped = true
				case c == '"':
					inString = false
					if depth == 0 {
						end = i + 1
					}
				}
			} else {
				switch c {
				case '"':
					inString = true
				case '{', '[':
					depth++
				case '}', ']':
					if depth == 0 && scalar {
						end = i // "[1,2]": the bracket ends the array, not the number
						break
					}
					depth--
					if depth <= 0 {
						end = i + 1
					}
				case ' ', '\t', '\r', '\n', ',':
					if depth == 0 && scalar {
						end = i
					}
				default:
					if depth == 0 {
						scalar = true
					}
				}
			}
			if end >= 0 {
				break
			}
		}
		n := len(chunk)
		if end >= 0 {
			n = end
		}
		if !tooLarge {
			if len(r.buf)+n > maxValueLen {
				tooLarge = true
				r.buf = r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk[:n]...)
			}
		}
		r.br.Discard(n)
		if end >= 0 {
			break
		}
	}
	if tooLarge {
		return nil, nil
	}
	return r.buf, nil
}
