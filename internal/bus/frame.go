package bus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// A journal frame is
//
//	length  uint32 LE   bytes of payload
//	crc     uint32 LE   CRC-32C (Castagnoli) of payload
//	payload             seq u64 LE, then uvarints and length-prefixed bytes:
//	                    source id, unit id, format, received (Unix µs),
//	                    remote, data
//
// A torn write leaves a short frame or a frame whose CRC does not match;
// recovery truncates the segment there.
const frameHeader = 8

// MaxRecordBytes is the largest Data one record may carry.
const MaxRecordBytes = 4 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var errCorrupt = errors.New("corrupt frame")

// appendFrame appends r's frame (with seq) to buf.
func appendFrame(buf []byte, seq uint64, r *Record) []byte {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0)
	buf = binary.LittleEndian.AppendUint64(buf, seq)
	buf = binary.AppendVarint(buf, r.SourceID)
	buf = binary.AppendVarint(buf, r.UnitID)
	buf = append(buf, byte(r.Format))
	buf = binary.AppendVarint(buf, r.Received.UnixMicro())
	buf = binary.AppendUvarint(buf, uint64(len(r.Remote)))
	buf = append(buf, r.Remote...)
	buf = binary.AppendUvarint(buf, uint64(len(r.Data)))
	buf = append(buf, r.Data...)
	payload := buf[start+frameHeader:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, castagnoli))
	return buf
}

// frameSize is an upper bound of r's frame length.
func frameSize(r *Record) int {
	return frameHeader + 8 + 3*binary.MaxVarintLen64 + 1 + 2*binary.MaxVarintLen64 + len(r.Remote) + len(r.Data)
}

// readFrame decodes the frame at the start of b. It returns the number of
// bytes used, or n == 0 when b holds only part of a frame (need says how
// many bytes the whole frame takes, when known). Data and Remote point into
// b (Remote is copied into a string).
func readFrame(b []byte, r *Record) (n, need int, err error) {
	if len(b) < frameHeader {
		return 0, frameHeader, nil
	}
	size := binary.LittleEndian.Uint32(b)
	if size < 8 || size > MaxRecordBytes+1024 {
		return 0, 0, fmt.Errorf("%w: length %d", errCorrupt, size)
	}
	total := frameHeader + int(size)
	if len(b) < total {
		return 0, total, nil
	}
	payload := b[frameHeader:total]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return 0, 0, fmt.Errorf("%w: checksum mismatch", errCorrupt)
	}
	if err := decodePayload(payload, r); err != nil {
		return 0, 0, err
	}
	return total, total, nil
}

func decodePayload(p []byte, r *Record) error {
	d := decoder{b: p}
	r.Seq = d.u64()
	r.SourceID = d.varint()
	r.UnitID = d.varint()
	r.Format = Format(d.byte())
	r.Received = time.UnixMicro(d.varint()).UTC()
	r.Remote = string(d.bytes())
	r.Data = d.bytes()
	if d.err != nil || len(d.b) != 0 {
		return fmt.Errorf("%w: bad payload", errCorrupt)
	}
	return nil
}

// decoder reads the little pieces of the encodings in this package; the
// first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) u64() uint64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return string(d.bytes()) }
