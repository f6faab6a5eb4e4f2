package format

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"testing"
)

// genReader produces a file piece by piece, so a benchmark of a
// 1,000,000-object file holds neither the file nor its JSON tree: what
// the reader keeps is what it keeps.
type genReader struct {
	head, tail string
	n, i       int
	item       func(buf []byte, i int) []byte
	buf        []byte
	stage      int
	size       int64
}

func (g *genReader) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case g.stage == 0:
			g.buf = append(g.buf, g.head...)
			g.stage = 1
		case g.stage == 1 && g.i < g.n:
			for k := 0; k < 256 && g.i < g.n; k++ {
				g.buf = g.item(g.buf, g.i)
				g.i++
			}
		case g.stage == 1:
			g.buf = append(g.buf, g.tail...)
			g.stage = 2
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	if len(g.buf) == 0 {
		g.buf = g.buf[:0:0]
	}
	g.size += int64(n)
	return n, nil
}

func ipOf(i int) string {
	return strconv.Itoa(10+i>>16&0xff) + "." + strconv.Itoa(i>>8&0xff) + "." + strconv.Itoa(i&0xff) + ".1"
}

func stixGen(n int) *genReader {
	return &genReader{n: n,
		head: `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000000","objects":[` +
			`{"type":"identity","spec_version":"2.1","id":"identity--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"Bench CERT"}`,
		tail: "]}",
		item: func(b []byte, i int) []byte {
			return fmt.Appendf(b, `,{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2026-11-01T00:00:00.000Z","modified":"2026-11-01T00:00:00.000Z","created_by_ref":"identity--00000000-0000-4000-8000-000000000001","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","pattern_version":"2.1","valid_from":"2026-11-01T00:00:00Z","confidence":80,"labels":["c2"],"object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}`, i, ipOf(i))
		}}
}

func csvGen(n int) *genReader {
	return &genReader{n: n,
		head: "type,value,comment,source,confidence,tlp,valid_until,tags,unit,action,severity,reason\n",
		item: func(b []byte, i int) []byte {
			return fmt.Appendf(b, "ip,%s,C2 server,CERT-X,80,amber,31/12/2026,c2;apt,,scan,high,Máy chủ điều khiển\n", ipOf(i))
		}}
}

// benchRead reads a generated file of n objects and reports its speed,
// the heap the result holds per indicator, and the heap at its peak.
func benchRead(b *testing.B, format string, gen func(int) *genReader, n int) {
	b.ReportAllocs()
	var size int64
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		g := gen(n)
		res, err := ReadAs(format, "bench", g, ReadOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Indicators) != n || len(res.Skipped) != 0 {
			b.Fatalf("%d indicators, problems %v", len(res.Indicators), res.Skipped)
		}
		size = g.size
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-B/indicator")
		b.ReportMetric(float64(size)/1e6, "file-MB")
		runtime.KeepAlive(res)
	}
	b.SetBytes(size)
}

// BenchmarkReadSTIX1M reads a 1,000,000-indicator STIX 2.1 bundle.
func BenchmarkReadSTIX1M(b *testing.B) { benchRead(b, "stix", stixGen, 1_000_000) }

// BenchmarkReadCSV1M reads a 1,000,000-row indicator CSV with every column.
func BenchmarkReadCSV1M(b *testing.B) { benchRead(b, "csv", csvGen, 1_000_000) }

// BenchmarkWriteSTIX writes 100,000 indicators as a bundle.
func BenchmarkWriteSTIX(b *testing.B) {
	inds := make([]Indicator, 100_000)
	for i := range inds {
		inds[i] = Indicator{Kind: KindIP, Value: ipOf(i), Source: "CERT-X", TLP: TLPAmber, Confidence: 80, Tags: []string{"c2"}}
	}
	b.ReportAllocs()
	var w countWriter
	for b.Loop() {
		w = 0
		if err := WriteSTIX(&w, inds, WriteOptions{Identity: "IT Center"}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(w))
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

func TestGenReaders(t *testing.T) {
	for _, c := range []struct {
		format string
		gen    func(int) *genReader
	}{{"stix", stixGen}, {"csv", csvGen}} {
		var buf bytes.Buffer
		io.Copy(&buf, c.gen(1000))
		res, err := Read("gen", &buf, ReadOptions{})
		if err != nil || len(res.Indicators) != 1000 || len(res.Skipped) != 0 || res.Format[:len(c.format)] != c.format {
			t.Errorf("%s: %v %d %v", c.format, err, len(res.Indicators), res.Skipped)
		}
	}
}
