package sigma

// acMachine is an Aho-Corasick automaton compiled to a dense DFA over byte
// classes, so a scan costs one table load per input byte. Bytes that occur in
// no pattern share class 0, which keeps the table small (SigmaHQ's literals
// use about 70 distinct bytes).
type acMachine struct {
	classes [256]uint8
	nclass  int
	// delta[row+class] is the next state's row (state*nclass), bitwise
	// complemented when that state reports patterns, so the scan loop
	// needs one load per byte.
	delta    []int32
	hasOut   []bool // state reports at least one pattern (own or by suffix)
	out      [][]int32
	dictLink []int32 // nearest proper suffix state with own patterns, or -1
}

// newACMachine builds the automaton for patterns; pattern i is reported as i.
// Empty patterns are ignored.
func newACMachine(patterns []string) *acMachine {
	m := &acMachine{}
	var used [256]bool
	for _, p := range patterns {
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
	m.delta = make([]int32, ns*n)
	m.out = out
	m.dictLink = make([]int32, ns)
	m.hasOut = make([]bool, ns)
	fail := make([]int32, ns)
	queue := make([]int32, 0, ns)
	// Root row: children or back to root.
	for _, e := range children[0] {
		m.delta[int(e.c)] = e.to
		fail[e.to] = 0
		queue = append(queue, e.to)
	}
	m.dictLink[0] = -1
	for q := 0; q < len(queue); q++ {
		s := queue[q]
		f := fail[s]
		// dictionary link: nearest suffix with own output
		if len(out[f]) > 0 {
			m.dictLink[s] = f
		} else {
			m.dictLink[s] = m.dictLink[f]
		}
		if s == 0 {
			m.dictLink[s] = -1
		}
		m.hasOut[s] = len(out[s]) > 0 || m.dictLink[s] >= 0
		row := int(s) * n
		frow := int(f) * n
		copy(m.delta[row:row+n], m.delta[frow:frow+n])
		for _, e := range children[s] {
			m.delta[row+int(e.c)] = e.to
			fail[e.to] = m.delta[frow+int(e.c)]
			queue = append(queue, e.to)
		}
	}
	// Premultiply rows and fold the output flag into the sign.
	for i, t := range m.delta {
		r := t * int32(n)
		if m.hasOut[t] {
			r = ^r
		}
		m.delta[i] = r
	}
	return m
}

// states reports how many states the automaton has.
func (m *acMachine) states() int { return len(m.out) }

// any reports whether v contains any pattern.
func (m *acMachine) any(v string) bool {
	delta := m.delta
	classes := &m.classes
	s := int32(0)
	for i := 0; i < len(v); i++ {
		s = delta[s+int32(classes[v[i]])]
		if s < 0 {
			return true
		}
	}
	return false
}
