package sigma_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vigil/internal/detect"
	"vigil/internal/detect/internal/testdatadir"
	"vigil/internal/detect/parse"
	"vigil/internal/detect/sigma"
)

// attackEVTX reads the shared attack samples into memory so the benchmark
// measures decoding and matching, not the disk.
func attackEVTXT(b testing.TB) [][]byte { return attackEVTX(b) }

func attackEVTX(b testing.TB) [][]byte {
	dir := testdatadir.Shared(b, "evtx/sbousseaden")
	var out [][]byte
	for _, p := range testdatadir.Files(b, dir, ".evtx") {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

func decodeAll(b testing.TB, files [][]byte, fn func(ev *detect.Event)) int {
	n := 0
	var ev detect.Event
	for _, data := range files {
		f, err := parse.NewFile(bytes.NewReader(data), "bench.evtx")
		if err != nil {
			continue
		}
		for {
			if err := f.Next(&ev); err != nil {
				if err != io.EOF {
					b.Logf("decode: %v", err)
				}
				break
			}
			n++
			fn(&ev)
		}
		f.Close()
	}
	return n
}

// BenchmarkSigmaHQ runs every SigmaHQ rule over the events of the shared
// attack samples on one goroutine. Sub-benchmarks: decode alone (the floor
// any engine pays), match alone over pre-decoded events, and decode+match,
// whose events/s divided by decode's is reported as ratio_to_decode.
func BenchmarkSigmaHQ(b *testing.B) {
	res := sigmaHQ(b)
	files := attackEVTX(b)
	var events []*detect.Event
	decodeAll(b, files, func(ev *detect.Event) { events = append(events, ev.Clone()) })
	if len(events) == 0 {
		b.Fatal("no events")
	}
	// Warm the bucket cache so building automata is not timed.
	m := res.Rules.NewMatcher()
	for _, ev := range events {
		m.Match(ev)
	}
	// Rates are events per second of this goroutine's CPU time (the
	// thread is locked), which a busy shared machine disturbs less than
	// wall time.
	defer lockThread()()
	var decodeRate float64
	b.Run("decode", func(b *testing.B) {
		n := 0
		start := threadCPU()
		for b.Loop() {
			n += decodeAll(b, files, func(*detect.Event) {})
		}
		decodeRate = float64(n) / (threadCPU() - start).Seconds()
		b.ReportMetric(decodeRate, "events/s")
		b.ReportMetric(0, "ns/op")
	})
	var matchRate float64
	b.Run("match", func(b *testing.B) {
		m := res.Rules.NewMatcher()
		b.ReportAllocs()
		start := threadCPU()
		i := 0
		for b.Loop() {
			m.Match(events[i%len(events)])
			i++
		}
		matchRate = float64(i) / (threadCPU() - start).Seconds()
		b.ReportMetric(matchRate, "events/s")
		b.ReportMetric(float64(res.Rules.Len()), "rules")
	})
	b.Run("decode+match", func(b *testing.B) {
		// Decode-only and decode+match passes alternate within each
		// iteration, so both see the same machine load and the ratio is
		// fair on a busy host.
		m := res.Rules.NewMatcher()
		var n int
		var tDecode, tEngine time.Duration
		for b.Loop() {
			t0 := threadCPU()
			n = decodeAll(b, files, func(*detect.Event) {})
			t1 := threadCPU()
			decodeAll(b, files, func(ev *detect.Event) { m.Match(ev) })
			t2 := threadCPU()
			tDecode += t1 - t0
			tEngine += t2 - t1
		}
		iters := float64(b.N)
		rate := float64(n) * iters / tEngine.Seconds()
		b.ReportMetric(rate, "events/s")
		b.ReportMetric(float64(n)*iters/tDecode.Seconds(), "decode_events/s")
		// The engine's throughput (decode and match) as a share of
		// decoding alone; and matching alone against decoding.
		b.ReportMetric(tDecode.Seconds()/tEngine.Seconds(), "ratio_to_decode")
		if decodeRate > 0 {
			b.ReportMetric(matchRate/decodeRate, "match_vs_decode")
		}
		b.ReportMetric(0, "ns/op")
	})
}

// BenchmarkLoadSigmaHQ loads and compiles the 3,141 files of SigmaHQ's
// rules folder, as `vigil detect --rules` does before a hunt, reporting
// wall time (ns/op) and the process's CPU time (cpu-ns/op, all threads,
// so comparable whatever -cpu is). scripts/bench-sigma-load.sh runs it on
// one core beside a bare parse of the same files by Python and libyaml.
func BenchmarkLoadSigmaHQ(b *testing.B) {
	dir := filepath.Join(testdatadir.Shared(b, "sigma"), "rules")
	var files, rules int
	var cpu time.Duration
	for b.Loop() {
		c0 := processCPU()
		res, err := sigma.Load([]string{dir}, sigma.Filter{}, sigma.Options{})
		cpu += processCPU() - c0
		if err != nil {
			b.Fatal(err)
		}
		files, rules = res.Files, res.Rules.Len()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(files), "files")
	b.ReportMetric(float64(rules), "rules")
}
