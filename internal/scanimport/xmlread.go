package scanimport

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// MaxElement bounds the bytes between two '<' of an XML report: the
// longest text of any element, or any tag with its attributes. A report
// that exceeds it is refused rather than read into memory.
const MaxElement = 16 << 20

// guard counts the bytes since the last '<' as the decoder reads, so one
// huge text node or tag cannot make the decoder buffer gigabytes.
type guard struct {
	r   io.Reader
	run int
	off int64
	max int
}

// errElementTooLarge is wrapped with the offset where the run began.
var errElementTooLarge = errors.New("an XML element is larger than the limit")

func (g *guard) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	b := p[:n]
	if first := bytes.IndexByte(b, '<'); first < 0 {
		g.run += n
	} else {
		if g.run+first > g.max {
			return 0, fmt.Errorf("%w (%d MiB) near byte %d", errElementTooLarge, g.max>>20, g.off)
		}
		g.run = n - bytes.LastIndexByte(b, '<') - 1
	}
	g.off += int64(n)
	if g.run > g.max {
		return 0, fmt.Errorf("%w (%d MiB) near byte %d", errElementTooLarge, g.max>>20, g.off)
	}
	return n, err
}

// xmlReader walks an XML report token by token with the element path at
// hand and the text of the current element collected on demand.
type xmlReader struct {
	file  string
	d     *xml.Decoder
	stack []string // names of the open elements
	text  []byte   // text of the element being collected
	want  bool     // collect text
}

func newXMLReader(r io.Reader, file string) *xmlReader {
	d := xml.NewDecoder(&guard{r: r, max: MaxElement})
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		enc, err := htmlindex.Get(label)
		if err != nil {
			return nil, fmt.Errorf("unknown character set %q", label)
		}
		return enc.NewDecoder().Reader(in), nil
	}
	return &xmlReader{file: file, d: d, stack: make([]string, 0, 16)}
}

// errAt wraps err with the file and the line the decoder has reached.
func (x *xmlReader) errAt(record string, err error) error {
	line, _ := x.d.InputPos()
	return fail(x.file, line, record, "", err)
}

// line is the decoder's current line.
func (x *xmlReader) line() int {
	l, _ := x.d.InputPos()
	return l
}

// next returns the next start or end element (text is collected into
// x.text while x.want is set); io.EOF at the end of a complete document.
func (x *xmlReader) next() (xml.Token, error) {
	for {
		// RawToken is Token without namespace translation and without its
		// nesting check, which is done here against the stack (faster,
		// and the reports use no namespaces that matter).
		tok, err := x.d.RawToken()
		if err != nil {
			if err == io.EOF {
				if len(x.stack) > 0 {
					return nil, x.errAt("", fmt.Errorf("the document ends inside <%s>: truncated", x.stack[len(x.stack)-1]))
				}
				return nil, io.EOF
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fail(x.file, se.Line, "", "", errors.New(se.Msg))
			}
			return nil, x.errAt("", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			x.stack = append(x.stack, t.Name.Local)
			return t, nil
		case xml.EndElement:
			if len(x.stack) == 0 || x.stack[len(x.stack)-1] != t.Name.Local {
				open := "nothing"
				if len(x.stack) > 0 {
					open = "<" + x.stack[len(x.stack)-1] + ">"
				}
				return nil, x.errAt("", fmt.Errorf("</%s> closes %s", t.Name.Local, open))
			}
			x.stack = x.stack[:len(x.stack)-1]
			return t, nil
		case xml.CharData:
			if x.want && len(x.text) < MaxElement {
				x.text = append(x.text, t...)
			}
		case xml.Directive:
			d := bytes.TrimSpace(t)
			if bytes.Contains(d, []byte("ENTITY")) {
				return nil, x.errAt("", ErrEntity)
			}
		}
	}
}

// collect starts collecting the text of the current element.
func (x *xmlReader) collect() {
	x.text = x.text[:0]
	x.want = true
}

// taken ends collecting and returns the text, trimmed.
func (x *xmlReader) taken() string {
	if !x.want {
		return ""
	}
	x.want = false
	return strings.TrimSpace(string(x.text))
}

// parent is the name of the element enclosing the current one (the
// current one being the top of the stack).
func (x *xmlReader) parent() string {
	if len(x.stack) < 2 {
		return ""
	}
	return x.stack[len(x.stack)-2]
}

// depth is how many elements are open.
func (x *xmlReader) depth() int { return len(x.stack) }

// skip reads past the end of the element just started.
func (x *xmlReader) skip() error {
	depth := len(x.stack)
	for len(x.stack) >= depth {
		if _, err := x.next(); err != nil {
			if err == io.EOF {
				return x.errAt("", errors.New("truncated"))
			}
			return err
		}
	}
	return nil
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// drain reads to the end of the document, so a truncated tail is an error
// even after the last record.
func (x *xmlReader) drain() error {
	for {
		if _, err := x.next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}
