package parse

import (
	"bufio"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// utf16Reader converts a UTF-16 stream that starts with a byte order mark
// to UTF-8; unpaired surrogates become U+FFFD.
type utf16Reader struct {
	src       *bufio.Reader
	bigEndian bool
	started   bool
	pending   []byte // UTF-8 not yet returned
	high      rune   // a high surrogate waiting for its pair, or 0
}

func newUTF16Reader(src *bufio.Reader) *utf16Reader { return &utf16Reader{src: src} }

func (u *utf16Reader) Read(p []byte) (int, error) {
	if !u.started {
		u.started = true
		bom, err := u.src.Peek(2)
		if err == nil {
			u.bigEndian = bom[0] == 0xfe
			u.src.Discard(2)
		}
	}
	for len(u.pending) == 0 {
		var unit [2]byte
		if _, err := io.ReadFull(u.src, unit[:]); err != nil {
			if u.high != 0 {
				u.pending = utf8.AppendRune(u.pending, utf8.RuneError)
				u.high = 0
				break
			}
			if err == io.ErrUnexpectedEOF {
				err = io.EOF // a dangling odd byte is dropped
			}
			return 0, err
		}
		r := rune(unit[0]) | rune(unit[1])<<8
		if u.bigEndian {
			r = rune(unit[1]) | rune(unit[0])<<8
		}
		switch {
		case u.high != 0:
			if dec := utf16.DecodeRune(u.high, r); dec != utf8.RuneError {
				u.pending = utf8.AppendRune(u.pending, dec)
				u.high = 0
				continue
			}
			u.pending = utf8.AppendRune(u.pending, utf8.RuneError)
			u.high = 0
			if r >= 0xd800 && r < 0xdc00 {
				u.high = r
				continue
			}
			if utf16.IsSurrogate(r) {
				r = utf8.RuneError
			}
			u.pending = utf8.AppendRune(u.pending, r)
		case r >= 0xd800 && r < 0xdc00:
			u.high = r
		case utf16.IsSurrogate(r):
			u.pending = utf8.AppendRune(u.pending, utf8.RuneError)
		default:
			u.pending = utf8.AppendRune(u.pending, r)
		}
	}
	n := copy(p, u.pending)
	u.pending = u.pending[n:]
	return n, nil
}
