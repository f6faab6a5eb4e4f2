package ingest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"vigil/internal/bus"
	"vigil/internal/store/storetest"
)

// sampleLines is a stream of n RFC 3164 lines of about 150 bytes, the
// size a SIEM forwards.
func sampleLines(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "<86>Dec  3 10:%02d:%02d web-%02d sshd[%d]: Failed password for invalid user admin%d from 203.0.113.%d port %d ssh2\n",
			i/60%60, i%60, i%20, 1000+i%5000, i%97, i%250, 40000+i%20000)
	}
	return b.Bytes()
}

type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

// BenchmarkTCPFraming measures the per-event work of a TCP connection
// without the network or the bus: framing, the UTF-8 and control-byte
// check, and building the batch's records.
func BenchmarkTCPFraming(b *testing.B) {
	data := sampleLines(10000)
	f := newFramer(&repeatReader{data: data}, 64<<10)
	recs := make([]bus.Record, 0, 2000)
	now := time.Now()
	b.SetBytes(int64(len(data) / 10000))
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; {
		frame, st := f.next()
		if st == frameNeedRead {
			recs = recs[:0]
			f.fill()
			continue
		}
		if classify(frame) != "" {
			b.Fatalf("refused %q", frame)
		}
		if len(recs) == cap(recs) {
			recs = recs[:0]
		}
		recs = append(recs, bus.Record{SourceID: 1, UnitID: 2, Format: bus.FormatText, Remote: "10.0.0.1", Received: now, Data: frame})
		n++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkTCPIngest sends syslog over loopback TCP into a real journal
// (fsync per group commit) from 4 connections and reports events/s
// accepted: the listener's side of the `make bench` figure.
func BenchmarkTCPIngest(b *testing.B) {
	db := storetest.Open(b, "sqlite")
	r := newRigTB(b, db)
	l, err := r.in.Listen(context.Background(), Addrs{TCP: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	data := sampleLines(20000)
	const conns = 4
	per := b.N/conns + 1
	b.SetBytes(int64(len(data) / 20000))
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < conns; c++ {
		go func() {
			conn, err := net.Dial("tcp", l.TCP.String())
			if err != nil {
				return
			}
			defer conn.Close()
			w := bufio.NewWriterSize(conn, 256<<10)
			left := per
			for left > 0 {
				chunk := data
				lines := 20000
				if left < lines {
					chunk = bytes.Join(bytes.SplitAfter(data, []byte("\n"))[:left], nil)
					lines = left
				}
				w.Write(chunk)
				left -= lines
			}
			w.Flush()
		}()
	}
	want := uint64(per * conns)
	for r.j.Stats().Published < want {
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("%d of %d published", r.j.Stats().Published, want)
		}
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(want)/time.Since(start).Seconds(), "events/s")
}
