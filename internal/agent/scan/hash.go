package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
)

// BufferSize is the read buffer each hashing worker reuses. Large reads
// keep the syscall count low; SHA-256 with the CPU's SHA extensions then
// dominates.
const BufferSize = 1 << 20

// SumReader hashes everything r yields, reading into buf (which it reuses;
// it does not go through io.Copy, whose WriterTo path would bring its own
// small buffer).
func SumReader(r io.Reader, buf []byte) (sum [32]byte, n int64, err error) {
	h := sha256.New()
	for {
		m, rerr := r.Read(buf)
		if m > 0 {
			h.Write(buf[:m])
			n += int64(m)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return sum, n, rerr
		}
	}
	h.Sum(sum[:0])
	return sum, n, nil
}

// Hex is the lowercase hex form of a digest.
func Hex(sum [32]byte) string { return hex.EncodeToString(sum[:]) }
