package parse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"vigil/internal/datafile"
	"vigil/internal/detect"
)

// textReader reads line-based logs; each line's shape (syslog header, CEF,
// LEEF, plain text) is recognised on its own.
type textReader struct {
	source  string
	lines   lineReader
	stats   detect.ReadStats
	columns []string // of a W3C extended log, from its #Fields: directive
}

func newTextReader(br *bufio.Reader, source string) *textReader {
	return &textReader{source: source, lines: lineReader{br: br}}
}

func (r *textReader) Stats() detect.ReadStats { return r.stats }

func (r *textReader) Next(ev *detect.Event) error {
	for {
		line, err := r.lines.next()
		if err == io.EOF {
			return io.EOF
		}
		if err == errLineTooLong {
			r.stats.Skip(&datafile.Error{File: r.source, Line: int(r.lines.line), Err: err})
			continue
		}
		if err != nil {
			return fmt.Errorf("parse: %s:%d: %w", r.source, r.lines.line+1, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if line[0] == '#' {
			// W3C directives (#Software, #Fields, ...) and comments.
			if cols, ok := w3cColumns(line); ok {
				r.columns = cols
			}
			continue
		}
		ev.Reset()
		ev.Source = r.source
		ev.Record = uint64(r.lines.line)
		if r.columns != nil {
			err = parseW3C(ev, r.columns, line)
		} else {
			err = parseTextLine(ev, line)
		}
		if err != nil {
			r.stats.Skip(recordError(r.source, r.lines.line, err))
			continue
		}
		r.stats.Events++
		return nil
	}
}
