package sigma

import (
	"slices"
	"strings"
)

// acMachine is an Aho-Corasick automaton. The shallow states, which every
// scan visits, have dense rows over byte classes (one load per byte);
// deeper states, visited only while a literal is being matched, keep their
// trie edges and a failure link. Bytes that occur in no pattern share
// class 0. This keeps the hot part of the machine a few hundred kilobytes
// however many literals there are.
type acMachine struct {
	classes [256]uint8
	nclass  int
	// dense[off+c], off = s*nclass for s < ndense: the code of the next
	// state (see code). Codes hold row offsets, not state numbers, so a
	// step is one add and one load, with no multiply in the chain of
	// dependent loads that bounds the scan's speed.
	dense  []int32
	ndense int32
	limit  int32 // ndense*nclass: codes at or above it are deep states
	// Deep states s >= ndense, by s-ndense: their trie edges and failure
	// link, one small record each so a step touches one cache line.
	deep      []deepState
	edgeClass []uint8 // edges of deep states with more than one child
	edgeTo    []int32 // codes
	fail      []int32
	hasOut    []bool // state reports at least one pattern (own or by suffix)
	out       [][]int32
	dictLink  []int32 // nearest proper suffix state with own patterns, or -1
	minLen    int     // shortest pattern: shorter values cannot hold one
	// rare, for a small set of patterns, marks one uncommon byte of each
	// (in both cases): a value without any of them holds no pattern, and a
	// test per byte that does not depend on the last is cheaper than a
	// step. Nil when the patterns' rare bytes are too many to help.
	rare *[256]bool
}

// maxDense bounds the dense rows: 1024 rows of 70 classes is ~280 KiB.
const maxDense = 1024

// newACMachine builds the automaton for patterns; pattern i is reported as i.
// Empty patterns are ignored.
func newACMachine(patterns []string) *acMachine {
	m := &acMachine{minLen: 1 << 30}
	var used [256]bool
	for _, p := range patterns {
		if p != "" && len(p) < m.minLen {
			m.minLen = len(p)
		}
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	n := 1
	for b := 0; b < 256; b++ {
		if used[b] {
			m.classes[b] = uint8(n)
			n++
			if n > 255 {
				// Fold the rest together: still correct, as a class only
				// needs to be a union of bytes with equal transitions...
				// which is not true here, so instead stop compressing.
				break
			}
		}
	}
	if n > 255 {
		for b := 0; b < 256; b++ {
			m.classes[b] = uint8(b)
		}
		n = 256
	}
	// Patterns are folded ASCII; giving ASCII capitals the class of their small
	// letter lets the scan run over raw ASCII values without folding them.
	for b := 'A'; b <= 'Z'; b++ {
		m.classes[b] = m.classes[b+'a'-'A']
	}
	m.nclass = n
	m.rare = rareBytes(patterns)
	// Trie with sparse children first.
	type edge struct {
		c  uint8
		to int32
	}
	children := [][]edge{nil}
	out := [][]int32{nil}
	for pi, p := range patterns {
		if p == "" {
			continue
		}
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := m.classes[p[i]]
			next := int32(-1)
			for _, e := range children[s] {
				if e.c == c {
					next = e.to
					break
				}
			}
			if next < 0 {
				next = int32(len(children))
				children = append(children, nil)
				out = append(out, nil)
				children[s] = append(children[s], edge{c, next})
			}
			s = next
		}
		out[s] = append(out[s], int32(pi))
	}
	ns := len(children)
	// Number states breadth-first: the shallow states every scan visits
	// then share the first rows of the table and stay in cache.
	order := []int32{0}
	for q := 0; q < len(order); q++ {
		for _, e := range children[order[q]] {
			order = append(order, e.to)
		}
	}
	// The deep states, visited while a pattern is being matched, follow
	// depth-first instead: a pattern's states are then neighbours, and
	// matching along one reads consecutive records.
	if nd := min(ns, maxDense); nd < ns {
		shallow := make([]bool, ns)
		for _, o := range order[:nd] {
			shallow[o] = true
		}
		order = order[:nd]
		stack := []int32{0}
		for len(stack) > 0 {
			st := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if !shallow[st] {
				order = append(order, st)
			}
			es := children[st]
			for k := len(es) - 1; k >= 0; k-- {
				stack = append(stack, es[k].to)
			}
		}
	}
	newID := make([]int32, ns)
	for i, o := range order {
		newID[o] = int32(i)
	}
	children2 := make([][]edge, ns)
	out2 := make([][]int32, ns)
	for old := range children {
		nid := newID[old]
		out2[nid] = out[old]
		for _, e := range children[old] {
			children2[nid] = append(children2[nid], edge{e.c, newID[e.to]})
		}
	}
	children, out = children2, out2
	m.out = out
	m.dictLink = make([]int32, ns)
	m.hasOut = make([]bool, ns)
	m.fail = make([]int32, ns)
	// Full DFA rows are computed for every state during construction
	// (breadth-first, each from its failure state's row), then kept only
	// for the first maxDense states.
	full := make([]int32, ns*n)
	queue := make([]int32, 0, ns)
	for _, e := range children[0] {
		full[int(e.c)] = e.to
		queue = append(queue, e.to)
	}
	m.dictLink[0] = -1
	for q := 0; q < len(queue); q++ {
		s := queue[q]
		f := m.fail[s]
		if len(out[f]) > 0 {
			m.dictLink[s] = f
		} else {
			m.dictLink[s] = m.dictLink[f]
		}
		m.hasOut[s] = len(out[s]) > 0 || m.dictLink[s] >= 0
		row := int(s) * n
		frow := int(f) * n
		copy(full[row:row+n], full[frow:frow+n])
		for _, e := range children[s] {
			full[row+int(e.c)] = e.to
			m.fail[e.to] = full[frow+int(e.c)]
			queue = append(queue, e.to)
		}
	}
	nd := min(ns, maxDense)
	m.ndense = int32(nd)
	m.limit = int32(nd * n)
	m.dense = make([]int32, nd*n)
	for i := range m.dense {
		m.dense[i] = m.code(full[i])
	}
	m.deep = make([]deepState, ns-nd)
	for st := nd; st < ns; st++ {
		d := &m.deep[st-nd]
		d.fail = m.plain(m.fail[st])
		es := children[st]
		slices.SortFunc(es, func(a, b edge) int { return int(a.c) - int(b.c) })
		d.n = uint16(len(es))
		if len(es) == 1 {
			d.cls, d.to = es[0].c, m.code(es[0].to)
			continue
		}
		d.to = int32(len(m.edgeTo))
		for _, e := range es {
			m.edgeClass = append(m.edgeClass, e.c)
			m.edgeTo = append(m.edgeTo, m.code(e.to))
		}
	}
	return m
}

// code encodes state t for the scan loops: ^t when t reports patterns
// (negative), else t's row offset t*nclass when t is dense (below limit),
// else limit+t for a deep state.
func (m *acMachine) code(t int32) int32 {
	if m.hasOut[t] {
		return ^t
	}
	return m.plain(t)
}

// plain is t's code ignoring its patterns: where a scan goes on from t
// once they are reported.
func (m *acMachine) plain(t int32) int32 {
	if t < m.ndense {
		return t * int32(m.nclass)
	}
	return m.limit + t - m.ndense
}

// deepState is a state past the dense rows. With one child (the usual
// case deep in the trie) the edge is kept in the record; with more, to
// is the index of the first of n edges in edgeClass/edgeTo.
type deepState struct {
	fail int32 // code of the failure state, with its patterns ignored
	to   int32
	n    uint16
	cls  uint8
}

// runDense advances code over v[i:] while the states are dense and
// report nothing, and returns where it stopped, the code there (negative
// for a state with patterns, at or above limit for a deep state) and the OR
// of the bytes read. The loop makes no calls, so it keeps its variables in
// registers (so it is not inlined into callers that would spill them).
//
//go:noinline
func (m *acMachine) runDense(v string, i int, code int32) (int, int32, byte) {
	classes := &m.classes
	dense := m.dense
	limit := uint32(m.limit)
	var hi byte
	// Unsigned, the code needs no sign extension to index the table.
	u := uint32(code)
	for i < len(v) {
		c := v[i]
		i++
		hi |= c
		u = uint32(dense[u+uint32(classes[c])])
		if u >= limit {
			break
		}
	}
	return i, int32(u), hi
}

// step returns the code after class c from code (not negative).
func (m *acMachine) step(code int32, c uint8) int32 {
	if code < m.limit {
		return m.dense[int(code)+int(c)]
	}
	return m.stepDeep(code, c)
}

// stepDeep returns the code after class c from the deep state of code.
func (m *acMachine) stepDeep(code int32, c uint8) int32 {
	for code >= m.limit {
		d := &m.deep[code-m.limit]
		if d.n == 1 {
			if d.cls == c {
				return d.to
			}
		} else {
			for k := d.to; k < d.to+int32(d.n); k++ {
				if m.edgeClass[k] == c {
					return m.edgeTo[k]
				}
			}
		}
		code = d.fail
	}
	return m.dense[int(code)+int(c)]
}

// states reports how many states the automaton has.
func (m *acMachine) states() int { return len(m.out) }

// any reports whether v contains any pattern.
func (m *acMachine) any(v string) bool {
	classes := &m.classes
	code := int32(0)
	for i := 0; i < len(v); i++ {
		code = m.step(code, classes[v[i]])
		if code < 0 {
			return true
		}
	}
	return false
}

// commonBytes lists bytes by how common they are in event values, most
// common first; bytes not listed are taken as the rarest.
const commonBytes = "0123456789abcdef -.\\:{}/_etaoinsrlhucmpgwyv,=()"

// maxRare bounds the distinct rare bytes (counting a letter once) for
// which the rare-byte test is worth it.
const maxRare = 8

func rareBytes(patterns []string) *[256]bool {
	if len(patterns) == 0 || len(patterns) > 64 {
		return nil
	}
	var set [256]bool
	distinct := 0
	for _, p := range patterns {
		if p == "" {
			return nil
		}
		best, bestRank := byte(0), -1
		for i := 0; i < len(p); i++ {
			c := p[i]
			r := strings.IndexByte(commonBytes, c)
			if r < 0 {
				r = len(commonBytes)
			}
			if r > bestRank {
				best, bestRank = c, r
			}
		}
		if set[best] {
			continue
		}
		distinct++
		if distinct > maxRare {
			return nil
		}
		set[best] = true
		if 'a' <= best && best <= 'z' {
			set[best-'a'+'A'] = true
		}
		if 'A' <= best && best <= 'Z' {
			set[best-'A'+'a'] = true
		}
	}
	return &set
}
