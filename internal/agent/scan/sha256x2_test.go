package scan

import (
	"crypto/sha256"
	"math/rand"
	"testing"
)

// TestBlocksX2 checks the SHA-extension block functions against
// crypto/sha256 over two messages of unequal lengths at once, the second
// finished alone, as the Linux walk's lanes use them.
func TestBlocksX2(t *testing.T) {
	if !haveSHA2x {
		t.Skip("no SHA extensions")
	}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 500; i++ {
		a := make([]byte, r.Intn(4000), 5000)
		b := make([]byte, r.Intn(4000), 5000)
		r.Read(a)
		r.Read(b)
		if i == 0 {
			a, b = a[:0], b[:55] // one block of padding; the 56-byte edge
		}
		pa, pb := pad(append([]byte(nil), a...), int64(len(a))), pad(append([]byte(nil), b...), int64(len(b)))
		sa, sb := sha256IV, sha256IV
		na, nb := len(pa)/64, len(pb)/64
		n := min(na, nb)
		blocksX2(&sa, &sb, &pa[0], &pb[0], n)
		if na > n {
			blocksX1(&sa, &pa[64*n], na-n)
		}
		if nb > n {
			blocksX1(&sb, &pb[64*n], nb-n)
		}
		var da, db [32]byte
		digest(&sa, &da)
		digest(&sb, &db)
		if da != sha256.Sum256(a) || db != sha256.Sum256(b) {
			t.Fatalf("lengths %d and %d: digests differ from crypto/sha256", len(a), len(b))
		}
	}
}

func BenchmarkBlocksX2(b *testing.B) {
	if !haveSHA2x {
		b.Skip("no SHA extensions")
	}
	p, q := make([]byte, 64<<10), make([]byte, 64<<10)
	s, u := sha256IV, sha256IV
	b.Run("one", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		for range b.N {
			blocksX1(&s, &p[0], len(p)/64)
		}
	})
	b.Run("two", func(b *testing.B) {
		b.SetBytes(2 * int64(len(p)))
		for range b.N {
			blocksX2(&s, &u, &p[0], &q[0], len(p)/64)
		}
	})
	b.Run("crypto/sha256", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		for range b.N {
			sha256.Sum256(p)
		}
	})
}
