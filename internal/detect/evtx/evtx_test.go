package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"vigil/internal/detect"
)

func readBytes(t testing.TB, data []byte) ([]*detect.Event, Stats, error) {
	t.Helper()
	r := NewReader(bytes.NewReader(data), "test.evtx")
	var out []*detect.Event
	var ev detect.Event
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("reader does not end")
		}
		err := r.Next(&ev)
		if err == io.EOF {
			return out, r.EVTXStats(), nil
		}
		if err != nil {
			return out, r.EVTXStats(), err
		}
		out = append(out, ev.Clone())
	}
}

func TestReadGeneratedFile(t *testing.T) {
	recs := sampleRecords(100, 3)
	recs[2].user = nil
	data := buildFile(buildChunk(recs), buildChunk(sampleRecords(103, 2)))
	evs, st, err := readBytes(t, data)
	if err != nil || len(evs) != 5 || st.Skipped != 0 || st.CorruptChunks != 0 || st.ChunkChecksums != 0 {
		t.Fatalf("events %d, stats %+v, err %v", len(evs), st, err)
	}
	e := evs[0]
	want := []detect.Field{
		{Name: "Provider_Name", Value: "Vigil-Test"},
		{Name: "EventID", Value: "4688"},
		{Name: "EventRecordID", Value: "100"},
		{Name: "Channel", Value: "Security"},
		{Name: "Computer", Value: "host-a.example.test"},
		{Name: "SecurityUserID", Value: "S-1-5-18"},
		{Name: "CommandLine", Value: "cmd.exe /c whoami"},
		{Name: "Image", Value: `C:\Windows\System32\cmd.exe`},
		{Name: "Data", Value: "unnamed &"},
	}
	if len(e.Fields) != len(want) {
		t.Fatalf("fields %v", e.Fields)
	}
	for i := range want {
		if e.Fields[i] != want[i] {
			t.Errorf("field %d = %v, want %v", i, e.Fields[i], want[i])
		}
	}
	if e.Host != "host-a.example.test" || e.Record != 100 || e.Product != "windows" || e.Source != "test.evtx" {
		t.Errorf("event %+v", e)
	}
	if wantTime := filetime(133500000000000000 + 100*10000000); !e.Time.Equal(wantTime) || e.Time.Location() != time.UTC {
		t.Errorf("time %v, want %v", e.Time, wantTime)
	}
	if _, ok := evs[2].Get("SecurityUserID"); ok {
		t.Errorf("null optional substitution gave a field: %v", evs[2].Fields)
	}
	if evs[4].Record != 104 {
		t.Errorf("last record %d", evs[4].Record)
	}
}

// TestLenient damages generated files the ways real files are damaged.
func TestLenient(t *testing.T) {
	good := func() []byte {
		return buildFile(buildChunk(sampleRecords(1, 3)), buildChunk(sampleRecords(4, 3)))
	}
	chunk2 := fileHeaderSize + chunkSize
	tests := []struct {
		name          string
		damage        func([]byte) []byte
		events        int
		skipped       int64
		corruptChunks int64
		checksums     int64
	}{
		{"clean", func(b []byte) []byte { return b }, 6, 0, 0, 0},
		{"header claims one chunk", func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[42:], 1)
			return b
		}, 6, 0, 0, 0},
		{"dirty header with bad checksum", func(b []byte) []byte {
			b[120] |= 1
			b[124] ^= 0xff
			return b
		}, 6, 0, 0, 0},
		{"chunk header checksum wrong", func(b []byte) []byte {
			b[fileHeaderSize+124] ^= 0xff
			return b
		}, 6, 0, 0, 1},
		{"free space offset wrong", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[fileHeaderSize+48:], 1)
			return b
		}, 6, 0, 0, 1},
		{"header lags behind the records (copied while written)", func(b []byte) []byte {
			// Free space offset at the end of the first record.
			first := fileHeaderSize + chunkHeaderSize
			size := binary.LittleEndian.Uint32(b[first+4:])
			binary.LittleEndian.PutUint32(b[fileHeaderSize+48:], uint32(chunkHeaderSize)+size)
			return b
		}, 6, 0, 0, 1},
		{"chunk signature damaged", func(b []byte) []byte {
			copy(b[chunk2:], "XXXXXXXX")
			return b
		}, 6, 0, 0, 1},
		{"garbage chunk between", func(b []byte) []byte {
			junk := bytes.Repeat([]byte{0xA5}, chunkSize)
			return append(b[:chunk2:chunk2], append(junk, b[chunk2:]...)...)
		}, 6, 0, 1, 0},
		{"file header overwritten", func(b []byte) []byte {
			copy(b, bytes.Repeat([]byte{0x5a}, 512))
			return b
		}, 6, 0, 0, 0},
		{"no file header (carved chunks)", func(b []byte) []byte {
			return b[fileHeaderSize:]
		}, 6, 0, 0, 0},
		{"empty chunk at end", func(b []byte) []byte {
			return append(b, make([]byte, chunkSize)...)
		}, 6, 0, 0, 0},
		{"record size copy overwritten", func(b []byte) []byte {
			// The second record of chunk 1: find its magic after the first.
			first := fileHeaderSize + chunkHeaderSize
			size := int(binary.LittleEndian.Uint32(b[first+4:]))
			second := first + size
			size2 := int(binary.LittleEndian.Uint32(b[second+4:]))
			binary.LittleEndian.PutUint32(b[second+size2-4:], 7)
			return b
		}, 5, 1, 0, 1},
		{"truncated in second chunk", func(b []byte) []byte {
			// The chunk's header lists three records: all three are lost.
			return b[:chunk2+chunkHeaderSize+100]
		}, 3, 3, 0, 1},
		{"first chunk's template definition damaged", func(b []byte) []byte {
			// The definition's element start: make it an unknown token.
			i := bytes.Index(b[fileHeaderSize:], []byte{tokFragmentHeader, 1, 1, 0, tokOpenStart | tokMoreFlag})
			b[fileHeaderSize+i+4] = 0x1f
			return b
		}, 3, 3, 0, 1},
		{"second chunk's template definition damaged: the first chunk's serves", func(b []byte) []byte {
			i := bytes.Index(b[chunk2:], []byte{tokFragmentHeader, 1, 1, 0, tokOpenStart | tokMoreFlag})
			b[chunk2+i+4] = 0x1f
			return b
		}, 6, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, st, err := readBytes(t, tt.damage(good()))
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if len(evs) != tt.events || st.Skipped != tt.skipped || st.CorruptChunks != tt.corruptChunks || st.ChunkChecksums != tt.checksums {
				t.Errorf("events %d skipped %d corrupt chunks %d checksums %d; want %d %d %d %d; errors %v",
					len(evs), st.Skipped, st.CorruptChunks, st.ChunkChecksums, tt.events, tt.skipped, tt.corruptChunks, tt.checksums, st.Errors)
			}
			for _, e := range st.Errors {
				var fe *FormatError
				if !errors.As(e, &fe) || fe.Source != "test.evtx" {
					t.Errorf("error %v is not a FormatError naming the file", e)
				}
			}
		})
	}
}

func TestNotEVTX(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("ElfFile\x00short"), bytes.Repeat([]byte("x"), 5000)} {
		_, _, err := readBytes(t, data)
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Errorf("%q...: error %v, want FormatError", data[:min(len(data), 8)], err)
		}
	}
}

func TestValueFormats(t *testing.T) {
	guid := []byte{0x5f, 0x38, 0x70, 0x57, 0x2a, 0xc2, 0xe0, 0x43, 0xbf, 0x4c, 0x06, 0xf5, 0x69, 0x8f, 0xfb, 0xd9}
	tests := []struct {
		typ  byte
		data []byte
		want string
	}{
		{typeString, utf16le("héllo\x00"), "héllo"},
		{typeAnsi, []byte("abc\x00"), "abc"},
		{typeInt8, []byte{0xff}, "-1"},
		{typeUint8, []byte{0xff}, "255"},
		{typeInt16, []byte{0xfe, 0xff}, "-2"},
		{typeUint32, []byte{1, 1, 0, 0}, "257"},
		{typeInt64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "-1"},
		{typeFloat64, binary.LittleEndian.AppendUint64(nil, 0x3ff8000000000000), "1.5"},
		{typeBool, []byte{1, 0, 0, 0}, "true"},
		{typeBool, []byte{0, 0, 0, 0}, "false"},
		{typeBinary, []byte{0xde, 0xad}, "DEAD"},
		{typeGUID, guid, "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"},
		{typeHex32, []byte{0xe7, 3, 0, 0}, "0x3e7"},
		{typeHex64, []byte{0, 0, 0, 0, 0, 0, 0, 0x80}, "0x8000000000000000"},
		{typeSizeT, []byte{0x10, 0, 0, 0}, "0x10"},
		{typeFileTime, binary.LittleEndian.AppendUint64(nil, 132223104000000000), "2020-01-01T00:00:00.0000000Z"},
		{typeSysTime, []byte{0xe4, 7, 1, 0, 3, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0}, "2020-01-01T02:03:04.005Z"},
		{typeSID, []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0}, "S-1-5-32-544"},
		{typeUint32, []byte{1}, "01"}, // too short: hex, not a panic
		{typeArray | typeUint16, []byte{1, 0, 2, 0}, "1, 2"},
		{typeArray | typeString, append(utf16le("a\x00"), utf16le("b\x00")...), "a, b"},
	}
	for _, tt := range tests {
		var b builder
		b.attrs = []attrValue{{name: "Value"}}
		b.curAttr = 0 // attribute context: arrays are joined
		b.value(tt.typ, tt.data)
		if got := string(b.arena); got != tt.want {
			t.Errorf("type %#x %x = %q, want %q", tt.typ, tt.data, got, tt.want)
		}
	}
}

// repeatReader yields a file header and then the same chunk n times,
// without holding the file.
type repeatReader struct {
	header, chunk []byte
	n, pos        int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.header != nil {
		n := copy(p, r.header)
		r.header = r.header[n:]
		if len(r.header) == 0 {
			r.header = nil
		}
		return n, nil
	}
	if r.n == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.chunk[r.pos:])
	r.pos += n
	if r.pos == len(r.chunk) {
		r.pos = 0
		r.n--
	}
	return n, nil
}

// TestMemoryFlat reads a 64 MiB stream and checks that the live heap does
// not grow with the file: one chunk is held at a time.
func TestMemoryFlat(t *testing.T) {
	chunk := buildChunk(sampleRecords(1, 40))
	header := buildFile(chunk)[:fileHeaderSize]
	heapAfter := func(chunks int) uint64 {
		r := NewReader(&repeatReader{header: header, chunk: chunk, n: chunks}, "stream")
		var ev detect.Event
		n := 0
		for {
			if err := r.Next(&ev); err != nil {
				break
			}
			n++
		}
		if n != 40*chunks {
			t.Fatalf("%d events from %d chunks", n, chunks)
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		runtime.KeepAlive(r)
		return m.HeapAlloc
	}
	small := heapAfter(16)
	large := heapAfter(1024) // 64 MiB
	if large > small+4<<20 {
		t.Errorf("heap after 64 MiB %d bytes, after 1 MiB %d: grows with the file", large, small)
	}
}

// TestRawAndNestedBinXML covers records written without a template, with
// CDATA, character and entity references and a processing instruction,
// and a template whose substitution holds binary XML (type 0x21, as
// UserData often is) without dependency identifiers.
func TestRawAndNestedBinXML(t *testing.T) {
	// Also with dependency identifiers inside the value, as some
	// producers write them.
	for _, depInValue := range []bool{false, true} {
		t.Run(fmt.Sprintf("dependency ids in value %v", depInValue), func(t *testing.T) {
			testRawAndNested(t, depInValue)
		})
	}
}

func testRawAndNested(t *testing.T, depInValue bool) {
	w := &binWriter{b: make([]byte, chunkHeaderSize)}
	w.rawRecord(1, func() {
		w.u8(tokPITarget)
		w.name("xml-stylesheet")
		w.u8(tokPIData)
		w.u16(1)
		w.b = append(w.b, utf16le("x")...)
		w.open("Event", false)
		w.closeStart()
		w.open("System", false)
		w.closeStart()
		w.open("EventID", false)
		w.closeStart()
		w.text("7")
		w.end()
		w.open("Channel", false)
		w.closeStart()
		w.text("Raw")
		w.end()
		w.end()
		w.open("EventData", false)
		w.closeStart()
		w.open("Data", true)
		w.attr("Name")
		w.text("Script")
		w.closeStart()
		w.u8(tokCDATA)
		w.u16(3)
		w.b = append(w.b, utf16le("a<b")...)
		w.u8(tokCharRef)
		w.u16('!')
		w.u8(tokEntityRef)
		w.name("quot")
		w.end()
		w.end()
		w.end()
	})
	// A template <Event><UserData>{sub 0}</UserData></Event>, its value
	// binary XML: <Op xmlns="u"><Target Kind="file">C:\x</Target></Op>.
	last := w.pos()
	start := w.pos()
	w.b = append(w.b, recordMagic...)
	w.u32(0)
	w.u64(2)
	w.u64(133500000000000000)
	w.u8(tokFragmentHeader)
	w.u8(1)
	w.u8(1)
	w.u8(0)
	w.u8(tokTemplate)
	w.u8(1)
	w.u32(7)
	w.u32(w.pos() + 4)
	w.u32(0)
	w.b = append(w.b, make([]byte, 16)...)
	sizeAt := w.pos()
	w.u32(0)
	defStart := w.pos()
	w.u8(tokFragmentHeader)
	w.u8(1)
	w.u8(1)
	w.u8(0)
	w.open("Event", false)
	w.closeStart()
	w.open("System", false)
	w.closeStart()
	w.open("EventID", false)
	w.closeStart()
	w.text("8")
	w.end()
	w.end()
	w.open("UserData", false)
	w.closeStart()
	w.subst(0, typeBinXML)
	w.end()
	w.end()
	w.u8(tokEOF)
	w.put32(sizeAt, w.pos()-defStart)
	// The value's names are stored inline, at their chunk offsets, so it
	// is built in place: descriptor first, then the bytes.
	w.u32(1)
	descAt := w.pos()
	w.u16(0)
	w.u8(typeBinXML)
	w.u8(0)
	valStart := w.pos()
	// Element starts inside a 0x21 value have no dependency identifier.
	openNested := func(name string, attrs bool) {
		tok := byte(tokOpenStart)
		if attrs {
			tok |= tokMoreFlag
		}
		w.u8(tok)
		if depInValue {
			w.u16(0xffff)
		}
		w.u32(0)
		w.name(name)
		if attrs {
			w.u32(0)
		}
	}
	openNested("Op", true)
	w.attr("xmlns")
	w.text("u")
	w.closeStart()
	openNested("Target", true)
	w.attr("Kind")
	w.text("file")
	w.closeStart()
	w.text(`C:\x`)
	w.end()
	w.end()
	binary.LittleEndian.PutUint16(w.b[descAt:], uint16(w.pos()-valStart))
	w.u8(tokEOF)
	size := w.pos() - start + 4
	w.u32(size)
	w.put32(start+4, size)
	data := buildFile(finishChunk(w, []testRecord{{id: 1}, {id: 2}}, last))
	evs, st, err := readBytes(t, data)
	if err != nil || len(evs) != 2 {
		t.Fatalf("%d events, %+v, %v", len(evs), st, err)
	}
	want := [][]detect.Field{
		{{Name: "EventID", Value: "7"}, {Name: "Channel", Value: "Raw"}, {Name: "Script", Value: `a<b!"`}},
		{{Name: "EventID", Value: "8"}, {Name: "Kind", Value: "file"}, {Name: "Target", Value: `C:\x`}},
	}
	for i := range want {
		if len(evs[i].Fields) != len(want[i]) {
			t.Errorf("event %d: %v, want %v", i, evs[i].Fields, want[i])
			continue
		}
		for j := range want[i] {
			if evs[i].Fields[j] != want[i][j] {
				t.Errorf("event %d field %d: %v, want %v", i, j, evs[i].Fields[j], want[i][j])
			}
		}
	}
}

// recordSpans returns the [start, end) file offsets of the records of the
// chunk at off, walking their sizes.
func recordSpans(b []byte, off int) [][2]int {
	var out [][2]int
	for p := off + chunkHeaderSize; p+recordHeader <= off+chunkSize && bytes.Equal(b[p:p+4], recordMagic); {
		size := int(binary.LittleEndian.Uint32(b[p+4:]))
		out = append(out, [2]int{p, p + size})
		p += size
	}
	return out
}

// TestLostRecordsCounted: garbage over several records counts each record
// lost, not one per damaged place (4 KB of garbage once lost 4 records and
// the summary said 1), whether the garbage sits between records or runs to
// the chunk's end.
func TestLostRecordsCounted(t *testing.T) {
	clean := buildFile(buildChunk(sampleRecords(1, 120)))
	spans := recordSpans(clean, fileHeaderSize)
	if len(spans) != 120 {
		t.Fatalf("%d records in the generated chunk", len(spans))
	}
	for _, tt := range []struct {
		name     string
		from, to int // garbage
	}{
		{"4 KB inside", spans[10][0] + 7, spans[10][0] + 7 + 4096},
		{"to the end of the records", spans[100][0] + 3, spans[119][1]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := append([]byte(nil), clean...)
			for i := tt.from; i < tt.to; i++ {
				b[i] = byte(0x41 + i%23)
			}
			lost := 0
			for _, sp := range spans {
				if sp[0] < tt.to && sp[1] > tt.from {
					lost++
				}
			}
			evs, st, err := readBytes(t, b)
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 120-lost || st.Skipped != int64(lost) {
				t.Errorf("read %d, skipped %d; want %d read, %d lost (errors %v)", len(evs), st.Skipped, 120-lost, lost, st.Errors)
			}
			if len(evs)+int(st.Skipped) != 120 {
				t.Errorf("read %d + lost %d != 120 records", len(evs), st.Skipped)
			}
		})
	}
}

// TestChecksumFailuresReported: a chunk whose checksum fails is read, and
// said so: the failure names file, chunk and offset, and every event read
// from that chunk is marked (one flipped byte once turned cmd.exe into
// xmd.exe in the output without a word).
func TestChecksumFailuresReported(t *testing.T) {
	b := buildFile(buildChunk(sampleRecords(1, 3)), buildChunk(sampleRecords(4, 3)), buildChunk(sampleRecords(7, 3)))
	chunk2 := fileHeaderSize + chunkSize
	i := bytes.Index(b[chunk2:], []byte("c\x00m\x00d\x00.\x00e\x00x\x00e\x00"))
	if i < 0 {
		t.Fatal("no cmd.exe in the second chunk")
	}
	b[chunk2+i] = 'x' // cmd.exe -> xmd.exe; data checksum now wrong
	b[124] ^= 0xff    // and the file header's checksum
	evs, st, err := readBytes(t, b)
	if err != nil || len(evs) != 9 || st.Skipped != 0 {
		t.Fatalf("events %d, skipped %d, err %v", len(evs), st.Skipped, err)
	}
	if st.DamagedParts != 2 || len(st.Damaged) != 2 {
		t.Fatalf("damaged %d %v, want the file header and chunk 1", st.DamagedParts, st.Damaged)
	}
	var fe *FormatError
	if !errors.As(st.Damaged[1], &fe) || fe.Source != "test.evtx" || fe.Chunk != 1 || fe.Offset != int64(chunk2) || !strings.Contains(fe.Error(), "data checksum wrong") {
		t.Errorf("chunk damage = %v, want test.evtx chunk 1 at %#x, data checksum", st.Damaged[1], chunk2)
	}
	if !errors.As(st.Damaged[0], &fe) || fe.Chunk != -1 || !strings.Contains(fe.Error(), "file header checksum") {
		t.Errorf("header damage = %v", st.Damaged[0])
	}
	for _, e := range evs {
		damaged := e.Record >= 4 && e.Record <= 6
		if (e.Damage != "") != damaged {
			t.Errorf("record %d: Damage %q, want marked %v", e.Record, e.Damage, damaged)
		}
		if damaged && !strings.Contains(e.Damage, "chunk 1") {
			t.Errorf("record %d: Damage %q does not name the chunk", e.Record, e.Damage)
		}
	}
	img, _ := evs[3].Get("Image")
	cmd, _ := evs[3].Get("CommandLine")
	if !strings.Contains(img+cmd, "xmd.exe") {
		t.Errorf("record 4 %q %q: the flipped byte should show, marked", img, cmd)
	}
}
