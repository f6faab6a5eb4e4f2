// Package parse turns log files into detect.Events: it recognises the
// format from the content (EVTX, JSON in its many shapes, syslog, CEF,
// LEEF), unwraps gzip on the way, and hands back a detect.Reader that
// decodes one record at a time. Bad records are counted (detect.ReadStats)
// and skipped, never fatal, and never a panic.
package parse

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"vigil/internal/detect"
	"vigil/internal/detect/evtx"
)

// Format is the container format of an input, as recognised by Detect. The
// shape of each JSON or text record (Windows event, Suricata EVE, CEF, ...)
// is recognised per record, so a file mixing shapes still reads.
type Format string

const (
	FormatEVTX  Format = "evtx"
	FormatGzip  Format = "gzip"
	FormatBzip2 Format = "bzip2"
	FormatJSON  Format = "json" // one value, an array, concatenated values or JSON lines
	FormatText  Format = "text" // lines: syslog (RFC 3164/5424), CEF, LEEF, plain
	FormatXML   Format = "xml"  // Windows events exported as XML
	// UTF-16 text (with its byte order mark), as Windows tools export it;
	// converted to UTF-8 and recognised again.
	FormatUTF16 Format = "utf16"
	// Binary data that is none of the above (an archive, an executable,
	// a database): refused rather than read as lines of garbage.
	FormatBinary Format = "binary"
	// Compressed with a method Vigil does not decompress (xz, zstd, lz4,
	// 7-Zip, zip): skipped with a note saying so, not a failure.
	FormatCompressed Format = "compressed"
)

// ErrUnsupported is matched (errors.Is) by the error for an input that is
// skipped on purpose: compressed with a method Vigil does not read.
var ErrUnsupported = errors.New("not read")

// UnsupportedError says which input was skipped and why.
type UnsupportedError struct {
	Source string
	Kind   string // "xz", "zstd", ...
}

func (e *UnsupportedError) Error() string {
	return "parse: " + e.Source + ": " + e.Reason()
}

// Reason says why the input was skipped and what to do, without the file
// name.
func (e *UnsupportedError) Reason() string {
	tool := map[string]string{"xz": "xz -d", "zstd": "zstd -d", "lz4": "lz4 -d", "7-Zip": "7z x", "zip": "unzip"}[e.Kind]
	return fmt.Sprintf("%s-compressed, not read (Vigil reads gzip and bzip2): decompress it (%s) and hunt the result", e.Kind, tool)
}

func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }

// compressedMagic are the signatures of compression and archive formats
// Vigil does not open.
var compressedMagic = []struct {
	magic []byte
	kind  string
}{
	{[]byte{0xfd, '7', 'z', 'X', 'Z', 0x00}, "xz"},
	{[]byte{0x28, 0xb5, 0x2f, 0xfd}, "zstd"},
	{[]byte{0x04, 0x22, 0x4d, 0x18}, "lz4"},
	{[]byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}, "7-Zip"},
	{[]byte{'P', 'K', 0x03, 0x04}, "zip"},
}

// compressedKind names the compression of head, if Vigil does not read it.
func compressedKind(head []byte) string {
	for _, c := range compressedMagic {
		if bytes.HasPrefix(head, c.magic) {
			return c.kind
		}
	}
	return ""
}

var (
	evtxMagic      = []byte("ElfFile\x00")
	evtxChunkMagic = []byte("ElfChnk\x00")
	gzipMagic      = []byte{0x1f, 0x8b}
	utf8BOM        = []byte{0xef, 0xbb, 0xbf}
)

// sniffLen is how much of an input Detect needs to see: the EVTX file
// header and the first chunk's signature, for files whose header is
// damaged.
const sniffLen = 4096 + 8

// Detect names the format of an input from its first bytes.
func Detect(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, evtxMagic), bytes.HasPrefix(head, evtxChunkMagic):
		return FormatEVTX
	case len(head) >= 4096+8 && bytes.Equal(head[4096:4096+8], evtxChunkMagic):
		// A damaged or wiped file header before an intact first chunk.
		return FormatEVTX
	case bytes.HasPrefix(head, gzipMagic):
		return FormatGzip
	case len(head) >= 10 && bytes.HasPrefix(head, []byte("BZh")) && head[3] >= '1' && head[3] <= '9' &&
		bytes.Equal(head[4:10], []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}):
		return FormatBzip2
	case compressedKind(head) != "":
		return FormatCompressed
	}
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return FormatUTF16
	}
	head = bytes.TrimPrefix(head, utf8BOM)
	head = bytes.TrimLeft(head, " \t\r\n")
	if looksJSON(head) {
		return FormatJSON
	}
	if looksXMLEvents(head) {
		return FormatXML
	}
	if looksBinary(head) {
		return FormatBinary
	}
	return FormatText
}

// looksJSON reports whether text starts like a JSON object or an array
// of objects; "[2024-01-02 03:04:05] error ..." and "[INFO] ..." are log
// lines, not JSON.
func looksJSON(head []byte) bool {
	if len(head) < 2 || head[0] != '{' && head[0] != '[' {
		return false
	}
	rest := bytes.TrimLeft(head[1:], " \t\r\n")
	if len(rest) == 0 {
		return true // too little to tell; JSON readers cope with a stub
	}
	if head[0] == '{' {
		return rest[0] == '"' || rest[0] == '}'
	}
	return rest[0] == '{' || rest[0] == '[' || rest[0] == ']'
}

// looksBinary reports whether the start of an input holds control bytes
// no log text has (NUL and most C0 controls).
func looksBinary(head []byte) bool {
	if len(head) > 1024 {
		head = head[:1024]
	}
	bad := 0
	for _, c := range head {
		if c == 0 || c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != 0x1b && c != '\f' {
			bad++
		}
	}
	return bad > 0 && bad*100 > len(head) // over 1%
}

// File is an open input: a detect.Reader over the file's records that
// also reports what it skipped, and must be closed.
type File struct {
	detect.Reader
	Format    Format // after gzip is unwrapped
	closers   []io.Closer
	evtx      *evtx.Reader     // returned to evtxReaders on Close
	buffers   []*bufio.Reader  // returned to bufReaders on Close
	final     detect.ReadStats // Stats after Close
	evtxFinal *evtx.Stats      // EVTXStats after Close
}

// bufReaders are reused across files for the same reason as evtxReaders:
// most inputs of a hunt are small, and a fresh 32 KiB buffer each would
// dominate their cost.
var bufReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 32<<10) }}

func (f *File) newBuffer(r io.Reader) *bufio.Reader {
	br := bufReaders.Get().(*bufio.Reader)
	br.Reset(r)
	f.buffers = append(f.buffers, br)
	return br
}

// evtxReaders keeps EVTX readers (a 64 KiB chunk buffer and caches each)
// for reuse: a hunt opens hundreds of files.
var evtxReaders = sync.Pool{New: func() any { return evtx.NewReader(nil, "") }}

// Close releases the file and any decompressor over it.
func (f *File) Close() error {
	if _, closed := f.Reader.(closedReader); closed {
		return nil
	}
	f.final = f.Stats()
	if st, ok := f.EVTXStats(); ok {
		f.evtxFinal = &st
	}
	var first error
	for i := len(f.closers) - 1; i >= 0; i-- {
		if err := f.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	f.closers = nil
	for _, br := range f.buffers {
		br.Reset(nil)
		bufReaders.Put(br)
	}
	f.buffers = nil
	f.Reader = closedReader{}
	if f.evtx != nil {
		f.evtx.Reset(nil, "")
		evtxReaders.Put(f.evtx)
		f.evtx = nil
		f.Reader = closedReader{}
	}
	return first
}

// EVTXStats reports, for an EVTX file, what the reader made of its
// structure (chunks, checksums read past, a damaged header); ok is false
// for other formats.
func (f *File) EVTXStats() (st evtx.Stats, ok bool) {
	if f.evtx != nil {
		return f.evtx.EVTXStats(), true
	}
	if f.evtxFinal != nil {
		return *f.evtxFinal, true
	}
	return evtx.Stats{}, false
}

// closedReader is what a File reads after Close.
type closedReader struct{}

func (closedReader) Next(*detect.Event) error { return os.ErrClosed }

// Stats reports events returned and records skipped so far.
func (f *File) Stats() detect.ReadStats {
	if _, closed := f.Reader.(closedReader); closed {
		return f.final
	}
	if s, ok := f.Reader.(detect.StatsReporter); ok {
		return s.Stats()
	}
	return detect.ReadStats{}
}

// Open opens path and returns a reader of its events; the format is
// recognised from the content, not the name. Close the returned Closer
// when done. Events carry path as their Source.
func Open(path string) (detect.Reader, io.Closer, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, nil, err
	}
	return f, f, nil
}

// OpenFile is Open returning the *File, which also tells the format and
// the read statistics. The path "-" reads standard input (named "stdin"),
// which Close leaves open.
func OpenFile(path string) (*File, error) {
	if path == "-" {
		return NewFile(os.Stdin, "stdin")
	}
	osf, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	f, err := NewFile(osf, path)
	if err != nil {
		osf.Close()
		return nil, err
	}
	f.closers = append([]io.Closer{osf}, f.closers...)
	return f, nil
}

// NewFile reads events from r (a file, stdin, a network stream), naming
// them source. The caller still owns r; closing the File closes only what
// NewFile opened over it (a gzip reader).
func NewFile(r io.Reader, source string) (*File, error) {
	f := &File{}
	br := f.newBuffer(r)
	for depth := 0; ; depth++ {
		head, err := br.Peek(sniffLen)
		if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			if len(head) == 0 {
				f.Close()
				return nil, fmt.Errorf("parse: %s: %w", source, err)
			}
		}
		format := Detect(head)
		if format == FormatGzip {
			if depth > 2 {
				f.Close()
				return nil, fmt.Errorf("parse: %s: gzip nested too deep", source)
			}
			zr, err := gzip.NewReader(br)
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("parse: %s: gzip: %w", source, err)
			}
			f.closers = append(f.closers, zr)
			br = f.newBuffer(zr)
			continue
		}
		if format == FormatBzip2 {
			if depth > 2 {
				f.Close()
				return nil, fmt.Errorf("parse: %s: compression nested too deep", source)
			}
			// bzip2 errors surface from Next, naming the file.
			br = f.newBuffer(bzip2.NewReader(br))
			continue
		}
		if format == FormatUTF16 {
			if depth > 2 {
				f.Close()
				return nil, fmt.Errorf("parse: %s: encodings nested too deep", source)
			}
			br = f.newBuffer(newUTF16Reader(br))
			continue
		}
		if format == FormatCompressed {
			f.Close()
			return nil, &UnsupportedError{Source: source, Kind: compressedKind(head)}
		}
		if format == FormatBinary {
			f.Close()
			return nil, fmt.Errorf("parse: %s: not a log format Vigil reads (binary data)", source)
		}
		f.Format = format
		switch format {
		case FormatEVTX:
			f.evtx = evtxReaders.Get().(*evtx.Reader)
			f.evtx.Reset(br, source)
			f.Reader = f.evtx
		case FormatJSON:
			f.Reader = newJSONReader(br, source)
		case FormatXML:
			f.Reader = newXMLReader(br, source)
		default:
			f.Reader = newTextReader(br, source)
		}
		return f, nil
	}
}
