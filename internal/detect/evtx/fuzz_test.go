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

// FuzzRecord fuzzes one record's binary XML (templates, substitutions,
// nested values), placed in a chunk as the first record's would be, which
// whole-file fuzzing reaches rarely past the signatures and checksums.
func FuzzRecord(f *testing.F) {
	c := buildChunk(sampleRecords(1, 2))
	first := chunkHeaderSize
	size := int(uint32(c[first+4]) | uint32(c[first+5])<<8)
	f.Add(c[first+recordHeader : first+size-4])
	chunk := make([]byte, chunkSize)
	f.Fuzz(func(t *testing.T, binxml []byte) {
		recoverPanics = false
		defer func() { recoverPanics = true }()
		if len(binxml) > chunkSize-chunkHeaderSize-recordHeader {
			return
		}
		clear(chunk)
		start := chunkHeaderSize + recordHeader
		copy(chunk[start:], binxml)
		var d decoder
		d.init()
		d.resetChunk(chunk)
		var ev detect.Event
		_ = d.decodeRecord(&ev, start, start+len(binxml))
	})
}
