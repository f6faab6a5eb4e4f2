package ingest

import (
	"bytes"
	"encoding/json"
	"testing"

	"vigil/internal/bus"
)

// FuzzFraming feeds arbitrary streams, in arbitrary pieces, to the TCP
// framer: it never panics or loops, never returns a frame over the
// limit, and reads the stream to its end.
func FuzzFraming(f *testing.F) {
	for _, s := range []string{"<13>a\n<13>b\n", "7 <13>a b5 <13>c", "104 " + string(bytes.Repeat([]byte("x"), 104)), "12x\n<13>ok", "0 \n", "99999999999 x", "\x00\xff\n\n"} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		const maxLine = 32
		f := newFramer(&chunked{s: string(in), n: int(chunk%17) + 1}, maxLine)
		for reads := 0; ; reads++ {
			if reads > len(in)+10 {
				t.Fatal("the framer does not advance")
			}
			for i := 0; ; i++ {
				if i > len(in)+10 {
					t.Fatal("next loops")
				}
				b, st := f.next()
				if st == frameNeedRead {
					break
				}
				if st == frameOK && len(b) > maxLine {
					t.Fatalf("frame of %d bytes over the %d limit", len(b), maxLine)
				}
			}
			if err := f.fill(); err != nil {
				return
			}
		}
	})
}

// FuzzDecodeBody feeds arbitrary events API bodies: everything emitted is
// one JSON object (or, as text, a line without control bytes), and every
// line is accounted for.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{"{\"a\":1}\n{\"b\":2}", `[{"a":1},{"b":"]"}]`, `[1,{"a":[}]`, "not json\n\xff", `[{"a":"\"}"}`, "[", "[]"} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, text bool) {
		res := &Result{}
		DecodeBody(body, text, 256, res, func(format bus.Format, b []byte) {
			switch {
			case text && format != bus.FormatText, !text && format != bus.FormatJSON:
				t.Fatalf("format %d from a text=%v body", format, text)
			case len(b) > 256:
				t.Fatalf("record of %d bytes over the limit", len(b))
			case !text && (!json.Valid(b) || b[0] != '{'):
				t.Fatalf("emitted %q, not a JSON object", b)
			case text && classify(b) != "":
				t.Fatalf("emitted %q, refused by classify", b)
			}
		})
		if res.Refused != len(res.Errors)+res.More {
			t.Fatalf("refused %d, listed %d + %d", res.Refused, len(res.Errors), res.More)
		}
	})
}
