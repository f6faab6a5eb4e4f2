package ioc

import (
	"encoding/binary"
	"hash/maphash"
)

// digestSet is a set of SHA-256 digests built for constant-time lookup:
// an open-addressing table, at most half full, of 16-bit fingerprints
// (the digests' first bytes), placed by a seeded hash of the whole digest.
// Real digests are uniformly distributed, but a feed is outside data: one
// of made-up or zero-padded values placed by raw digest bytes would pile
// onto a few slots and make building the table quadratic (a million such
// entries kept a hub from starting for minutes), so the place is hashed
// with a seed the feed cannot know. A lookup that misses (nearly every file an
// agent hashes is clean) reads one slot, one cache line, whether the set
// holds ten digests or ten million; only a fingerprint match (1 in 65,535
// misses) reads the whole digest. The table is 6 bytes a slot beside the
// entries themselves, small enough to stay in the last-level cache for a
// million digests.
type digestSet struct {
	fp   []uint16 // 0 marks an empty slot
	ids  []int32  // entry of each slot
	ents []kv[[32]byte]
	mask uint64
	seed maphash.Seed
	n    int
}

// newDigestSet builds a set of ents; a digest given twice keeps its last
// meta, as the maps of the other kinds do.
func newDigestSet(ents []kv[[32]byte]) *digestSet {
	size := 16
	for size < 2*len(ents) {
		size <<= 1
	}
	h := &digestSet{fp: make([]uint16, size), ids: make([]int32, size), ents: ents, mask: uint64(size - 1), seed: maphash.MakeSeed()}
	for i := range ents {
		f, slot := h.place(&ents[i].k)
		for h.fp[slot] != 0 {
			if h.fp[slot] == f && ents[h.ids[slot]].k == ents[i].k {
				break // duplicate: the later entry wins
			}
			slot = (slot + 1) & h.mask
		}
		if h.fp[slot] == 0 {
			h.fp[slot] = f
			h.n++
		}
		h.ids[slot] = int32(i)
	}
	return h
}

func (h *digestSet) place(sum *[32]byte) (fp uint16, slot uint64) {
	fp = binary.BigEndian.Uint16(sum[:2])
	if fp == 0 {
		fp = 1
	}
	return fp, maphash.Bytes(h.seed, sum[:]) & h.mask
}

// lookup returns the meta of sum, if the set holds it.
func (h *digestSet) lookup(sum *[32]byte) (uint32, bool) {
	if h == nil || h.n == 0 {
		return 0, false
	}
	f, slot := h.place(sum)
	for {
		g := h.fp[slot]
		if g == 0 {
			return 0, false
		}
		if g == f {
			if e := &h.ents[h.ids[slot]]; e.k == *sum {
				return e.m, true
			}
		}
		slot = (slot + 1) & h.mask
	}
}

func (h *digestSet) len() int {
	if h == nil {
		return 0
	}
	return h.n
}
