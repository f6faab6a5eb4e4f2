package ingest

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"vigil/internal/bus"
	"vigil/internal/sources"
)

// frames reads every frame of input, fed in pieces of chunk bytes.
func frames(input string, maxLine, chunk int) (got []string, statuses []frameStatus) {
	var r io.Reader = strings.NewReader(input)
	if chunk > 0 {
		r = &chunked{s: input, n: chunk}
	}
	f := newFramer(r, maxLine)
	for {
		for {
			b, st := f.next()
			if st == frameNeedRead {
				break
			}
			statuses = append(statuses, st)
			if st == frameOK {
				got = append(got, string(b))
			}
		}
		if err := f.fill(); err != nil {
			return
		}
	}
}

type chunked struct {
	s string
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[n:]
	return n, nil
}

func TestFraming(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, c := range []struct {
		name, in string
		max      int
		want     []string
		oversize int
		bad      int
	}{
		{"newline", "<13>a b\n<13>c d\r\n<13>e\n", 64, []string{"<13>a b", "<13>c d", "<13>e"}, 0, 0},
		{"newline, last without newline", "<13>a\n<13>b", 64, []string{"<13>a", "<13>b"}, 0, 0},
		{"octet counting", "7 <13>a b5 <13>c10 <13>hello\n", 64, []string{"<13>a b", "<13>c", "<13>hello"}, 0, 0},
		{"octet counting with newlines between", "5 <13>a\n5 <13>b\n", 64, []string{"<13>a", "<13>b"}, 0, 0},
		{"octet counting keeps inner line breaks", "9 <13>a\nb\nc", 64, []string{"<13>a\nb\nc"}, 0, 0},
		{"oversize line skipped to the next", "<13>" + long + "\n<13>ok\n", 64, []string{"<13>ok"}, 1, 0},
		{"oversize line at the end", "<13>ok\n<13>" + long, 64, []string{"<13>ok"}, 1, 0},
		{"oversize counted frame skipped", "104 <13>" + long + "5 <13>z", 64, []string{"<13>z"}, 1, 0},
		{"bad count resynchronises on newline framing", "12x junk\n<13>ok\n", 64, []string{"<13>ok"}, 0, 1},
		{"count too long", "12345678901234 x\n<13>ok\n", 64, []string{"<13>ok"}, 0, 1},
		{"truncated counted frame", "50 <13>short", 64, nil, 0, 1},
		{"NUL trailers", "<13>a\x00\n<13>b\x00\n", 64, []string{"<13>a", "<13>b"}, 0, 0},
		{"empty lines", "\n\n<13>a\n\n", 64, []string{"", "", "<13>a", ""}, 0, 0},
	} {
		for _, chunk := range []int{0, 1, 3, 7} {
			got, st := frames(c.in, c.max, chunk)
			over, bad := 0, 0
			for _, s := range st {
				switch s {
				case frameOversize:
					over++
				case frameBad:
					bad++
				}
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") || over != c.oversize || bad != c.bad {
				t.Errorf("%s (chunks of %d): got %q, %d oversize, %d bad; want %q, %d, %d", c.name, chunk, got, over, bad, c.want, c.oversize, c.bad)
			}
		}
	}
}

// A stream that errors mid-way ends the framer without a panic.
func TestFramingReadError(t *testing.T) {
	f := newFramer(iotest.TimeoutReader(strings.NewReader("<13>a\n<13>b\n")), 64)
	n := 0
	for i := 0; i < 10; i++ {
		for {
			_, st := f.next()
			if st == frameNeedRead {
				break
			}
			n++
		}
		if err := f.fill(); err != nil {
			break
		}
	}
	if n != 2 {
		t.Errorf("%d frames before the error, want 2", n)
	}
}

func TestClassify(t *testing.T) {
	for in, want := range map[string]string{
		"<13>Dec  3 10:00:00 host app: hello":   "",
		"<13>Dec  3 host app: Nguyễn Văn A\tok": "",
		"CEF:0|Vendor|Product|1.0|100|name|5|":  "",
		"<13>bad \xff\xfe utf8":                 sources.ReasonInvalidUTF8,
		"\x00\x01\x02binary":                    sources.ReasonBinary,
		"<13>escape \x1b[31m":                   sources.ReasonBinary,
	} {
		if got := classify([]byte(in)); got != want {
			t.Errorf("classify(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeBody(t *testing.T) {
	for _, c := range []struct {
		name, body string
		text       bool
		want       []string
		reasons    []string
	}{
		{"JSON lines", "{\"a\":1}\n\n{\"b\":2}\r\n", false, []string{`{"a":1}`, `{"b":2}`}, nil},
		{"array", ` [ {"a":1} , {"b":[1,2,{"c":"]}"}]} ] `, false, []string{`{"a":1}`, `{"b":[1,2,{"c":"]}"}]}`}, nil},
		{"array with a scalar and a broken object", `[{"a":1}, 5, {"b":}]`, false, []string{`{"a":1}`}, []string{sources.ReasonMalformed, sources.ReasonMalformed}},
		{"unclosed array", `[{"a":1}`, false, []string{`{"a":1}`}, []string{sources.ReasonMalformed}},
		{"lines with garbage", "{\"a\":1}\nnot json\n{\"s\":\"\xff\"}\n", false, []string{`{"a":1}`}, []string{sources.ReasonMalformed, sources.ReasonInvalidUTF8}},
		{"text", "<13>a\n\x00\x01\n<13>b\n", true, []string{"<13>a", "<13>b"}, []string{sources.ReasonBinary}},
		{"oversize line", "{\"a\":\"" + strings.Repeat("x", 100) + "\"}\n{\"b\":1}\n", false, []string{`{"b":1}`}, []string{sources.ReasonOversize}},
	} {
		res := &Result{}
		var got []string
		DecodeBody([]byte(c.body), c.text, 64, res, func(_ bus.Format, b []byte) { got = append(got, string(b)) })
		var reasons []string
		for _, e := range res.Errors {
			reasons = append(reasons, e.Reason)
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") || strings.Join(reasons, ",") != strings.Join(c.reasons, ",") || res.Refused != len(c.reasons) {
			t.Errorf("%s: got %q refused %v (%d); want %q %v", c.name, got, reasons, res.Refused, c.want, c.reasons)
		}
	}
}

func TestReadBodyGzipBounded(t *testing.T) {
	var buf bytes.Buffer
	zw := newGzip(&buf)
	zw.Write(bytes.Repeat([]byte("{\"a\":1}\n"), 10000)) // 80 KB, compresses to little
	zw.Close()
	if _, err := ReadBody(bytes.NewReader(buf.Bytes()), "gzip", 1000); err == nil {
		t.Fatal("a gzip bomb over the limit was read")
	}
	b, err := ReadBody(bytes.NewReader(buf.Bytes()), "gzip", 1<<20)
	if err != nil || len(b) != 80000 {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
	if _, err := ReadBody(strings.NewReader("not gzip"), "gzip", 1000); err == nil {
		t.Fatal("not gzip accepted")
	}
	if _, err := ReadBody(strings.NewReader("x"), "br", 1000); err == nil {
		t.Fatal("brotli accepted")
	}
}

func newGzip(w io.Writer) *gzip.Writer { return gzip.NewWriter(w) }
