package scan

import "encoding/binary"

//go:generate sh -c "go run sha256x2_gen.go > sha256x2_amd64.s"

// The Linux walk hashes two files at once where the CPU has the x86 SHA
// extensions (sha256x2_amd64.s): its block functions take the state as
// eight words and whole 64-byte blocks, and the walk pads the last block
// itself (pad).

// sha256IV is the initial state of SHA-256.
var sha256IV = [8]uint32{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}

// padLen is the most bytes pad appends.
const padLen = 72

// pad appends SHA-256's padding for a message of total bytes to tail (the
// message's last, incomplete block, fewer than 64 bytes), in place: p must
// have room for padLen more bytes. The result is one or two whole blocks.
func pad(p []byte, total int64) []byte {
	p = append(p, 0x80)
	for len(p)%64 != 56 {
		p = append(p, 0)
	}
	return binary.BigEndian.AppendUint64(p, uint64(total)<<3)
}

// digest is the SHA-256 digest of a final state.
func digest(s *[8]uint32, sum *[32]byte) {
	for i, v := range s {
		binary.BigEndian.PutUint32(sum[4*i:], v)
	}
}
