package evtx

import (
	"bytes"
	"io"
	"os"
	"testing"

	"vigil/internal/detect"
)

// loadSamples reads the shared EVTX samples into memory so the benchmark
// measures decoding, not the disk.
func loadSamples(b *testing.B) ([][]byte, int64) {
	b.Helper()
	var files [][]byte
	var total int64
	for _, path := range sampleFiles(b) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
		total += int64(len(data))
	}
	return files, total
}

// BenchmarkEVTXRead reports MB/s of EVTX decoded into events on one core,
// over all shared samples.
func BenchmarkEVTXRead(b *testing.B) {
	files, total := loadSamples(b)
	b.SetBytes(total)
	b.ReportAllocs()
	var ev detect.Event
	events := 0
	r := NewReader(nil, "")
	for b.Loop() {
		events = 0
		for _, data := range files {
			r.Reset(bytes.NewReader(data), "bench")
			for {
				err := r.Next(&ev)
				if err != nil {
					if err != io.EOF {
						b.Fatal(err)
					}
					break
				}
				events++
			}
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
