package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// maxLineLen bounds one record of a line-based format; longer lines are
// skipped (and counted) rather than buffered without limit.
const maxLineLen = 4 << 20

var errLineTooLong = fmt.Errorf("line longer than %d bytes", maxLineLen)

// lineReader yields lines without their terminator, numbering them from 1.
type lineReader struct {
	br   *bufio.Reader
	line int64
	long []byte // assembles lines longer than the bufio buffer
}

// next returns the next line. The slice is valid until the next call. A
// too-long line is consumed and reported as errLineTooLong.
func (l *lineReader) next() ([]byte, error) {
	l.long = l.long[:0]
	tooLong := false
	for {
		chunk, err := l.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !tooLong {
				if len(l.long)+len(chunk) > maxLineLen {
					tooLong = true
					l.long = l.long[:0]
				} else {
					l.long = append(l.long, chunk...)
				}
			}
			continue
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		if err == io.EOF && len(chunk) == 0 && len(l.long) == 0 && !tooLong {
			return nil, io.EOF
		}
		l.line++
		if tooLong {
			return nil, errLineTooLong
		}
		line := chunk
		if len(l.long) > 0 {
			l.long = append(l.long, chunk...)
			line = l.long
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if l.line == 1 {
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		return line, nil
	}
}
