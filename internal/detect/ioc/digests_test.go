package ioc

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func randomSums(n int, seed uint64) [][32]byte {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([][32]byte, n)
	for i := range out {
		for j := 0; j < 32; j += 8 {
			binary.LittleEndian.PutUint64(out[i][j:], r.Uint64())
		}
	}
	return out
}

func TestLookupSHA256(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 10, 1000, 100000} {
		sums := randomSums(n, uint64(n))
		b := NewBuilder()
		for i, s := range sums {
			if err := b.Add(KindSHA256, hex.EncodeToString(s[:]), fmt.Sprint("c", i)); err != nil {
				t.Fatal(err)
			}
		}
		set := b.Build()
		if set.Count(KindSHA256) != n {
			t.Fatalf("n=%d: count %d", n, set.Count(KindSHA256))
		}
		for i, s := range sums {
			h, ok := set.LookupSHA256(&s)
			if !ok || h.Kind != KindSHA256 || h.Indicator != hex.EncodeToString(s[:]) || h.Comment != fmt.Sprint("c", i) {
				t.Fatalf("n=%d: %d: %+v %v", n, i, h, ok)
			}
		}
		for _, s := range randomSums(100, 99999) {
			if _, ok := set.LookupSHA256(&s); ok {
				t.Fatalf("n=%d: false positive", n)
			}
		}
	}
	// A digest given twice keeps its last comment, as every kind does;
	// the count is of distinct digests.
	s := randomSums(1, 5)[0]
	b := NewBuilder()
	b.Add(KindSHA256, hex.EncodeToString(s[:]), "first")
	b.Add(KindSHA256, hex.EncodeToString(s[:]), "second")
	set := b.Build()
	if h, _ := set.LookupSHA256(&s); h.Comment != "second" || set.Count(KindSHA256) != 1 {
		t.Errorf("duplicate: %+v, count %d", h, set.Count(KindSHA256))
	}
	var nilSet *Set
	if _, ok := nilSet.LookupSHA256(&s); ok {
		t.Error("nil set matched")
	}
	if n := testing.AllocsPerRun(100, func() { set.LookupSHA256(&[32]byte{1}) }); n != 0 {
		t.Errorf("a miss allocates %v times", n)
	}
}

// BenchmarkLookupSHA256 checks that matching a digest against 1,000,000
// indicators costs about what it costs against 10: it is the agent's
// per-file lookup. The probes are 64Ki distinct digests, as a scan's
// files are, so the big table is not warm in cache; one in 16 hits.
func BenchmarkLookupSHA256(b *testing.B) {
	for _, n := range []int{10, 1000, 1000000} {
		b.Run(fmt.Sprintf("indicators=%d", n), func(b *testing.B) {
			sums := randomSums(n, 1)
			bl := NewBuilder()
			for _, s := range sums {
				bl.Add(KindSHA256, hex.EncodeToString(s[:]), "")
			}
			set := bl.Build()
			const np = 1 << 16
			probes := randomSums(np, 2)
			for i := 0; i < len(probes); i += 16 {
				probes[i] = sums[(i*7919)%len(sums)]
			}
			b.ResetTimer()
			hits := 0
			for i := 0; i < b.N; i++ {
				if _, ok := set.LookupSHA256(&probes[i&(np-1)]); ok {
					hits++
				}
			}
			if hits == 0 {
				b.Fatal("no hits")
			}
		})
	}
}

// TestDigestSetSkewedFeed: digests that are not spread (zero-padded
// counters, as a careless or hostile feed holds) still build in linear time.
func TestDigestSetSkewedFeed(t *testing.T) {
	ents := make([]kv[[32]byte], 200000)
	for i := range ents {
		binary.BigEndian.PutUint32(ents[i].k[28:], uint32(i))
		ents[i].m = uint32(i)
	}
	start := time.Now()
	h := newDigestSet(ents)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("built %d skewed digests in %v", len(ents), took)
	}
	for _, i := range []int{0, 1, 199999} {
		if m, ok := h.lookup(&ents[i].k); !ok || m != uint32(i) {
			t.Fatalf("digest %d: %v %v", i, m, ok)
		}
	}
	var absent [32]byte
	absent[0] = 1
	if _, ok := h.lookup(&absent); ok {
		t.Fatal("found a digest never added")
	}
}
