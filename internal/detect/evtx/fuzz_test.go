package evtx

import (
	"bytes"
	"testing"

	"vigil/internal/detect"
)

// Seeds are kept near a kilobyte: the fuzzer minimises every new
// interesting input byte by byte, and a 64 KiB seed would spend a brief
// CI run on that alone.

// firstRecords returns a chunk cut after its n-th record.
func firstRecords(recs []testRecord) []byte {
	c := buildChunk(recs)
	end := int(uint32(c[48]) | uint32(c[49])<<8 | uint32(c[50])<<16 | uint32(c[51])<<24)
	return c[:end]
}

// FuzzReader feeds arbitrary files to the reader. The input's first 128
// bytes become the file header (the rest of the 4 KiB header is zero) and
// the remainder the chunks. The reader must never panic (the safety net
// in decodeRecord is off here so that a bug shows) and must come to an end.
func FuzzReader(f *testing.F) {
	recs := sampleRecords(1, 2)
	recs[1].user = nil
	file := buildFile(firstRecords(recs))
	f.Add(append(file[:128:128], file[fileHeaderSize:]...))
	f.Add(append(file[:128:128], chunkMagic...))
	f.Fuzz(func(t *testing.T, data []byte) {
		recoverPanics = false
		defer func() { recoverPanics = true }()
		in := make([]byte, fileHeaderSize)
		copy(in, data[:min(len(data), 128)])
		if len(data) > 128 {
			in = append(in, data[128:]...)
		}
		r := NewReader(bytes.NewReader(in), "fuzz")
		var ev detect.Event
		// A chunk holds fewer than 64 KiB/28 records.
		limit := (len(in)/chunkSize + 1) * (chunkSize/28 + 2)
		for i := 0; i < limit; i++ {
			if err := r.Next(&ev); err != nil {
				return
			}
		}
		t.Fatal("reader does not end")
	})
}

// FuzzChunk fuzzes the inside of one chunk (records and binary XML) behind
// a valid chunk signature, which whole-file fuzzing rarely gets past.
func FuzzChunk(f *testing.F) {
	f.Add(firstRecords(sampleRecords(1, 2)))
	f.Fuzz(func(t *testing.T, body []byte) {
		recoverPanics = false
		defer func() { recoverPanics = true }()
		c := make([]byte, chunkSize)
		copy(c, body)
		copy(c, chunkMagic)
		r := NewReader(bytes.NewReader(buildFile(c)), "fuzz")
		var ev detect.Event
		for i := 0; i < chunkSize/28+2; i++ {
			if err := r.Next(&ev); err != nil {
				return
			}
		}
		t.Fatal("reader does not end")
	})
}
