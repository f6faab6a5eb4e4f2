package parse

import (
	"bytes"
	"io"
	"os"
	"testing"

	"vigil/internal/detect"
	"vigil/internal/detect/internal/testdatadir"
)

// decodeAll reads every event of every input through NewFile and returns
// the number of events.
func decodeAll(b *testing.B, inputs [][]byte) int {
	var ev detect.Event
	n := 0
	for _, data := range inputs {
		f, err := NewFile(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		for {
			err := f.Next(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		f.Close()
	}
	return n
}

func loadFiles(b *testing.B, dir, ext string) ([][]byte, int64) {
	var out [][]byte
	var total int64
	for _, p := range testdatadir.Files(b, dir, ext) {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
		total += int64(len(data))
	}
	return out, total
}

// repeatLines builds one input of n copies of a fixture's lines.
func repeatLines(b *testing.B, name string, n int) [][]byte {
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return [][]byte{bytes.Repeat(data, n)}
}

// BenchmarkDecodeEvents reports events per second decoded into the event
// model, per input kind, on one core: the ceiling for the detection
// engine's throughput (compare its own events/s).
func BenchmarkDecodeEvents(b *testing.B) {
	type input struct {
		name string
		load func(b *testing.B) ([][]byte, int64)
	}
	inputs := []input{
		{"evtx", func(b *testing.B) ([][]byte, int64) {
			files, n := loadFiles(b, testdatadir.Shared(b, "evtx/sbousseaden"), ".evtx")
			more, m := loadFiles(b, testdatadir.Shared(b, "sigma/regression_data"), ".evtx")
			return append(files, more...), n + m
		}},
		{"windows-json", func(b *testing.B) ([][]byte, int64) {
			return loadFiles(b, testdatadir.Shared(b, "sigma/regression_data"), ".json")
		}},
		{"winlogbeat", func(b *testing.B) ([][]byte, int64) {
			in := repeatLines(b, "winlogbeat.json", 2000)
			return in, int64(len(in[0]))
		}},
		{"suricata-eve", func(b *testing.B) ([][]byte, int64) {
			in := repeatLines(b, "eve.json", 2000)
			return in, int64(len(in[0]))
		}},
		{"syslog-cef-leef", func(b *testing.B) ([][]byte, int64) {
			in := repeatLines(b, "syslog.log", 1000)
			return in, int64(len(in[0]))
		}},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			data, size := in.load(b)
			b.SetBytes(size)
			b.ReportAllocs()
			events := 0
			for b.Loop() {
				events = decodeAll(b, data)
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
