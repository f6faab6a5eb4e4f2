package evtx

import (
	"encoding/binary"
	"hash/crc32"
	"unicode/utf16"
)

// This file builds small EVTX files for tests and fuzz seeds, so the
// reader's handling of every structure (and of damage to each) is tested
// without outside data.

type binWriter struct{ b []byte }

func (w *binWriter) pos() int     { return len(w.b) }
func (w *binWriter) u8(v byte)    { w.b = append(w.b, v) }
func (w *binWriter) u16(v int)    { w.b = binary.LittleEndian.AppendUint16(w.b, uint16(v)) }
func (w *binWriter) u32(v int)    { w.b = binary.LittleEndian.AppendUint32(w.b, uint32(v)) }
func (w *binWriter) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *binWriter) put32(at, v int) {
	binary.LittleEndian.PutUint32(w.b[at:], uint32(v))
}

func utf16le(s string) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}

// name writes a name reference with the name stored inline after it.
func (w *binWriter) name(s string) {
	w.u32(w.pos() + 4)
	w.u32(0) // next name in hash bucket
	w.u16(0) // hash, not checked by readers
	w.u16(len([]rune(s)))
	w.b = append(w.b, utf16le(s)...)
	w.u16(0)
}

func (w *binWriter) open(name string, attrs bool) {
	tok := byte(tokOpenStart)
	if attrs {
		tok |= tokMoreFlag
	}
	w.u8(tok)
	w.u16(0xffff) // dependency identifier
	w.u32(0)      // data size, unused by the reader
	w.name(name)
	if attrs {
		w.u32(0) // attribute list size, unused by the reader
	}
}

func (w *binWriter) attr(name string) { w.u8(tokAttribute); w.name(name) }
func (w *binWriter) closeStart()      { w.u8(tokCloseStart) }
func (w *binWriter) closeEmpty()      { w.u8(tokCloseEmpty) }
func (w *binWriter) end()             { w.u8(tokEndElement) }
func (w *binWriter) text(s string) {
	w.u8(tokValue)
	w.u8(typeString)
	w.u16(len(utf16.Encode([]rune(s))))
	w.b = append(w.b, utf16le(s)...)
}
func (w *binWriter) subst(idx int, typ byte) {
	w.u8(tokSubstitution)
	w.u16(idx)
	w.u8(typ)
}
func (w *binWriter) optSubst(idx int, typ byte) {
	w.u8(tokOptionalSubst)
	w.u16(idx)
	w.u8(typ)
}

// testRecord is the content of one generated record.
type testRecord struct {
	id          uint64
	eventID     uint16
	time        uint64 // FILETIME
	channel     string
	computer    string
	commandLine string
	image       string
	user        []byte // SID bytes, or nil for an absent (null) value
}

// writeTemplate writes the template definition used by every record.
func (w *binWriter) writeTemplate() {
	w.u8(tokFragmentHeader)
	w.u8(1)
	w.u8(1)
	w.u8(0)
	w.open("Event", true)
	w.attr("xmlns")
	w.text("http://schemas.microsoft.com/win/2004/08/events/event")
	w.closeStart()
	w.open("System", false)
	w.closeStart()
	w.open("Provider", true)
	w.attr("Name")
	w.text("Vigil-Test")
	w.closeEmpty()
	w.open("EventID", false)
	w.closeStart()
	w.subst(0, typeUint16)
	w.end()
	w.open("TimeCreated", true)
	w.attr("SystemTime")
	w.subst(1, typeFileTime)
	w.closeEmpty()
	w.open("EventRecordID", false)
	w.closeStart()
	w.subst(2, typeUint64)
	w.end()
	w.open("Channel", false)
	w.closeStart()
	w.subst(3, typeString)
	w.end()
	w.open("Computer", false)
	w.closeStart()
	w.subst(4, typeString)
	w.end()
	w.open("Security", true)
	w.attr("UserID")
	w.optSubst(7, typeSID)
	w.closeEmpty()
	w.end() // System
	w.open("EventData", false)
	w.closeStart()
	w.open("Data", true)
	w.attr("Name")
	w.text("CommandLine")
	w.closeStart()
	w.subst(5, typeString)
	w.end()
	w.open("Data", true)
	w.attr("Name")
	w.text("Image")
	w.closeStart()
	w.subst(6, typeString)
	w.end()
	w.open("Data", false)
	w.closeStart()
	w.text("unnamed ")
	w.u8(tokEntityRef)
	w.name("amp")
	w.end()
	w.end() // EventData
	w.end() // Event
	w.u8(tokEOF)
}

// writeRecord appends a record; defOff is where the template definition
// is (0 to define it inline here). It returns the definition offset.
func (w *binWriter) writeRecord(r testRecord, defOff int) int {
	start := w.pos()
	w.b = append(w.b, recordMagic...)
	w.u32(0) // size, patched below
	w.u64(r.id)
	w.u64(r.time)
	w.u8(tokFragmentHeader)
	w.u8(1)
	w.u8(1)
	w.u8(0)
	w.u8(tokTemplate)
	w.u8(1)
	w.u32(0x1234)
	if defOff == 0 {
		defOff = w.pos() + 4
		w.u32(defOff)
		w.u32(0)                               // next template
		w.b = append(w.b, make([]byte, 16)...) // GUID
		sizeAt := w.pos()
		w.u32(0)
		defStart := w.pos()
		w.writeTemplate()
		w.put32(sizeAt, w.pos()-defStart)
	} else {
		w.u32(defOff)
	}
	values := [][]byte{
		binary.LittleEndian.AppendUint16(nil, r.eventID),
		binary.LittleEndian.AppendUint64(nil, r.time),
		binary.LittleEndian.AppendUint64(nil, r.id),
		utf16le(r.channel),
		utf16le(r.computer),
		utf16le(r.commandLine),
		utf16le(r.image),
		r.user,
	}
	types := []byte{typeUint16, typeFileTime, typeUint64, typeString, typeString, typeString, typeString, typeSID}
	w.u32(len(values))
	for i, v := range values {
		w.u16(len(v))
		t := types[i]
		if v == nil {
			t = typeNull
		}
		w.u8(t)
		w.u8(0)
	}
	for _, v := range values {
		w.b = append(w.b, v...)
	}
	w.u8(tokEOF)
	size := w.pos() - start + 4
	w.u32(size)
	w.put32(start+4, size)
	return defOff
}

// buildChunk returns a 64 KiB chunk holding records.
func buildChunk(records []testRecord) []byte {
	w := &binWriter{b: make([]byte, chunkHeaderSize)}
	defOff := 0
	lastRecord := chunkHeaderSize
	for _, r := range records {
		lastRecord = w.pos()
		defOff = w.writeRecord(r, defOff)
	}
	return finishChunk(w, records, lastRecord)
}

// finishChunk pads the chunk in w to 64 KiB and fills in its header.
func finishChunk(w *binWriter, records []testRecord, lastRecord int) []byte {
	free := w.pos()
	c := make([]byte, chunkSize)
	copy(c, w.b)
	copy(c, chunkMagic)
	le := binary.LittleEndian
	if len(records) > 0 {
		le.PutUint64(c[8:], records[0].id)
		le.PutUint64(c[16:], records[len(records)-1].id)
		le.PutUint64(c[24:], records[0].id)
		le.PutUint64(c[32:], records[len(records)-1].id)
	}
	le.PutUint32(c[40:], 128)
	le.PutUint32(c[44:], uint32(lastRecord))
	le.PutUint32(c[48:], uint32(free))
	le.PutUint32(c[52:], crc32.ChecksumIEEE(c[chunkHeaderSize:free]))
	le.PutUint32(c[124:], crc32.Update(crc32.ChecksumIEEE(c[:120]), crc32.IEEETable, c[128:chunkHeaderSize]))
	return c
}

// buildFile returns an EVTX file of the given chunks.
func buildFile(chunks ...[]byte) []byte {
	h := make([]byte, fileHeaderSize)
	copy(h, fileMagic)
	le := binary.LittleEndian
	le.PutUint64(h[16:], uint64(len(chunks)-1))
	le.PutUint32(h[32:], 128)
	le.PutUint16(h[36:], 1)
	le.PutUint16(h[38:], 3)
	le.PutUint16(h[40:], fileHeaderSize)
	le.PutUint16(h[42:], uint16(len(chunks)))
	le.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	out := h
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out
}

// sampleRecords returns n records with ids from first.
func sampleRecords(first uint64, n int) []testRecord {
	var out []testRecord
	for i := 0; i < n; i++ {
		id := first + uint64(i)
		out = append(out, testRecord{
			id:          id,
			eventID:     uint16(4688 + i%2),
			time:        133500000000000000 + id*10000000,
			channel:     "Security",
			computer:    "host-a.example.test",
			commandLine: "cmd.exe /c whoami",
			image:       `C:\Windows\System32\cmd.exe`,
			user:        []byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}, // S-1-5-18
		})
	}
	return out
}

// rawRecord appends a record whose binary XML is written by body directly,
// without a template.
func (w *binWriter) rawRecord(id uint64, body func()) {
	start := w.pos()
	w.b = append(w.b, recordMagic...)
	w.u32(0)
	w.u64(id)
	w.u64(133500000000000000)
	w.u8(tokFragmentHeader)
	w.u8(1)
	w.u8(1)
	w.u8(0)
	body()
	w.u8(tokEOF)
	size := w.pos() - start + 4
	w.u32(size)
	w.put32(start+4, size)
}
