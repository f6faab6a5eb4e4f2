package sigma

import "vigil/internal/detect"

// Explain returns the fields of ev that made rule c match: the values
// tested by searches that held on the way to the match (negated searches
// contribute nothing). It allocates, so call it for matches only. It
// returns nil when c does not match ev.
func (m *Matcher) Explain(c *Compiled, ev *detect.Event) []detect.Field {
	m.load(ev)
	m.explaining = true
	defer func() { m.explaining = false }()
	var out []detect.Field
	if !m.explain(c.root, &out) {
		return nil
	}
	// One entry per field name, in the order found.
	seen := map[string]bool{}
	kept := out[:0]
	for _, f := range out {
		if !seen[f.Name] {
			seen[f.Name] = true
			kept = append(kept, f)
		}
	}
	return kept
}

func (m *Matcher) explain(n *node, out *[]detect.Field) bool {
	switch n.op {
	case opField:
		if !m.matchField(n.fm) {
			return false
		}
		m.addMatched(n.fm, out)
		return true
	case opAnd:
		mark := len(*out)
		for _, k := range n.kids {
			if !m.explain(k, out) {
				*out = (*out)[:mark]
				return false
			}
		}
		return true
	case opOr:
		for _, k := range n.kids {
			if m.explain(k, out) {
				return true
			}
		}
		return false
	case opAtLeast:
		mark, c := len(*out), 0
		for _, k := range n.kids {
			if m.explain(k, out) {
				c++
			}
		}
		if c < n.n {
			*out = (*out)[:mark]
			return false
		}
		return true
	}
	return m.eval(n)
}

func (m *Matcher) addMatched(fm *fieldMatch, out *[]detect.Field) {
	if fm.field != anyField {
		if m.fieldGen[fm.field] == m.gen {
			*out = append(*out, detect.Field{Name: fm.name, Value: m.slots[m.fieldPos[fm.field]].val})
		}
		return
	}
	for i := range fm.pats {
		for j := range m.slots {
			if m.matchPattern(&fm.pats[i], int32(j)) {
				name := ""
				if j < len(m.ev.Fields) {
					name = m.ev.Fields[j].Name
				}
				*out = append(*out, detect.Field{Name: name, Value: m.slots[j].val})
				break
			}
		}
	}
}
