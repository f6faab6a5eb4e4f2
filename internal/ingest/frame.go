package ingest

import (
	"bytes"
	"io"
	"unicode/utf8"

	"vigil/internal/sources"
)

// Syslog over TCP and TLS comes in one of two framings (RFC 6587): octet
// counting ("MSG-LEN SP MSG", RFC 5425's) or a newline after each
// message. A connection's first byte tells which: senders do not switch.
//
// framer reads frames from a connection into one buffer and hands them
// out as slices of it, valid until the next fill: ingest publishes the
// frames it holds before reading further, so a record's Data points into
// the buffer and nothing is copied. A frame longer than maxLine is
// skipped to its end (the next frame) and reported oversize, so memory
// stays at one buffer per connection whatever a sender writes.

type framing uint8

const (
	framingUnknown framing = iota
	framingOctet
	framingNewline
)

// frameStatus says what next found.
type frameStatus uint8

const (
	frameOK       frameStatus = iota // a frame
	frameNeedRead                    // no complete frame in the buffer: fill
	frameOversize                    // a frame over the limit was (or is being) skipped
	frameBad                         // an octet count that is not one; the line is skipped
)

type framer struct {
	r          io.Reader
	buf        []byte
	start, end int // unread bytes are buf[start:end]
	mode       framing
	maxLine    int
	skip       int  // bytes of an oversize octet-counted frame still to discard
	skipLine   bool // discarding an oversize line up to its newline
	eof        bool
	err        error
}

// maxCountDigits bounds an octet count: ten digits is more than any
// frame a 32-bit length could carry.
const maxCountDigits = 10

func newFramer(r io.Reader, maxLine int) *framer {
	size := max(maxLine+maxCountDigits+2, 64<<10) + 64<<10
	return &framer{r: r, buf: make([]byte, size), maxLine: maxLine}
}

// reset makes f read from r with its buffer, for reuse.
func (f *framer) reset(r io.Reader) {
	*f = framer{r: r, buf: f.buf, maxLine: f.maxLine}
}

// buffered reports whether part of a frame waits in the buffer.
func (f *framer) buffered() bool { return f.end > f.start || f.skip > 0 || f.skipLine }

// next returns the next complete frame in the buffer, without reading.
func (f *framer) next() ([]byte, frameStatus) {
	for {
		avail := f.buf[f.start:f.end]
		if f.skip > 0 {
			n := min(f.skip, len(avail))
			f.start += n
			f.skip -= n
			if f.skip > 0 {
				if f.eof {
					f.skip = 0 // the stream ended inside the skipped frame
				}
				return nil, frameNeedRead
			}
			continue
		}
		if f.skipLine {
			i := bytes.IndexByte(avail, '\n')
			if i < 0 {
				f.start = f.end
				if f.eof {
					f.skipLine = false
				}
				return nil, frameNeedRead
			}
			f.start += i + 1
			f.skipLine = false
			continue
		}
		if len(avail) == 0 {
			return nil, frameNeedRead
		}
		if f.mode == framingUnknown {
			// Octet counting starts with a non-zero digit; a syslog line
			// with a newline after it starts with "<PRI>" or text.
			if c := avail[0]; c >= '1' && c <= '9' {
				f.mode = framingOctet
			} else {
				f.mode = framingNewline
			}
		}
		if f.mode == framingOctet {
			return f.nextCounted(avail)
		}
		return f.nextLine(avail)
	}
}

func (f *framer) nextCounted(avail []byte) ([]byte, frameStatus) {
	// Between frames some senders put a newline: skip it.
	for len(avail) > 0 && (avail[0] == '\n' || avail[0] == '\r') {
		f.start++
		avail = avail[1:]
	}
	if len(avail) == 0 {
		return nil, frameNeedRead
	}
	n, i := 0, 0
	for ; i < len(avail) && i <= maxCountDigits; i++ {
		c := avail[i]
		if c == ' ' {
			break
		}
		if c < '0' || c > '9' {
			return f.badCount()
		}
		n = n*10 + int(c-'0')
	}
	if i == len(avail) {
		if i > maxCountDigits || f.eof {
			return f.badCount()
		}
		return nil, frameNeedRead
	}
	if i == 0 || i > maxCountDigits || avail[0] == '0' {
		return f.badCount()
	}
	if n > f.maxLine {
		f.start += i + 1
		f.skip = n
		return nil, frameOversize
	}
	if len(avail) < i+1+n {
		if f.eof {
			// The sender stopped in the middle of a frame.
			f.start = f.end
			return nil, frameBad
		}
		return nil, frameNeedRead
	}
	frame := avail[i+1 : i+1+n]
	f.start += i + 1 + n
	return trimFrame(frame), frameOK
}

// badCount handles an octet count that is not one: the sender is not
// speaking RFC 6587 octet counting after all, or the stream lost its
// place. The rest of the line is skipped and the connection goes on in
// newline framing, which resynchronises at the next newline.
func (f *framer) badCount() ([]byte, frameStatus) {
	f.mode = framingNewline
	f.skipLine = true
	return nil, frameBad
}

func (f *framer) nextLine(avail []byte) ([]byte, frameStatus) {
	i := bytes.IndexByte(avail, '\n')
	if i < 0 {
		if len(avail) > f.maxLine {
			f.start = f.end
			f.skipLine = !f.eof
			return nil, frameOversize
		}
		if f.eof {
			// The last line of a stream without its newline.
			f.start = f.end
			return trimFrame(avail), frameOK
		}
		return nil, frameNeedRead
	}
	f.start += i + 1
	if i > f.maxLine {
		return nil, frameOversize
	}
	return trimFrame(avail[:i]), frameOK
}

// trimFrame drops the line ends and NUL trailers senders add.
func trimFrame(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case '\n', '\r', 0:
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}

// fill reads once more from the connection after moving what is left of
// the buffer to its start. It returns io.EOF once the stream ended and
// every frame was taken.
func (f *framer) fill() error {
	if f.err != nil {
		return f.err
	}
	if f.eof {
		if f.buffered() {
			return nil // next drains what is left
		}
		f.err = io.EOF
		return f.err
	}
	if f.start > 0 {
		n := copy(f.buf, f.buf[f.start:f.end])
		f.start, f.end = 0, n
	}
	if f.end == len(f.buf) {
		// Cannot happen: a frame over maxLine is skipped before the
		// buffer fills. Skip everything rather than spin.
		f.start, f.end = 0, 0
	}
	n, err := f.r.Read(f.buf[f.end:])
	f.end += n
	if err == io.EOF {
		f.eof = true
		return nil
	}
	if err != nil {
		f.err = err
		return err
	}
	return nil
}

// classify says why a text frame is refused ("" when it is fine): not
// UTF-8, or control bytes no log line holds (tabs are allowed, and line
// breaks inside an octet-counted multi-line message).
func classify(b []byte) string {
	ascii := true
	for _, c := range b {
		if c < 0x20 {
			if c != '\t' && c != '\n' && c != '\r' {
				return sources.ReasonBinary
			}
		} else if c >= 0x80 {
			ascii = false
		} else if c == 0x7f {
			return sources.ReasonBinary
		}
	}
	if !ascii && !utf8.Valid(b) {
		return sources.ReasonInvalidUTF8
	}
	return ""
}

// isJSONObject reports whether a frame looks like a JSON object (to be
// published as FormatJSON rather than a text line).
func isJSONObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}
