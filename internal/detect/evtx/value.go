package evtx

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

const hexUpper = "0123456789ABCDEF"

// value appends the text of a substitution value to the arena, in the
// form Windows' own XML rendering uses (decimal integers, 0x-prefixed hex
// integers, {GUID} in capitals, S-1-... SIDs, ISO 8601 UTC times).
func (b *builder) value(typ byte, data []byte) {
	if typ == typeFileTime && len(data) >= 8 && b.curAttr >= 0 && b.attrs[b.curAttr].name == "SystemTime" && b.time.IsZero() {
		// TimeCreated's time, taken without a round trip through text.
		b.time = filetime(binary.LittleEndian.Uint64(data))
	}
	if typ&typeArray != 0 {
		if b.curAttr >= 0 || len(b.stack) == 0 {
			b.arena = appendArray(b.arena, typ&^typeArray, data)
			return
		}
		// In content, an array repeats the element once per value
		// (<Data>a</Data><Data>b</Data>), as Windows renders it.
		first := true
		arrayElems(typ&^typeArray, data, func(t byte, e []byte) {
			if !first {
				b.repeat()
			}
			first = false
			b.arena = appendValue(b.arena, t, e)
		})
		return
	}
	b.arena = appendValue(b.arena, typ, data)
}

func appendValue(dst []byte, typ byte, v []byte) []byte {
	le := binary.LittleEndian
	switch typ {
	case typeNull:
		return dst
	case typeString:
		return appendUTF16(dst, v)
	case typeAnsi:
		return appendAnsi(dst, v)
	case typeInt8:
		if len(v) >= 1 {
			return strconv.AppendInt(dst, int64(int8(v[0])), 10)
		}
	case typeUint8:
		if len(v) >= 1 {
			return strconv.AppendUint(dst, uint64(v[0]), 10)
		}
	case typeInt16:
		if len(v) >= 2 {
			return strconv.AppendInt(dst, int64(int16(le.Uint16(v))), 10)
		}
	case typeUint16:
		if len(v) >= 2 {
			return strconv.AppendUint(dst, uint64(le.Uint16(v)), 10)
		}
	case typeInt32:
		if len(v) >= 4 {
			return strconv.AppendInt(dst, int64(int32(le.Uint32(v))), 10)
		}
	case typeUint32:
		if len(v) >= 4 {
			return strconv.AppendUint(dst, uint64(le.Uint32(v)), 10)
		}
	case typeInt64:
		if len(v) >= 8 {
			return strconv.AppendInt(dst, int64(le.Uint64(v)), 10)
		}
	case typeUint64:
		if len(v) >= 8 {
			return strconv.AppendUint(dst, le.Uint64(v), 10)
		}
	case typeFloat32:
		if len(v) >= 4 {
			return strconv.AppendFloat(dst, float64(math.Float32frombits(le.Uint32(v))), 'g', -1, 32)
		}
	case typeFloat64:
		if len(v) >= 8 {
			return strconv.AppendFloat(dst, math.Float64frombits(le.Uint64(v)), 'g', -1, 64)
		}
	case typeBool:
		if len(v) >= 1 {
			if isZeroBytes(v) {
				return append(dst, "false"...)
			}
			return append(dst, "true"...)
		}
	case typeGUID:
		if len(v) >= 16 {
			return appendGUID(dst, v)
		}
	case typeSizeT, typeHex32, typeHex64:
		switch {
		case len(v) >= 8:
			return appendHex(dst, le.Uint64(v))
		case len(v) >= 4:
			return appendHex(dst, uint64(le.Uint32(v)))
		}
	case typeFileTime:
		if len(v) >= 8 {
			return appendTime(dst, filetimeAny(le.Uint64(v)), 7)
		}
	case typeSysTime:
		if len(v) >= 16 {
			t := time.Date(int(le.Uint16(v)), time.Month(le.Uint16(v[2:])), int(le.Uint16(v[6:])),
				int(le.Uint16(v[8:])), int(le.Uint16(v[10:])), int(le.Uint16(v[12:])), int(le.Uint16(v[14:]))*1e6, time.UTC)
			return appendTime(dst, t, 3)
		}
	case typeSID:
		if s, ok := appendSID(dst, v); ok {
			return s
		}
	}
	// Binary, unknown types and values too short for their type: hex, so
	// nothing is lost.
	return appendHexBytes(dst, v)
}

// arrayElemSize is the width of fixed-size array elements, 0 for strings.
func arrayElemSize(typ byte) int {
	switch typ {
	case typeInt8, typeUint8:
		return 1
	case typeInt16, typeUint16:
		return 2
	case typeInt32, typeUint32, typeFloat32, typeBool, typeHex32:
		return 4
	case typeInt64, typeUint64, typeFloat64, typeFileTime, typeHex64, typeSizeT:
		return 8
	case typeGUID, typeSysTime:
		return 16
	}
	return 0
}

// arrayElems calls fn for each element of an array value of element type
// typ (the array flag removed).
func arrayElems(typ byte, v []byte, fn func(typ byte, elem []byte)) {
	switch typ {
	case typeString:
		for len(v) >= 2 {
			end := 0
			for end+1 < len(v) && (v[end] != 0 || v[end+1] != 0) {
				end += 2
			}
			fn(typ, v[:end])
			if end+2 > len(v) {
				return
			}
			v = v[end+2:]
		}
		return
	case typeAnsi:
		for len(v) > 0 {
			end := 0
			for end < len(v) && v[end] != 0 {
				end++
			}
			fn(typ, v[:end])
			if end+1 > len(v) {
				return
			}
			v = v[end+1:]
		}
		return
	case typeSID:
		for len(v) >= 8 {
			n := 8 + 4*int(v[1])
			if n > len(v) {
				fn(typeBinary, v)
				return
			}
			fn(typ, v[:n])
			v = v[n:]
		}
		return
	}
	size := arrayElemSize(typ)
	if size == 0 {
		fn(typeBinary, v)
		return
	}
	if typ == typeSizeT && len(v)%8 != 0 {
		size = 4
	}
	for i := 0; i+size <= len(v); i += size {
		fn(typ, v[i:i+size])
	}
}

// appendArray renders an array value as its elements separated by ", "
// (for attributes, which cannot repeat).
func appendArray(dst []byte, typ byte, v []byte) []byte {
	first := true
	arrayElems(typ, v, func(t byte, e []byte) {
		if !first {
			dst = append(dst, ", "...)
		}
		first = false
		dst = appendValue(dst, t, e)
	})
	return dst
}

func isZeroBytes(v []byte) bool {
	for _, c := range v {
		if c != 0 {
			return false
		}
	}
	return true
}

func appendHex(dst []byte, n uint64) []byte {
	dst = append(dst, "0x"...)
	return strconv.AppendUint(dst, n, 16)
}

func appendHexBytes(dst, v []byte) []byte {
	for _, c := range v {
		dst = append(dst, hexUpper[c>>4], hexUpper[c&15])
	}
	return dst
}

func appendHexN(dst []byte, n uint64, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		dst = append(dst, hexUpper[(n>>(4*uint(i)))&15])
	}
	return dst
}

func appendGUID(dst, v []byte) []byte {
	le := binary.LittleEndian
	dst = append(dst, '{')
	dst = appendHexN(dst, uint64(le.Uint32(v)), 8)
	dst = append(dst, '-')
	dst = appendHexN(dst, uint64(le.Uint16(v[4:])), 4)
	dst = append(dst, '-')
	dst = appendHexN(dst, uint64(le.Uint16(v[6:])), 4)
	dst = append(dst, '-')
	dst = appendHexBytes(dst, v[8:10])
	dst = append(dst, '-')
	dst = appendHexBytes(dst, v[10:16])
	return append(dst, '}')
}

func appendSID(dst, v []byte) ([]byte, bool) {
	if len(v) < 8 {
		return dst, false
	}
	n := int(v[1])
	if len(v) < 8+4*n {
		return dst, false
	}
	var auth uint64
	for _, c := range v[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, "S-"...)
	dst = strconv.AppendUint(dst, uint64(v[0]), 10)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, auth, 10)
	for i := 0; i < n; i++ {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(v[8+4*i:])), 10)
	}
	return dst, true
}

// appendTime writes t as 2006-01-02T15:04:05.fffffffZ with the given
// number of fractional digits.
func appendTime(dst []byte, t time.Time, frac int) []byte {
	dst = t.AppendFormat(dst, "2006-01-02T15:04:05")
	dst = append(dst, '.')
	var digits [10]byte
	s := strconv.AppendInt(digits[:0], int64(t.Nanosecond())+1e9, 10)[1:] // 9 digits, zero padded
	dst = append(dst, s[:frac]...)
	return append(dst, 'Z')
}

// filetimeAny converts any FILETIME, 0 included (1601-01-01, as Windows
// renders it).
func filetimeAny(ft uint64) time.Time {
	if ft == 0 {
		return time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return filetime(ft)
}
