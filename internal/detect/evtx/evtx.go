// Package evtx reads Windows XML Event Log (EVTX) files straight into
// detect.Events, written from the format's public description (libyal's
// "Windows XML Event Log (EVTX) format"). It walks the binary XML of each
// record into event fields without rendering XML text, compiles each
// template once per chunk, and holds one 64 KiB chunk at a time, so memory
// stays flat however large the file.
//
// The reader is lenient like forensic tools, and more: the file header's
// chunk count and dirty flag are ignored (chunks are read until the end of
// the input), a file whose header is overwritten or missing is read from
// its chunks, a chunk whose checksums or signature are wrong is still read
// when its records are intact, records written after the chunk header was
// last updated are read, a template definition damaged in one chunk is
// taken from another chunk of the file, a chunk that is not a chunk is
// skipped and counted, and a record that does not decode is skipped and
// counted. No input makes it panic.
package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"time"

	"vigil/internal/detect"
)

const (
	fileHeaderSize  = 4096
	chunkSize       = 65536
	chunkHeaderSize = 512
	recordHeader    = 24 // magic, size, id, written time
)

var (
	fileMagic   = []byte("ElfFile\x00")
	chunkMagic  = []byte("ElfChnk\x00")
	recordMagic = []byte{0x2a, 0x2a, 0x00, 0x00}
)

// FormatError says what is wrong with the input and where, like
// debug/elf's FormatError: Chunk is the 0-based chunk index (-1 for the
// file header), Record the record identifier when known.
type FormatError struct {
	Source string
	Chunk  int
	Record uint64
	Offset int64 // byte offset in the file
	Msg    string
	Err    error
}

func (e *FormatError) Error() string {
	where := "file header"
	if e.Chunk >= 0 {
		where = fmt.Sprintf("chunk %d", e.Chunk)
		if e.Record != 0 {
			where += fmt.Sprintf(" record %d", e.Record)
		}
	}
	s := fmt.Sprintf("evtx: %s: %s (offset %#x): %s", e.Source, where, e.Offset, e.Msg)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// Stats extends detect.ReadStats with EVTX specifics.
type Stats struct {
	detect.ReadStats
	Chunks         int64 // chunks read (including skipped ones)
	ChunkChecksums int64 // chunks read despite a wrong header or data checksum
	DirtyHeader    bool  // the file header's dirty flag was set
	HeaderChunks   int   // the chunk count the file header claims
	HeaderChecksum bool  // the file header's checksum matched
	HeaderDamaged  bool  // the file header's signature was wrong; chunks read anyway
}

// Reader streams the events of an EVTX file.
type Reader struct {
	source string
	r      io.Reader

	started    bool
	done       error
	chunkIndex int // index of the chunk in buf, -1 before the first
	chunkOK    bool
	pos, end   int  // next record offset and end of records in buf
	resync     bool // skipping the rest of a damaged record
	// tail: records may continue past the free space offset (stale
	// header); strict: reading there, where only records that directly
	// follow the last one, with a higher id, are taken (the rest of the
	// chunk holds remnants of older records).
	tail, strict bool
	lastID       uint64
	buf          []byte

	// Record accounting, so lost records are counted as records, not as
	// damaged places: expect is the id the next record should have (0
	// when unknown), hdrLast the chunk's last id when its header is
	// trusted, damage the damaged places met since the last record read
	// (each hides at least one record).
	expect, hdrFirst, hdrLast uint64
	damage                    int64
	// chunkDamage says why the current chunk's events are marked (its
	// checksums failed); empty for a sound chunk.
	chunkDamage string

	dec   decoder
	stats Stats
}

// NewReader returns a reader of the EVTX file in r, read sequentially;
// source names the file in events and errors.
func NewReader(r io.Reader, source string) *Reader {
	rd := &Reader{source: source, r: r, chunkIndex: -1, buf: make([]byte, chunkSize)}
	rd.dec.init()
	return rd
}

// Reset makes the reader read a new file from r, keeping its buffers, so
// one Reader can read many files without allocating again.
func (r *Reader) Reset(src io.Reader, source string) {
	buf, dec := r.buf, r.dec
	*r = Reader{source: source, r: src, chunkIndex: -1, buf: buf, dec: dec}
	r.dec.resetChunk(nil)
	clear(r.dec.byGUID) // templates are per file
	clear(r.dec.byID)
}

// Stats reports events returned and records and chunks skipped.
func (r *Reader) Stats() detect.ReadStats { return r.stats.ReadStats }

// EVTXStats reports the EVTX-specific counters as well.
func (r *Reader) EVTXStats() Stats { return r.stats }

func (r *Reader) readHeader() error {
	hdr := r.buf[:fileHeaderSize]
	n, err := io.ReadFull(r.r, hdr)
	if err != nil {
		if n == 0 && err == io.EOF {
			return &FormatError{Source: r.source, Chunk: -1, Msg: "empty file"}
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			return &FormatError{Source: r.source, Chunk: -1, Msg: "read", Err: err}
		}
		// A file shorter than its header holds no chunk.
		return &FormatError{Source: r.source, Chunk: -1, Msg: fmt.Sprintf("truncated file header (%d bytes)", n)}
	}
	if !bytes.Equal(hdr[:8], fileMagic) {
		// Carved or damaged files may lack the header; if it is a chunk,
		// read on from there.
		if bytes.Equal(hdr[:8], chunkMagic) {
			return r.readChunkStartingWith(hdr)
		}
		// An overwritten header: read on, and let the first chunk decide
		// whether this is an EVTX file at all.
		r.stats.HeaderDamaged = true
		return nil
	}
	r.stats.HeaderChunks = int(binary.LittleEndian.Uint16(hdr[42:]))
	r.stats.DirtyHeader = binary.LittleEndian.Uint32(hdr[120:])&1 != 0
	r.stats.HeaderChecksum = crc32.ChecksumIEEE(hdr[:120]) == binary.LittleEndian.Uint32(hdr[124:])
	if !r.stats.HeaderChecksum {
		// Only the header's own fields are in doubt (the chunk count,
		// which the reader does not rely on); chunks are checked apart.
		r.stats.Damage(&FormatError{Source: r.source, Chunk: -1, Msg: "file header checksum wrong (header fields not trusted; chunks read and checked one by one)"})
	}
	// The header block size should be 4096; a larger one moves the first
	// chunk.
	if bs := int(binary.LittleEndian.Uint16(hdr[40:])); bs > fileHeaderSize && bs%512 == 0 && r.stats.HeaderChecksum {
		if _, err := io.CopyN(io.Discard, r.r, int64(bs-fileHeaderSize)); err != nil {
			return io.EOF
		}
	}
	return nil
}

// readChunkStartingWith handles input that begins with a chunk instead of
// a file header: the first 4 KiB already read become the chunk's start.
func (r *Reader) readChunkStartingWith(first []byte) error {
	n, err := io.ReadFull(r.r, r.buf[fileHeaderSize:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && err != io.EOF {
		return &FormatError{Source: r.source, Chunk: 0, Msg: "read", Err: err}
	}
	clear(r.buf[fileHeaderSize+n:])
	r.chunkIndex = 0
	r.stats.Chunks++
	r.openChunk()
	return nil
}

// nextChunk reads the next 64 KiB chunk; io.EOF after the last.
func (r *Reader) nextChunk() error {
	r.endChunk()
	n, err := io.ReadFull(r.r, r.buf)
	if err == io.EOF {
		return io.EOF
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return &FormatError{Source: r.source, Chunk: r.chunkIndex + 1, Offset: r.chunkOffset(r.chunkIndex + 1), Msg: "read", Err: err}
	}
	// A truncated last chunk is read as far as it goes; records past the
	// end fail their bounds checks and are counted.
	clear(r.buf[n:])
	r.chunkIndex++
	r.stats.Chunks++
	if r.chunkIndex == 0 && r.stats.HeaderDamaged && !bytes.Equal(r.buf[:8], chunkMagic) {
		return &FormatError{Source: r.source, Chunk: -1, Msg: "not an EVTX file (no file or chunk signature)"}
	}
	r.openChunk()
	return nil
}

func (r *Reader) chunkOffset(i int) int64 {
	return fileHeaderSize + int64(i)*chunkSize
}

// openChunk validates the chunk header in buf and prepares record reading.
func (r *Reader) openChunk() {
	r.chunkOK = false
	r.expect, r.hdrFirst, r.hdrLast, r.damage, r.chunkDamage = 0, 0, 0, 0, ""
	b := r.buf
	trusted := true // the chunk's signature
	if !bytes.Equal(b[:8], chunkMagic) {
		if isZero(b) {
			return // preallocated, never-used space
		}
		if !bytes.Equal(b[chunkHeaderSize:chunkHeaderSize+4], recordMagic) {
			r.stats.SkipChunk(&FormatError{Source: r.source, Chunk: r.chunkIndex, Offset: r.chunkOffset(r.chunkIndex), Msg: "bad chunk signature, chunk skipped"})
			return
		}
		// The signature is damaged but records start where they should.
		trusted = false
	}
	free := int(binary.LittleEndian.Uint32(b[48:]))
	if free < chunkHeaderSize || free > chunkSize {
		free = chunkSize
	}
	headerSum := crc32.Update(crc32.ChecksumIEEE(b[:120]), crc32.IEEETable, b[128:chunkHeaderSize])
	dataSum := crc32.ChecksumIEEE(b[chunkHeaderSize:free])
	headerOK := headerSum == binary.LittleEndian.Uint32(b[124:])
	dataOK := dataSum == binary.LittleEndian.Uint32(b[52:])
	if trusted && headerOK {
		// The header's first and last record ids tell how many records
		// the chunk held, so records lost to damage can be counted.
		first, last := binary.LittleEndian.Uint64(b[24:]), binary.LittleEndian.Uint64(b[32:])
		if first > 0 && last >= first && last-first < chunkSize/recordHeader {
			r.hdrFirst, r.hdrLast, r.expect = first, last, first
		}
	}
	r.tail = false
	if !trusted || !headerOK || !dataOK {
		var what []string
		if !trusted {
			what = append(what, "signature damaged")
		}
		if !headerOK {
			what = append(what, "header checksum wrong")
		}
		if !dataOK {
			what = append(what, "data checksum wrong")
		}
		fe := &FormatError{Source: r.source, Chunk: r.chunkIndex, Offset: r.chunkOffset(r.chunkIndex), Msg: strings.Join(what, ", ") + "; its records were read and may hold altered values"}
		r.stats.Damage(fe)
		r.chunkDamage = fmt.Sprintf("chunk %d (offset %#x): %s", r.chunkIndex, fe.Offset, strings.Join(what, ", "))
		r.stats.ChunkChecksums++
		// Read on: records are checked one by one. A file copied while
		// Windows wrote it has records past the free space offset the
		// header still gives; read those too as long as they follow on
		// (see tail).
		r.tail = free < chunkSize
	}
	r.pos, r.end = chunkHeaderSize, free
	r.strict = false
	r.lastID = 0
	r.resync = false
	r.dec.resetChunk(b)
	r.chunkOK = true
}

// zeroChunk lets isZero use the runtime's vectorised comparison.
var zeroChunk [chunkSize]byte

func isZero(b []byte) bool {
	for len(b) > chunkSize {
		if !isZero(b[:chunkSize]) {
			return false
		}
		b = b[chunkSize:]
	}
	return bytes.Equal(b, zeroChunk[:len(b)])
}

// Next decodes the next record into ev.
func (r *Reader) Next(ev *detect.Event) error {
	if r.done != nil {
		return r.done
	}
	if !r.started {
		r.started = true
		if err := r.readHeader(); err != nil {
			r.done = err
			return err
		}
	}
	for {
		if r.chunkOK && r.tail && r.pos+recordHeader > r.end {
			r.tail, r.strict, r.end = false, true, chunkSize
			continue
		}
		if !r.chunkOK || r.pos+recordHeader > r.end {
			if err := r.nextChunk(); err != nil {
				r.done = err
				return err
			}
			continue
		}
		ok, err := r.nextRecord(ev)
		if err != nil {
			// nextRecord counted what the error cost.
			r.stats.Note(err)
			continue
		}
		if ok {
			r.stats.Events++
			return nil
		}
	}
}

// nextRecord decodes the record at r.pos. It returns false with no error
// when the chunk holds no more records.
func (r *Reader) nextRecord(ev *detect.Event) (bool, error) {
	b := r.buf
	start := r.pos
	if r.strict && !r.followsOn(start) {
		r.pos = r.end
		return false, nil
	}
	if !bytes.Equal(b[start:start+4], recordMagic) {
		// Past the last record the chunk is usually zero; anything else is
		// damage, so look for the next record in what is left.
		next := bytes.Index(b[start+4:r.end], recordMagic)
		if next < 0 || isZero(b[start:r.end]) {
			r.pos = r.end
			if r.resync {
				r.resync = false
				return false, nil
			}
			if isZero(b[start:r.end]) || r.end == chunkSize {
				return false, nil
			}
			r.damage++
			return false, r.recordError(start, 0, "no record signature")
		}
		r.pos = start + 4 + next
		if r.resync || isZero(b[start:start+4+next]) {
			// Already counted: the bytes after a damaged record.
			r.resync = false
			return false, nil
		}
		r.damage++
		return false, r.recordError(start, 0, fmt.Sprintf("%d bytes of garbage before next record", 4+next))
	}
	size := int(binary.LittleEndian.Uint32(b[start+4:]))
	id := binary.LittleEndian.Uint64(b[start+8:])
	if size < recordHeader+4 || start+size > chunkSize {
		r.pos = start + 4
		r.resync = true
		r.damage++
		return false, r.recordError(start, id, fmt.Sprintf("record size %d out of bounds", size))
	}
	if binary.LittleEndian.Uint32(b[start+size-4:]) != uint32(size) {
		// Resume at the next record signature, without counting the
		// damaged record's bytes a second time.
		r.pos = start + 4
		r.resync = true
		r.damage++
		return false, r.recordError(start, id, "record size copy differs (truncated or overwritten record)")
	}
	r.pos = start + size
	r.resync = false
	r.account(id)
	r.lastID = id
	written := binary.LittleEndian.Uint64(b[start+16:])
	ev.Reset()
	ev.Source = r.source
	ev.Record = id
	ev.Product = "windows"
	ev.Damage = r.chunkDamage
	if err := r.dec.decodeRecord(ev, start+recordHeader, start+size-4); err != nil {
		r.stats.Skipped++
		return false, r.recordError(start, id, err.Error())
	}
	if ev.Time.IsZero() {
		ev.Time = filetime(written)
	}
	return true, nil
}

// account counts the records lost before the record id: those whose ids
// it skips over, and at least one per damaged place met since the last
// record (a place whose records' ids cannot be told).
func (r *Reader) account(id uint64) {
	var gap int64
	if r.expect != 0 && id > r.expect && id-r.expect < chunkSize/recordHeader {
		gap = int64(id - r.expect)
	}
	if gap > r.damage {
		r.stats.Note(&FormatError{Source: r.source, Chunk: r.chunkIndex, Record: id, Offset: r.chunkOffset(r.chunkIndex) + int64(r.pos),
			Msg: fmt.Sprintf("%d records missing before this one (ids %d-%d)", gap, r.expect, id-1)})
	}
	r.stats.Skipped += max(gap, r.damage)
	r.damage = 0
	r.expect = id + 1
}

// endChunk counts the records lost at the end of the chunk just read:
// those its header says it held past the last one read, or one per
// damaged place still uncounted.
func (r *Reader) endChunk() {
	if !r.chunkOK {
		return
	}
	r.chunkOK = false
	var gap int64
	if r.hdrLast != 0 && r.expect != 0 && r.hdrLast >= r.expect {
		gap = int64(r.hdrLast - r.expect + 1)
	}
	if gap > r.damage {
		r.stats.Note(&FormatError{Source: r.source, Chunk: r.chunkIndex, Offset: r.chunkOffset(r.chunkIndex),
			Msg: fmt.Sprintf("%d records the chunk header lists were not found (ids %d-%d)", gap, r.expect, r.hdrLast)})
	}
	r.stats.Skipped += max(gap, r.damage)
	r.damage = 0
}

// followsOn reports whether a whole record with a higher id than the last
// one starts at off.
func (r *Reader) followsOn(off int) bool {
	b := r.buf
	if off+recordHeader+4 > chunkSize || !bytes.Equal(b[off:off+4], recordMagic) {
		return false
	}
	size := int(binary.LittleEndian.Uint32(b[off+4:]))
	if size < recordHeader+4 || off+size > chunkSize || binary.LittleEndian.Uint32(b[off+size-4:]) != uint32(size) {
		return false
	}
	return binary.LittleEndian.Uint64(b[off+8:]) > r.lastID
}

func (r *Reader) recordError(off int, id uint64, msg string) error {
	return &FormatError{Source: r.source, Chunk: r.chunkIndex, Record: id, Offset: r.chunkOffset(r.chunkIndex) + int64(off), Msg: msg}
}

// filetimeEpochDelta is 1601-01-01 to 1970-01-01 in 100 ns units.
const filetimeEpochDelta = 116444736000000000

func filetime(ft uint64) time.Time {
	if ft == 0 {
		return time.Time{}
	}
	d := int64(ft - filetimeEpochDelta)
	if ft < filetimeEpochDelta {
		d = -int64(filetimeEpochDelta - ft)
	}
	return time.Unix(d/1e7, (d%1e7)*100).UTC()
}
