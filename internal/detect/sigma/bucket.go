package sigma

import (
	"slices"
	"strconv"
	"strings"
)

// bucketKey identifies the events that share one set of applicable rules:
// Windows events by channel (as written in the event) and EventID, other
// events by their logsource hints.
type bucketKey struct {
	channel                    string
	eventID                    int
	product, service, category string
}

// bucket is the program for one kind of event: the rules that apply, an
// Aho-Corasick automaton over all their literals, and which rules each
// literal found in which field wakes up.
type bucket struct {
	rules      []int32 // sorted
	always     []int32 // rules without a prefilter, sorted
	ac         *acMachine
	patRefs    [][]pairRef // per AC pattern
	scanFields []int32
	scanAll    bool
}

type pairRef struct {
	pair  int32
	field int32
	trig  []int32 // rules for which this pair is a prefilter
}

// maxBuckets bounds the bucket cache so odd channel/EventID mixes cannot
// grow it without end; past it buckets are still found, just not cached.
const maxBuckets = 1 << 14

func (rs *RuleSet) lookupBucket(k bucketKey) *bucket {
	if b, ok := (*rs.buckets.Load())[k]; ok {
		return b
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	cur := *rs.buckets.Load()
	if b, ok := cur[k]; ok {
		return b
	}
	ids := rs.rulesFor(k)
	sig := sigOf(ids)
	b, ok := rs.bySig[sig]
	if !ok {
		b = rs.buildBucket(ids)
		rs.bySig[sig] = b
	}
	if len(cur) < maxBuckets {
		next := make(map[bucketKey]*bucket, len(cur)+1)
		for kk, vv := range cur {
			next[kk] = vv
		}
		next[k] = b
		rs.buckets.Store(&next)
	}
	return b
}

func sigOf(ids []int32) string {
	var sb strings.Builder
	for _, id := range ids {
		sb.WriteString(strconv.Itoa(int(id)))
		sb.WriteByte(',')
	}
	return sb.String()
}

func (rs *RuleSet) rulesFor(k bucketKey) []int32 {
	var ids []int32
	if k.channel != "" {
		ids = append(ids, rs.winAll...)
		for _, ch := range []string{strings.ToLower(k.channel), ""} {
			if wc := rs.winChan[ch]; wc != nil {
				ids = append(ids, wc.any...)
				ids = append(ids, wc.byID[k.eventID]...)
			}
		}
	} else {
		for _, p := range []string{k.product, ""} {
			for _, s := range []string{k.service, ""} {
				for _, c := range []string{k.category, ""} {
					if p == "" && s == "" && c == "" {
						continue
					}
					ids = append(ids, rs.other[lsKey{p, s, c}]...)
				}
			}
		}
		if k.product == "windows" {
			ids = append(ids, rs.winAll...)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (rs *RuleSet) buildBucket(ids []int32) *bucket {
	b := &bucket{rules: ids}
	pats := map[string]int{}
	var lits []string
	fields := map[int32]bool{}
	type ref struct{ pair, field int32 }
	refs := map[string][]ref{}
	trig := map[int32][]int32{}
	seenPair := map[int32]bool{}
	for _, ri := range ids {
		c := rs.rules[ri]
		if len(c.pre) == 0 {
			b.always = append(b.always, ri)
		}
		for _, p := range c.pre {
			trig[p] = append(trig[p], ri)
		}
		walkFields(c.root, func(fm *fieldMatch) {
			if fm.field == anyField {
				b.scanAll = true
			}
			for _, p := range fm.pats {
				if p.pair < 0 || seenPair[p.pair] {
					continue
				}
				seenPair[p.pair] = true
				pk := rs.pairs[p.pair]
				if _, ok := pats[pk.lit]; !ok {
					pats[pk.lit] = len(lits)
					lits = append(lits, pk.lit)
				}
				refs[pk.lit] = append(refs[pk.lit], ref{p.pair, pk.field})
				if pk.field != anyField {
					fields[pk.field] = true
				}
			}
		})
	}
	// A rule with an empty prefilter set can never match (e.g. only empty
	// lists), but evaluating it is harmless and keeps the logic simple.
	b.ac = newACMachine(lits)
	b.patRefs = make([][]pairRef, len(lits))
	for lit, i := range pats {
		for _, r := range refs[lit] {
			b.patRefs[i] = append(b.patRefs[i], pairRef{pair: r.pair, field: r.field, trig: trig[r.pair]})
		}
	}
	for f := range fields {
		b.scanFields = append(b.scanFields, f)
	}
	slices.Sort(b.scanFields)
	return b
}

func walkFields(n *node, fn func(*fieldMatch)) {
	if n.fm != nil {
		fn(n.fm)
	}
	for _, k := range n.kids {
		walkFields(k, fn)
	}
}
